//! Arrays by the book's parameter names.

use ndarray::ArrayD;

/// Arrays by the book's names, in the network's order (`W1`, `b1`, `W2`, `b2`, …).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NamedArrays(pub Vec<(String, ArrayD<f64>)>);

impl NamedArrays {
    /// The array called `name`.
    pub fn get(&self, name: &str) -> Option<&ArrayD<f64>> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }

    /// The names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }

    /// (name, array) pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ArrayD<f64>)> {
        self.0.iter().map(|(n, a)| (n.as_str(), a))
    }
}

impl std::ops::Index<&str> for NamedArrays {
    type Output = ArrayD<f64>;
    #[track_caller]
    fn index(&self, name: &str) -> &ArrayD<f64> {
        self.get(name).unwrap_or_else(|| {
            panic!(
                "no array named {name:?}; names are {:?}",
                self.names().collect::<Vec<_>>()
            )
        })
    }
}

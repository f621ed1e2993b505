use std::ops::{Deref, DerefMut};

use ndarray::Array1;

use super::Sequential;
use crate::init::WeightInit;
use crate::layers::{Affine, Relu};

/// The book's `TwoLayerNet` (5.7): Affine1 → Relu1 → Affine2 → SoftmaxWithLoss.
///
/// Parameters `W1` (input, hidden), `b1`, `W2` (hidden, output), `b2`; weights are
/// `weight_init_std` · N(0, 1), biases zero. Everything else (predict, loss, accuracy,
/// gradient, numerical_gradient, params) comes from [`Sequential`] through `Deref`.
///
/// ```
/// use dlfs::prelude::*;
/// let mut net = TwoLayerNet::new(784, 50, 10, 0.01, &mut seeded_rng(0));
/// assert_eq!(net.layer_names(), ["Affine1", "Relu1", "Affine2"]);
/// let names: Vec<String> = net.params().into_iter().map(|p| p.name).collect();
/// assert_eq!(names, ["W1", "b1", "W2", "b2"]);
/// ```
#[derive(Debug)]
pub struct TwoLayerNet(pub Sequential);

impl TwoLayerNet {
    /// A net with `input_size` inputs, `hidden_size` ReLU units and `output_size` classes.
    pub fn new(
        input_size: usize,
        hidden_size: usize,
        output_size: usize,
        weight_init_std: f64,
        rng: &mut impl rand::Rng,
    ) -> Self {
        let init = WeightInit::Std(weight_init_std);
        let w1 = init.weights(input_size, hidden_size, rng);
        let w2 = init.weights(hidden_size, output_size, rng);
        let mut net = Sequential::new();
        net.push("Affine1", Affine::new(w1, Array1::zeros(hidden_size)))
            .push("Relu1", Relu::new())
            .push("Affine2", Affine::new(w2, Array1::zeros(output_size)));
        Self(net)
    }
}

impl Deref for TwoLayerNet {
    type Target = Sequential;
    fn deref(&self) -> &Sequential {
        &self.0
    }
}

impl DerefMut for TwoLayerNet {
    fn deref_mut(&mut self) -> &mut Sequential {
        &mut self.0
    }
}

use ndarray::{ArrayD, ArrayRef, IxDyn, Zip};

use super::{Layer, check_dout};

/// Sigmoid layer: y = 1 / (1 + e^(−x)).
///
/// Backward: ∂L/∂x = ∂L/∂y · y(1 − y), from the output `out` kept by `forward`, as in the book.
///
/// # Shapes
/// Any shape; `dout` must have the shape of the last output.
///
/// ```
/// use dlfs::layers::{Layer, Sigmoid};
/// use dlfs::ndarray::array;
/// let mut sigmoid = Sigmoid::new();
/// let y = sigmoid.forward(&array![0.0, 0.0].into_dyn(), true);
/// assert_eq!(y, array![0.5, 0.5].into_dyn());
/// let dx = sigmoid.backward(&array![1.0, 4.0].into_dyn());
/// assert_eq!(dx, array![0.25, 1.0].into_dyn());
/// ```
///
/// # Panics
/// `backward` panics if `dout`'s shape differs from the last output's, or before `forward`.
#[derive(Debug, Default, Clone)]
pub struct Sigmoid {
    /// The last output y.
    pub out: Option<ArrayD<f64>>,
}

impl Sigmoid {
    /// A sigmoid layer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Layer for Sigmoid {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        let out = crate::functions::sigmoid(x);
        self.out = Some(out.clone());
        out
    }

    #[track_caller]
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let Some(out) = &self.out else {
            panic!("Sigmoid.backward: called before forward")
        };
        check_dout("Sigmoid", dout.shape(), out.shape());
        Zip::from(dout)
            .and(out)
            .map_collect(|&d, &y| d * (1.0 - y) * y)
    }
}

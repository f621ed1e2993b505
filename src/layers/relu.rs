use ndarray::{ArrayD, ArrayRef, IxDyn};

use super::{Layer, check_dout};
use crate::kernels;

/// ReLU layer: y = x if x > 0 else 0.
///
/// Backward: ∂L/∂x = ∂L/∂y where x > 0, else 0. The layer remembers `mask` (x ≤ 0) from
/// `forward`, as in the book.
///
/// # Shapes
/// Any shape; `dout` must have the shape of the last `x`.
///
/// ```
/// use dlfs::layers::{Layer, Relu};
/// use dlfs::ndarray::array;
/// let mut relu = Relu::new();
/// let y = relu.forward(&array![[1.0, -0.5], [-2.0, 3.0]].into_dyn(), true);
/// assert_eq!(y, array![[1.0, 0.0], [0.0, 3.0]].into_dyn());
/// let dx = relu.backward(&array![[5.0, 5.0], [5.0, 5.0]].into_dyn());
/// assert_eq!(dx, array![[5.0, 0.0], [0.0, 5.0]].into_dyn());
/// ```
///
/// # Panics
/// `backward` panics if `dout`'s shape differs from the last input's, or before a training
/// `forward`.
#[derive(Debug, Default, Clone)]
pub struct Relu {
    /// `true` where the last training input was ≤ 0.
    pub mask: Option<ArrayD<bool>>,
}

impl Relu {
    /// A ReLU layer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Layer for Relu {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64> {
        // mask = (x <= 0); out = x.copy(); out[mask] = 0 (one pass over x)
        let (out, mask) = kernels::relu_forward(x, train);
        self.mask = mask;
        out
    }

    #[track_caller]
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let Some(mask) = &self.mask else {
            panic!("Relu.backward: called before forward with train = true")
        };
        check_dout("Relu", dout.shape(), mask.shape());
        // dout[mask] = 0; dx = dout
        kernels::relu_backward(dout, mask)
    }
}

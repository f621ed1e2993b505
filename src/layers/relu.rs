use ndarray::{ArrayD, ArrayRef, IxDyn, Zip};

use super::{Layer, shape_mismatch};
use crate::linalg::parallel_len as parallel;

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

impl Relu {
    /// The mask of the last training forward pass, checked against `dout`'s shape.
    #[track_caller]
    fn mask_for(&self, dout_shape: &[usize]) -> &ArrayD<bool> {
        let Some(mask) = &self.mask else {
            panic!("Relu.backward: called before forward with train = true")
        };
        if mask.shape() != dout_shape {
            shape_mismatch(
                "Relu",
                "backward",
                dout_shape,
                &format!("dout of the forward input's shape {:?}", mask.shape()),
            );
        }
        mask
    }
}

impl Layer for Relu {
    fn kind(&self) -> &'static str {
        "Relu"
    }

    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64> {
        self.forward_owned(x.to_owned(), train)
    }

    #[track_caller]
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        self.backward_owned(dout.to_owned())
    }

    /// Written over `x` (no new activation array; the mask's memory is kept from the
    /// last step when the shape is unchanged). `forward` copies its input and calls this.
    fn forward_owned(&mut self, mut x: ArrayD<f64>, train: bool) -> ArrayD<f64> {
        if !train {
            self.mask = None;
            // selects, not branches: a branch on random signs mispredicts half the time
            let f = |v: &mut f64| *v = if *v <= 0.0 { 0.0 } else { *v };
            let zip = Zip::from(&mut x);
            if parallel(zip.size()) {
                zip.par_for_each(f)
            } else {
                zip.for_each(f)
            }
            return x;
        }
        let mut mask = match self.mask.take() {
            Some(m) if m.shape() == x.shape() => m,
            _ => ArrayD::from_elem(x.raw_dim(), false),
        };
        let f = |v: &mut f64, m: &mut bool| {
            *m = *v <= 0.0;
            *v = if *m { 0.0 } else { *v };
        };
        let zip = Zip::from(&mut x).and(&mut mask);
        if parallel(zip.size()) {
            zip.par_for_each(f)
        } else {
            zip.for_each(f)
        }
        self.mask = Some(mask);
        x
    }

    /// Written over `dout`. `backward` copies its input and calls this.
    #[track_caller]
    fn backward_owned(&mut self, mut dout: ArrayD<f64>) -> ArrayD<f64> {
        let mask = self.mask_for(dout.shape());
        let f = |d: &mut f64, &m: &bool| *d = if m { 0.0 } else { *d };
        let zip = Zip::from(&mut dout).and(mask);
        if parallel(zip.size()) {
            zip.par_for_each(f)
        } else {
            zip.for_each(f)
        }
        dout
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}

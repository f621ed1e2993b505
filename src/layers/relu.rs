use ndarray::{ArrayD, ArrayRef, IxDyn, NdProducer, Zip};

use super::{Layer, shape_mismatch};
use crate::linalg::{PARALLEL_MIN_LEN, threads};

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
        if !train {
            self.mask = None;
            return x.mapv(|v| if v > 0.0 { v } else { 0.0 });
        }
        let mut mask = ArrayD::from_elem(x.raw_dim(), false);
        let out = zip_map(Zip::from(&mut mask).and(x), |m, &v| {
            *m = v <= 0.0;
            if *m { 0.0 } else { v }
        });
        self.mask = Some(mask);
        out
    }

    #[track_caller]
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let mask = self.mask_for(dout.shape());
        zip_map(Zip::from(dout).and(mask), |&d, &m| if m { 0.0 } else { d })
    }

    /// Same as `forward`, written over `x` (no new activation array; the mask's memory
    /// is kept from the last step when the shape is unchanged).
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

    /// Same as `backward`, written over `dout`.
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
}

/// Loops over this many elements are split over the threads.
fn parallel(len: usize) -> bool {
    len >= PARALLEL_MIN_LEN && threads() > 1
}

fn zip_map<P1, P2, F>(zip: Zip<(P1, P2), IxDyn>, f: F) -> ArrayD<f64>
where
    P1: NdProducer<Dim = IxDyn> + Send,
    P2: NdProducer<Dim = IxDyn> + Send,
    P1::Item: Send,
    P2::Item: Send,
    F: Fn(P1::Item, P2::Item) -> f64 + Sync + Send,
{
    if parallel(zip.size()) {
        zip.par_map_collect(f)
    } else {
        zip.map_collect(f)
    }
}

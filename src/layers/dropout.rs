use ndarray::{ArrayD, ArrayRef, IxDyn, Zip};
use rand::{Rng as _, SeedableRng};

use super::{Hint, Layer, check_dout};
use crate::init::Rng;

/// Dropout: in training each value is kept with probability 1 − p and dropped (set to 0)
/// otherwise; p = `dropout_ratio`.
///
/// We use **inverted dropout**: kept values are scaled by 1/(1 − p) during training, and
/// inference passes x through unchanged. The book instead multiplies by (1 − p) at
/// inference; both give the same expected activations, but inverted dropout keeps the
/// inference path free of the training hyperparameter (frameworks do the same).
///
/// Forward (train): y = x·mask/(1 − p), mask_i = 1 if u_i > p (u_i uniform in [0, 1)).
/// Backward: ∂L/∂x = dout·mask/(1 − p) (after an inference forward: dout).
///
/// The masks come from a ChaCha8 RNG seeded in [`new`](Self::new), so a run repeats
/// exactly. While [`frozen`](Self::frozen) is set (see [`Hint::FreezeMasks`]), a
/// training forward reuses the last mask when the shape matches (drawing and keeping one
/// otherwise), so repeated forward passes compute one fixed function: that is what a
/// numerical gradient check needs.
///
/// A dropped NaN becomes 0 (the mask selects; the book's `x * mask` keeps it NaN). On
/// purpose: the NaN is still in the layer below, whose gradient shows it (the
/// [`Trainer`](crate::trainer::Trainer) stops on it, and refuses data with NaN).
///
/// # Shapes
/// Any shape; `dout` must have the shape of the last input.
///
/// ```
/// use dlfs::layers::{Dropout, Layer};
/// use dlfs::ndarray::{ArrayD, IxDyn};
/// let mut drop = Dropout::new(0.5, 42);
/// let x = ArrayD::ones(IxDyn(&[2, 1000]));
/// let y = drop.forward(&x, true);
/// let kept = y.iter().filter(|&&v| v != 0.0).count();
/// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0)); // kept values are scaled by 1/(1 − 0.5)
/// assert!((900..1100).contains(&kept));
/// assert_eq!(drop.forward(&x, false), x); // inference: unchanged
/// ```
///
/// # Panics
/// `new` panics unless 0 ≤ p < 1; `backward` panics if `dout`'s shape differs from the
/// last input's, or before `forward`.
#[derive(Debug, Clone)]
pub struct Dropout {
    /// Probability p of dropping a value.
    pub dropout_ratio: f64,
    /// `true` where the last training forward kept the value.
    pub mask: Option<ArrayD<bool>>,
    /// Reuse the last mask instead of drawing a new one (for gradient checks).
    pub frozen: bool,
    rng: Rng,
    last_train: bool,
    input_shape: Vec<usize>,
}

impl Dropout {
    /// Dropout with ratio `dropout_ratio` (the book's default is 0.5) and masks drawn from
    /// an RNG seeded with `seed`.
    ///
    /// # Panics
    /// Unless 0 ≤ `dropout_ratio` < 1.
    #[track_caller]
    pub fn new(dropout_ratio: f64, seed: u64) -> Self {
        assert!(
            (0.0..1.0).contains(&dropout_ratio),
            "Dropout.new: dropout_ratio must be in [0, 1), got {dropout_ratio}"
        );
        Self {
            dropout_ratio,
            mask: None,
            frozen: false,
            rng: Rng::seed_from_u64(seed),
            last_train: false,
            input_shape: Vec::new(),
        }
    }
}

impl Layer for Dropout {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64> {
        self.last_train = train;
        self.input_shape = x.shape().to_vec();
        if !train {
            return x.to_owned();
        }
        let reuse = self.frozen && self.mask.as_ref().is_some_and(|m| m.shape() == x.shape());
        if !reuse {
            let p = self.dropout_ratio;
            let rng = &mut self.rng;
            self.mask = Some(ArrayD::from_shape_simple_fn(x.raw_dim(), || {
                rng.random::<f64>() > p
            }));
        }
        let scale = 1.0 / (1.0 - self.dropout_ratio);
        let mask = self.mask.as_ref().expect("set above");
        Zip::from(x)
            .and(mask)
            .map_collect(|&v, &k| if k { v * scale } else { 0.0 })
    }

    #[track_caller]
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        if self.input_shape.is_empty() && self.mask.is_none() {
            panic!("Dropout.backward: called before forward")
        }
        check_dout("Dropout", dout.shape(), &self.input_shape);
        if !self.last_train {
            return dout.to_owned();
        }
        let scale = 1.0 / (1.0 - self.dropout_ratio);
        let mask = self.mask.as_ref().expect("set by a training forward");
        Zip::from(dout)
            .and(mask)
            .map_collect(|&d, &k| if k { d * scale } else { 0.0 })
    }

    fn hint(&mut self, hint: Hint) {
        match hint {
            Hint::FreezeMasks => self.frozen = true,
            Hint::ThawMasks => self.frozen = false,
        }
    }

    fn rng(&mut self) -> Option<&mut Rng> {
        Some(&mut self.rng)
    }
}

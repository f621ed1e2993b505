use ndarray::{Array2, ArrayD, ArrayRef, Axis, Ix2, IxDyn};

use super::shape_mismatch;
use crate::functions::{as_batch, label_indices, softmax_and_log};

/// The labels of the last forward pass, as given.
#[derive(Debug, Clone)]
enum Labels {
    Index(Vec<usize>),
    OneHot(Array2<f64>),
}

/// Softmax followed by the cross-entropy loss, the network's last layer.
///
/// Forward: y = softmax(x) per row, L = −(1/N) Σ_n Σ_k t_nk log y_nk.
/// Backward: ∂L/∂x = (y − t) / N, times `dout` (1 for the loss itself).
///
/// Where we differ from the book: the loss is computed from the scores with log-sum-exp,
/// log y_k = x_k − m − log Σ_i exp(x_i − m), instead of `log(y + 1e-7)`. The book's δ
/// makes its loss disagree with its own backward by up to ~1e-7 (its gradient check shows
/// this on `b2`); ours agrees to rounding error, and never takes `log(0)`.
///
/// # Shapes
/// - `x`: scores (N, C), or (C,) for one sample
/// - `t`: index labels (N,) (or a scalar array for one sample), or one-hot / probability
///   labels of `x`'s shape
/// - `backward` returns (N, C), or (C,) for one sample.
///
/// ```
/// use dlfs::layers::SoftmaxWithLoss;
/// use dlfs::ndarray::array;
/// let mut last = SoftmaxWithLoss::new();
/// // two equal scores: y = [0.5, 0.5], loss = ln 2
/// let loss = last.forward(&array![[1.0, 1.0]].into_dyn(), &array![0.0].into_dyn());
/// assert!((loss - 2f64.ln()).abs() < 1e-15);
/// assert_eq!(last.backward(1.0), array![[-0.5, 0.5]].into_dyn());
/// ```
///
/// # Panics
/// If `t` fits neither label form for `x`, or `backward` comes before `forward`.
#[derive(Debug, Clone, Default)]
pub struct SoftmaxWithLoss {
    /// The loss of the last forward pass.
    pub loss: f64,
    /// Softmax output of the last forward pass, (N, C).
    pub y: Option<Array2<f64>>,
    t: Option<Labels>,
    one_sample: bool,
}

impl SoftmaxWithLoss {
    /// A softmax-with-loss layer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Computes the loss of scores `x` against labels `t`.
    #[track_caller]
    pub fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>) -> f64 {
        if x.ndim() != 1 && x.ndim() != 2 {
            shape_mismatch(
                "SoftmaxWithLoss",
                "forward",
                x.shape(),
                "scores (N, C) or (C,)",
            );
        }
        let x2 = as_batch(x);
        let (n, c) = x2.dim();
        if n == 0 {
            panic!(
                "SoftmaxWithLoss.forward: a batch of 0 samples has no mean loss (x has shape {:?})",
                x.shape()
            );
        }
        self.one_sample = x.ndim() == 1;
        let one_hot = (x.shape() == t.shape()).then(|| {
            let t2 = t.as_standard_layout().into_owned();
            t2.into_shape_with_order((n, c)).expect("same size")
        });
        // y = softmax(x); loss = cross_entropy_error(y, t), from log y computed directly
        let (y, log_y) = softmax_and_log(&x2);
        let (loss, labels) = match one_hot {
            Some(t2) => (-(&t2 * &log_y).sum() / n as f64, Labels::OneHot(t2)),
            None => {
                let idx = label_indices(t, n, c);
                let sum: f64 = idx.iter().enumerate().map(|(i, &k)| log_y[[i, k]]).sum();
                (-sum / n as f64, Labels::Index(idx))
            }
        };
        self.t = Some(labels);
        self.y = Some(y);
        self.loss = loss;
        loss
    }

    /// ∂L/∂x = dout · (y − t) / N.
    #[track_caller]
    pub fn backward(&mut self, dout: f64) -> ArrayD<f64> {
        let (Some(y), Some(t)) = (&self.y, &self.t) else {
            panic!("SoftmaxWithLoss.backward: called before forward")
        };
        let n = y.nrows() as f64;
        let mut dx = y.clone();
        match t {
            Labels::OneHot(t2) => dx -= t2,
            Labels::Index(idx) => {
                for (mut row, &k) in dx.axis_iter_mut(Axis(0)).zip(idx) {
                    row[k] -= 1.0;
                }
            }
        }
        dx *= dout / n;
        if self.one_sample {
            dx.into_shape_with_order(y.ncols())
                .expect("one row")
                .into_dyn()
        } else {
            dx.into_dyn()
        }
    }

    /// The softmax output of the last forward pass as (N, C).
    pub fn output(&self) -> Option<ndarray::ArrayView<'_, f64, Ix2>> {
        self.y.as_ref().map(|y| y.view())
    }
}

impl super::LossLayer for SoftmaxWithLoss {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>) -> f64 {
        SoftmaxWithLoss::forward(self, x, t)
    }
    fn backward(&mut self, dout: f64) -> ArrayD<f64> {
        SoftmaxWithLoss::backward(self, dout)
    }
}

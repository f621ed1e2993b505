//! The book's activation and loss functions (chapter 3–4, used by chapter 5's layers).

use ndarray::{Array, Array2, ArrayD, ArrayRef, Axis, Dimension, Ix1, Ix2, IxDyn};

/// σ(x) = 1 / (1 + e^(−x)), element-wise.
pub fn sigmoid<D: Dimension>(x: &ArrayRef<f64, D>) -> Array<f64, D> {
    x.mapv(|v| 1.0 / (1.0 + (-v).exp()))
}

/// σ'(x) = (1 − σ(x)) σ(x), element-wise.
pub fn sigmoid_grad<D: Dimension>(x: &ArrayRef<f64, D>) -> Array<f64, D> {
    x.mapv(|v| {
        let s = 1.0 / (1.0 + (-v).exp());
        (1.0 - s) * s
    })
}

/// ReLU(x) = max(0, x), element-wise.
pub fn relu<D: Dimension>(x: &ArrayRef<f64, D>) -> Array<f64, D> {
    // NaN stays NaN (`v.max(0.0)` would turn it into 0 and hide a diverged network)
    x.mapv(|v| if v > 0.0 || v.is_nan() { v } else { 0.0 })
}

/// ReLU'(x) = 1 where x > 0, else 0 (the book's convention at 0).
pub fn relu_grad<D: Dimension>(x: &ArrayRef<f64, D>) -> Array<f64, D> {
    x.mapv(|v| if v > 0.0 { 1.0 } else { 0.0 })
}

/// Softmax along the last axis: y_k = exp(a_k − max a) / Σ_i exp(a_i − max a).
///
/// A 1-D input is one sample; a 2-D input is a batch (one row per sample). Subtracting the
/// row maximum keeps `exp` from overflowing and does not change the result.
///
/// ```
/// use dlfs::ndarray::array;
/// let y = dlfs::functions::softmax(&array![0.3, 2.9, 4.0].into_dyn());
/// assert!((y.sum() - 1.0).abs() < 1e-12);
/// assert!((y[2] - 0.736_596_9).abs() < 1e-6);
/// ```
pub fn softmax<D: Dimension>(x: &ArrayRef<f64, D>) -> Array<f64, D> {
    let mut y = x.to_owned();
    let last = Axis(y.ndim().saturating_sub(1));
    if y.ndim() == 0 {
        y.fill(1.0);
        return y;
    }
    for mut row in y.lanes_mut(last) {
        let max = row.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        row.mapv_inplace(|v| (v - max).exp());
        let sum = row.sum();
        row /= sum;
    }
    y
}

/// Class indices from labels given either as indices `(N,)` or one-hot `(N, C)`.
///
/// # Panics
/// If an index label is negative, not an integer, or ≥ `classes`, or if the label shape
/// fits neither form.
#[track_caller]
pub fn label_indices(t: &ArrayRef<f64, IxDyn>, batch: usize, classes: usize) -> Vec<usize> {
    let shape = t.shape();
    if shape == [batch, classes] {
        return t
            .lanes(Axis(1))
            .into_iter()
            .map(|row| argmax(row.iter().copied()))
            .collect();
    }
    if (shape.len() == 1 && shape[0] == batch) || (shape.is_empty() && batch == 1) {
        if let Some((i, v)) = first_bad_label(t, classes) {
            panic!("labels: sample {i} has label {v}, which is not a class index in 0..{classes}");
        }
        return t.iter().map(|&v| v as usize).collect();
    }
    panic!(
        "labels: shape {shape:?} fits neither index labels ({batch},) nor one-hot labels ({batch}, {classes}); \
         pass t with one entry per sample"
    );
}

/// The first index label of `t` that is not a class in 0..`classes` (negative, not an
/// integer, NaN or too large), with its sample number.
pub fn first_bad_label(t: &ArrayRef<f64, IxDyn>, classes: usize) -> Option<(usize, f64)> {
    t.iter()
        .copied()
        .enumerate()
        .find(|&(_, v)| !(v >= 0.0 && v.fract() == 0.0 && (v as usize) < classes))
}

/// Index of the largest value (the first one on ties, like numpy's `argmax`).
pub fn argmax(values: impl IntoIterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.into_iter().enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

/// Cross-entropy error E = −(1/N) Σ_n log(y_{n, t_n} + δ), δ = 1e-7 as in the book.
///
/// `y` holds probabilities, one sample `(C,)` or a batch `(N, C)`; `t` holds index labels
/// (`(N,)`, or a scalar for one sample) or one-hot labels of `y`'s shape.
/// δ keeps `log(0)` finite but biases the value slightly; [`SoftmaxWithLoss`] therefore
/// computes its loss from the scores with log-sum-exp instead, which is exact.
///
/// [`SoftmaxWithLoss`]: crate::layers::SoftmaxWithLoss
///
/// # Panics
/// If the labels do not fit `y` (see [`label_indices`]).
#[track_caller]
pub fn cross_entropy_error(y: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>) -> f64 {
    let y2 = as_batch(y);
    let (n, c) = y2.dim();
    assert!(
        n > 0,
        "cross_entropy_error: a batch of 0 samples has no mean error (y has shape {:?})",
        y.shape()
    );
    let t = if y.ndim() == 1 && t.shape() == y.shape() {
        t.to_shape(IxDyn(&[1, c])).unwrap().to_owned()
    } else {
        t.to_owned()
    };
    let idx = label_indices(&t, n, c);
    let delta = 1e-7;
    -idx.iter()
        .enumerate()
        .map(|(i, &k)| (y2[[i, k]] + delta).ln())
        .sum::<f64>()
        / n as f64
}

/// Softmax and its logarithm of each row of scores `x`, with the row's maximum subtracted
/// first (no overflow; log y = x − max − log Σ exp(x − max), exact and never log 0).
pub(crate) fn softmax_and_log(x: &ArrayRef<f64, Ix2>) -> (Array2<f64>, Array2<f64>) {
    let mut y = x.to_owned();
    let mut log_y = x.to_owned();
    for (mut yr, mut lr) in y.rows_mut().into_iter().zip(log_y.rows_mut()) {
        let max = yr.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        yr.mapv_inplace(|v| (v - max).exp());
        let sum = yr.sum();
        yr /= sum;
        let log_sum = sum.ln();
        lr.mapv_inplace(|v| v - max - log_sum);
    }
    (y, log_y)
}

/// A 1-D sample as a `(1, C)` batch; a 2-D batch as it is.
#[track_caller]
pub(crate) fn as_batch(y: &ArrayRef<f64, IxDyn>) -> ndarray::ArrayView2<'_, f64> {
    match y.ndim() {
        1 => y
            .view()
            .into_dimensionality::<Ix1>()
            .unwrap()
            .insert_axis(Axis(0)),
        2 => y.view().into_dimensionality().unwrap(),
        _ => panic!(
            "expected scores of one sample (C,) or a batch (N, C), got shape {:?}",
            y.shape()
        ),
    }
}

/// An all-ones array of `x`'s shape (handy as `dout` for a final backward).
pub fn ones_like(x: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
    ArrayD::ones(x.raw_dim())
}

//! The checks and reshapes the layers share, kept out of the layer files so that each reads
//! like the book's page: a wrong shape panics with a message naming the layer, the
//! operation and both shapes (the book's layers have no checks; numpy fails later, or not
//! at all).

use ndarray::{Array2, ArrayD, ArrayRef, ArrayView2, IxDyn};

use crate::kernels::Geom;

/// A bias `b` (stored as `ArrayD`, shape (M,)) as a 1-D view, so that `matrix + vector(b)`
/// broadcasts over rows in place (adding an `ArrayD` would go through ndarray's slow
/// dynamic-dimension broadcasting and allocate a new array).
pub(crate) fn vector(b: &ArrayD<f64>) -> ndarray::ArrayView1<'_, f64> {
    b.view()
        .into_dimensionality::<ndarray::Ix1>()
        .expect("a bias is 1-D")
}

/// Panics with a report naming the layer, the operation and both shapes.
#[track_caller]
pub(crate) fn shape_mismatch(layer: &str, op: &str, got: &[usize], expected: &str) -> ! {
    panic!("{layer}.{op}: got shape {got:?}, expected {expected}")
}

/// The check at the top of every `backward`: `dout` must have the shape of the last
/// forward's output (`out`), else a panic naming the layer and both shapes.
#[track_caller]
pub(crate) fn check_dout(layer: &str, dout: &[usize], out: &[usize]) {
    if dout != out {
        shape_mismatch(
            layer,
            "backward",
            dout,
            &format!("dout of shape {out:?} (the forward output's)"),
        );
    }
}

/// (N, D) for an input of `shape` to a layer whose weights take D values per sample:
/// (N, D), or (N, d1, d2, …) with d1·d2·… = D (flattened per sample, as the book's
/// 4-D-aware Affine does), or one sample (D,); `w_shape` is named in the message.
#[track_caller]
pub(crate) fn flat_rows(layer: &str, shape: &[usize], w_shape: &[usize]) -> (usize, usize) {
    let d = w_shape[0];
    let n = if shape.len() <= 1 { 1 } else { shape[0] };
    if shape.is_empty() || shape.iter().product::<usize>() != n * d {
        let m = w_shape[1];
        let want =
            format!("(N, {d}) or (N, …) with {d} values per sample, for W of shape ({d}, {m})");
        shape_mismatch(layer, "forward", shape, &want);
    }
    (n, d)
}

/// The windows of filters `w_shape` (FN, C, FH, FW) at `stride` and `pad` over an input of
/// `x_shape` (N, C, H, W), or a panic naming both shapes.
#[track_caller]
pub(crate) fn conv_geometry(
    layer: &str,
    op: &str,
    x_shape: &[usize],
    w_shape: &[usize],
    (stride, pad): (usize, usize),
) -> Geom {
    let (w, p) = (w_shape, pad);
    let fits = x_shape.len() == 4
        && x_shape[1] == w[1]
        && w[2] <= x_shape[2] + 2 * p
        && w[3] <= x_shape[3] + 2 * p;
    if !fits {
        let want = format!(
            "(N, {}, H, W) with H + 2·{p} ≥ {} and W + 2·{p} ≥ {}, for W of shape {w:?}",
            w[1], w[2], w[3]
        );
        shape_mismatch(layer, op, x_shape, &want);
    }
    Geom::new(layer, x_shape, w[2], w[3], stride, p)
}

/// Filters `w` (FN, C, FH, FW) as the matrix W₂ (FN, C·FH·FW), the book's
/// `W.reshape(FN, -1)`; made contiguous first if a user assigned a transposed or sliced array.
pub(crate) fn filters_as_matrix(w: &mut ArrayD<f64>) -> ArrayView2<'_, f64> {
    if w.as_slice().is_none() {
        *w = w.as_standard_layout().into_owned();
    }
    let fnum = w.shape()[0];
    let k = w.len() / fnum.max(1);
    w.view()
        .into_shape_with_order((fnum, k))
        .expect("standard layout")
}

/// `a` (N, D) or (N, D, H, W) as (M, D) rows, one per sample (and position), D features or
/// channels a row: what batch normalisation normalises over.
pub(crate) fn feature_rows(a: &ArrayRef<f64, IxDyn>) -> Array2<f64> {
    let d = a.shape()[1];
    let t = if a.ndim() == 2 {
        a.view()
    } else {
        a.view().permuted_axes(IxDyn(&[0, 2, 3, 1]))
    };
    let m = a.len() / d.max(1);
    t.as_standard_layout()
        .into_owned()
        .into_shape_with_order((m, d))
        .expect("standard layout")
}

/// (M, D) rows back to `shape`, the layout of [`feature_rows`].
pub(crate) fn from_feature_rows(rows: Array2<f64>, shape: &[usize]) -> ArrayD<f64> {
    if shape.len() == 2 {
        return rows.into_dyn();
    }
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3]);
    rows.into_shape_with_order(IxDyn(&[n, h, w, c]))
        .expect("same size")
        .permuted_axes(IxDyn(&[0, 3, 1, 2]))
        .as_standard_layout()
        .into_owned()
}

/// Batch normalisation's input: (N, D) or (N, D, H, W) for D = `d` features, and in
/// training at least one sample (a batch of 0 has no statistics).
#[track_caller]
pub(crate) fn check_features(layer: &str, shape: &[usize], d: usize, train: bool) {
    if !(shape.len() == 2 || shape.len() == 4) || shape[1] != d || (train && shape[0] == 0) {
        let want =
            format!("(N, {d}) or (N, {d}, H, W) with N > 0 in training, for gamma of shape ({d},)");
        shape_mismatch(layer, "forward", shape, &want);
    }
}

/// Said once per batch normalisation layer (`warned` remembers) on a training batch of one
/// value per feature.
pub(crate) fn warn_one_value(warned: &mut bool, shape: &[usize]) {
    if std::mem::replace(warned, true) {
        return;
    }
    eprintln!(
        "dlfs: BatchNormalization.forward in training on x of shape {shape:?}, one value per \
         feature: x − μ is 0, so the layer outputs β and learns nothing. Train with batches \
         of 2 or more samples (the book uses 100), or call forward(x, false) for one sample."
    );
}

//! `im2col` and `col2im` (the book's `common/util.py`): unfold every filter-sized patch of
//! a batch of images into one row of a matrix, so a convolution becomes one matrix product.
//!
//! Layout, as in the book: for input (N, C, H, W) and a FH×FW filter, the matrix has
//! N·OH·OW rows ordered (n, oh, ow) and C·FH·FW columns ordered (c, fh, fw), with
//!
//! col[(n·OH + oh)·OW + ow, (c·FH + i)·FW + j] = x[n, c, oh·S + i − P, ow·S + j − P]
//!
//! and 0 where the index falls into the padding. The loops themselves are a kernel
//! (`kernels::Geom::unfold`/`fold`): no padded copy of the input is made, each row of FW
//! values is copied straight from the input, clipped at the borders.
//!
//! Output size: OH = ⌊(H + 2P − FH) / S⌋ + 1 (and OW alike). When S does not divide
//! H + 2P − FH, the last rows/columns of the input that no window reaches are ignored, as
//! PyTorch and the book's `//` do; see [`conv_output_size`].

use ndarray::{Array2, Array4, ArrayRef, Dimension, Ix2};

use crate::kernels::Geom;

/// OH = ⌊(H + 2P − FH) / S⌋ + 1: the number of filter positions along one axis.
///
/// Floors when S does not divide H + 2P − FH (the windows that would stick out past the
/// padded border are dropped, like PyTorch), so every size the book's nets meet works.
///
/// ```
/// use dlfs::im2col::conv_output_size;
/// assert_eq!(conv_output_size(28, 5, 1, 0), 24);
/// assert_eq!(conv_output_size(7, 2, 2, 0), 3); // (7 − 2) / 2 = 2.5 → 2, + 1
/// assert_eq!(conv_output_size(7, 3, 2, 1), 4);
/// ```
///
/// # Panics
/// If `stride` is 0, or the filter is larger than the padded input (FH > H + 2P).
#[track_caller]
pub fn conv_output_size(input_size: usize, filter_size: usize, stride: usize, pad: usize) -> usize {
    assert!(stride > 0, "conv_output_size: stride must be at least 1");
    let padded = input_size + 2 * pad;
    assert!(
        filter_size >= 1 && filter_size <= padded,
        "conv_output_size: filter size {filter_size} does not fit the padded input size {padded} \
         (input {input_size} + 2·pad {pad})"
    );
    (padded - filter_size) / stride + 1
}

/// Unfolds filter-sized patches of `input` (N, C, H, W) into rows: the book's `im2col`.
///
/// # Shapes
/// `input` (N, C, H, W) → (N·OH·OW, C·FH·FW), with OH, OW from [`conv_output_size`].
///
/// ```
/// use dlfs::im2col::im2col;
/// use dlfs::ndarray::Array4;
/// let x = Array4::<f64>::zeros((10, 3, 7, 7));
/// assert_eq!(im2col(&x, 5, 5, 1, 0).dim(), (90, 75));
/// ```
///
/// # Panics
/// If `input` does not have 4 axes, `stride` is 0, or the filter is larger than the
/// padded input.
#[track_caller]
pub fn im2col<D: Dimension>(
    input: &ArrayRef<f64, D>,
    filter_h: usize,
    filter_w: usize,
    stride: usize,
    pad: usize,
) -> Array2<f64> {
    let g = Geom::new("im2col", input.shape(), filter_h, filter_w, stride, pad);
    let n = input.shape()[0];
    let rows = n * g.oh * g.ow;
    let x = input.as_standard_layout();
    let x = x.as_slice().expect("standard layout");
    let mut col = Vec::with_capacity(rows * g.cols());
    let per_x = g.c * g.h * g.w;
    if per_x > 0 {
        for xs in x.chunks_exact(per_x) {
            g.unfold(xs, &mut col);
        }
    } else {
        col.resize(rows * g.cols(), 0.0);
    }
    Array2::from_shape_vec((rows, g.cols()), col).expect("one row per window")
}

/// Folds rows back into images, summing where patches overlap: the book's `col2im`, the
/// adjoint (transpose) of [`im2col`]. Entries that fall into the padding are dropped.
///
/// # Shapes
/// `col` (N·OH·OW, C·FH·FW), `input_shape` = (N, C, H, W) → (N, C, H, W).
///
/// # Panics
/// If `input_shape` does not have 4 entries, the filter does not fit, or `col`'s shape
/// does not match `input_shape` and the filter.
#[track_caller]
pub fn col2im(
    col: &ArrayRef<f64, Ix2>,
    input_shape: &[usize],
    filter_h: usize,
    filter_w: usize,
    stride: usize,
    pad: usize,
) -> Array4<f64> {
    let g = Geom::new("col2im", input_shape, filter_h, filter_w, stride, pad);
    let n = input_shape[0];
    let rows = g.oh * g.ow;
    if col.dim() != (n * rows, g.cols()) {
        panic!(
            "col2im: got col shape {:?}, expected ({}, {}) for input shape {input_shape:?} and a \
             {filter_h}×{filter_w} filter",
            col.shape(),
            n * rows,
            g.cols()
        );
    }
    let mut dx = Array4::zeros((n, g.c, g.h, g.w));
    let col = col.as_standard_layout();
    let cs = col.as_slice().expect("standard layout");
    let out = dx.as_slice_mut().expect("owned Array4 is contiguous");
    let per_x = g.c * g.h * g.w;
    let per_col = rows * g.cols();
    if per_x == 0 || per_col == 0 {
        return dx;
    }
    for (c, d) in cs.chunks_exact(per_col).zip(out.chunks_exact_mut(per_x)) {
        g.fold(c, d);
    }
    dx
}

//! `im2col` and `col2im` (the book's `common/util.py`): unfold every filter-sized patch of
//! a batch of images into one row of a matrix, so a convolution becomes one matrix product.
//!
//! Layout, as in the book: for input (N, C, H, W) and a FH×FW filter, the matrix has
//! N·OH·OW rows ordered (n, oh, ow) and C·FH·FW columns ordered (c, fh, fw), with
//!
//! col[(n·OH + oh)·OW + ow, (c·FH + i)·FW + j] = x[n, c, oh·S + i − P, ow·S + j − P]
//!
//! and 0 where the index falls into the padding. The two functions are the book's loops: a
//! padded copy of the input, and one strided slice copy per filter position (i, j), FH·FW
//! of them, into a 6-D array (N, C, FH, FW, OH, OW) that is then transposed into the rows.
//! The convolution layer does not go through them: its kernels (`kernels::conv_forward`,
//! `conv_backward`) read the windows from the input itself; the same loops, written for
//! speed one sample at a time, are the kernels' `Geom::unfold`/`fold`, and
//! `kernels::reference` has them by the definition, element by element.
//!
//! Output size: OH = ⌊(H + 2P − FH) / S⌋ + 1 (and OW alike). When S does not divide
//! H + 2P − FH, the last rows/columns of the input that no window reaches are ignored, as
//! PyTorch and the book's `//` do; see [`conv_output_size`].

use ndarray::{Array2, Array4, Array6, ArrayRef, Dimension, Ix2, Ix4, s};

/// OH = ⌊(H + 2P − FH) / S⌋ + 1 (floors, like PyTorch): the one output-size function of
/// the crate, which the kernels use too.
pub use crate::kernels::conv_output_size;

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
    let (n, c, h, w) = four_axes("im2col", input.shape());
    let out_h = conv_output_size(h, filter_h, stride, pad);
    let out_w = conv_output_size(w, filter_w, stride, pad);
    // img = np.pad(input, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    let mut img = Array4::<f64>::zeros((n, c, h + 2 * pad, w + 2 * pad));
    let x = input.view().into_dimensionality::<Ix4>().expect("4 axes");
    img.slice_mut(s![.., .., pad..pad + h, pad..pad + w])
        .assign(&x);
    // col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    let mut col = Array6::<f64>::zeros((n, c, filter_h, filter_w, out_h, out_w));
    for y in 0..filter_h {
        let y_max = y + stride * (out_h - 1) + 1;
        for x in 0..filter_w {
            let x_max = x + stride * (out_w - 1) + 1;
            let window = img.slice(s![.., .., y..y_max;stride, x..x_max;stride]);
            col.slice_mut(s![.., .., y, x, .., ..]).assign(&window);
        }
    }
    // col.transpose(0, 4, 5, 1, 2, 3).reshape(N·out_h·out_w, -1)
    let col = col
        .permuted_axes([0, 4, 5, 1, 2, 3])
        .as_standard_layout()
        .into_owned();
    let rows = n * out_h * out_w;
    col.into_shape_with_order((rows, c * filter_h * filter_w))
        .expect("standard layout")
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
    let (n, c, h, w) = four_axes("col2im", input_shape);
    let out_h = conv_output_size(h, filter_h, stride, pad);
    let out_w = conv_output_size(w, filter_w, stride, pad);
    if col.dim() != (n * out_h * out_w, c * filter_h * filter_w) {
        panic!(
            "col2im: got col shape {:?}, expected ({}, {}) for input shape {input_shape:?} and a \
             {filter_h}×{filter_w} filter",
            col.shape(),
            n * out_h * out_w,
            c * filter_h * filter_w
        );
    }
    // col.reshape(N, out_h, out_w, C, FH, FW).transpose(0, 3, 4, 5, 1, 2)
    let col = col.as_standard_layout();
    let col = col
        .view()
        .into_shape_with_order((n, out_h, out_w, c, filter_h, filter_w))
        .expect("standard layout")
        .permuted_axes([0, 3, 4, 5, 1, 2]);
    // img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
    let mut img = Array4::<f64>::zeros((n, c, h + 2 * pad, w + 2 * pad));
    for y in 0..filter_h {
        let y_max = y + stride * (out_h - 1) + 1;
        for x in 0..filter_w {
            let x_max = x + stride * (out_w - 1) + 1;
            let mut window = img.slice_mut(s![.., .., y..y_max;stride, x..x_max;stride]);
            window += &col.slice(s![.., .., y, x, .., ..]);
        }
    }
    // img[:, :, pad:H + pad, pad:W + pad]
    img.slice(s![.., .., pad..pad + h, pad..pad + w]).to_owned()
}

/// (N, C, H, W) of a 4-D shape, or a panic naming the function and the shape.
#[track_caller]
fn four_axes(op: &str, shape: &[usize]) -> (usize, usize, usize, usize) {
    match *shape {
        [n, c, h, w] => (n, c, h, w),
        _ => panic!("{op}: got input shape {shape:?}, expected 4 axes (N, C, H, W)"),
    }
}

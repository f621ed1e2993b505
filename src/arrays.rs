//! Small helpers for notebook cells: numpy's shape printing and the slices and reshapes the
//! chapters repeat (`x[:300]`, `out[0, 0]`, `x.reshape(1, 1, H, W)`).
//!
//! ```
//! use dlfs::prelude::*;
//! let x = Array2::from_shape_fn((5, 3), |(i, j)| (3 * i + j) as f64);
//! assert_eq!(rows_of(&x, ..2).shape(), &[2, 3]);                // x[:2]
//! assert_eq!(rows_of(&x, 3..)[[0, 0]], 9.0);                    // x[3:]
//! let img = array![[1.0, 2.0], [3.0, 4.0]];
//! let batch = as_nchw(&img);                                    // img.reshape(1, 1, 2, 2)
//! assert_eq!(np_shape(batch.shape()), "(1, 1, 2, 2)");
//! assert_eq!(plane_of(&batch, 0, 0), img);                      // batch[0, 0]
//! ```

use ndarray::{ArrayD, ArrayRef, ArrayView2, Axis, Dimension, Ix2, IxDyn, Slice};

/// A shape written the way numpy prints it: `(2,)`, `(2, 3)`, `(10, 1, 28, 28)`.
///
/// ```
/// assert_eq!(dlfs::arrays::np_shape(&[2]), "(2,)");
/// assert_eq!(dlfs::arrays::np_shape(&[10, 1, 28, 28]), "(10, 1, 28, 28)");
/// ```
pub fn np_shape(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// The rows `range` of `x` (along axis 0, any number of axes) as an owned `ArrayD`: numpy's
/// `x[:300]` is `rows_of(&x, ..300)`, `x[100:]` is `rows_of(&x, 100..)`.
///
/// # Panics
/// If `x` has no axes, or the range reaches past its rows (the message says both).
#[track_caller]
pub fn rows_of<D: Dimension>(x: &ArrayRef<f64, D>, range: impl Into<Slice>) -> ArrayD<f64> {
    let range = range.into();
    assert!(x.ndim() > 0, "rows_of: a 0-dimensional array has no rows");
    let n = x.shape()[0] as isize;
    let end = range.end.unwrap_or(n);
    assert!(
        range.start <= n && end <= n && range.start >= 0 && end >= 0,
        "rows_of: rows {}..{end} of an array with {n} rows (shape {})",
        range.start,
        np_shape(x.shape())
    );
    x.slice_axis(Axis(0), range).to_owned().into_dyn()
}

/// The (H, W) plane of sample `n`, channel `c` of an (N, C, H, W) array: numpy's `x[n, c]`.
///
/// # Panics
/// If `x` does not have four axes, or `n` or `c` is out of range (the message says which).
#[track_caller]
pub fn plane_of<D: Dimension>(x: &ArrayRef<f64, D>, n: usize, c: usize) -> ArrayView2<'_, f64> {
    let shape = x.shape();
    assert!(
        shape.len() == 4,
        "plane_of: expected an (N, C, H, W) array, got shape {}",
        np_shape(shape)
    );
    assert!(
        n < shape[0] && c < shape[1],
        "plane_of: sample {n}, channel {c} of an array of shape {}",
        np_shape(shape)
    );
    x.view()
        .into_dyn()
        .index_axis_move(Axis(0), n)
        .index_axis_move(Axis(0), c)
        .into_dimensionality::<Ix2>()
        .unwrap_or_else(|_| unreachable!("four axes less two"))
}

/// An (H, W) image as a batch of one single-channel image, shape (1, 1, H, W): numpy's
/// `x.reshape(1, 1, H, W)`, the input a `Convolution` or `Pooling` layer takes.
pub fn as_nchw(x: &ArrayRef<f64, Ix2>) -> ArrayD<f64> {
    let (h, w) = x.dim();
    x.to_owned()
        .into_shape_with_order(IxDyn(&[1, 1, h, w]))
        .unwrap_or_else(|_| unreachable!("h·w elements either way"))
}

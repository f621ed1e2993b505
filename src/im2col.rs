//! `im2col` and `col2im` (the book's `common/util.py`): unfold every filter-sized patch of
//! a batch of images into one row of a matrix, so a convolution becomes one matrix product.
//!
//! Layout, as in the book: for input (N, C, H, W) and a FH×FW filter, the matrix has
//! N·OH·OW rows ordered (n, oh, ow) and C·FH·FW columns ordered (c, fh, fw), with
//!
//! col[(n·OH + oh)·OW + ow, (c·FH + i)·FW + j] = x[n, c, oh·S + i − P, ow·S + j − P]
//!
//! and 0 where the index falls into the padding. No padded copy of the input is made:
//! each row of FW values is copied straight from the input, clipped at the borders.
//!
//! Output size: OH = ⌊(H + 2P − FH) / S⌋ + 1 (and OW alike). When S does not divide
//! H + 2P − FH, the last rows/columns of the input that no window reaches are ignored, as
//! PyTorch and the book's `//` do; see [`conv_output_size`].

use ndarray::{Array2, Array4, ArrayRef, Dimension, Ix2};

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

/// The valid range of `j` in 0..f for which 0 ≤ start + j·stride < size (start may be < 0).
#[inline]
fn valid_range(start: isize, f: usize, stride: usize, size: usize) -> (usize, usize) {
    let s = stride as isize;
    // first j with start + j·s ≥ 0
    let lo = if start >= 0 {
        0
    } else {
        ((-start + s - 1) / s) as usize
    };
    // first j with start + j·s ≥ size
    let hi = if start >= size as isize {
        0
    } else {
        ((size as isize - start + s - 1) / s) as usize
    };
    (lo.min(f), hi.min(f).max(lo.min(f)))
}

/// Geometry of one im2col/col2im call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geom {
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub fh: usize,
    pub fw: usize,
    pub stride: usize,
    pub pad: usize,
    pub oh: usize,
    pub ow: usize,
}

impl Geom {
    #[track_caller]
    pub fn new(op: &str, shape: &[usize], fh: usize, fw: usize, stride: usize, pad: usize) -> Self {
        if shape.len() != 4 {
            panic!("{op}: got input shape {shape:?}, expected 4 axes (N, C, H, W)");
        }
        let (c, h, w) = (shape[1], shape[2], shape[3]);
        if stride == 0 || fh == 0 || fw == 0 || fh > h + 2 * pad || fw > w + 2 * pad {
            panic!(
                "{op}: a {fh}×{fw} filter with stride {stride} and pad {pad} does not fit input \
                 shape {shape:?} (need 1 ≤ FH ≤ H + 2P, 1 ≤ FW ≤ W + 2P, S ≥ 1)"
            );
        }
        Self {
            c,
            h,
            w,
            fh,
            fw,
            stride,
            pad,
            oh: conv_output_size(h, fh, stride, pad),
            ow: conv_output_size(w, fw, stride, pad),
        }
    }

    pub fn cols(&self) -> usize {
        self.c * self.fh * self.fw
    }

    /// im2col of one sample `x` (C·H·W values) into its OH·OW rows `out` (entries in the
    /// padding are left as they are: pre-zero `out` when pad > 0).
    pub fn unfold(&self, x: &[f64], out: &mut [f64]) {
        let (s, p) = (self.stride, self.pad as isize);
        let k = self.cols();
        let plane = self.h * self.w;
        for oh in 0..self.oh {
            let h0 = (oh * s) as isize - p;
            let (ilo, ihi) = valid_range(h0, self.fh, 1, self.h);
            for ow in 0..self.ow {
                let w0 = (ow * s) as isize - p;
                let (jlo, jhi) = valid_range(w0, self.fw, 1, self.w);
                let row = &mut out[(oh * self.ow + ow) * k..][..k];
                for c in 0..self.c {
                    let xc = &x[c * plane..][..plane];
                    for i in ilo..ihi {
                        let src = (h0 + i as isize) as usize * self.w;
                        let a = (w0 + jlo as isize) as usize;
                        let dst = (c * self.fh + i) * self.fw;
                        row[dst + jlo..dst + jhi]
                            .copy_from_slice(&xc[src + a..src + a + (jhi - jlo)]);
                    }
                }
            }
        }
    }

    /// col2im of one sample: adds its OH·OW rows `col` into `dx` (C·H·W values).
    pub fn fold(&self, col: &[f64], dx: &mut [f64]) {
        let (s, p) = (self.stride, self.pad as isize);
        let k = self.cols();
        let plane = self.h * self.w;
        for oh in 0..self.oh {
            let h0 = (oh * s) as isize - p;
            let (ilo, ihi) = valid_range(h0, self.fh, 1, self.h);
            for ow in 0..self.ow {
                let w0 = (ow * s) as isize - p;
                let (jlo, jhi) = valid_range(w0, self.fw, 1, self.w);
                let row = &col[(oh * self.ow + ow) * k..][..k];
                for c in 0..self.c {
                    let dxc = &mut dx[c * plane..][..plane];
                    for i in ilo..ihi {
                        let dst =
                            (h0 + i as isize) as usize * self.w + (w0 + jlo as isize) as usize;
                        let src = (c * self.fh + i) * self.fw;
                        for (d, v) in dxc[dst..dst + (jhi - jlo)]
                            .iter_mut()
                            .zip(&row[src + jlo..src + jhi])
                        {
                            *d += v;
                        }
                    }
                }
            }
        }
    }
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
    let mut col = Array2::zeros((n * g.oh * g.ow, g.cols()));
    im2col_into(input, filter_h, filter_w, stride, pad, &mut col);
    col
}

/// [`im2col`] into a caller's (N·OH·OW, C·FH·FW) matrix (overwritten), so a layer can reuse
/// its buffer between batches.
///
/// # Panics
/// As [`im2col`], and if `col` does not have the shape (N·OH·OW, C·FH·FW).
#[track_caller]
pub fn im2col_into<D: Dimension>(
    input: &ArrayRef<f64, D>,
    filter_h: usize,
    filter_w: usize,
    stride: usize,
    pad: usize,
    col: &mut Array2<f64>,
) {
    let g = Geom::new("im2col", input.shape(), filter_h, filter_w, stride, pad);
    let n = input.shape()[0];
    let rows = g.oh * g.ow;
    if col.dim() != (n * rows, g.cols()) {
        panic!(
            "im2col_into: got col shape {:?}, expected ({}, {}) for input shape {:?}",
            col.shape(),
            n * rows,
            g.cols(),
            input.shape()
        );
    }
    let x = input.as_standard_layout();
    let x = x.as_slice().expect("standard layout");
    let out = col.as_slice_mut().expect("owned Array2 is contiguous");
    // Windows with padding leave some entries untouched: clear them first.
    if pad > 0 {
        out.fill(0.0);
    }
    let per_x = g.c * g.h * g.w;
    let per_col = rows * g.cols();
    if per_x == 0 || per_col == 0 {
        return;
    }
    for (xs, cs) in x.chunks_exact(per_x).zip(out.chunks_exact_mut(per_col)) {
        g.unfold(xs, cs);
    }
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

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

    /// Appends the im2col rows of one sample `x` (C·H·W values) to `out`: OH·OW rows of
    /// C·FH·FW values (0 for positions in the padding). Pushing into a reused `Vec` needs
    /// no zero-initialisation of the buffer.
    pub fn unfold(&self, x: &[f64], out: &mut Vec<f64>) {
        out.reserve(self.oh * self.ow * self.cols());
        // Fixed widths let each FW-long copy compile to a few moves instead of a memcpy call.
        match self.fw {
            1 => self.unfold_fw::<1>(x, out),
            2 => self.unfold_fw::<2>(x, out),
            3 => self.unfold_fw::<3>(x, out),
            4 => self.unfold_fw::<4>(x, out),
            5 => self.unfold_fw::<5>(x, out),
            7 => self.unfold_fw::<7>(x, out),
            _ => self.unfold_fw::<0>(x, out),
        }
    }

    /// `unfold` for filters of width `FW` (0: any width).
    fn unfold_fw<const FW: usize>(&self, x: &[f64], out: &mut Vec<f64>) {
        let (s, p, fw) = (self.stride, self.pad as isize, self.fw);
        let plane = self.h * self.w;
        for oh in 0..self.oh {
            let h0 = (oh * s) as isize - p;
            let (ilo, ihi) = valid_range(h0, self.fh, 1, self.h);
            for ow in 0..self.ow {
                let w0 = (ow * s) as isize - p;
                let (jlo, jhi) = valid_range(w0, fw, 1, self.w);
                let inside = jlo == 0 && jhi == fw;
                for c in 0..self.c {
                    let xc = &x[c * plane..][..plane];
                    out.resize(out.len() + ilo * fw, 0.0);
                    for i in ilo..ihi {
                        let src =
                            (h0 + i as isize) as usize * self.w + (w0 + jlo as isize) as usize;
                        if FW != 0 && inside {
                            let from: &[f64; FW] = xc[src..src + FW].try_into().expect("FW values");
                            out.extend_from_slice(from);
                        } else {
                            out.resize(out.len() + jlo, 0.0);
                            out.extend_from_slice(&xc[src..src + (jhi - jlo)]);
                            out.resize(out.len() + fw - jhi, 0.0);
                        }
                    }
                    out.resize(out.len() + (self.fh - ihi) * fw, 0.0);
                }
            }
        }
    }

    /// col2im of one sample: adds its OH·OW rows `col` into `dx` (C·H·W values).
    pub fn fold(&self, col: &[f64], dx: &mut [f64]) {
        match self.fw {
            1 => self.fold_fw::<1>(col, dx),
            2 => self.fold_fw::<2>(col, dx),
            3 => self.fold_fw::<3>(col, dx),
            4 => self.fold_fw::<4>(col, dx),
            5 => self.fold_fw::<5>(col, dx),
            7 => self.fold_fw::<7>(col, dx),
            _ => self.fold_fw::<0>(col, dx),
        }
    }

    /// `fold` for filters of width `FW` (0: any width).
    fn fold_fw<const FW: usize>(&self, col: &[f64], dx: &mut [f64]) {
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
                        if FW != 0 && jlo == 0 && jhi == FW {
                            let from: &[f64; FW] =
                                row[src..src + FW].try_into().expect("FW values");
                            let to: &mut [f64; FW] =
                                (&mut dxc[dst..dst + FW]).try_into().expect("FW values");
                            for (d, v) in to.iter_mut().zip(from) {
                                *d += v;
                            }
                        } else {
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

//! Chapter 7's exercise checks against deliberately wrong output sizes, im2col, col2im,
//! convolution and pooling layers: each is reported ✗ with a message that points at the
//! mistake; right ones (the library's, the book's way written in loops) pass.

use dlfs::exercise::*;
use dlfs::layers::{self, Layer, ParamRef};
use dlfs::ndarray::{Array1, Array2, Array4, ArrayD, ArrayRef, Axis, Ix4, IxDyn};

mod common;
use common::{assert_failed, assert_passed};

// ---- output size ----

#[test]
fn output_size_right_and_wrong() {
    assert_passed(&check_output_size(dlfs::im2col::conv_output_size));
    assert_passed(&check_output_size(|h, f, s, p| (h + 2 * p - f) / s + 1));
    assert_failed(
        &check_output_size(|h, f, s, p| (h + 2 * p - f) / s),
        &["H = 4, FH = 3, S = 1, P = 1: yours 3, expected", "add 1"],
    );
    assert_failed(
        &check_output_size(|h, f, s, p| (h + p).saturating_sub(f) / s + 1),
        &["pad on both sides"],
    );
    assert_failed(
        &check_output_size(|h, f, s, _| h.saturating_sub(f) / s + 1),
        &["the padding is missing"],
    );
    assert_failed(
        &check_output_size(|h, f, s, p| (h + 2 * p - f).div_ceil(s) + 1),
        &["round the division down"],
    );
}

// ---- im2col and col2im, written as loops ----

#[derive(Clone, Copy, PartialEq)]
enum Slip {
    None,
    ColumnsChannelLast,
    PaddingEdge,
    Overwrite,
}

fn out_size(n: usize, f: usize, s: usize, p: usize) -> usize {
    (n + 2 * p - f) / s + 1
}

/// (row, column, input index or None in the padding) of one entry of im2col's matrix.
type Window = (usize, usize, Option<(usize, usize, usize, usize)>);

/// For every row (n, oy, ox) and column (c, i, j): the input index, or None in the padding.
fn windows(
    shape: (usize, usize, usize, usize),
    fh: usize,
    fw: usize,
    s: usize,
    p: usize,
    slip: Slip,
) -> Vec<Window> {
    let (n, c, h, w) = shape;
    let (oh, ow) = (out_size(h, fh, s, p), out_size(w, fw, s, p));
    let mut v = Vec::new();
    for ni in 0..n {
        for oy in 0..oh {
            for ox in 0..ow {
                let row = (ni * oh + oy) * ow + ox;
                for ci in 0..c {
                    for i in 0..fh {
                        for j in 0..fw {
                            let column = if slip == Slip::ColumnsChannelLast {
                                (i * fw + j) * c + ci
                            } else {
                                (ci * fh + i) * fw + j
                            };
                            let y = (oy * s + i) as isize - p as isize;
                            let x = (ox * s + j) as isize - p as isize;
                            let inside = y >= 0 && x >= 0 && (y as usize) < h && (x as usize) < w;
                            let at = if inside {
                                Some((ni, ci, y as usize, x as usize))
                            } else if slip == Slip::PaddingEdge {
                                let cy = y.clamp(0, h as isize - 1) as usize;
                                let cx = x.clamp(0, w as isize - 1) as usize;
                                Some((ni, ci, cy, cx))
                            } else {
                                None
                            };
                            v.push((row, column, at));
                        }
                    }
                }
            }
        }
    }
    v
}

fn my_im2col(x: &Array4<f64>, fh: usize, fw: usize, s: usize, p: usize, slip: Slip) -> Array2<f64> {
    let (n, c, h, w) = x.dim();
    let (oh, ow) = (out_size(h, fh, s, p), out_size(w, fw, s, p));
    let mut col = Array2::zeros((n * oh * ow, c * fh * fw));
    for (row, column, at) in windows(x.dim(), fh, fw, s, p, slip) {
        if let Some(at) = at {
            col[[row, column]] = x[at];
        }
    }
    col
}

fn my_col2im(
    col: &Array2<f64>,
    shape: (usize, usize, usize, usize),
    fh: usize,
    fw: usize,
    s: usize,
    p: usize,
    slip: Slip,
) -> Array4<f64> {
    let mut x = Array4::zeros(shape);
    for (row, column, at) in windows(shape, fh, fw, s, p, Slip::None) {
        if let Some(at) = at {
            if slip == Slip::Overwrite {
                x[at] = col[[row, column]];
            } else {
                x[at] += col[[row, column]];
            }
        }
    }
    x
}

#[test]
fn im2col_right_and_wrong() {
    assert_passed(&check_im2col(|x, fh, fw, s, p| {
        dlfs::im2col::im2col(x, fh, fw, s, p)
    }));
    assert_passed(&check_im2col(|x, fh, fw, s, p| {
        my_im2col(x, fh, fw, s, p, Slip::None)
    }));
    assert_failed(
        &check_im2col(|x, fh, fw, s, p| my_im2col(x, fh, fw, s, p, Slip::ColumnsChannelLast)),
        &[
            "im2col of x of shape (2, 2, 6, 4)",
            "another order",
            "(c, fh, fw)",
        ],
    );
    assert_failed(
        &check_im2col(|x, fh, fw, s, p| my_im2col(x, fh, fw, s, p, Slip::PaddingEdge)),
        &["pad 2", "reads zeros there"],
    );
    assert_failed(
        &check_im2col(|x, fh, fw, s, _| my_im2col(x, fh, fw, s, 0, Slip::None)),
        &["your shape is"],
    );
}

#[test]
fn col2im_right_and_wrong() {
    assert_passed(&check_col2im(|col, sh, fh, fw, s, p| {
        dlfs::im2col::col2im(col, &[sh.0, sh.1, sh.2, sh.3], fh, fw, s, p)
    }));
    assert_passed(&check_col2im(|col, sh, fh, fw, s, p| {
        my_col2im(col, sh, fh, fw, s, p, Slip::None)
    }));
    assert_failed(
        &check_col2im(|col, sh, fh, fw, s, p| my_col2im(col, sh, fh, fw, s, p, Slip::Overwrite)),
        &[
            "col2im for x of shape (1, 1, 3, 3), a 2×2 filter, stride 1",
            "add the values up (+=)",
        ],
    );
}

// ---- convolution ----

#[derive(Clone, Copy, PartialEq)]
enum ConvSlip {
    None,
    NoTranspose,
    DbFirstRowOnly,
    /// backward reshapes dout (N, FN, OH, OW) to (N·OH·OW, FN) without moving its axes.
    DoutNotTransposed,
    /// dW = colᵀ·dout (C·FH·FW, FN) reshaped to (FN, C, FH, FW) without the transpose.
    DwNotTransposed,
}

/// The book's Convolution on the loops above.
#[allow(non_snake_case)]
struct BookConv {
    W: ArrayD<f64>,
    b: ArrayD<f64>,
    dW: ArrayD<f64>,
    db: ArrayD<f64>,
    stride: usize,
    pad: usize,
    x_shape: (usize, usize, usize, usize),
    col: Array2<f64>,
    slip: ConvSlip,
}

fn book_conv(
    w: Array4<f64>,
    b: Array1<f64>,
    stride: usize,
    pad: usize,
    slip: ConvSlip,
) -> BookConv {
    BookConv {
        dW: ArrayD::zeros(w.shape()),
        db: ArrayD::zeros(b.shape()),
        W: w.into_dyn(),
        b: b.into_dyn(),
        stride,
        pad,
        x_shape: (0, 0, 0, 0),
        col: Array2::zeros((0, 0)),
        slip,
    }
}

impl BookConv {
    fn w2(&self) -> Array2<f64> {
        let fnum = self.W.shape()[0];
        self.W
            .to_shape((fnum, self.W.len() / fnum))
            .unwrap()
            .to_owned()
    }
}

impl Layer for BookConv {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        let x = x.to_owned().into_dimensionality::<Ix4>().unwrap();
        let (n, _, h, w) = x.dim();
        let s = self.W.shape().to_vec();
        let (oh, ow) = (
            out_size(h, s[2], self.stride, self.pad),
            out_size(w, s[3], self.stride, self.pad),
        );
        self.col = my_im2col(&x, s[2], s[3], self.stride, self.pad, Slip::None);
        self.x_shape = x.dim();
        let b1 = self
            .b
            .view()
            .into_dimensionality::<dlfs::ndarray::Ix1>()
            .unwrap();
        let out = self.col.dot(&self.w2().t()) + b1;
        let out = out.into_shape_with_order((n, oh, ow, s[0])).unwrap();
        if self.slip == ConvSlip::NoTranspose {
            return out
                .into_shape_with_order(IxDyn(&[n, s[0], oh, ow]))
                .unwrap();
        }
        out.permuted_axes([0, 3, 1, 2])
            .as_standard_layout()
            .to_owned()
            .into_dyn()
    }

    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let fnum = self.W.shape()[0];
        let d = if self.slip == ConvSlip::DoutNotTransposed {
            dout.to_owned()
        } else {
            dout.view()
                .permuted_axes(IxDyn(&[0, 2, 3, 1]))
                .as_standard_layout()
                .into_owned()
        };
        let d = d.to_shape((d.len() / fnum, fnum)).unwrap().to_owned();
        self.db = if self.slip == ConvSlip::DbFirstRowOnly {
            d.row(0).to_owned().into_dyn()
        } else {
            d.sum_axis(Axis(0)).into_dyn()
        };
        self.dW = if self.slip == ConvSlip::DwNotTransposed {
            self.col.t().dot(&d)
        } else {
            d.t().dot(&self.col)
        }
        .into_shape_with_order(IxDyn(self.W.shape()))
        .unwrap();
        let dcol = d.dot(&self.w2());
        let s = self.W.shape().to_vec();
        my_col2im(
            &dcol,
            self.x_shape,
            s[2],
            s[3],
            self.stride,
            self.pad,
            Slip::None,
        )
        .into_dyn()
    }

    fn params(&mut self) -> Vec<ParamRef<'_>> {
        vec![
            ParamRef::new("W", &mut self.W, &mut self.dW),
            ParamRef::new("b", &mut self.b, &mut self.db),
        ]
    }
}

#[test]
fn convolution_right_and_wrong() {
    assert_passed(&check_convolution(layers::Convolution::new));
    let r = check_convolution(|w, b, s, p| book_conv(w, b, s, p, ConvSlip::None));
    assert_passed(&r);
    assert_failed(
        &check_convolution(|w, b, s, p| book_conv(w, b, s, p, ConvSlip::NoTranspose)),
        &[
            "forward on x of shape (2, 3, 5, 5)",
            "move the axes to (N, FN, OH, OW)",
        ],
    );
    assert_failed(
        &check_convolution(|w, b, s, p| book_conv(w, b, s, p, ConvSlip::DbFirstRowOnly)),
        &["backward (db)"],
    );
}

#[test]
fn convolution_slips_in_backward_are_named() {
    assert_failed(
        &check_convolution(|w, b, s, p| book_conv(w, b, s, p, ConvSlip::DoutNotTransposed)),
        &[
            "backward (dx) on x of shape (2, 3, 5, 5)",
            "dout arrives as (N, FN, OH, OW): move its axes to (N, OH, OW, FN)",
            "dout.transpose(0, 2, 3, 1)",
        ],
    );
    assert_failed(
        &check_convolution(|w, b, s, p| book_conv(w, b, s, p, ConvSlip::DwNotTransposed)),
        &[
            "backward (dW) on x of shape (2, 3, 5, 5)",
            "colᵀ·dout is (C·FH·FW, FN): transpose it to (FN, C·FH·FW)",
        ],
    );
}

// ---- pooling ----

#[derive(Clone, Copy, PartialEq)]
enum PoolSlip {
    None,
    Mean,
    OverwriteGrad,
    ArgMaxNeverCleared,
    /// the maxima, in rows ordered (n, oh, ow, c), reshaped to (N, C, OH, OW) directly.
    OutNotTransposed,
    /// backward reads dout as if it were (N, OH, OW, C).
    DoutNotTransposed,
    /// the maximum of window (oh, ow) kept at (oh + i, ow + j), without the stride.
    StrideForgotten,
    /// forward keeps no arg_max.
    KeepsNoArgMax,
}

struct LoopPool {
    ph: usize,
    pw: usize,
    s: usize,
    x_shape: (usize, usize, usize, usize),
    arg: Vec<(usize, usize, usize, usize)>,
    slip: PoolSlip,
}

impl Layer for LoopPool {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        let x = x.view().into_dimensionality::<Ix4>().unwrap();
        let (n, c, h, w) = x.dim();
        let (oh, ow) = (
            out_size(h, self.ph, self.s, 0),
            out_size(w, self.pw, self.s, 0),
        );
        let mut out = Array4::zeros((n, c, oh, ow));
        if self.slip != PoolSlip::ArgMaxNeverCleared {
            self.arg.clear();
        }
        for ((ni, ci, oy, ox), o) in out.indexed_iter_mut() {
            let mut best = (f64::NEG_INFINITY, (0, 0, 0, 0));
            let mut sum = 0.0;
            for i in 0..self.ph {
                for j in 0..self.pw {
                    let at = (ni, ci, oy * self.s + i, ox * self.s + j);
                    sum += x[at];
                    if x[at] > best.0 {
                        best = if self.slip == PoolSlip::StrideForgotten {
                            (x[at], (ni, ci, oy + i, ox + j))
                        } else {
                            (x[at], at)
                        };
                    }
                }
            }
            *o = if self.slip == PoolSlip::Mean {
                sum / (self.ph * self.pw) as f64
            } else {
                best.0
            };
            if self.slip != PoolSlip::KeepsNoArgMax {
                self.arg.push(best.1);
            }
        }
        self.x_shape = (n, c, h, w);
        if self.slip == PoolSlip::OutNotTransposed {
            let by_row = out.view().permuted_axes([0, 2, 3, 1]);
            let flat: Vec<f64> = by_row.iter().copied().collect();
            return ArrayD::from_shape_vec(IxDyn(&[n, c, oh, ow]), flat).unwrap();
        }
        out.into_dyn()
    }

    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let mut dx = Array4::zeros(self.x_shape);
        let dout = if self.slip == PoolSlip::DoutNotTransposed {
            // the numbers of dout in their order, read as (N, OH, OW, C)
            let s = dout.shape();
            let (n, c, oh, ow) = (s[0], s[1], s[2], s[3]);
            let flat: Vec<f64> = dout.iter().copied().collect();
            let as_nhwc = Array4::from_shape_vec((n, oh, ow, c), flat).unwrap();
            as_nhwc.permuted_axes([0, 3, 1, 2]).into_dyn()
        } else {
            dout.to_owned()
        };
        for (&d, &at) in dout.iter().zip(&self.arg) {
            if self.slip == PoolSlip::OverwriteGrad {
                dx[at] = d;
            } else {
                dx[at] += d;
            }
        }
        dx.into_dyn()
    }
}

fn loop_pool(slip: PoolSlip) -> impl Fn(usize, usize, usize) -> LoopPool {
    move |ph, pw, s| LoopPool {
        ph,
        pw,
        s,
        x_shape: (0, 0, 0, 0),
        arg: Vec::new(),
        slip,
    }
}

#[test]
fn pooling_right_and_wrong() {
    assert_passed(&check_pooling(|h, w, s| layers::Pooling::new(h, w, s, 0)));
    assert_passed(&check_pooling(loop_pool(PoolSlip::None)));
    assert_failed(
        &check_pooling(loop_pool(PoolSlip::Mean)),
        &["forward on x of shape (2, 3, 4, 4)"],
    );
    assert_failed(
        &check_pooling(loop_pool(PoolSlip::ArgMaxNeverCleared)),
        &["second forward of the same layer"],
    );
    assert_failed(
        &check_pooling(loop_pool(PoolSlip::OutNotTransposed)),
        &[
            "forward on x of shape (2, 3, 4, 4)",
            "the right maxima in the wrong places",
            "move the axes to (N, C, OH, OW)",
        ],
    );
    assert_failed(
        &check_pooling(loop_pool(PoolSlip::DoutNotTransposed)),
        &[
            "backward (dx) on x of shape (2, 3, 4, 4)",
            "dout arrives as (N, C, OH, OW): move its axes to (N, OH, OW, C)",
        ],
    );
    assert_failed(
        &check_pooling(loop_pool(PoolSlip::StrideForgotten)),
        &[
            "backward (dx) on x of shape (2, 3, 4, 4)",
            "puts the gradient of window (oh, ow) at (oh + i, ow + j)",
            "(oh·stride + i, ow·stride + j)",
        ],
    );
    assert_failed(
        &check_pooling(loop_pool(PoolSlip::KeepsNoArgMax)),
        &[
            "backward (dx) on x of shape (2, 3, 4, 4)",
            "your dx is 0 everywhere: does forward keep x's shape and arg_max for backward",
        ],
    );
    assert_failed(
        &check_pooling(loop_pool(PoolSlip::OverwriteGrad)),
        &[
            "backward (dx) on x of shape (1, 1, 5, 5)",
            "collects all their gradients (+=)",
        ],
    );
}

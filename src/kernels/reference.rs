//! Plain versions of the kernels, written as directly as the formulas: what the fast ones
//! must agree with (`tests/kernels.rs`). Slow; not used by the layers.

use ndarray::{Array2, Array4, ArrayView2, ArrayView4};

use super::conv_output_size;

/// c = a·b by the definition c\[i, j\] = Σ_k a\[i, k\]·b\[k, j\], k in increasing order.
///
/// # Panics
/// If a's number of columns is not b's number of rows.
pub fn matmul(a: &ArrayView2<f64>, b: &ArrayView2<f64>) -> Array2<f64> {
    assert_eq!(
        a.ncols(),
        b.nrows(),
        "reference::matmul: a {:?} · b {:?}",
        a.shape(),
        b.shape()
    );
    Array2::from_shape_fn((a.nrows(), b.ncols()), |(i, j)| {
        (0..a.ncols()).map(|k| a[[i, k]] * b[[k, j]]).sum()
    })
}

/// The input value at padded position (y, x) of plane (n, c): 0 in the padding.
fn padded(x: &ArrayView4<f64>, n: usize, c: usize, y: isize, xx: isize) -> f64 {
    let (_, _, h, w) = x.dim();
    if y < 0 || xx < 0 || y >= h as isize || xx >= w as isize {
        0.0
    } else {
        x[[n, c, y as usize, xx as usize]]
    }
}

/// im2col by its definition:
/// col\[(n·OH + oh)·OW + ow, (c·FH + i)·FW + j\] = x\[n, c, oh·S + i − P, ow·S + j − P\] (0 outside).
pub fn im2col(x: &ArrayView4<f64>, fh: usize, fw: usize, stride: usize, pad: usize) -> Array2<f64> {
    let (n, c, h, w) = x.dim();
    let (oh, ow) = (
        conv_output_size(h, fh, stride, pad),
        conv_output_size(w, fw, stride, pad),
    );
    let mut col = Array2::zeros((n * oh * ow, c * fh * fw));
    for ni in 0..n {
        for y in 0..oh {
            for xo in 0..ow {
                for ci in 0..c {
                    for i in 0..fh {
                        for j in 0..fw {
                            let yy = (y * stride + i) as isize - pad as isize;
                            let xx = (xo * stride + j) as isize - pad as isize;
                            col[[(ni * oh + y) * ow + xo, (ci * fh + i) * fw + j]] =
                                padded(x, ni, ci, yy, xx);
                        }
                    }
                }
            }
        }
    }
    col
}

/// col2im by its definition: the adjoint of [`im2col`], every entry of `col` added to the
/// input position it came from (entries in the padding dropped).
pub fn col2im(
    col: &ArrayView2<f64>,
    shape: (usize, usize, usize, usize),
    fh: usize,
    fw: usize,
    stride: usize,
    pad: usize,
) -> Array4<f64> {
    let (n, c, h, w) = shape;
    let (oh, ow) = (
        conv_output_size(h, fh, stride, pad),
        conv_output_size(w, fw, stride, pad),
    );
    let mut dx = Array4::zeros(shape);
    for ni in 0..n {
        for y in 0..oh {
            for xo in 0..ow {
                for ci in 0..c {
                    for i in 0..fh {
                        for j in 0..fw {
                            let yy = (y * stride + i) as isize - pad as isize;
                            let xx = (xo * stride + j) as isize - pad as isize;
                            if yy >= 0 && xx >= 0 && (yy as usize) < h && (xx as usize) < w {
                                dx[[ni, ci, yy as usize, xx as usize]] +=
                                    col[[(ni * oh + y) * ow + xo, (ci * fh + i) * fw + j]];
                            }
                        }
                    }
                }
            }
        }
    }
    dx
}

/// Max pooling by its definition: the largest value of each window (positions in the
/// padding do not count), and its flat index in `x`; the first maximum in row-major order
/// wins a tie, and a NaN in a window is its maximum.
pub fn max_pool(
    x: &ArrayView4<f64>,
    ph: usize,
    pw: usize,
    stride: usize,
    pad: usize,
) -> (Array4<f64>, Vec<usize>) {
    let (n, c, h, w) = x.dim();
    let (oh, ow) = (
        conv_output_size(h, ph, stride, pad),
        conv_output_size(w, pw, stride, pad),
    );
    let mut out = Array4::zeros((n, c, oh, ow));
    let mut arg = Vec::with_capacity(n * c * oh * ow);
    for ni in 0..n {
        for ci in 0..c {
            for y in 0..oh {
                for xo in 0..ow {
                    let mut best: Option<(f64, usize)> = None;
                    for i in 0..ph {
                        for j in 0..pw {
                            let yy = (y * stride + i) as isize - pad as isize;
                            let xx = (xo * stride + j) as isize - pad as isize;
                            if yy < 0 || xx < 0 || yy as usize >= h || xx as usize >= w {
                                continue;
                            }
                            let (yy, xx) = (yy as usize, xx as usize);
                            let v = x[[ni, ci, yy, xx]];
                            let idx = ((ni * c + ci) * h + yy) * w + xx;
                            best = match best {
                                None => Some((v, idx)),
                                Some((bv, _)) if bv.is_nan() => best,
                                Some((bv, _)) if v.is_nan() || v > bv => Some((v, idx)),
                                keep => keep,
                            };
                        }
                    }
                    let (v, idx) = best.expect("every window has a position inside the input");
                    out[[ni, ci, y, xo]] = v;
                    arg.push(idx);
                }
            }
        }
    }
    (out, arg)
}

/// The backward of max pooling by its definition: each gradient added at its maximum.
pub fn max_pool_backward(
    dout: &ArrayView4<f64>,
    arg: &[usize],
    shape: (usize, usize, usize, usize),
) -> Array4<f64> {
    let mut dx = Array4::<f64>::zeros(shape);
    let flat = dx.as_slice_mut().expect("owned");
    for (&a, &d) in arg.iter().zip(dout.iter()) {
        flat[a] += d;
    }
    dx
}

//! Max pooling over (N, C, H, W) planes, and its backward scatter. Plain versions:
//! [`super::reference::max_pool`], [`super::reference::max_pool_backward`].

use ndarray::{Array4, ArrayD, ArrayView4, IxDyn};
use rayon::prelude::*;

use super::{out_size, split_len};

/// Planes per parallel job (a 12×12 plane is too little work to hand out alone).
const PLANES_PER_JOB: usize = 16;

/// A pooling window's size, stride and padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub h: usize,
    pub w: usize,
    pub stride: usize,
    pub pad: usize,
}

/// Max pooling of one (H, W) plane `xp` into `op` (OH·OW maxima) and `ap` (their flat
/// indices in the batch: `base` + the index inside the plane). Ties keep the first maximum
/// in row-major order; a NaN anywhere in a window makes its maximum NaN.
pub(crate) fn max_pool_plane(
    win: Window,
    xp: &[f64],
    (h, w): (usize, usize),
    (oh, ow): (usize, usize),
    base: usize,
    op: &mut [f64],
    ap: &mut [usize],
) {
    // Written as selects (not a branch): random data would mispredict a branch about
    // half the time. `v != v` is NaN: it wins, and nothing beats it afterwards.
    #[allow(clippy::eq_op)]
    let better = |v: f64, i: usize, (bv, bi): (f64, usize)| {
        let gt = v > bv || v != v;
        (if gt { v } else { bv }, if gt { i } else { bi })
    };
    let Window {
        h: ph,
        w: pw,
        stride: s,
        pad: p,
    } = win;
    if (ph, pw, s, p) == (2, 2, 2, 0) {
        // the book's 2×2 stride-2 pool: whole windows, unrolled
        for y in 0..oh {
            let (r0, r1) = (&xp[2 * y * w..][..2 * ow], &xp[(2 * y + 1) * w..][..2 * ow]);
            let outs = op[y * ow..][..ow].iter_mut().zip(&mut ap[y * ow..][..ow]);
            for (xo, ((o, a), (q0, q1))) in outs
                .zip(r0.chunks_exact(2).zip(r1.chunks_exact(2)))
                .enumerate()
            {
                let i0 = base + 2 * y * w + 2 * xo;
                let mut best = (q0[0], i0);
                best = better(q0[1], i0 + 1, best);
                best = better(q1[0], i0 + w, best);
                best = better(q1[1], i0 + w + 1, best);
                (*o, *a) = best;
            }
        }
        return;
    }
    for y in 0..oh {
        let h0 = (y * s) as isize - p as isize;
        let (ilo, ihi) = (h0.max(0) as usize, ((h0 + ph as isize) as usize).min(h));
        for xo in 0..ow {
            let w0 = (xo * s) as isize - p as isize;
            let (jlo, jhi) = (w0.max(0) as usize, ((w0 + pw as isize) as usize).min(w));
            let mut best = (xp[ilo * w + jlo], base + ilo * w + jlo);
            for i in ilo..ihi {
                for (j, &v) in xp[i * w..][jlo..jhi].iter().enumerate() {
                    best = better(v, base + i * w + jlo + j, best);
                }
            }
            (op[y * ow + xo], ap[y * ow + xo]) = best;
        }
    }
}

/// Max pooling of a batch `x` (N, C, H, W): the maxima (N, C, OH, OW) and, for each, the
/// flat index in `x` where it was found. `arg` is a buffer to reuse (every entry is
/// overwritten). The window must fit the padded input and `pad` < the window's sides.
pub(crate) fn max_pool(
    x: &ArrayView4<f64>,
    win: Window,
    mut arg: Vec<usize>,
) -> (Array4<f64>, Vec<usize>) {
    let (n, c, h, w) = x.dim();
    let oh = out_size(h, win.h, win.stride, win.pad);
    let ow = out_size(w, win.w, win.stride, win.pad);
    let x = x.as_standard_layout();
    let xs = x.as_slice().expect("standard layout");
    let mut out = Array4::<f64>::zeros((n, c, oh, ow));
    arg.resize(n * c * oh * ow, 0);
    let plane = h * w;
    if plane == 0 || oh * ow == 0 {
        return (out, arg);
    }
    let outs = out.as_slice_mut().expect("owned");
    let job = |pi: usize, op: &mut [f64], ap: &mut [usize], xp: &[f64]| {
        max_pool_plane(win, xp, (h, w), (oh, ow), pi * plane, op, ap)
    };
    if split_len(xs.len()) {
        outs.par_chunks_mut(oh * ow)
            .zip(arg.par_chunks_mut(oh * ow))
            .zip(xs.par_chunks(plane))
            .enumerate()
            .with_min_len(PLANES_PER_JOB)
            .for_each(|(pi, ((op, ap), xp))| job(pi, op, ap, xp));
    } else {
        outs.chunks_mut(oh * ow)
            .zip(arg.chunks_mut(oh * ow))
            .zip(xs.chunks(plane))
            .enumerate()
            .for_each(|(pi, ((op, ap), xp))| job(pi, op, ap, xp));
    }
    (out, arg)
}

/// The backward scatter of max pooling: each of `dout`'s values is added at its maximum's
/// index `arg[i]` of a zero array of `x_shape` (N, C, H, W).
pub(crate) fn max_pool_backward(dout: &[f64], arg: &[usize], x_shape: &[usize]) -> ArrayD<f64> {
    let mut dx = ArrayD::<f64>::zeros(IxDyn(x_shape));
    let plane = x_shape[2] * x_shape[3];
    let planes = x_shape[0] * x_shape[1];
    if plane == 0 || planes == 0 || dout.is_empty() {
        return dx;
    }
    let out_plane = dout.len() / planes;
    let dxs = dx.as_slice_mut().expect("owned");
    // each plane's gradients land in its own plane of dx
    let job = |pi: usize, dxp: &mut [f64], dp: &[f64], ap: &[usize]| {
        for (&a, &d) in ap.iter().zip(dp) {
            dxp[a - pi * plane] += d;
        }
    };
    if split_len(dxs.len()) {
        dxs.par_chunks_mut(plane)
            .zip(dout.par_chunks(out_plane))
            .zip(arg.par_chunks(out_plane))
            .enumerate()
            .with_min_len(PLANES_PER_JOB)
            .for_each(|(pi, ((dxp, dp), ap))| job(pi, dxp, dp, ap));
    } else {
        dxs.chunks_mut(plane)
            .zip(dout.chunks(out_plane))
            .zip(arg.chunks(out_plane))
            .enumerate()
            .for_each(|(pi, ((dxp, dp), ap))| job(pi, dxp, dp, ap));
    }
    dx
}

//! Convolution → ReLU → max pooling in one pass: the kernels of
//! [`ConvReluPool`](crate::nets::ConvReluPool), the option `SimpleConvNet` offers beside the
//! book's three layers ([`ConvNetConfig::fuse_conv_relu_pool`](crate::nets::ConvNetConfig)).
//!
//! The arithmetic is the convolution's ([`super::conv`]): the same product per sample
//! ([`Plan::sample`]) and the same backward per chunk ([`backward_chunks`]). What fusing
//! saves is memory traffic: layer by layer, the convolution writes its whole (N, FN, OH, OW)
//! output (14 MB for a batch of 100 MNIST images and 30 filters), ReLU reads it and writes
//! it again, pooling reads it a third time, and backward does the same with the gradients.
//! Here each sample's (FN, OH·OW) planes are pooled, and the maxima rectified, while they
//! sit in the core's cache; backward scatters each pooled gradient straight into the
//! chunk's (m·OH·OW, FN) layout that the weight gradient reads.

use std::hint::select_unpredictable;

use ndarray::{Array1, Array2, Array4, ArrayView2, ArrayView4};
use rayon::prelude::*;

use super::conv::{CHUNK, Plan, backward_chunks};
use super::conv_output_size;
use super::pool::{Window, max_pool_plane};
use super::{Geom, threads, with_scratch};

/// The pooled output's size (POH, POW) for a convolution geometry `g` and window `win`.
pub(crate) fn pooled_size(g: &Geom, win: Window) -> (usize, usize) {
    (
        conv_output_size(g.oh, win.h, win.stride, win.pad),
        conv_output_size(g.ow, win.w, win.stride, win.pad),
    )
}

/// What [`forward`] writes into `arg` for a pooled output whose maximum was ≤ 0: ReLU
/// set it to 0 and lets no gradient through, so backward sends it nowhere.
const NO_GRAD: usize = usize::MAX;

/// Forward pass of convolution (filters `w2` (FN, C·FH·FW), biases `bias`), ReLU and max
/// pooling for the batch `x` (N·C·H·W values): writes the pooled output `out`
/// (N, FN, POH, POW) and, for each pooled value, where its gradient goes in backward: the
/// maximum's index in its sample's (FN, OH·OW) activations, or [`NO_GRAD`] where ReLU
/// stopped it.
///
/// ReLU and max pooling are both monotone, so the pool of the rectified activations is the
/// rectified pool of the activations: each window's maximum is found first, then rectified.
/// The window is the same (ties keep the first maximum, a NaN wins), and where the two
/// orders could pick another position — a window whose maximum is ≤ 0 — no gradient flows
/// either way. So outputs and gradients are the three layers' own, bit for bit.
pub(crate) fn forward(
    g: &Geom,
    w2: &ArrayView2<'_, f64>,
    bias: &[f64],
    win: Window,
    x: &[f64],
    out: &mut Array4<f64>,
    arg: &mut [usize],
) {
    let (n, fnum, poh, pow) = out.dim();
    let rows = g.oh * g.ow;
    let (per_in, per_out, per_act) = (g.c * g.h * g.w, fnum * poh * pow, fnum * rows);
    if n == 0 || per_in == 0 || per_out == 0 {
        return;
    }
    let outs = out.as_slice_mut().expect("owned");
    threads(); // sizes the pool from DLFS_THREADS before its first use
    let plan = Plan::new(g, w2, bias);
    let pp = poh * pow;
    x.par_chunks(per_in)
        .zip(outs.par_chunks_mut(per_out))
        .zip(arg.par_chunks_mut(per_out))
        .for_each(|((xn, on), an)| {
            with_scratch(|sc| {
                sc.act.clear();
                sc.act.reserve(per_act);
                plan.sample(xn, &mut sc.col, &mut sc.act.spare_capacity_mut()[..per_act]);
                // SAFETY: `sample` wrote every one of the (FN, OH·OW) activations
                unsafe { sc.act.set_len(per_act) };
                for (f, plane) in sc.act.chunks_exact(rows).enumerate() {
                    let (op, ap) = (&mut on[f * pp..][..pp], &mut an[f * pp..][..pp]);
                    max_pool_plane(win, plane, (g.oh, g.ow), (poh, pow), f * rows, op, ap);
                    // ReLU of each maximum: 0, and no gradient, where it is ≤ 0 (NaN passes)
                    for (o, a) in op.iter_mut().zip(ap.iter_mut()) {
                        let off = *o <= 0.0;
                        *o = select_unpredictable(off, 0.0, *o);
                        *a = select_unpredictable(off, NO_GRAD, *a);
                    }
                }
            })
        });
}

/// Backward pass from the pooled gradient `dout` (N·FN·POH·POW values), with the `arg` of
/// the training forward pass of `x`: (∂L/∂W₂, ∂L/∂b, ∂L/∂x), the last only when `need_dx`.
pub(crate) fn backward(
    g: &Geom,
    w2: &ArrayView2<'_, f64>,
    x: &ArrayView4<'_, f64>,
    dout: &[f64],
    arg: &[usize],
    need_dx: bool,
) -> (Array2<f64>, Array1<f64>, Option<Array4<f64>>) {
    let (n, fnum, rows) = (x.shape()[0], w2.nrows(), g.oh * g.ow);
    let per_act = fnum * rows;
    let per_out = dout.len().checked_div(n).unwrap_or(0);
    let pp = per_out / fnum.max(1);
    backward_chunks(g, w2, x, need_dx, |ci, m, act| {
        // pooling's and ReLU's backward: each pooled gradient goes to its maximum, unless
        // ReLU stopped it there (one more value at the end: where the gradients that ReLU
        // stopped go, so the scatter has no branch to mispredict; it is never read)
        let sink = m * per_act;
        act.clear();
        act.resize(sink + 1, 0.0);
        let (lo, len) = (ci * CHUNK * per_out, m * per_out);
        for (s, (ag, dg)) in arg[lo..][..len]
            .chunks_exact(per_out)
            .zip(dout[lo..][..len].chunks_exact(per_out))
            .enumerate()
        {
            for (f, (af, df)) in ag.chunks_exact(pp).zip(dg.chunks_exact(pp)).enumerate() {
                for (&a, &d) in af.iter().zip(df) {
                    // arg is the maximum's index in the sample's (FN, OH·OW) planes; the
                    // gradient goes to (s·OH·OW + position, f) of the chunk's layout
                    // (wrapping: for NO_GRAD the index is nonsense, and not used)
                    let at = (s * rows)
                        .wrapping_add(a)
                        .wrapping_sub(f * rows)
                        .wrapping_mul(fnum)
                        .wrapping_add(f);
                    act[select_unpredictable(a == NO_GRAD, sink, at)] += d;
                }
            }
        }
    })
}

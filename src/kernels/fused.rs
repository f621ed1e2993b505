//! Convolution → ReLU → max pooling: the loops behind the fused layer
//! [`ConvReluPool`](crate::nets::ConvReluPool) that SimpleConvNet uses.
//!
//! Layer by layer, the convolution writes its whole (N, FN, OH, OW) output (14 MB for a
//! batch of 100 MNIST images and 30 filters), ReLU reads and writes it again, pooling reads
//! it a third time, and backward does the same with the gradients. Here, forward, each
//! sample's (FN, OH·OW) convolution planes are computed, max-pooled and the maxima
//! rectified while they sit in the core's cache; the big array is never made; the product
//! reads the input directly where it can ([`super::small_k`]). Backward goes in chunks of
//! [`CHUNK`] samples, whose dW and db are read from the input by [`super::direct_dw`] (or,
//! where it does not apply, go through im2col and one product); the chunks are spread over
//! the threads and their dW, db summed in chunk order, so results do not depend on the
//! thread count.

use std::hint::select_unpredictable;

use ndarray::{Array1, Array2, Array4, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

use super::pool::{Window, max_pool_plane};
use super::small_k::{self, BLayout};
use super::{Geom, direct_dw, gemm, gemm_uninit, out_size, threads, with_scratch};

/// Samples per chunk in backward: one call of the direct dW kernel, or one matrix product
/// where it does not apply. One sample's dW product is small (30 × 576 × 25 for
/// SimpleConvNet's first layer) and the kernels run it far below their rate; eight samples'
/// rows in one product made the fused layer's backward ≈ 25 % faster (8.5 → 6.2 ms for a
/// batch of 100 on one thread), and the direct kernel keeps its sums in registers over a
/// chunk. Fixed, not chosen by the thread count, so that the sums over the chunks are the
/// same on any machine size.
pub(crate) const CHUNK: usize = 8;

/// The pooled output's size (POH, POW) for a convolution geometry `g` and window `win`.
pub(crate) fn pooled_size(g: &Geom, win: Window) -> (usize, usize) {
    (
        out_size(g.oh, win.h, win.stride, win.pad),
        out_size(g.ow, win.w, win.stride, win.pad),
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
/// rectified pool of the activations: each window's maximum is found first, then rectified,
/// and the rectified activations are never made. The window is the same (ties keep the
/// first maximum, a NaN wins), and where the two orders could pick another position — a
/// window whose maximum is ≤ 0 — no gradient flows either way.
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
    let (rows, k) = (g.oh * g.ow, g.cols());
    let (per_in, per_out, per_act) = (g.c * g.h * g.w, fnum * poh * pow, fnum * rows);
    if n == 0 || per_in == 0 || per_out == 0 {
        return;
    }
    let outs = out.as_slice_mut().expect("owned");
    threads(); // sizes the pool from DLFS_THREADS before its first use
    // The product W₂ · B, B = the transposed im2col rows (K, OH·OW), by the small-K kernel
    // where it applies (the same bits as gemm's product plus the bias). With stride 1 it reads
    // B from the (padded) input itself: B[(c, i, j), (y, x)] = x[c, y + i, x + j], so row
    // (c, i, j) of each output row y starts at (c·H + i)·W + j + y·W, and no im2col is
    // written. Otherwise B is written by `unfold_t_into`, one row per filter element.
    let w2_flat = w2.as_slice().unwrap_or_default();
    let direct = small_k::applies((fnum, rows, k)) && !w2_flat.is_empty();
    let from_input = direct && g.stride == 1;
    let (hp, wp) = (g.h + 2 * g.pad, g.w + 2 * g.pad);
    let b_rows: Vec<usize> = if from_input {
        (0..g.c)
            .flat_map(|c| {
                (0..g.fh).flat_map(move |i| (0..g.fw).map(move |j| (c * hp + i) * wp + j))
            })
            .collect()
    } else {
        (0..k).map(|t| t * rows).collect()
    };
    // One sample at a time: its product lands directly in (FN, OH·OW) planes, which pooling
    // reads in order. (Backward takes CHUNK samples per product instead; here the chunked
    // product's (CHUNK·OH·OW, FN) result would have to be transposed for pooling, which
    // cost what the larger product saved.)
    x.par_chunks(per_in)
        .zip(outs.par_chunks_mut(per_out))
        .zip(arg.par_chunks_mut(per_out))
        .for_each(|((xn, on), an)| {
            with_scratch(|sc| {
                sc.act.clear();
                sc.act.reserve(per_act);
                let act = &mut sc.act.spare_capacity_mut()[..per_act];
                if from_input {
                    let (b, _, _) = g.padded(1, xn, &mut sc.col);
                    let layout = BLayout {
                        row: &b_rows,
                        blocks: g.oh,
                        width: g.ow,
                        step: wp,
                    };
                    small_k::product_bias((fnum, k), w2_flat, b, layout, bias, act);
                } else {
                    // the transposed im2col rows (K, OH·OW): the product reads both operands
                    // in order (with the rows' transposed view, forward took 9 % longer).
                    // Only grown, not cleared: unfold_t_into writes every value that is read.
                    if sc.col.len() < k * rows {
                        sc.col.resize(k * rows, 0.0);
                    }
                    g.unfold_t_into(xn, &mut sc.col, rows);
                    if direct {
                        let layout = BLayout {
                            row: &b_rows,
                            blocks: 1,
                            width: rows,
                            step: 0,
                        };
                        small_k::product_bias((fnum, k), w2_flat, &sc.col, layout, bias, act);
                    } else {
                        let col_t = ArrayView2::from_shape((k, rows), &sc.col[..k * rows])
                            .expect("one row per filter element");
                        // SAFETY: `act` has room for the (FN, OH·OW) product, row-major,
                        // all of which gemm_uninit writes.
                        unsafe {
                            gemm_uninit(w2, &col_t, act.as_mut_ptr().cast(), rows as isize, 1)
                        };
                        for (plane, &bf) in act.chunks_exact_mut(rows).zip(bias) {
                            // SAFETY: written by the product just above
                            plane
                                .iter_mut()
                                .for_each(|v| unsafe { *v.assume_init_mut() += bf });
                        }
                    }
                }
                // SAFETY: every element of the (FN, OH·OW) activations was written above
                unsafe { sc.act.set_len(per_act) };
                let pp = poh * pow;
                for (f, plane) in sc.act.chunks_exact(rows).enumerate() {
                    max_pool_plane(
                        win,
                        plane,
                        (g.oh, g.ow),
                        (poh, pow),
                        f * rows,
                        &mut on[f * pp..][..pp],
                        &mut an[f * pp..][..pp],
                        // ReLU of each maximum: 0, and no gradient, where it is ≤ 0 (NaN
                        // passes)
                        Some(NO_GRAD),
                    );
                }
            })
        });
}

/// Backward pass from the pooled gradient `dout` (N·FN·POH·POW values), with the `arg` of
/// the training forward pass of `x`: (∂L/∂W₂, ∂L/∂b, ∂L/∂x), the last only when `need_dx`.
pub(crate) fn backward(
    g: &Geom,
    w2: &ArrayView2<'_, f64>,
    x: &Array4<f64>,
    dout: &[f64],
    arg: &[usize],
    need_dx: bool,
) -> (Array2<f64>, Array1<f64>, Option<Array4<f64>>) {
    let (n, fnum, k) = (x.shape()[0], w2.nrows(), g.cols());
    let rows = g.oh * g.ow;
    let (per_in, per_act) = (g.c * g.h * g.w, fnum * rows);
    let per_out = dout.len().checked_div(n).unwrap_or(0);
    let chunks = n.div_ceil(CHUNK);
    // each chunk's dW and db, summed in chunk order below
    let mut grads = vec![0.0; chunks * (fnum * k + fnum)];
    let mut dx = Array4::<f64>::zeros(if need_dx {
        x.raw_dim()
    } else {
        ndarray::Dim([0; 4])
    });
    let xs = x.as_slice().expect("standard layout");
    let dx_parts: Vec<&mut [f64]> = match dx.as_slice_mut() {
        Some(d) if need_dx && per_in > 0 => d.chunks_mut(CHUNK * per_in).collect(),
        _ => (0..chunks).map(|_| <&mut [f64]>::default()).collect(),
    };
    if n == 0 || per_in == 0 || per_act == 0 || k == 0 {
        return (
            Array2::zeros((fnum, k)),
            Array1::zeros(fnum),
            need_dx.then_some(dx),
        );
    }
    threads();
    xs.par_chunks(CHUNK * per_in)
        .zip(grads.par_chunks_mut(fnum * k + fnum))
        .zip(dx_parts)
        .enumerate()
        .for_each(|(ci, ((xc, gc), dxc))| {
            with_scratch(|sc| {
                let m = xc.len() / per_in;
                // pooling's and ReLU's backward: each pooled gradient goes to its maximum,
                // unless ReLU stopped it there
                // (one more value at the end: where the gradients that ReLU stopped go, so
                // the scatter below has no branch to mispredict; it is never read)
                let sink = m * per_act;
                sc.act.clear();
                sc.act.reserve(sink + 1);
                // SAFETY: all-zero bytes are the f64 0.0; the capacity was reserved. (A
                // memset: `resize(len, 0.0)` compiled to a loop of 16-byte stores.)
                unsafe {
                    std::ptr::write_bytes(sc.act.as_mut_ptr(), 0, sink + 1);
                    sc.act.set_len(sink + 1);
                }
                let (lo, len) = (ci * CHUNK * per_out, m * per_out);
                // arg holds the maximum's index in its sample's (FN, OH·OW) planes; the
                // gradient goes to the chunk's (m·OH·OW, FN) layout of the product (as
                // (FN, m·OH·OW), each filter's row contiguous, SimpleConvNet's backward was
                // ≈ 9 % slower, likely because the product packs its first operand faster
                // from the transposed view)
                let pp = per_out / fnum.max(1);
                for (s, (ag, dg)) in arg[lo..][..len]
                    .chunks_exact(per_out)
                    .zip(dout[lo..][..len].chunks_exact(per_out))
                    .enumerate()
                {
                    for (f, (af, df)) in ag.chunks_exact(pp).zip(dg.chunks_exact(pp)).enumerate() {
                        for (&a, &d) in af.iter().zip(df) {
                            debug_assert!(
                                a == NO_GRAD || (f * rows..(f + 1) * rows).contains(&a),
                                "pooled gradient of filter {f} sent to activation {a}"
                            );
                            // (wrapping: for NO_GRAD the index is nonsense, and not used)
                            let at = (s * rows)
                                .wrapping_add(a)
                                .wrapping_sub(f * rows)
                                .wrapping_mul(fnum)
                                .wrapping_add(f);
                            sc.act[select_unpredictable(a == NO_GRAD, sink, at)] += d;
                        }
                    }
                }
                let dact_s = &sc.act[..sink];
                let dact = ArrayView2::from_shape((m * rows, fnum), dact_s).expect("sizes match");
                // dW₂ = dactᵀ · col and db = the sum over the chunk's positions: read from
                // the input by the direct kernel where it applies, else through im2col and
                // the product
                if !direct_dw::weight_grad(g, fnum, m, dact_s, xc, &mut sc.col, gc) {
                    let (dwc, dbc) = gc.split_at_mut(fnum * k);
                    for row in dact_s.chunks_exact(fnum) {
                        dbc.iter_mut().zip(row).for_each(|(d, &v)| *d += v);
                    }
                    sc.col.clear();
                    for xn in xc.chunks_exact(per_in) {
                        g.unfold(xn, &mut sc.col);
                    }
                    let col = ArrayView2::from_shape((m * rows, k), &sc.col[..])
                        .expect("one row per window");
                    // (as dW₂ᵀ = col_t · dact, with the transposed im2col rows of the forward
                    // pass, SimpleConvNet's was ≈ 6 % slower, likely because its M = K = 25
                    // fills the product's 32-row AVX-512 tiles badly)
                    let mut dwc = ArrayViewMut2::from_shape((fnum, k), dwc).expect("sizes match");
                    gemm(1.0, &dact.t(), &col, 0.0, &mut dwc);
                }
                if need_dx {
                    // dcol = dact · W₂, folded back per sample
                    sc.dcol.clear();
                    sc.dcol.resize(m * rows * k, 0.0);
                    let mut dc = ArrayViewMut2::from_shape((m * rows, k), &mut sc.dcol[..])
                        .expect("sizes match");
                    gemm(1.0, &dact, w2, 0.0, &mut dc);
                    for (dcn, dxn) in sc
                        .dcol
                        .chunks_exact(rows * k)
                        .zip(dxc.chunks_exact_mut(per_in))
                    {
                        g.fold(dcn, dxn);
                    }
                }
            })
        });
    let mut dw2 = Array2::<f64>::zeros((fnum, k));
    let mut db = Array1::<f64>::zeros(fnum);
    for gc in grads.chunks_exact(fnum * k + fnum) {
        let (dwc, dbc) = gc.split_at(fnum * k);
        dw2.iter_mut().zip(dwc).for_each(|(a, &b)| *a += b);
        db.iter_mut().zip(dbc).for_each(|(a, &b)| *a += b);
    }
    (dw2, db, need_dx.then_some(dx))
}

//! Convolution → ReLU → max pooling, one sample at a time: the loops behind the fused layer
//! [`ConvReluPool`](crate::nets::ConvReluPool) that SimpleConvNet uses.
//!
//! Layer by layer, the convolution writes its whole (N, FN, OH, OW) output (14 MB for a
//! batch of 100 MNIST images and 30 filters), ReLU reads and writes it again, pooling reads
//! it a third time, and backward does the same with the gradients. Here each sample's
//! (FN, OH, OW) block is computed, rectified and pooled while it sits in the core's cache,
//! and the big array is never made. The samples are spread over the threads and their dW,
//! db summed in sample order, so results do not depend on the thread count.

use ndarray::{Array1, Array2, Array4, ArrayView2, Zip};
use rayon::prelude::*;

use super::pool::Window;
use super::{
    Geom, Scratch, conv_backward_sample, conv_forward_sample, max_pool_plane, out_size, par_samples,
};

/// The pooled output's size (POH, POW) for a convolution geometry `g` and window `win`.
pub(crate) fn pooled_size(g: &Geom, win: Window) -> (usize, usize) {
    (
        out_size(g.oh, win.h, win.stride, win.pad),
        out_size(g.ow, win.w, win.stride, win.pad),
    )
}

/// Forward pass of convolution (filters `w2` (FN, C·FH·FW), biases `b`), ReLU and max
/// pooling for the batch `x` (N·C·H·W values): writes the pooled output `out`
/// (N, FN, POH, POW), the maxima's flat indices into the (N, FN, OH, OW) activation `arg`,
/// and, when `mask` is not empty, ReLU's mask (activation ≤ 0) of every activation.
#[allow(clippy::too_many_arguments)]
pub(crate) fn forward(
    g: &Geom,
    w2: &ArrayView2<'_, f64>,
    b: &[f64],
    win: Window,
    x: &[f64],
    out: &mut Array4<f64>,
    arg: &mut [usize],
    mask: &mut [bool],
) {
    let (n, fnum, poh, pow) = out.dim();
    let rows = g.oh * g.ow;
    let (per_in, per_out, per_act) = (g.c * g.h * g.w, fnum * poh * pow, fnum * rows);
    if n == 0 || per_in == 0 || per_out == 0 {
        return;
    }
    // one sample: im2col + product into the scratch block, bias, ReLU (mask into `mn`),
    // then max pooling of each of its FN planes into `on`/`an`
    let one = |i: usize,
               xn: &[f64],
               on: &mut [f64],
               an: &mut [usize],
               mn: &mut [bool],
               sc: &mut Scratch| {
        sc.act.clear();
        sc.act.reserve(per_act);
        let act = conv_forward_sample(
            g,
            w2,
            b,
            xn,
            &mut sc.col,
            &mut sc.act.spare_capacity_mut()[..per_act],
        );
        for (v, m) in act.iter_mut().zip(mn.iter_mut()) {
            *m = *v <= 0.0;
            *v = if *m { 0.0 } else { *v };
        }
        let pp = poh * pow;
        for f in 0..fnum {
            max_pool_plane(
                win,
                &act[f * rows..][..rows],
                (g.oh, g.ow),
                (poh, pow),
                (i * fnum + f) * rows,
                &mut on[f * pp..][..pp],
                &mut an[f * pp..][..pp],
            );
        }
    };
    let outs = out.as_slice_mut().expect("owned");
    super::threads(); // sizes the pool from DLFS_THREADS before its first use
    let jobs = x
        .par_chunks(per_in)
        .zip(outs.par_chunks_mut(per_out))
        .zip(arg.par_chunks_mut(per_out))
        .enumerate();
    if !mask.is_empty() {
        jobs.zip(mask.par_chunks_mut(per_act))
            .for_each_init(Scratch::default, |sc, ((i, ((xn, on), an)), mn)| {
                one(i, xn, on, an, mn, sc)
            });
    } else {
        jobs.for_each_init(Scratch::default, |sc, (i, ((xn, on), an))| {
            let mut mn = std::mem::take(&mut sc.mask);
            mn.resize(per_act, false);
            one(i, xn, on, an, &mut mn, sc);
            sc.mask = mn;
        });
    }
}

/// Backward pass from the pooled gradient `dout` (N·FN·POH·POW values), with the `arg`
/// and `mask` of the training forward pass of `x`: (∂L/∂W₂, ∂L/∂b, ∂L/∂x), the last only
/// when `need_dx`.
pub(crate) fn backward(
    g: &Geom,
    w2: &ArrayView2<'_, f64>,
    x: &Array4<f64>,
    dout: &[f64],
    arg: &[usize],
    mask: &[bool],
    need_dx: bool,
) -> (Array2<f64>, Array1<f64>, Option<Array4<f64>>) {
    let (n, fnum, k) = (x.shape()[0], w2.nrows(), g.cols());
    let rows = g.oh * g.ow;
    let per_act = fnum * rows;
    let per_out = dout.len().checked_div(n).unwrap_or(0);
    let mut grads = vec![0.0; n * (fnum * k + fnum)];
    let mut dx = Array4::<f64>::zeros(if need_dx {
        x.raw_dim()
    } else {
        ndarray::Dim([0; 4])
    });
    par_samples(
        n,
        [x.as_slice().expect("standard layout"), dout],
        [&mut grads, dx.as_slice_mut().expect("owned")],
        |i, [xn, dp], [gn, dxn], sc| {
            // pooling's backward for sample i: each pooled gradient goes to its maximum;
            // then ReLU's: nothing flows where the activation was ≤ 0
            let base = i * per_act;
            sc.act.clear();
            sc.act.resize(per_act, 0.0);
            for (&a, &d) in arg[i * per_out..][..per_out].iter().zip(dp) {
                sc.act[a - base] += d;
            }
            for (v, &m) in sc.act.iter_mut().zip(&mask[base..][..per_act]) {
                *v = if m { 0.0 } else { *v };
            }
            let dn = ArrayView2::from_shape((fnum, rows), &sc.act[..]).expect("sizes match");
            let (dwn, dbn) = gn.split_at_mut(fnum * k);
            let dxn = need_dx.then_some(dxn);
            conv_backward_sample(g, w2, xn, &dn, dwn, dbn, dxn, &mut sc.col, &mut sc.dcol);
        },
    );
    // the samples' dW_n, db_n, summed in sample order
    let mut dw2 = Array2::<f64>::zeros((fnum, k));
    let mut db = Array1::<f64>::zeros(fnum);
    for gn in grads.chunks_exact(fnum * k + fnum) {
        let (dwn, dbn) = gn.split_at(fnum * k);
        Zip::from(&mut dw2)
            .and(&ArrayView2::from_shape((fnum, k), dwn).expect("sizes match"))
            .for_each(|a, &b| *a += b);
        db.iter_mut().zip(dbn).for_each(|(a, &b)| *a += b);
    }
    (dw2, db, need_dx.then_some(dx))
}

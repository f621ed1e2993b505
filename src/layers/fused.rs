//! Convolution → ReLU → max pooling, one sample at a time (what
//! [`Sequential`](crate::nets::Sequential) runs when a network has the three library layers
//! in a row, as SimpleConvNet does).
//!
//! Layer by layer, the convolution writes its whole (N, FN, OH, OW) output (14 MB for a
//! batch of 100 MNIST images and 30 filters), ReLU reads and writes it again, pooling reads
//! it a third time, and backward does the same with the gradients: memory traffic, not
//! arithmetic, was half of a SimpleConvNet step. Here each sample's (FN, OH, OW) block is
//! computed, rectified and pooled while it sits in the core's cache, and the big array is
//! never made. The arithmetic is the layers' own, in the same order, so outputs and
//! gradients are bit for bit those of the three layers run one by one, and the layers are
//! left in the same state (the convolution's input, ReLU's mask, pooling's arg-max
//! indices): calling one of them by hand afterwards works as usual.

use ndarray::{Array4, ArrayD, ArrayRef, IxDyn};
use rayon::prelude::*;

use super::convolution::forward_sample;
use super::{Convolution, Pooling, Relu};
use crate::im2col::conv_output_size;
use crate::linalg::Scratch;

/// Training or inference forward pass of `conv`, `relu` and `pool` in a row; `None` (and
/// nothing changed) when pooling's window does not fit the convolution's output, or the
/// batch is empty: the caller then runs the layers one by one, which report the problem.
///
/// # Panics
/// As [`Convolution::forward`](super::Layer::forward) when `x` does not fit the filters.
#[track_caller]
pub(crate) fn forward(
    conv: &mut Convolution,
    relu: &mut Relu,
    pool: &mut Pooling,
    x: &ArrayRef<f64, IxDyn>,
    train: bool,
) -> Option<ArrayD<f64>> {
    let g = conv.geometry("forward", x.shape());
    conv.make_w_contiguous();
    let n = x.shape()[0];
    let fnum = conv.W.shape()[0];
    let rows = g.oh * g.ow;
    let (ph, pw, s, p) = (pool.pool_h, pool.pool_w, pool.stride, pool.pad);
    if ph > g.oh + 2 * p || pw > g.ow + 2 * p {
        return None;
    }
    let (poh, pow) = (
        conv_output_size(g.oh, ph, s, p),
        conv_output_size(g.ow, pw, s, p),
    );
    let (per_in, per_out, per_act) = (g.c * g.h * g.w, fnum * poh * pow, fnum * rows);
    if n == 0 || per_in == 0 || per_out == 0 || per_act == 0 {
        return None;
    }
    let x4 = x
        .as_standard_layout()
        .into_shape_with_order((n, g.c, g.h, g.w))
        .expect("4-D input");
    let xs = x4.as_slice().expect("standard layout");
    let mut out = Array4::<f64>::zeros((n, fnum, poh, pow));
    let mut arg = std::mem::take(&mut pool.arg_max);
    arg.resize(n * per_out, 0);
    let act_shape = [n, fnum, g.oh, g.ow];
    let mut mask = match relu.mask.take() {
        Some(m) if train && m.shape() == act_shape => m,
        _ if train => ArrayD::from_elem(IxDyn(&act_shape), false),
        _ => ArrayD::from_elem(IxDyn(&[0]), false),
    };
    let (w2, bias, pool_ref) = (conv.w2(), &conv.b, &*pool);

    // One sample: im2col + product into the scratch block, bias, ReLU (mask into `mn`),
    // then max pooling of each of its FN planes into `on`/`an`.
    let one = |i: usize,
               xn: &[f64],
               on: &mut [f64],
               an: &mut [usize],
               mn: &mut [bool],
               col: &mut Vec<f64>,
               act: &mut Vec<f64>| {
        act.clear();
        act.reserve(per_act);
        let act = forward_sample(
            &g,
            &w2,
            bias,
            xn,
            col,
            &mut act.spare_capacity_mut()[..per_act],
        );
        for (v, m) in act.iter_mut().zip(mn.iter_mut()) {
            *m = *v <= 0.0;
            *v = if *m { 0.0 } else { *v };
        }
        let pp = poh * pow;
        for f in 0..fnum {
            pool_ref.max_pool_plane(
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
    let jobs = xs
        .par_chunks(per_in)
        .zip(outs.par_chunks_mut(per_out))
        .zip(arg.par_chunks_mut(per_out))
        .enumerate();
    if train {
        let masks = mask.as_slice_mut().expect("standard layout");
        jobs.zip(masks.par_chunks_mut(per_act))
            .for_each_init(Scratch::default, |sc, ((i, ((xn, on), an)), mn)| {
                one(i, xn, on, an, mn, &mut sc.col, &mut sc.act)
            });
    } else {
        jobs.for_each_init(Scratch::default, |sc, (i, ((xn, on), an))| {
            let Scratch { col, act, mask, .. } = sc;
            mask.resize(per_act, false);
            one(i, xn, on, an, mask, col, act)
        });
    }
    conv.x = train.then(|| x4.into_owned());
    relu.mask = train.then_some(mask);
    pool.x_shape = act_shape.to_vec();
    pool.arg_max = arg;
    pool.out_shape = [n, fnum, poh, pow];
    Some(out.into_dyn())
}

/// Backward pass of `conv`, `relu` and `pool` in a row from pooling's ∂L/∂out: stores the
/// convolution's ∂W, ∂b and returns its ∂L/∂x. `None` (and nothing changed) unless the
/// three layers hold the state of one training forward pass of the same batch (as after
/// [`forward`] or the three layers' own `forward`s) and `dout` has pooling's output shape:
/// the caller then runs the layers one by one, which report the problem.
pub(crate) fn backward(
    conv: &mut Convolution,
    relu: &Relu,
    pool: &Pooling,
    dout: &ArrayRef<f64, IxDyn>,
) -> Option<ArrayD<f64>> {
    let x_shape = conv.x.as_ref()?.shape().to_vec();
    let w = conv.W.shape();
    if x_shape.len() != 4
        || x_shape[1] != w[1]
        || w[2] > x_shape[2] + 2 * conv.pad
        || w[3] > x_shape[3] + 2 * conv.pad
    {
        return None;
    }
    let g = conv.geometry("backward", &x_shape);
    let (n, fnum) = (x_shape[0], w[0]);
    let act_shape = [n, fnum, g.oh, g.ow];
    let mask = relu.mask.as_ref()?;
    if mask.shape() != act_shape || pool.x_shape != act_shape || dout.shape() != pool.out_shape {
        return None;
    }
    let (rows, pp) = (g.oh * g.ow, pool.out_shape[2] * pool.out_shape[3]);
    let (per_act, per_out) = (fnum * rows, fnum * pp);
    if pool.arg_max.len() != n * per_out || per_act == 0 || per_out == 0 {
        return None;
    }
    let dout = dout.as_standard_layout();
    let ds = dout.as_slice()?;
    let masks = mask.as_slice()?;
    let args = &pool.arg_max;
    Some(conv.backward_from(ds, |i, dp, buf| {
        // pooling's backward for sample i: each pooled gradient goes to its maximum
        buf.clear();
        buf.resize(per_act, 0.0);
        let base = i * per_act;
        for (&a, &d) in args[i * per_out..][..per_out].iter().zip(dp) {
            buf[a - base] += d;
        }
        // ReLU's backward: nothing flows where the input was ≤ 0
        for (v, &m) in buf.iter_mut().zip(&masks[base..][..per_act]) {
            *v = if m { 0.0 } else { *v };
        }
        buf
    }))
}

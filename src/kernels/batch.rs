//! Per-sample batching: run one closure per sample of a batch, the samples spread over the
//! threads, each with scratch buffers that live as long as its worker.

use rayon::prelude::*;

use super::threads;

/// Scratch buffers of one worker in [`par_samples`] (im2col rows and their gradient, and
/// one sample's layer output or its gradient).
#[derive(Default)]
pub(crate) struct Scratch {
    pub col: Vec<f64>,
    pub dcol: Vec<f64>,
    pub act: Vec<f64>,
    pub mask: Vec<bool>,
}

/// Runs `f(i, inputs_i, outputs_i, scratch)` for every sample i of a batch of `n`: each slice
/// of `ins` and `outs` holds the whole batch, split into `n` equal parts, one per sample.
/// The samples are spread over [`threads`] threads; the scratch's `col` and `dcol` are
/// cleared before each call.
/// Every sample writes only its own parts, so the result does not depend on the thread count.
pub(crate) fn par_samples<const I: usize, const O: usize, F>(
    n: usize,
    ins: [&[f64]; I],
    outs: [&mut [f64]; O],
    f: F,
) where
    F: Fn(usize, [&[f64]; I], [&mut [f64]; O], &mut Scratch) + Sync + Send,
{
    if n == 0 {
        return;
    }
    let ins = ins.map(|s| (s, s.len() / n));
    let mut outs = outs.map(|s| {
        let per = s.len() / n;
        let parts: Vec<&mut [f64]> = if per == 0 {
            (0..n).map(|_| <&mut [f64]>::default()).collect()
        } else {
            s.chunks_exact_mut(per).collect()
        };
        parts.into_iter()
    });
    let jobs: Vec<_> = (0..n)
        .map(|i| {
            let outs_n: [&mut [f64]; O] = std::array::from_fn(|j| outs[j].next().expect("n parts"));
            (ins.map(|(s, per)| &s[i * per..][..per]), outs_n)
        })
        .collect();
    if threads() == 1 {
        let mut scratch = Scratch::default();
        for (i, (a, b)) in jobs.into_iter().enumerate() {
            scratch.col.clear();
            scratch.dcol.clear();
            f(i, a, b, &mut scratch);
        }
        return;
    }
    jobs.into_par_iter()
        .enumerate()
        .for_each_init(Scratch::default, |scratch, (i, (a, b))| {
            scratch.col.clear();
            scratch.dcol.clear();
            f(i, a, b, scratch);
        });
}

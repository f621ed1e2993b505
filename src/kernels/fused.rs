//! Convolution → ReLU → max pooling as one layer, one sample at a time: what
//! [`SimpleConvNet`](crate::nets::SimpleConvNet) uses unless told otherwise
//! (`ConvNetConfig { fused: false, .. }` builds the three book layers instead).
//!
//! Layer by layer, the convolution writes its whole (N, FN, OH, OW) output (14 MB for a
//! batch of 100 MNIST images and 30 filters), ReLU reads and writes it again, pooling reads
//! it a third time, and backward does the same with the gradients. Here each sample's
//! (FN, OH, OW) block is computed, rectified and pooled while it sits in the core's cache,
//! and the big array is never made. The samples are spread over the threads and their dW,
//! db summed in sample order, so results do not depend on the thread count. The results
//! equal the three layers' to rounding (`tests/fused.rs`): the product is summed in
//! another order than the plain layer's whole-batch product.

use ndarray::{Array1, Array2, Array4, ArrayD, ArrayRef, ArrayView2, IxDyn, Zip};
use rayon::prelude::*;

use super::pool::Window;
use super::{Scratch, conv_backward_sample, conv_forward_sample, max_pool_plane, par_samples};
use crate::im2col::conv_output_size;
use crate::layers::{Convolution, Hint, Layer, ParamRef, Pooling, shape_mismatch};

/// Convolution, ReLU and max pooling fused (see the module docs). Parameters `W`, `b` are
/// the convolution's; [`conv`](Self::conv) and [`pool`](Self::pool) hold the settings.
///
/// # Shapes
/// `x` (N, C, H, W) → (N, FN, POH, POW), where (OH, OW) is the convolution's output and
/// POH = ⌊(OH + 2·P_pool − PH)/S_pool⌋ + 1.
///
/// # Panics
/// As [`Convolution`] when `x` does not fit the filters, and when the pooling window does
/// not fit the convolution's output; `backward` before a training `forward` or with a
/// `dout` of another shape than the output.
#[derive(Debug, Clone)]
pub struct ConvReluPool {
    /// The convolution: filters `W`, biases `b`, stride, pad, and the gradients `dW`, `db`.
    pub conv: Convolution,
    /// The pooling window's size, stride and pad.
    pub pool: Pooling,
    x: Option<Array4<f64>>,
    mask: Vec<bool>,
    arg_max: Vec<usize>,
    act_shape: [usize; 4],
    out_shape: [usize; 4],
    need_dx: bool,
}

impl ConvReluPool {
    /// The three layers `conv` → ReLU → `pool`, fused.
    pub fn new(conv: Convolution, pool: Pooling) -> Self {
        Self {
            conv,
            pool,
            x: None,
            mask: Vec::new(),
            arg_max: Vec::new(),
            act_shape: [0; 4],
            out_shape: [0; 4],
            need_dx: true,
        }
    }

    fn window(&self) -> Window {
        Window {
            h: self.pool.pool_h,
            w: self.pool.pool_w,
            stride: self.pool.stride,
            pad: self.pool.pad,
        }
    }
}

impl Layer for ConvReluPool {
    fn kind(&self) -> &'static str {
        "ConvReluPool"
    }

    #[track_caller]
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64> {
        let g = self.conv.geometry("forward", x.shape());
        self.conv.make_w_contiguous();
        let win = self.window();
        let (n, fnum) = (x.shape()[0], self.conv.W.shape()[0]);
        let rows = g.oh * g.ow;
        if win.h > g.oh + 2 * win.pad || win.w > g.ow + 2 * win.pad {
            shape_mismatch(
                "ConvReluPool",
                "forward",
                &[n, fnum, g.oh, g.ow],
                &format!(
                    "a convolution output that the {}×{} pooling window (pad {}) fits",
                    win.h, win.w, win.pad
                ),
            );
        }
        let poh = conv_output_size(g.oh, win.h, win.stride, win.pad);
        let pow = conv_output_size(g.ow, win.w, win.stride, win.pad);
        let (per_in, per_out, per_act) = (g.c * g.h * g.w, fnum * poh * pow, fnum * rows);
        let x4 = x
            .as_standard_layout()
            .into_shape_with_order((n, g.c, g.h, g.w))
            .expect("4-D input")
            .into_owned();
        let mut out = Array4::<f64>::zeros((n, fnum, poh, pow));
        let mut arg = std::mem::take(&mut self.arg_max);
        arg.resize(n * per_out, 0);
        let mut mask = std::mem::take(&mut self.mask);
        mask.resize(if train { n * per_act } else { 0 }, false);
        if n > 0 && per_in > 0 && per_out > 0 {
            let w2 = self.conv.w2();
            let bias = self.conv.b.as_slice().expect("b is contiguous");
            let xs = x4.as_slice().expect("standard layout");
            // one sample: im2col + product into the scratch block, bias, ReLU (mask into
            // `mn`), then max pooling of each of its FN planes into `on`/`an`
            let one = |i: usize,
                       xn: &[f64],
                       on: &mut [f64],
                       an: &mut [usize],
                       mn: &mut [bool],
                       sc: &mut Scratch| {
                sc.act.clear();
                sc.act.reserve(per_act);
                let act = conv_forward_sample(
                    &g,
                    &w2,
                    bias,
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
            let jobs = xs
                .par_chunks(per_in)
                .zip(outs.par_chunks_mut(per_out))
                .zip(arg.par_chunks_mut(per_out))
                .enumerate();
            if train {
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
        self.x = train.then_some(x4);
        self.mask = mask;
        self.arg_max = arg;
        self.act_shape = [n, fnum, g.oh, g.ow];
        self.out_shape = [n, fnum, poh, pow];
        out.into_dyn()
    }

    #[track_caller]
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let Some(x) = &self.x else {
            panic!("ConvReluPool.backward: called before forward with train = true")
        };
        if dout.shape() != self.out_shape {
            shape_mismatch(
                "ConvReluPool",
                "backward",
                dout.shape(),
                &format!("dout of shape {:?} (the forward output's)", self.out_shape),
            );
        }
        self.conv.make_w_contiguous();
        let g = self.conv.geometry("backward", x.shape());
        let [n, fnum, _, _] = self.act_shape;
        let (rows, k) = (g.oh * g.ow, g.cols());
        let per_act = fnum * rows;
        let per_out = fnum * self.out_shape[2] * self.out_shape[3];
        let dout = dout.as_standard_layout();
        let ds = dout.as_slice().expect("standard layout");
        let (args, masks, w2) = (&self.arg_max, &self.mask, self.conv.w2());
        let mut grads = vec![0.0; n * (fnum * k + fnum)];
        let mut dx = Array4::<f64>::zeros(if self.need_dx {
            x.raw_dim()
        } else {
            ndarray::Dim([0; 4])
        });
        let need_dx = self.need_dx;
        par_samples(
            n,
            [x.as_slice().expect("standard layout"), ds],
            [&mut grads, dx.as_slice_mut().expect("owned")],
            |i, [xn, dp], [gn, dxn], sc| {
                // pooling's backward for sample i: each pooled gradient goes to its
                // maximum; then ReLU's: nothing flows where the activation was ≤ 0
                let base = i * per_act;
                sc.act.clear();
                sc.act.resize(per_act, 0.0);
                for (&a, &d) in args[i * per_out..][..per_out].iter().zip(dp) {
                    sc.act[a - base] += d;
                }
                for (v, &m) in sc.act.iter_mut().zip(&masks[base..][..per_act]) {
                    *v = if m { 0.0 } else { *v };
                }
                let dn = ArrayView2::from_shape((fnum, rows), &sc.act[..]).expect("sizes match");
                let (dwn, dbn) = gn.split_at_mut(fnum * k);
                let dxn = need_dx.then_some(dxn);
                conv_backward_sample(&g, &w2, xn, &dn, dwn, dbn, dxn, &mut sc.col, &mut sc.dcol);
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
        self.conv.dW = dw2
            .into_shape_with_order(self.conv.W.raw_dim())
            .expect("same size as W");
        self.conv.db = db.into_dyn();
        if need_dx {
            dx.into_dyn()
        } else {
            ArrayD::zeros(IxDyn(&[0]))
        }
    }

    fn params(&mut self) -> Vec<ParamRef<'_>> {
        self.conv.params()
    }

    fn hint(&mut self, hint: Hint) {
        if hint == Hint::NoInputGrad {
            self.need_dx = false;
        }
    }
}

//! The convolution layer's two passes, reading the input without writing im2col where
//! they can: what [`Convolution`](crate::layers::Convolution) calls.
//!
//! Forward, each sample's output planes (FN, OH·OW) are one product W₂ · Bₙ + b, where
//! Bₙ = the sample's im2col rows transposed (C·FH·FW, OH·OW): that is already the layout
//! of the (N, FN, OH, OW) output, so no transpose follows. The product is the small-K kernel
//! ([`super::small_k`]) where it applies, which with stride 1 reads Bₙ from the input itself.
//! Backward goes in chunks of [`CHUNK`] samples: the chunk's output gradients, laid out
//! (m·OH·OW, FN) like the book's reshaped `dout`, give dW and db by [`super::direct_dw`]
//! (read from the input; or, where it does not apply, through im2col and one product) and
//! ∂L/∂x by the product dout · W₂ folded back (col2im). The chunks are spread over the
//! threads and their dW, db summed in chunk order, so results do not depend on the thread
//! count.

use std::mem::MaybeUninit;

use ndarray::{Array1, Array2, Array4, ArrayView2, ArrayView4, ArrayViewMut2};
use rayon::prelude::*;

use super::small_k::{self, BLayout};
use super::{Geom, direct_dw, gemm, gemm_uninit, threads, with_scratch};

/// Samples per chunk in backward: one call of the direct dW kernel, or one matrix product
/// where it does not apply. One sample's dW product is small (30 × 576 × 25 for
/// SimpleConvNet's first layer) and the kernels run it far below their rate; eight samples'
/// rows in one product made backward ≈ 25 % faster, and the direct kernel keeps its sums
/// in registers over a chunk. Fixed, not chosen by the thread count, so that the sums over
/// the chunks are the same on any machine size.
pub(crate) const CHUNK: usize = 8;

/// Forward pass: the convolution (N, FN, OH, OW) of the batch `x` (N, C, H, W, in standard
/// layout) with filters `w2` (FN, C·FH·FW, in standard layout) and biases `bias` (FN,).
pub(crate) fn forward(
    g: &Geom,
    w2: &ArrayView2<'_, f64>,
    bias: &[f64],
    x: &ArrayView4<'_, f64>,
) -> Array4<f64> {
    let mut out = Array4::<f64>::uninit((x.shape()[0], w2.nrows(), g.oh, g.ow));
    let xs = x.as_slice().expect("standard layout");
    forward_into(g, w2, bias, xs, out.as_slice_mut().expect("fresh array"));
    // SAFETY: forward_into writes every value of `out`
    unsafe { out.assume_init() }
}

/// How one sample's product W₂ · Bₙ + b is computed, chosen once per batch.
pub(crate) struct Plan<'a> {
    g: Geom,
    w2: ArrayView2<'a, f64>,
    bias: &'a [f64],
    /// by the small-K kernel (else gemm)
    direct: bool,
    /// reading Bₙ from the input itself (stride 1), else from its transposed im2col rows
    from_input: bool,
    /// where each row of Bₙ starts (see `BLayout`)
    b_rows: Vec<usize>,
}

impl<'a> Plan<'a> {
    /// The plan for filters `w2` (FN, C·FH·FW) and biases `bias` over geometry `g`.
    pub(crate) fn new(g: &Geom, w2: &ArrayView2<'a, f64>, bias: &'a [f64]) -> Self {
        let (fnum, rows, k) = (w2.nrows(), g.oh * g.ow, g.cols());
        // The product W₂ · B, B = the transposed im2col rows (K, OH·OW), by the small-K
        // kernel where it applies (the same bits as gemm's product plus the bias). With
        // stride 1 it reads B from the (padded) input itself: B[(c, i, j), (y, x)] =
        // x[c, y + i, x + j], so row (c, i, j) of each output row y starts at
        // (c·H + i)·W + j + y·W, and no im2col is written. Otherwise B is written by
        // `unfold_t_into`, one row per filter element.
        let direct =
            small_k::applies((fnum, rows, k)) && w2.as_slice().is_some_and(|w| !w.is_empty());
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
        Self {
            g: *g,
            w2: *w2,
            bias,
            direct,
            from_input,
            b_rows,
        }
    }

    /// `on` (FN·OH·OW values, every one written) ← one sample `xn` (C·H·W values)
    /// convolved, using the thread's scratch buffer `col`.
    pub(crate) fn sample(&self, xn: &[f64], col: &mut Vec<f64>, on: &mut [MaybeUninit<f64>]) {
        let (g, fnum, rows, k) = (
            &self.g,
            self.w2.nrows(),
            self.g.oh * self.g.ow,
            self.g.cols(),
        );
        let w2_flat = self.w2.as_slice().unwrap_or_default();
        if self.from_input {
            let (b, _, _) = g.padded(1, xn, col);
            let step = g.w + 2 * g.pad;
            let layout = BLayout {
                row: &self.b_rows,
                blocks: g.oh,
                width: g.ow,
                step,
            };
            small_k::product_bias((fnum, k), w2_flat, b, layout, self.bias, on);
            return;
        }
        // the transposed im2col rows (K, OH·OW): the product reads both operands in order.
        // Only grown, not cleared: unfold_t_into writes every value read.
        if col.len() < k * rows {
            col.resize(k * rows, 0.0);
        }
        g.unfold_t_into(xn, col, rows);
        if self.direct {
            let layout = BLayout {
                row: &self.b_rows,
                blocks: 1,
                width: rows,
                step: 0,
            };
            small_k::product_bias((fnum, k), w2_flat, col, layout, self.bias, on);
        } else {
            let col_t = ArrayView2::from_shape((k, rows), &col[..k * rows])
                .expect("one row per filter element");
            // SAFETY: `on` has room for the (FN, OH·OW) product, row-major, all of which
            // gemm_uninit writes.
            unsafe { gemm_uninit(&self.w2, &col_t, on.as_mut_ptr().cast(), rows as isize, 1) };
            for (plane, &bf) in on.chunks_exact_mut(rows).zip(self.bias) {
                // SAFETY: written by the product just above
                plane
                    .iter_mut()
                    .for_each(|v| unsafe { *v.assume_init_mut() += bf });
            }
        }
    }
}

/// `out` (N·FN·OH·OW values, every one written) ← the convolution of `x` (N·C·H·W values).
fn forward_into(
    g: &Geom,
    w2: &ArrayView2<'_, f64>,
    bias: &[f64],
    x: &[f64],
    out: &mut [MaybeUninit<f64>],
) {
    let (fnum, rows) = (w2.nrows(), g.oh * g.ow);
    let (per_in, per_out) = (g.c * g.h * g.w, fnum * rows);
    if per_out == 0 {
        return;
    }
    if per_in == 0 {
        // an empty image (H or W 0, all padding): every output is its filter's bias
        for (plane, &bf) in out.chunks_exact_mut(rows).zip(bias.iter().cycle()) {
            plane.fill(MaybeUninit::new(bf));
        }
        return;
    }
    threads(); // sizes the pool from DLFS_THREADS before its first use
    let plan = Plan::new(g, w2, bias);
    x.par_chunks(per_in)
        .zip(out.par_chunks_mut(per_out))
        .for_each(|(xn, on)| with_scratch(|sc| plan.sample(xn, &mut sc.col, on)));
}

/// Backward pass from the output gradient `dout` (N·FN·OH·OW values) of the training
/// forward pass of `x` (N, C, H, W): (∂L/∂W₂, ∂L/∂b, ∂L/∂x), the last only when `need_dx`.
pub(crate) fn backward(
    g: &Geom,
    w2: &ArrayView2<'_, f64>,
    x: &ArrayView4<'_, f64>,
    dout: &[f64],
    need_dx: bool,
) -> (Array2<f64>, Array1<f64>, Option<Array4<f64>>) {
    let per_act = w2.nrows() * g.oh * g.ow;
    let (rows, fnum) = (g.oh * g.ow, w2.nrows());
    // dout of a chunk's samples, (m, FN, OH·OW) → (m·OH·OW, FN): the book's
    // dout.transpose(0, 2, 3, 1).reshape(-1, FN)
    backward_chunks(g, w2, x, need_dx, |ci, m, act| {
        let src = &dout[ci * CHUNK * per_act..][..m * per_act];
        act.clear();
        act.resize(m * per_act, 0.0);
        for (ds, dst) in src.chunks_exact(per_act).zip(act.chunks_exact_mut(per_act)) {
            for (f, plane) in ds.chunks_exact(rows).enumerate() {
                for (p, &d) in plane.iter().enumerate() {
                    dst[p * fnum + f] = d;
                }
            }
        }
    })
}

/// The backward driver: the batch `x` in chunks of [`CHUNK`] samples over the threads; for
/// chunk `ci` of `m` samples, `fill(ci, m, act)` writes the gradient of the convolution's
/// outputs into `act`, laid out (m·OH·OW, FN); then dW₂, db and (when `need_dx`) ∂L/∂x.
pub(crate) fn backward_chunks(
    g: &Geom,
    w2: &ArrayView2<'_, f64>,
    x: &ArrayView4<'_, f64>,
    need_dx: bool,
    fill: impl Fn(usize, usize, &mut Vec<f64>) + Sync,
) -> (Array2<f64>, Array1<f64>, Option<Array4<f64>>) {
    let (n, fnum, k) = (x.shape()[0], w2.nrows(), g.cols());
    let rows = g.oh * g.ow;
    let (per_in, per_act) = (g.c * g.h * g.w, fnum * rows);
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
                let len = m * per_act;
                fill(ci, m, &mut sc.act);
                let dact_s = &sc.act[..len];
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

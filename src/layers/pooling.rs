use ndarray::{Array4, ArrayD, ArrayRef, IxDyn};

use super::{Layer, shape_mismatch};
use crate::im2col::conv_output_size;
use rayon::prelude::*;

/// (n, c) planes handled together by one thread (fewer, larger jobs).
const PLANES_PER_JOB: usize = 16;

/// Max pooling layer (chapter 7).
///
/// Forward: out[n, c, oh, ow] = max over the window x[n, c, oh·S + i − P, ow·S + j − P],
/// 0 ≤ i < PH, 0 ≤ j < PW, of the positions inside the image.
/// Backward: each dout goes to the argmax of its window (added up where windows overlap);
/// every other position gets 0. Ties go to the first maximum in row-major order, as
/// `np.argmax` does.
///
/// Output size OH = ⌊(H + 2P − PH)/S⌋ + 1 (floor when S does not divide, like
/// [`conv_output_size`]): a 2×2, stride-2 pool of a 7×7 map gives 3×3, the last row and
/// column are not pooled.
///
/// Where we differ from the book: the book pads with zeros before taking the max, which
/// is wrong for negative inputs (a window of −3 and padding gives 0), and its reshape
/// crashes when pad ≠ 0. Here padding positions are simply excluded from the max (the
/// same as padding with −∞), which is why the pad must be smaller than the window
/// (every window then holds at least one real value). We loop over each (N, C) plane
/// directly instead of going through im2col (several times faster) and remember the
/// argmax index of every window (the book's `arg_max`).
///
/// # Shapes
/// `x`: (N, C, H, W) → output (N, C, OH, OW); `dout` (N, C, OH, OW) → ∂L/∂x (N, C, H, W).
///
/// ```
/// use dlfs::layers::{Layer, Pooling};
/// use dlfs::ndarray::Array4;
/// let mut pool = Pooling::new(2, 2, 2, 0);
/// let x = Array4::from_shape_vec((1, 1, 2, 4), vec![1., 5., -1., -2., 3., 2., -4., -3.]).unwrap();
/// let y = pool.forward(&x.into_dyn(), true);
/// assert_eq!(y.iter().copied().collect::<Vec<_>>(), vec![5.0, -1.0]);
/// let dx = pool.backward(&Array4::from_elem((1, 1, 1, 2), 10.0).into_dyn());
/// assert_eq!(dx.iter().copied().collect::<Vec<_>>(), vec![0., 10., 10., 0., 0., 0., 0., 0.]);
/// ```
///
/// # Panics
/// `new` if the stride is 0 or the pad is not smaller than the window; `forward` if `x` is
/// not 4-D or the padded image is smaller than the window; `backward` if `dout` does not
/// have the forward output's shape or comes before `forward`.
#[derive(Debug, Clone)]
pub struct Pooling {
    /// Window height PH.
    pub pool_h: usize,
    /// Window width PW.
    pub pool_w: usize,
    /// Stride S.
    pub stride: usize,
    /// Padding P on each side (excluded from the max).
    pub pad: usize,
    /// The last input's shape (N, C, H, W).
    pub x_shape: Vec<usize>,
    /// For each output element (row-major), the flat index into the input of its maximum.
    pub arg_max: Vec<usize>,
    pub(crate) out_shape: [usize; 4],
}

impl Pooling {
    /// Max pooling over `pool_h`×`pool_w` windows with `stride` and `pad`.
    ///
    /// # Panics
    /// If `stride` is 0, or `pad` ≥ `pool_h` or `pad` ≥ `pool_w`.
    #[track_caller]
    pub fn new(pool_h: usize, pool_w: usize, stride: usize, pad: usize) -> Self {
        assert!(stride > 0, "Pooling.new: stride must be at least 1");
        assert!(
            pad < pool_h && pad < pool_w,
            "Pooling.new: pad {pad} must be smaller than the {pool_h}×{pool_w} window \
             (a window entirely in the padding has no maximum)"
        );
        Self {
            pool_h,
            pool_w,
            stride,
            pad,
            x_shape: Vec::new(),
            arg_max: Vec::new(),
            out_shape: [0; 4],
        }
    }

    /// Max of every window of one (H, W) plane `xp`: the values into `op`, their flat
    /// indices into the whole batch (`base` + index in the plane) into `ap`.
    pub(crate) fn max_pool_plane(
        &self,
        xp: &[f64],
        (h, w): (usize, usize),
        (oh, ow): (usize, usize),
        base: usize,
        op: &mut [f64],
        ap: &mut [usize],
    ) {
        // Written as selects (not a branch): random data would mispredict a branch about
        // half the time. Ties keep the first maximum in row-major order.
        let better = |v: f64, i: usize, (bv, bi): (f64, usize)| {
            let gt = v > bv;
            (if gt { v } else { bv }, if gt { i } else { bi })
        };
        let (ph, pw, s, p) = (self.pool_h, self.pool_w, self.stride, self.pad);
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
}

impl Layer for Pooling {
    fn kind(&self) -> &'static str {
        "Pooling"
    }

    #[track_caller]
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        let sh = x.shape();
        let (ph, pw, s, p) = (self.pool_h, self.pool_w, self.stride, self.pad);
        if sh.len() != 4 || ph > sh[2] + 2 * p || pw > sh[3] + 2 * p {
            shape_mismatch(
                "Pooling",
                "forward",
                sh,
                &format!("(N, C, H, W) with H + 2·{p} ≥ {ph} and W + 2·{p} ≥ {pw}"),
            );
        }
        let (n, c, h, w) = (sh[0], sh[1], sh[2], sh[3]);
        let oh = conv_output_size(h, ph, s, p);
        let ow = conv_output_size(w, pw, s, p);
        let x = x.as_standard_layout();
        let xs = x.as_slice().expect("standard layout");
        let mut out = Array4::<f64>::zeros((n, c, oh, ow));
        // the index buffer of the last step is reused (every entry is overwritten)
        let mut arg = std::mem::take(&mut self.arg_max);
        arg.resize(n * c * oh * ow, 0);
        let plane = h * w;
        if plane > 0 {
            let outs = out.as_slice_mut().expect("owned");
            // one (n, c) plane at a time, planes spread over the threads
            outs.par_chunks_mut(oh * ow)
                .zip(arg.par_chunks_mut(oh * ow))
                .zip(xs.par_chunks(plane))
                .enumerate()
                .with_min_len(PLANES_PER_JOB)
                .for_each(|(pi, ((op, ap), xp))| {
                    self.max_pool_plane(xp, (h, w), (oh, ow), pi * plane, op, ap)
                });
        }
        self.x_shape = sh.to_vec();
        self.arg_max = arg;
        self.out_shape = [n, c, oh, ow];
        out.into_dyn()
    }

    #[track_caller]
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        if self.x_shape.is_empty() {
            panic!("Pooling.backward: called before forward")
        }
        if dout.shape() != self.out_shape {
            shape_mismatch(
                "Pooling",
                "backward",
                dout.shape(),
                &format!("dout of shape {:?} (the forward output's)", self.out_shape),
            );
        }
        // not zero-filled here: each plane is zeroed by the thread that scatters into it
        let mut dx = ArrayD::<f64>::uninit(IxDyn(&self.x_shape));
        let dout = dout.as_standard_layout();
        let ds = dout.as_slice().expect("standard layout");
        let [_, _, h, w] = self.x_shape[..] else {
            unreachable!("forward stored a 4-D shape")
        };
        let (plane, out_plane) = (h * w, self.out_shape[2] * self.out_shape[3]);
        let dxs = dx.as_slice_mut().expect("owned");
        if out_plane == 0 {
            dxs.iter_mut().for_each(|v| {
                v.write(0.0);
            });
        } else if plane > 0 {
            // each plane's gradients land in its own plane of dx
            dxs.par_chunks_mut(plane)
                .zip(ds.par_chunks(out_plane))
                .zip(self.arg_max.par_chunks(out_plane))
                .enumerate()
                .with_min_len(PLANES_PER_JOB)
                .for_each(|(pi, ((dxp, dp), ap))| {
                    dxp.iter_mut().for_each(|v| {
                        v.write(0.0);
                    });
                    // SAFETY: every element of the plane was just written
                    let dxp: &mut [f64] = unsafe {
                        std::slice::from_raw_parts_mut(dxp.as_mut_ptr().cast(), dxp.len())
                    };
                    for (&a, &d) in ap.iter().zip(dp) {
                        dxp[a - pi * plane] += d;
                    }
                });
        }
        // SAFETY: every element was written above (an empty array has none)
        unsafe { dx.assume_init() }
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}

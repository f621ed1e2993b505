//! Max pooling over (N, C, H, W) planes, and its backward scatter. Plain versions:
//! [`super::reference::max_pool`], [`super::reference::max_pool_backward`].

use ndarray::{Array4, ArrayD, ArrayView4, IxDyn};
use rayon::prelude::*;

use super::conv_output_size;
use super::split_len;

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
#[allow(clippy::too_many_arguments)]
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
    // half the time. `v != v` is NaN: it wins over any number (a later NaN wins over an
    // earlier one, so the last NaN of a window is the one kept).
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
        // the book's 2×2 stride-2 pool: whole windows, 8 or 4 at a time where the CPU has
        // AVX-512F or AVX2 (the crate is compiled for SSE2); the same selects, the same
        // results (`tests::vector_pool_is_the_scalar_pool`)
        #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
        {
            assert!(op.len() >= oh * ow && ap.len() >= oh * ow && xp.len() >= 2 * oh * w);
            assert!(
                2 * ow <= w,
                "2×2 pool: {ow} outputs need {} columns, have {w}",
                2 * ow
            );
            if ow >= 8 && super::cpu::avx512() {
                // SAFETY: AVX-512F present; the lengths were checked above.
                unsafe { x86::pool2_512(xp, w, (oh, ow), base, op, ap) };
                return;
            }
            if ow >= 4 && std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 present; the lengths were checked above.
                unsafe { x86::pool2_256(xp, w, (oh, ow), base, op, ap) };
                return;
            }
        }
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
    } else {
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

/// The 2×2 stride-2 pool with vectors: the outputs of a row go 8 (or 4) at a time, the last
/// group ending at the row's end (it may overlap the one before: those outputs are
/// computed twice, the same both times). The even and odd columns of the two input rows
/// are the window's four candidates, taken in the scalar loop's order with the same
/// selects: greater, or NaN, wins.
#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
mod x86 {
    use std::arch::x86_64::*;

    /// # Safety
    /// AVX-512F present; `ow` ≥ 8, 2·`ow` ≤ `w`; `xp` holds 2·`oh` rows of `w`, `op` and
    /// `ap` `oh`·`ow` values.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn pool2_512(
        xp: &[f64],
        w: usize,
        (oh, ow): (usize, usize),
        base: usize,
        op: &mut [f64],
        ap: &mut [usize],
    ) {
        let even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
        let odd = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
        let lane2 = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
        let (xp, op, ap) = (xp.as_ptr(), op.as_mut_ptr(), ap.as_mut_ptr());
        for y in 0..oh {
            let mut xo = 0;
            loop {
                let x0 = xo.min(ow - 8);
                // SAFETY: columns 2·x0 .. 2·x0 + 16 ≤ 2·ow ≤ w of rows 2y, 2y + 1; outputs
                // x0 .. x0 + 8 ≤ ow of row y
                unsafe {
                    let r0 = xp.add(2 * y * w + 2 * x0);
                    let r1 = r0.add(w);
                    let (a0, b0) = (_mm512_loadu_pd(r0), _mm512_loadu_pd(r0.add(8)));
                    let (a1, b1) = (_mm512_loadu_pd(r1), _mm512_loadu_pd(r1.add(8)));
                    let i0 = _mm512_add_epi64(
                        _mm512_set1_epi64((base + 2 * y * w + 2 * x0) as i64),
                        lane2,
                    );
                    let mut best = _mm512_permutex2var_pd(a0, even, b0);
                    let mut idx = i0;
                    for (v, d) in [
                        (_mm512_permutex2var_pd(a0, odd, b0), 1),
                        (_mm512_permutex2var_pd(a1, even, b1), w),
                        (_mm512_permutex2var_pd(a1, odd, b1), w + 1),
                    ] {
                        let gt = _mm512_cmp_pd_mask::<_CMP_GT_OQ>(v, best)
                            | _mm512_cmp_pd_mask::<_CMP_UNORD_Q>(v, v);
                        best = _mm512_mask_blend_pd(gt, best, v);
                        let cand = _mm512_add_epi64(i0, _mm512_set1_epi64(d as i64));
                        idx = _mm512_mask_blend_epi64(gt, idx, cand);
                    }
                    _mm512_storeu_pd(op.add(y * ow + x0), best);
                    _mm512_storeu_si512(ap.add(y * ow + x0).cast(), idx);
                }
                if x0 + 8 >= ow {
                    break;
                }
                xo += 8;
            }
        }
    }

    /// # Safety
    /// AVX2 present; `ow` ≥ 4, 2·`ow` ≤ `w`; `xp` holds 2·`oh` rows of `w`, `op` and `ap`
    /// `oh`·`ow` values.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn pool2_256(
        xp: &[f64],
        w: usize,
        (oh, ow): (usize, usize),
        base: usize,
        op: &mut [f64],
        ap: &mut [usize],
    ) {
        // [a0, b0, a2, b2] → [a0, a2, b0, b2]
        const ORDER: i32 = 0b11_01_10_00;
        let lane2 = _mm256_set_epi64x(6, 4, 2, 0);
        let (xp, op, ap) = (xp.as_ptr(), op.as_mut_ptr(), ap.as_mut_ptr());
        for y in 0..oh {
            let mut xo = 0;
            loop {
                let x0 = xo.min(ow - 4);
                // SAFETY: columns 2·x0 .. 2·x0 + 8 ≤ 2·ow ≤ w of rows 2y, 2y + 1; outputs
                // x0 .. x0 + 4 ≤ ow of row y
                unsafe {
                    let r0 = xp.add(2 * y * w + 2 * x0);
                    let r1 = r0.add(w);
                    let (a0, b0) = (_mm256_loadu_pd(r0), _mm256_loadu_pd(r0.add(4)));
                    let (a1, b1) = (_mm256_loadu_pd(r1), _mm256_loadu_pd(r1.add(4)));
                    let i0 = _mm256_add_epi64(
                        _mm256_set1_epi64x((base + 2 * y * w + 2 * x0) as i64),
                        lane2,
                    );
                    let mut best = _mm256_permute4x64_pd::<ORDER>(_mm256_unpacklo_pd(a0, b0));
                    let mut idx = i0;
                    for (v, d) in [
                        (
                            _mm256_permute4x64_pd::<ORDER>(_mm256_unpackhi_pd(a0, b0)),
                            1,
                        ),
                        (
                            _mm256_permute4x64_pd::<ORDER>(_mm256_unpacklo_pd(a1, b1)),
                            w,
                        ),
                        (
                            _mm256_permute4x64_pd::<ORDER>(_mm256_unpackhi_pd(a1, b1)),
                            w + 1,
                        ),
                    ] {
                        let gt = _mm256_or_pd(
                            _mm256_cmp_pd::<_CMP_GT_OQ>(v, best),
                            _mm256_cmp_pd::<_CMP_UNORD_Q>(v, v),
                        );
                        best = _mm256_blendv_pd(best, v, gt);
                        let cand = _mm256_add_epi64(i0, _mm256_set1_epi64x(d as i64));
                        idx = _mm256_castpd_si256(_mm256_blendv_pd(
                            _mm256_castsi256_pd(idx),
                            _mm256_castsi256_pd(cand),
                            gt,
                        ));
                    }
                    _mm256_storeu_pd(op.add(y * ow + x0), best);
                    _mm256_storeu_si256(ap.add(y * ow + x0).cast(), idx);
                }
                if x0 + 4 >= ow {
                    break;
                }
                xo += 4;
            }
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
    let oh = conv_output_size(h, win.h, win.stride, win.pad);
    let ow = conv_output_size(w, win.w, win.stride, win.pad);
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
/// index `arg[i]` of a zero array of `x_shape` (N, C, H, W). Each plane is zeroed by the
/// thread that scatters into it, right before (so every thread writes zeros, into a plane
/// that is then in its cache, instead of one thread zeroing all of dx first).
pub(crate) fn max_pool_backward(dout: &[f64], arg: &[usize], x_shape: &[usize]) -> ArrayD<f64> {
    let plane = x_shape[2] * x_shape[3];
    let planes = x_shape[0] * x_shape[1];
    if plane == 0 || planes == 0 || dout.is_empty() {
        return ArrayD::<f64>::zeros(IxDyn(x_shape));
    }
    let mut dx = Vec::<f64>::with_capacity(planes * plane);
    let out_plane = dout.len() / planes;
    let dxs = &mut dx.spare_capacity_mut()[..planes * plane];
    // each plane's gradients land in its own plane of dx
    let job = |pi: usize, dxp: &mut [std::mem::MaybeUninit<f64>], dp: &[f64], ap: &[usize]| {
        dxp.fill(std::mem::MaybeUninit::new(0.0));
        // SAFETY: every value of the plane was just written (0.0)
        let dxp: &mut [f64] = unsafe { &mut *(dxp as *mut [_] as *mut [f64]) };
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
    // SAFETY: the jobs wrote every plane, all planes·plane values
    unsafe { dx.set_len(planes * plane) };
    ArrayD::from_shape_vec(IxDyn(x_shape), dx).expect("one value per element")
}

#[cfg(all(test, target_arch = "x86_64", target_pointer_width = "64"))]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The scalar loop of [`max_pool_plane`]'s 2×2 branch, and its ReLU, as they run on a
    /// CPU without vectors: the vector paths must give exactly its maxima and indices.
    fn scalar(
        xp: &[f64],
        w: usize,
        (oh, ow): (usize, usize),
        base: usize,
    ) -> (Vec<f64>, Vec<usize>) {
        let (mut op, mut ap) = (vec![0.0; oh * ow], vec![0; oh * ow]);
        for y in 0..oh {
            for xo in 0..ow {
                let i0 = 2 * y * w + 2 * xo;
                let mut best = (xp[i0], base + i0);
                for d in [1, w, w + 1] {
                    let v = xp[i0 + d];
                    #[allow(clippy::eq_op)]
                    if v > best.0 || v != v {
                        best = (v, base + i0 + d);
                    }
                }
                (op[y * ow + xo], ap[y * ow + xo]) = best;
            }
        }
        (op, ap)
    }

    #[test]
    fn vector_pool_is_the_scalar_pool() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        // widths with 4, 8, 12, 16, 20 outputs per row; 6, 7 and 14, where the last group
        // overlaps the one before; and odd widths whose last column is not pooled
        for (h, w) in [
            (8, 8),
            (24, 24),
            (4, 16),
            (6, 32),
            (2, 41),
            (10, 40),
            (6, 12),
            (6, 15),
            (4, 28),
        ] {
            let (oh, ow) = (h / 2, w / 2);
            // ties (values from a few integers), NaNs, -0.0 beside 0.0, and windows whose
            // maximum is ≤ 0 (for the ReLU)
            let xp: Vec<f64> = (0..h * w)
                .map(|_| match rng.random_range(0..10) {
                    0 => f64::NAN,
                    1 => -0.0,
                    r => (r % 4) as f64 - 2.0,
                })
                .collect();
            let base = 1000 * w;
            type Kernel = unsafe fn(&[f64], usize, (usize, usize), usize, &mut [f64], &mut [usize]);
            let mut kernels: Vec<(&str, Kernel)> = Vec::new();
            if ow >= 8 && std::arch::is_x86_feature_detected!("avx512f") {
                kernels.push(("AVX-512", x86::pool2_512));
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                kernels.push(("AVX2", x86::pool2_256));
            }
            for (name, k) in &kernels {
                let (want_o, want_a) = scalar(&xp, w, (oh, ow), base);
                let (mut op, mut ap) = (vec![7.0; oh * ow], vec![7; oh * ow]);
                // SAFETY: the CPU has the kernel's features; the sizes fit
                unsafe { k(&xp, w, (oh, ow), base, &mut op, &mut ap) };
                for i in 0..oh * ow {
                    assert!(
                        op[i].to_bits() == want_o[i].to_bits() && ap[i] == want_a[i],
                        "{name} pool, plane {h}×{w}, output ({}, {}): got {} at {}, the scalar loop gives {} at {}",
                        i / ow,
                        i % ow,
                        op[i],
                        ap[i],
                        want_o[i],
                        want_a[i]
                    );
                }
            }
        }
    }
}

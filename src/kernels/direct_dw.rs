//! The convolution's weight gradient read straight from the input, without im2col: the
//! backward of [`super::conv`] where the CPU has fused multiply-adds.
//!
//! ∂L/∂W₂[f, (c, i, j)] = Σₚ dact[p, f] · x[c, y·S + i, x·S + j] over the positions
//! p = (sample, y, x) of a chunk. Through im2col this is the product dactᵀ · col, whose
//! (FN, C·FH·FW) result is tiny (30 × 25 for SimpleConvNet) beside its inner dimension
//! (8 samples × 576 positions): the product spends much of its time packing both
//! operands, and im2col writes every input value FH·FW times first. Here the filters are
//! the vector lanes (32 of them in 4 AVX-512 vectors, 16 in 4 AVX2 vectors): in each pass,
//! one filter row (c, i) and up to 5 of its columns j (2 with AVX2, and there for one group
//! of 16 filters), each position's row of dact is loaded once and multiplied by the input
//! values under those columns, broadcast, into sums that stay in registers for the whole
//! chunk.
//!
//! Every output is one chain of fused multiply-adds from zero over the positions in order,
//! on either instruction set, so the two give the same bits (`tests::both_paths_give_the_
//! ordered_sums`); the result differs from the product's in the last digits (the product
//! sums in another order) and agrees with it to rounding (`tests/conv_kernels.rs`). Padding is
//! handled by a padded copy of the chunk's input.

/// `grads` ← dW (FN, C·FH·FW) followed by db (FN), of one chunk: `m` samples of input `x`
/// (C, H, W each), whose activation gradients `dact` are laid out (m·OH·OW, FN). db is
/// Σₚ dact[p, f], added in the positions' order from zero, as the layer's plain loop does.
/// `pad_buf` is scratch for a padded copy of the input (used when the geometry has
/// padding). Returns `false`, and writes nothing, where the kernel does not apply (more
/// than 32 filters, or a CPU without fused multiply-adds): the caller then takes the im2col
/// product.
///
/// # Panics
/// If a slice is shorter than the shapes need, or `g`'s output size does not fit its input.
pub(crate) fn weight_grad(
    g: &super::Geom,
    fnum: usize,
    m: usize,
    dact: &[f64],
    x: &[f64],
    pad_buf: &mut Vec<f64>,
    grads: &mut [f64],
) -> bool {
    if fnum == 0 || fnum > MAX_FILTERS || !x86::available() {
        return false;
    }
    let (rows, per_in, k) = (g.oh * g.ow, g.c * g.h * g.w, g.cols());
    assert!(
        dact.len() >= m * rows * fnum && x.len() >= m * per_in && grads.len() >= fnum * k + fnum,
        "direct dW: slices too short for {m} samples of {g:?} with {fnum} filters"
    );
    let (x, h, w) = g.padded(m, x, pad_buf);
    // every window the kernel reads lies in the padded input (Geom::new makes it so; its
    // fields are public, so a hand-made one is checked here)
    assert!(
        g.oh > 0
            && g.ow > 0
            && (g.oh - 1) * g.stride + g.fh <= h
            && (g.ow - 1) * g.stride + g.fw <= w,
        "direct dW: {g:?} has windows outside its padded input ({h}, {w})"
    );
    let shape = Shape {
        m,
        c: g.c,
        h,
        w,
        fh: g.fh,
        fw: g.fw,
        stride: g.stride,
        oh: g.oh,
        ow: g.ow,
        fnum,
    };
    let (dw, db) = grads.split_at_mut(fnum * k);
    // SAFETY: the CPU has FMA (available, above); the slices hold what the shape names
    // (the lengths and the windows were checked above).
    unsafe { x86::run(&shape, dact, x, dw, db) };
    super::gemm::count_product(fnum, m * rows, k);
    true
}

/// The most filters the kernel takes (4 vectors of 8 lanes).
pub(crate) const MAX_FILTERS: usize = 32;

/// The sizes the kernel loops over: an unpadded input (C, H, W) per sample.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
struct Shape {
    m: usize,
    c: usize,
    h: usize,
    w: usize,
    fh: usize,
    fw: usize,
    stride: usize,
    oh: usize,
    ow: usize,
    fnum: usize,
}

#[cfg(not(target_arch = "x86_64"))]
mod x86 {
    pub(super) fn available() -> bool {
        false
    }
    pub(super) unsafe fn run(_: &super::Shape, _: &[f64], _: &[f64], _: &mut [f64], _: &mut [f64]) {
        unreachable!("not available")
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Shape;
    use std::arch::x86_64::*;

    /// Filter columns j per pass: AVX-512 keeps 5 × 4 sums in its 32 registers, AVX2 2 × 4
    /// in its 16.
    const J512: usize = 5;
    const J256: usize = 2;

    use crate::kernels::cpu::avx512;
    pub(super) use crate::kernels::cpu::fma as available;

    /// Writes dW and db with the widest instruction set the CPU has.
    ///
    /// # Safety
    /// AVX-512F or AVX2 with FMA present; `dact` holds m·OH·OW·FN values, `x` m·C·H·W,
    /// `dw` FN·C·FH·FW, `db` FN, and every window of `s` lies in its (H, W).
    pub(super) unsafe fn run(s: &Shape, dact: &[f64], x: &[f64], dw: &mut [f64], db: &mut [f64]) {
        // SAFETY: forwarded from the caller
        unsafe {
            if avx512() {
                run512(s, dact, x, dw, db)
            } else {
                run256(s, dact, x, dw, db)
            }
        }
    }

    /// Calls `$f::<J, $db>` for the run-time column count `$j` (1 ..= 5).
    macro_rules! by_cols {
        ($j:expr, $f:ident::<$db:literal> ( $($arg:expr),* )) => {
            match $j {
                5 => $f::<5, $db>($($arg),*),
                4 => $f::<4, $db>($($arg),*),
                3 => $f::<3, $db>($($arg),*),
                2 => $f::<2, $db>($($arg),*),
                _ => $f::<1, $db>($($arg),*),
            }
        };
    }

    /// Calls the pass for (c, i, j0) with `DB` set in the first pass only.
    macro_rules! pass {
        ($j:expr, $first:expr, $f:ident ( $($arg:expr),* )) => {
            if $first {
                by_cols!($j, $f::<true>($($arg),*))
            } else {
                by_cols!($j, $f::<false>($($arg),*))
            }
        };
    }

    /// # Safety
    /// AVX-512F present; `dact` holds m·OH·OW·FN values, `x` m·C·H·W, `dw` FN·C·FH·FW.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn run512(
        s: &Shape,
        dact: &[f64],
        x: &[f64],
        dw: &mut [f64],
        db: &mut [f64],
    ) {
        for c in 0..s.c {
            for i in 0..s.fh {
                for j0 in (0..s.fw).step_by(J512) {
                    let jn = (s.fw - j0).min(J512);
                    let first = (c, i, j0) == (0, 0, 0);
                    // SAFETY: forwarded from the caller
                    unsafe { pass!(jn, first, pass512(s, (c, i, j0), dact, x, dw, db)) };
                }
            }
        }
    }

    /// The sums of filter row (c, i), columns j0 .. j0 + J, for all filters; with `DB`
    /// also db, the sums of dact.
    #[target_feature(enable = "avx512f")]
    unsafe fn pass512<const J: usize, const DB: bool>(
        s: &Shape,
        (c, i, j0): (usize, usize, usize),
        dact: &[f64],
        x: &[f64],
        dw: &mut [f64],
        db: &mut [f64],
    ) {
        let masks: [u8; 4] = std::array::from_fn(|v| lanes(s.fnum, 8 * v, 8));
        let mut acc = [[_mm512_setzero_pd(); 4]; J];
        let mut acc_db = [_mm512_setzero_pd(); 4];
        let (d, xp) = (dact.as_ptr(), x.as_ptr());
        for n in 0..s.m {
            for y in 0..s.oh {
                // the input row under filter row i at output row y, from column j0
                let xrow = ((n * s.c + c) * s.h + y * s.stride + i) * s.w + j0;
                let drow = (n * s.oh + y) * s.ow * s.fnum;
                for xo in 0..s.ow {
                    // SAFETY: position (n, y, xo)'s FN gradients (lanes past FN masked, not
                    // read) and its J input values, in bounds by the shapes
                    unsafe {
                        let dp = d.add(drow + xo * s.fnum);
                        let dv: [__m512d; 4] = std::array::from_fn(|v| {
                            // (wrapping: a vector past FN may point past the buffer;
                            // its mask is 0 and nothing is read)
                            _mm512_maskz_loadu_pd(masks[v], dp.wrapping_add(8 * v))
                        });
                        if DB {
                            for (a, dv) in acc_db.iter_mut().zip(&dv) {
                                *a = _mm512_add_pd(*a, *dv);
                            }
                        }
                        let xv = xp.add(xrow + xo * s.stride);
                        for (j, row) in acc.iter_mut().enumerate() {
                            let b = _mm512_set1_pd(*xv.add(j));
                            for (a, dv) in row.iter_mut().zip(&dv) {
                                *a = _mm512_fmadd_pd(*dv, b, *a);
                            }
                        }
                    }
                }
            }
        }
        let k = s.c * s.fh * s.fw;
        let col = (c * s.fh + i) * s.fw + j0;
        let mut lanes8 = [0.0; 8];
        if DB {
            for (v, a) in acc_db.iter().enumerate() {
                // SAFETY: 8 values into an array of 8
                unsafe { _mm512_storeu_pd(lanes8.as_mut_ptr(), *a) };
                let first = 8 * v;
                let len = s.fnum.saturating_sub(first).min(8);
                if len > 0 {
                    db[first..first + len].copy_from_slice(&lanes8[..len]);
                }
            }
        }
        for (j, row) in acc.iter().enumerate() {
            for (v, a) in row.iter().enumerate() {
                // SAFETY: 8 values into an array of 8
                unsafe { _mm512_storeu_pd(lanes8.as_mut_ptr(), *a) };
                for (l, &val) in lanes8.iter().enumerate().take(s.fnum.saturating_sub(8 * v)) {
                    dw[(8 * v + l) * k + col + j] = val;
                }
            }
        }
    }

    /// # Safety
    /// AVX2 and FMA present; `dact` holds m·OH·OW·FN values, `x` m·C·H·W, `dw` FN·C·FH·FW.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn run256(
        s: &Shape,
        dact: &[f64],
        x: &[f64],
        dw: &mut [f64],
        db: &mut [f64],
    ) {
        for f0 in (0..s.fnum).step_by(16) {
            for c in 0..s.c {
                for i in 0..s.fh {
                    for j0 in (0..s.fw).step_by(J256) {
                        let jn = (s.fw - j0).min(J256);
                        let first = (c, i, j0) == (0, 0, 0);
                        // SAFETY: forwarded from the caller
                        unsafe { pass!(jn, first, pass256(s, f0, (c, i, j0), dact, x, dw, db)) };
                    }
                }
            }
        }
    }

    /// The sums of filter row (c, i), columns j0 .. j0 + J, for filters f0 .. f0 + 16; with
    /// `DB` also their db.
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn pass256<const J: usize, const DB: bool>(
        s: &Shape,
        f0: usize,
        (c, i, j0): (usize, usize, usize),
        dact: &[f64],
        x: &[f64],
        dw: &mut [f64],
        db: &mut [f64],
    ) {
        // a lane is loaded where its mask's top bit is set
        let masks: [__m256i; 4] = std::array::from_fn(|v| {
            let on = |l: usize| if f0 + 4 * v + l < s.fnum { -1 } else { 0 };
            _mm256_set_epi64x(on(3), on(2), on(1), on(0))
        });
        let mut acc = [[_mm256_setzero_pd(); 4]; J];
        let mut acc_db = [_mm256_setzero_pd(); 4];
        let (d, xp) = (dact.as_ptr(), x.as_ptr());
        for n in 0..s.m {
            for y in 0..s.oh {
                let xrow = ((n * s.c + c) * s.h + y * s.stride + i) * s.w + j0;
                let drow = (n * s.oh + y) * s.ow * s.fnum + f0;
                for xo in 0..s.ow {
                    // SAFETY: as in pass512 (masked lanes are not read)
                    unsafe {
                        let dp = d.add(drow + xo * s.fnum);
                        let dv: [__m256d; 4] = std::array::from_fn(|v| {
                            // (wrapping: as in pass512)
                            _mm256_maskload_pd(dp.wrapping_add(4 * v), masks[v])
                        });
                        if DB {
                            for (a, dv) in acc_db.iter_mut().zip(&dv) {
                                *a = _mm256_add_pd(*a, *dv);
                            }
                        }
                        let xv = xp.add(xrow + xo * s.stride);
                        for (j, row) in acc.iter_mut().enumerate() {
                            let b = _mm256_set1_pd(*xv.add(j));
                            for (a, dv) in row.iter_mut().zip(&dv) {
                                *a = _mm256_fmadd_pd(*dv, b, *a);
                            }
                        }
                    }
                }
            }
        }
        let k = s.c * s.fh * s.fw;
        let col = (c * s.fh + i) * s.fw + j0;
        let mut lanes4 = [0.0; 4];
        if DB {
            for (v, a) in acc_db.iter().enumerate() {
                // SAFETY: 4 values into an array of 4
                unsafe { _mm256_storeu_pd(lanes4.as_mut_ptr(), *a) };
                let first = f0 + 4 * v;
                let len = s.fnum.saturating_sub(first).min(4);
                if len > 0 {
                    db[first..first + len].copy_from_slice(&lanes4[..len]);
                }
            }
        }
        for (j, row) in acc.iter().enumerate() {
            for (v, a) in row.iter().enumerate() {
                // SAFETY: 4 values into an array of 4
                unsafe { _mm256_storeu_pd(lanes4.as_mut_ptr(), *a) };
                let first = f0 + 4 * v;
                for (l, &val) in lanes4.iter().enumerate().take(s.fnum.saturating_sub(first)) {
                    dw[(first + l) * k + col + j] = val;
                }
            }
        }
    }

    /// The mask of `width` lanes starting at filter `first`: those below `fnum` on.
    fn lanes(fnum: usize, first: usize, width: usize) -> u8 {
        let on = fnum.saturating_sub(first).min(width);
        ((1u16 << on) - 1) as u8
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::kernels::Geom;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// dW and db in the kernels' order: one fused multiply-add (one addition for db) per
    /// position, in order; dW's values, then db's.
    fn ordered(g: &Geom, fnum: usize, m: usize, dact: &[f64], x: &[f64]) -> Vec<f64> {
        let k = g.cols();
        let mut dw = vec![0.0; fnum * k + fnum];
        for (p, row) in dact[..m * g.oh * g.ow * fnum]
            .chunks_exact(fnum)
            .enumerate()
        {
            for (f, &d) in row.iter().enumerate() {
                // the first position's term added to 0.0, as the kernels do
                dw[fnum * k + f] = if p == 0 {
                    0.0 + d
                } else {
                    dw[fnum * k + f] + d
                };
            }
        }
        for f in 0..fnum {
            for c in 0..g.c {
                for i in 0..g.fh {
                    for j in 0..g.fw {
                        let mut acc = 0.0f64;
                        for n in 0..m {
                            for y in 0..g.oh {
                                for xo in 0..g.ow {
                                    // the input value under (i, j), 0 in the padding
                                    let (yy, xx) = (y * g.stride + i, xo * g.stride + j);
                                    let v = if yy < g.pad
                                        || xx < g.pad
                                        || yy >= g.pad + g.h
                                        || xx >= g.pad + g.w
                                    {
                                        0.0
                                    } else {
                                        x[((n * g.c + c) * g.h + yy - g.pad) * g.w + xx - g.pad]
                                    };
                                    let d = dact[((n * g.oh + y) * g.ow + xo) * fnum + f];
                                    acc = d.mul_add(v, acc);
                                }
                            }
                        }
                        dw[f * k + (c * g.fh + i) * g.fw + j] = acc;
                    }
                }
            }
        }
        dw
    }

    #[test]
    fn both_paths_give_the_ordered_sums() {
        if !x86::available() {
            eprintln!("no FMA on this CPU: the direct dW kernel is not used, nothing to test");
            return;
        }
        let mut r = ChaCha8Rng::seed_from_u64(11);
        // (N, C, H, W), FH, FW, stride, pad, FN: SimpleConvNet's, channels, strides,
        // padding, filter widths 1–9 (column passes of 5 + 2, 5 + 4, 4), filter counts
        // around the vectors' edges (1, 8, 12, 17, 30, 32)
        let cases = [
            ([8, 1, 28, 28], 5, 5, 1, 0, 30),
            ([3, 2, 9, 11], 3, 3, 1, 1, 8),
            ([2, 3, 10, 9], 3, 2, 2, 0, 17),
            ([1, 1, 12, 12], 7, 7, 1, 2, 32),
            ([2, 2, 7, 8], 1, 6, 3, 1, 1),
            ([5, 1, 6, 6], 6, 1, 1, 0, 5),
            // passes of 5 + 4 and of 4 columns
            ([2, 1, 12, 14], 2, 9, 1, 0, 12),
            ([1, 2, 8, 8], 3, 4, 1, 1, 30),
        ];
        for (shape, fh, fw, stride, pad, fnum) in cases {
            let g = Geom::new("test", &shape, fh, fw, stride, pad);
            let m = shape[0];
            let mut uniform =
                |len: usize| -> Vec<f64> { (0..len).map(|_| r.random_range(-1.0..1.0)).collect() };
            let x = uniform(m * g.c * g.h * g.w);
            let dact = uniform(m * g.oh * g.ow * fnum);
            let want = ordered(&g, fnum, m, &dact, &x);
            let mut paths: Vec<&str> = vec!["dispatched"];
            if crate::kernels::cpu::avx2_fma() {
                paths.push("AVX2");
            }
            for path in paths {
                let mut dw = vec![f64::NAN; fnum * g.cols() + fnum];
                let mut buf = Vec::new();
                if path == "AVX2" {
                    // the AVX2 kernel on its own, also on a CPU that has AVX-512
                    let (x, h, w) = g.padded(m, &x, &mut buf);
                    let s = Shape {
                        m,
                        c: g.c,
                        h,
                        w,
                        fh,
                        fw,
                        stride,
                        oh: g.oh,
                        ow: g.ow,
                        fnum,
                    };
                    // SAFETY: the CPU has AVX2 and FMA; the slices fit the shape
                    let (dwv, dbv) = dw.split_at_mut(fnum * g.cols());
                    // SAFETY: the CPU has AVX2 and FMA; the slices fit the shape
                    unsafe { x86::run256(&s, &dact, x, dwv, dbv) };
                } else {
                    assert!(weight_grad(&g, fnum, m, &dact, &x, &mut buf, &mut dw));
                }
                for (e, (got, want)) in dw.iter().zip(&want).enumerate() {
                    let at = if e < fnum * g.cols() {
                        format!("dW[{}, {}]", e / g.cols(), e % g.cols())
                    } else {
                        format!("db[{}]", e - fnum * g.cols())
                    };
                    assert!(
                        got.to_bits() == want.to_bits(),
                        "{path} kernel, {g:?}, {fnum} filters: {at} = {got:e}, the ordered sum \
                         is {want:e}"
                    );
                }
            }
        }
    }

    #[test]
    fn declines_more_filters_than_its_lanes() {
        let g = Geom::new("test", &[1, 1, 4, 4], 2, 2, 1, 0);
        let (dact, x) = (vec![1.0; 9 * 33], vec![1.0; 16]);
        let mut grads = vec![0.0; 33 * 4 + 33];
        assert!(
            !weight_grad(&g, 33, 1, &dact, &x, &mut Vec::new(), &mut grads),
            "33 filters should be left to the product"
        );
    }
}

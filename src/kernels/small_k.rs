//! A matrix product over a short inner dimension, without packing: the first convolution's
//! forward in the fused layer ([`super::fused`]).
//!
//! SimpleConvNet's first convolution multiplies its 30 filters (30 × 25) by each sample's
//! transposed im2col rows (25 × 576). With K = 25, the gemm crate spends a large share of
//! the product copying both operands into its packed layout and storing its tiles, and the
//! bias is added in a second pass. Here the rows of B are read where they lie (they are
//! already in order), each tile of C keeps its sums in registers over the whole of K, and
//! the bias is added as the tile is stored.
//!
//! The sums are the gemm crate's, bit for bit: each output starts from zero and takes one
//! fused multiply-add per k, in order, as the crate's microkernels do for a K that fits in
//! one block (K ≤ [`MAX_K`]), and the bias is added after, as the layer did. So the kernel
//! runs only where the crate would use fused multiply-adds too (AVX-512F, or AVX2 with FMA);
//! elsewhere [`product_bias`] returns `false` and the caller uses the crate.
//! `tests::same_bits_as_gemm` holds it to that.

use std::mem::MaybeUninit;

/// The longest inner dimension the kernel takes. The gemm crate cuts K into blocks of at
/// least 512 (`gemm-common` 0.19's `kernel_params`), so up to here it sums each output in
/// one pass over K, which is the order the kernel copies.
pub(crate) const MAX_K: usize = 64;

/// c ← a·b + bias, row by row: `c[i·n + j] = Σₜ a[i·k + t] · b[t·ldb + j] + bias[i]`, for
/// i < m, j < n, with every element of `c` (m·n of them) written. Returns `false`, and
/// writes nothing, where the kernel does not apply (K > [`MAX_K`]; K ≤ 2, a single row or
/// a single column, where the crate takes other paths; a CPU without fused multiply-adds):
/// the caller then uses the general product.
///
/// # Panics
/// If a slice is shorter than the shapes need (a: m·k, bias: m, c: m·n, b: (k−1)·ldb + n
/// with ldb ≥ n).
pub(crate) fn product_bias(
    (m, n, k): (usize, usize, usize),
    a: &[f64],
    b: &[f64],
    ldb: usize,
    bias: &[f64],
    c: &mut [MaybeUninit<f64>],
) -> bool {
    // where the crate leaves its microkernels (gevv for K ≤ 2, gemv for one row or one
    // column), it groups the sums otherwise: those stay with the crate
    if !(3..=MAX_K).contains(&k) || m < 2 || n < 2 {
        return false;
    }
    assert!(
        a.len() >= m * k
            && bias.len() >= m
            && c.len() >= m * n
            && ldb >= n
            && b.len() >= (k - 1) * ldb + n,
        "small-K product: slices too short for ({m}, {k})·({k}, {n}) with ldb {ldb}"
    );
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F; the lengths were checked above.
            unsafe { x86::run512((m, n, k), a.as_ptr(), b.as_ptr(), ldb, bias.as_ptr(), c) };
            super::gemm::count_product(m, k, n);
            return true;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has AVX2 and FMA; the lengths were checked above.
            unsafe { x86::run256((m, n, k), a.as_ptr(), b.as_ptr(), ldb, bias.as_ptr(), c) };
            super::gemm::count_product(m, k, n);
            return true;
        }
    }
    false
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;
    use std::mem::MaybeUninit;

    /// Filters (rows of C) per AVX-512 tile; its columns are 3 vectors of 8, so a full tile
    /// keeps 24 of the 32 registers as sums.
    const FB512: usize = 8;
    /// Filters per AVX2 tile; 2 vectors of 4 columns, 12 of the 16 registers as sums.
    const FB256: usize = 6;

    /// Calls `$f::<R, $v>` for the run-time row count `$r` (1 ..= 8).
    macro_rules! by_rows {
        ($r:expr, $f:ident::<$v:literal> ( $($arg:expr),* )) => {
            match $r {
                8 => $f::<8, $v>($($arg),*),
                7 => $f::<7, $v>($($arg),*),
                6 => $f::<6, $v>($($arg),*),
                5 => $f::<5, $v>($($arg),*),
                4 => $f::<4, $v>($($arg),*),
                3 => $f::<3, $v>($($arg),*),
                2 => $f::<2, $v>($($arg),*),
                _ => $f::<1, $v>($($arg),*),
            }
        };
    }

    /// # Safety
    /// AVX-512F present; `a` holds m·k values, `bias` m, `b` (k−1)·ldb + n, c m·n.
    ///
    /// A panel of B's columns (K × 24, ≤ 13 KB for K ≤ 64) is multiplied by every block of
    /// rows of A before the next panel, so it is read from memory once and from L1 after.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn run512(
        (m, n, k): (usize, usize, usize),
        a: *const f64,
        b: *const f64,
        ldb: usize,
        bias: *const f64,
        c: &mut [MaybeUninit<f64>],
    ) {
        let c = c.as_mut_ptr().cast::<f64>();
        let mut j = 0;
        while j < n {
            // 24 columns (3 vectors), then 8, then the rest under a mask
            let width = if n - j >= 24 { 24 } else { (n - j).min(8) };
            let mask = if width >= 8 { 0xff } else { (1u8 << width) - 1 };
            let mut i = 0;
            while i < m {
                let r = (m - i).min(FB512);
                // SAFETY: rows i .. i + r of a, bias and c and columns j .. j + width of b
                // and c are in bounds.
                unsafe {
                    let (a, bias, c, b) = (a.add(i * k), bias.add(i), c.add(i * n + j), b.add(j));
                    if width == 24 {
                        by_rows!(r, tile512::<3>(k, a, b, ldb, bias, c, n, mask));
                    } else {
                        by_rows!(r, tile512::<1>(k, a, b, ldb, bias, c, n, mask));
                    }
                }
                i += r;
            }
            j += width;
        }
    }

    /// One R × 8·V tile of C; `mask` selects the columns of the last vector (all 8 for a
    /// full tile), the others are always full.
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile512<const R: usize, const V: usize>(
        k: usize,
        a: *const f64,
        b: *const f64,
        ldb: usize,
        bias: *const f64,
        c: *mut f64,
        ldc: usize,
        mask: u8,
    ) {
        let mut acc = [[_mm512_setzero_pd(); V]; R];
        for t in 0..k {
            let mut bv = [_mm512_setzero_pd(); V];
            for (v, x) in bv.iter_mut().enumerate() {
                // SAFETY: row t of b, columns 8v .. 8v + 8 (masked past n)
                *x =
                    unsafe { _mm512_maskz_loadu_pd(lane_mask(v, V, mask), b.add(t * ldb + 8 * v)) };
            }
            for (f, row) in acc.iter_mut().enumerate() {
                // SAFETY: a[f·k + t] is in the tile's rows
                let w = _mm512_set1_pd(unsafe { *a.add(f * k + t) });
                for (s, x) in row.iter_mut().zip(&bv) {
                    *s = _mm512_fmadd_pd(*x, w, *s);
                }
            }
        }
        for (f, row) in acc.iter().enumerate() {
            // SAFETY: bias[f] and row f of the tile in c are in bounds
            let bf = _mm512_set1_pd(unsafe { *bias.add(f) });
            for (v, s) in row.iter().enumerate() {
                unsafe {
                    _mm512_mask_storeu_pd(
                        c.add(f * ldc + 8 * v),
                        lane_mask(v, V, mask),
                        _mm512_add_pd(*s, bf),
                    )
                };
            }
        }
    }

    /// The mask of vector `v` of `vs`: the last one takes `last`, the others are full.
    #[inline(always)]
    fn lane_mask(v: usize, vs: usize, last: u8) -> u8 {
        if v + 1 == vs { last } else { 0xff }
    }

    /// # Safety
    /// AVX2 and FMA present; `a` holds m·k values, `bias` m, `b` (k−1)·ldb + n, c m·n.
    ///
    /// Column panels outside, blocks of rows inside, as in [`run512`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn run256(
        (m, n, k): (usize, usize, usize),
        a: *const f64,
        b: *const f64,
        ldb: usize,
        bias: *const f64,
        c: &mut [MaybeUninit<f64>],
    ) {
        let c = c.as_mut_ptr().cast::<f64>();
        let mut j = 0;
        while j + 4 <= n {
            // 8 columns (2 vectors), then 4
            let width = if n - j >= 8 { 8 } else { 4 };
            let mut i = 0;
            while i < m {
                let r = (m - i).min(FB256);
                // SAFETY: rows i .. i + r of a, bias and c and columns j .. j + width of b
                // and c are in bounds.
                unsafe {
                    let (a, bias, c, b) = (a.add(i * k), bias.add(i), c.add(i * n + j), b.add(j));
                    if width == 8 {
                        by_rows!(r, tile256::<2>(k, a, b, ldb, bias, c, n));
                    } else {
                        by_rows!(r, tile256::<1>(k, a, b, ldb, bias, c, n));
                    }
                }
                i += r;
            }
            j += width;
        }
        // the last columns (fewer than 4) one at a time, with the same fused multiply-adds
        for j in j..n {
            for f in 0..m {
                let mut s = 0.0f64;
                for t in 0..k {
                    // SAFETY: a[f·k + t], b[t·ldb + j] are in bounds
                    s = unsafe { (*a.add(f * k + t)).mul_add(*b.add(t * ldb + j), s) };
                }
                // SAFETY: bias[f] and c[f·n + j] are in bounds
                unsafe { c.add(f * n + j).write(s + *bias.add(f)) };
            }
        }
    }

    /// One R × 4·V tile of C.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile256<const R: usize, const V: usize>(
        k: usize,
        a: *const f64,
        b: *const f64,
        ldb: usize,
        bias: *const f64,
        c: *mut f64,
        ldc: usize,
    ) {
        let mut acc = [[_mm256_setzero_pd(); V]; R];
        for t in 0..k {
            let mut bv = [_mm256_setzero_pd(); V];
            for (v, x) in bv.iter_mut().enumerate() {
                // SAFETY: row t of b, columns 4v .. 4v + 4
                *x = unsafe { _mm256_loadu_pd(b.add(t * ldb + 4 * v)) };
            }
            for (f, row) in acc.iter_mut().enumerate() {
                // SAFETY: a[f·k + t] is in the tile's rows
                let w = _mm256_set1_pd(unsafe { *a.add(f * k + t) });
                for (s, x) in row.iter_mut().zip(&bv) {
                    *s = _mm256_fmadd_pd(*x, w, *s);
                }
            }
        }
        for (f, row) in acc.iter().enumerate() {
            // SAFETY: bias[f] and row f of the tile in c are in bounds
            let bf = _mm256_set1_pd(unsafe { *bias.add(f) });
            for (v, s) in row.iter().enumerate() {
                unsafe { _mm256_storeu_pd(c.add(f * ldc + 4 * v), _mm256_add_pd(*s, bf)) };
            }
        }
    }

    /// The AVX2 path, callable by the tests on a CPU that also has AVX-512.
    #[cfg(test)]
    pub(super) fn avx2_fma() -> bool {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::init::{rand_uniform, seeded_rng};
    use ndarray::{ArrayView2, ShapeBuilder};

    /// gemm's product plus the bias, as the fused layer computed it before this kernel.
    fn by_gemm(
        m: usize,
        n: usize,
        k: usize,
        a: &[f64],
        b: &[f64],
        ldb: usize,
        bias: &[f64],
    ) -> Vec<f64> {
        let av = ArrayView2::from_shape((m, k), &a[..m * k]).unwrap();
        let bv = ArrayView2::from_shape((k, n).strides((ldb, 1)), b).unwrap();
        let mut c = vec![0.0; m * n];
        crate::kernels::gemm(
            1.0,
            &av,
            &bv,
            0.0,
            &mut ndarray::ArrayViewMut2::from_shape((m, n), &mut c[..]).unwrap(),
        );
        for (row, &bf) in c.chunks_exact_mut(n.max(1)).zip(bias) {
            row.iter_mut().for_each(|v| *v += bf);
        }
        c
    }

    /// A kernel under test, called as [`product_bias`] is.
    type Kernel<'a> = &'a dyn Fn(
        (usize, usize, usize),
        &[f64],
        &[f64],
        usize,
        &[f64],
        &mut [MaybeUninit<f64>],
    ) -> bool;

    fn check(run: Kernel<'_>, what: &str) {
        let mut r = seeded_rng(7);
        let shapes = [
            (30, 576, 25, 576),
            (30, 576, 25, 600),
            (2, 2, 3, 2),
            (2, 37, 9, 40),
            (8, 24, 64, 24),
            (9, 25, 3, 25),
            (17, 7, 50, 7),
            (6, 100, 12, 131),
            (16, 3, 3, 3),
        ];
        for (m, n, k, ldb) in shapes {
            let a = rand_uniform(m * k, -1.0, 1.0, &mut r)
                .into_raw_vec_and_offset()
                .0;
            let b = rand_uniform((k - 1) * ldb + n, -1.0, 1.0, &mut r)
                .into_raw_vec_and_offset()
                .0;
            let bias = rand_uniform(m, -1.0, 1.0, &mut r)
                .into_raw_vec_and_offset()
                .0;
            let want = by_gemm(m, n, k, &a, &b, ldb, &bias);
            let mut c = vec![MaybeUninit::new(f64::NAN); m * n];
            assert!(
                run((m, n, k), &a, &b, ldb, &bias, &mut c),
                "{what}: kernel declined ({m}, {k})·({k}, {n})"
            );
            for (i, (got, want)) in c.iter().zip(&want).enumerate() {
                // SAFETY: initialised above, overwritten by the kernel
                let got = unsafe { got.assume_init() };
                assert!(
                    got.to_bits() == want.to_bits(),
                    "{what}: ({m}, {k})·({k}, {n}) ldb {ldb}: c[{}, {}] = {got:e}, gemm + bias gives {want:e}",
                    i / n,
                    i % n
                );
            }
        }
    }

    #[test]
    fn same_bits_as_gemm() {
        if !(std::arch::is_x86_feature_detected!("avx512f") || x86::avx2_fma()) {
            eprintln!("no FMA on this CPU: the small-K kernel is not used, nothing to test");
            return;
        }
        check(
            &|s, a, b, ldb, bias, c| product_bias(s, a, b, ldb, bias, c),
            "dispatched kernel",
        );
        if x86::avx2_fma() {
            check(
                &|s, a, b, ldb, bias, c| {
                    unsafe { x86::run256(s, a.as_ptr(), b.as_ptr(), ldb, bias.as_ptr(), c) };
                    true
                },
                "AVX2 kernel",
            );
        }
    }

    #[test]
    fn declines_where_the_crate_sums_otherwise() {
        let (a, b, bias) = (vec![1.0; 130], vec![1.0; 130], vec![0.0; 2]);
        let mut c = vec![MaybeUninit::uninit(); 4];
        for (m, n, k) in [(1, 1, 65), (2, 2, 2), (1, 2, 5), (2, 1, 5)] {
            assert!(
                !product_bias((m, n, k), &a, &b, n, &bias, &mut c),
                "({m}, {k})·({k}, {n}) should be left to gemm"
            );
        }
    }
}

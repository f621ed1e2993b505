//! A matrix product over a short inner dimension, without packing: the first convolution's
//! forward ([`super::conv`]).
//!
//! SimpleConvNet's first convolution multiplies its 30 filters (30 × 25) by each sample's
//! transposed im2col rows (25 × 576). With K = 25, the gemm crate spends a large share of
//! the product copying both operands into its packed layout and storing its tiles, and the
//! bias is added in a second pass. Here the rows of B are read where they lie ([`BLayout`]:
//! the transposed im2col rows, or with stride 1 the input itself, so that no im2col is
//! written), each tile of C keeps its sums in registers over the whole of K, and the bias
//! is added as the tile is stored.
//!
//! The sums are the gemm crate's, bit for bit: each output starts from zero and takes one
//! fused multiply-add per k, in order, as the crate's microkernels do for a K that fits in
//! one block (K ≤ [`MAX_K`]), and the bias is added after, as the layer did. So the kernel
//! runs only where the crate would use fused multiply-adds too (AVX-512F, or AVX2 with FMA);
//! elsewhere [`applies`] says no and the caller uses the crate. `tests::same_bits_as_gemm`
//! and `tests::reading_the_input_is_the_im2col_product` hold it to that.

use std::mem::MaybeUninit;

/// The longest inner dimension the kernel takes. The gemm crate cuts K into blocks of at
/// least 512 (`gemm-common` 0.19's `kernel_params`), so up to here it sums each output in
/// one pass over K, which is the order the kernel copies.
pub(crate) const MAX_K: usize = 64;

/// Where the values of B (K × N) lie in a slice `b`: its N columns are `blocks` runs of
/// `width` contiguous values, and B[t, q·width + j] = b[row[t] + q·step + j].
///
/// The transposed im2col rows (K, OH·OW) of a sample, `ld` apart, are one block:
/// `row[t] = t·ld`. Read from the input itself (stride 1), the runs are the output rows:
/// B[(c, i, j), (y, x)] = x[c, y + i, x + j], so `row[(c, i, j)] = (c·H + i)·W + j`, OH
/// blocks of OW, `step` = W; no im2col is written.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BLayout<'a> {
    pub row: &'a [usize],
    pub blocks: usize,
    pub width: usize,
    pub step: usize,
}

impl BLayout<'_> {
    /// N, the columns of B.
    fn n(&self) -> usize {
        self.blocks * self.width
    }
}

/// Whether [`product_bias`] takes an (m, k)·(k, n) product on this CPU: 3 ≤ K ≤ [`MAX_K`],
/// two rows and two columns at least (the gemm crate takes other paths, which group the
/// sums otherwise, for K ≤ 2 or a single row or column), and fused multiply-adds
/// (AVX-512F, or AVX2 with FMA). (The crate has one more such path, a "horizontal" kernel
/// for m·n ≤ 256 when both operands are contiguous along K; the crate's front end in
/// `gemm.rs` hands it B with a column stride ≥ 2, so for these products it is not taken.)
pub(crate) fn applies((m, n, k): (usize, usize, usize)) -> bool {
    (3..=MAX_K).contains(&k) && m >= 2 && n >= 2 && x86::available()
}

/// c ← a·B + bias, row by row: `c[i·n + col] = Σₜ a[i·k + t] · B[t, col] + bias[i]`, for
/// i < m and the n columns of B (laid out in `b` as `layout` says), with every element of
/// `c` (m·n of them) written.
///
/// # Panics
/// If the product is not one that [`applies`], or a slice is shorter than the shapes need
/// (a: m·k, bias: m, c: m·n, b: every value the layout names).
pub(crate) fn product_bias(
    (m, k): (usize, usize),
    a: &[f64],
    b: &[f64],
    layout: BLayout<'_>,
    bias: &[f64],
    c: &mut [MaybeUninit<f64>],
) {
    let n = layout.n();
    assert!(
        applies((m, n, k)),
        "small-K product ({m}, {k})·({k}, {n}) not taken here"
    );
    let last = layout.row.iter().max().copied().unwrap_or(0)
        + (layout.blocks - 1) * layout.step
        + layout.width;
    assert!(
        a.len() >= m * k && bias.len() >= m && c.len() >= m * n && layout.row.len() == k,
        "small-K product: slices too short for ({m}, {k})·({k}, {n})"
    );
    assert!(
        b.len() >= last,
        "small-K product: B's layout reaches value {last}, b has {}",
        b.len()
    );
    // SAFETY: the CPU has the kernel's instructions (applies); the lengths were checked.
    unsafe { x86::run((m, k), a.as_ptr(), b.as_ptr(), layout, bias.as_ptr(), c) };
    super::gemm::count_product(m, k, n);
}

#[cfg(not(target_arch = "x86_64"))]
mod x86 {
    pub(super) fn available() -> bool {
        false
    }
    pub(super) unsafe fn run(
        _: (usize, usize),
        _: *const f64,
        _: *const f64,
        _: super::BLayout<'_>,
        _: *const f64,
        _: &mut [std::mem::MaybeUninit<f64>],
    ) {
        unreachable!("not available")
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::BLayout;
    use std::arch::x86_64::*;
    use std::mem::MaybeUninit;

    /// Filters (rows of C) per AVX-512 tile; its columns are 3 vectors of 8, so a full tile
    /// keeps 24 of the 32 registers as sums.
    const FB512: usize = 8;
    /// Filters per AVX2 tile; 2 vectors of 4 columns, 12 of the 16 registers as sums.
    const FB256: usize = 6;

    use crate::kernels::cpu::avx512;
    pub(super) use crate::kernels::cpu::fma as available;

    /// The product with the widest instructions the CPU has.
    ///
    /// # Safety
    /// AVX-512F or AVX2 with FMA present; the slices hold what `layout` and the shapes name.
    pub(super) unsafe fn run(
        mk: (usize, usize),
        a: *const f64,
        b: *const f64,
        layout: BLayout<'_>,
        bias: *const f64,
        c: &mut [MaybeUninit<f64>],
    ) {
        // SAFETY: forwarded from the caller
        unsafe {
            if avx512() {
                run512(mk, a, b, layout, bias, c)
            } else {
                run256(mk, a, b, layout, bias, c)
            }
        }
    }

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
    /// AVX-512F present; `a` holds m·k values, `bias` m, c m·n, `b` every value `layout`
    /// names.
    ///
    /// A panel of B's columns (K × 24, ≤ 13 KB for K ≤ 64) is multiplied by every block of
    /// rows of A before the next panel, so it is read from memory once and from L1 after.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn run512(
        (m, k): (usize, usize),
        a: *const f64,
        b: *const f64,
        layout: BLayout<'_>,
        bias: *const f64,
        c: &mut [MaybeUninit<f64>],
    ) {
        let (n, row) = (layout.n(), layout.row.as_ptr());
        let c = c.as_mut_ptr().cast::<f64>();
        for q in 0..layout.blocks {
            let mut j = 0;
            while j < layout.width {
                // 24 columns (3 vectors), then 8, then the rest under a mask
                let rest = layout.width - j;
                let width = if rest >= 24 { 24 } else { rest.min(8) };
                let mask = if width >= 8 { 0xff } else { (1u8 << width) - 1 };
                let col = q * layout.width + j;
                let mut i = 0;
                while i < m {
                    let r = (m - i).min(FB512);
                    // SAFETY: rows i .. i + r of a, bias and c, columns col .. col + width
                    // of c and the values of B's block q, j .. j + width, are in bounds.
                    unsafe {
                        let (a, bias, c) = (a.add(i * k), bias.add(i), c.add(i * n + col));
                        let b = b.add(q * layout.step + j);
                        if width == 24 {
                            by_rows!(r, tile512::<3>(k, a, b, row, bias, c, n, mask));
                        } else {
                            by_rows!(r, tile512::<1>(k, a, b, row, bias, c, n, mask));
                        }
                    }
                    i += r;
                }
                j += width;
            }
        }
    }

    /// One R × 8·V tile of C: row t of its B panel starts at `b + row[t]`; `mask` selects
    /// the columns of the last vector (all 8 for a full tile), the others are always full.
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile512<const R: usize, const V: usize>(
        k: usize,
        a: *const f64,
        b: *const f64,
        row: *const usize,
        bias: *const f64,
        c: *mut f64,
        ldc: usize,
        mask: u8,
    ) {
        let mut acc = [[_mm512_setzero_pd(); V]; R];
        for t in 0..k {
            // SAFETY: row[t] is one of the layout's k offsets
            let bt = unsafe { b.add(*row.add(t)) };
            let mut bv = [_mm512_setzero_pd(); V];
            for (v, x) in bv.iter_mut().enumerate() {
                // SAFETY: row t of the panel, columns 8v .. 8v + 8 (masked past its width)
                *x = unsafe { _mm512_maskz_loadu_pd(lane_mask(v, V, mask), bt.add(8 * v)) };
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
    /// AVX2 and FMA present; `a` holds m·k values, `bias` m, c m·n, `b` every value `layout`
    /// names.
    ///
    /// Column panels outside, blocks of rows inside, as in [`run512`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn run256(
        (m, k): (usize, usize),
        a: *const f64,
        b: *const f64,
        layout: BLayout<'_>,
        bias: *const f64,
        c: &mut [MaybeUninit<f64>],
    ) {
        let (n, row) = (layout.n(), layout.row.as_ptr());
        let c = c.as_mut_ptr().cast::<f64>();
        for q in 0..layout.blocks {
            let mut j = 0;
            while j + 4 <= layout.width {
                // 8 columns (2 vectors), then 4
                let width = if layout.width - j >= 8 { 8 } else { 4 };
                let col = q * layout.width + j;
                let mut i = 0;
                while i < m {
                    let r = (m - i).min(FB256);
                    // SAFETY: as in run512
                    unsafe {
                        let (a, bias, c) = (a.add(i * k), bias.add(i), c.add(i * n + col));
                        let b = b.add(q * layout.step + j);
                        if width == 8 {
                            by_rows!(r, tile256::<2>(k, a, b, row, bias, c, n));
                        } else {
                            by_rows!(r, tile256::<1>(k, a, b, row, bias, c, n));
                        }
                    }
                    i += r;
                }
                j += width;
            }
            // the block's last columns (fewer than 4) one at a time, with the same fused
            // multiply-adds
            for j in j..layout.width {
                let col = q * layout.width + j;
                for f in 0..m {
                    let mut s = 0.0f64;
                    for t in 0..k {
                        // SAFETY: a[f·k + t] and B[t, col] are in bounds
                        s = unsafe {
                            let bt = b.add(*row.add(t) + q * layout.step + j);
                            (*a.add(f * k + t)).mul_add(*bt, s)
                        };
                    }
                    // SAFETY: bias[f] and c[f·n + col] are in bounds
                    unsafe { c.add(f * n + col).write(s + *bias.add(f)) };
                }
            }
        }
    }

    /// One R × 4·V tile of C, row t of its B panel at `b + row[t]`.
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile256<const R: usize, const V: usize>(
        k: usize,
        a: *const f64,
        b: *const f64,
        row: *const usize,
        bias: *const f64,
        c: *mut f64,
        ldc: usize,
    ) {
        let mut acc = [[_mm256_setzero_pd(); V]; R];
        for t in 0..k {
            // SAFETY: row[t] is one of the layout's k offsets
            let bt = unsafe { b.add(*row.add(t)) };
            let mut bv = [_mm256_setzero_pd(); V];
            for (v, x) in bv.iter_mut().enumerate() {
                // SAFETY: row t of the panel, columns 4v .. 4v + 4
                *x = unsafe { _mm256_loadu_pd(bt.add(4 * v)) };
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
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use ndarray::{ArrayView2, ShapeBuilder};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// gemm's product plus the bias, as the convolution computed it before this kernel.
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
    type Kernel<'a> =
        &'a dyn Fn((usize, usize), &[f64], &[f64], BLayout<'_>, &[f64], &mut [MaybeUninit<f64>]);

    /// The kernels under test on this CPU: the dispatched one, and the AVX2 one on its own
    /// (also where the CPU has AVX-512).
    fn kernels() -> Vec<(&'static str, Kernel<'static>)> {
        let mut ks: Vec<(&str, Kernel)> = vec![("dispatched kernel", &|mk, a, b, l, bias, c| {
            product_bias(mk, a, b, l, bias, c)
        })];
        if crate::kernels::cpu::avx2_fma() {
            ks.push(("AVX2 kernel", &|mk, a, b, l, bias, c| {
                // SAFETY: the CPU has AVX2 and FMA; the test's slices fit the layout
                unsafe { x86::run256(mk, a.as_ptr(), b.as_ptr(), l, bias.as_ptr(), c) }
            }));
        }
        ks
    }

    fn assert_same_bits(got: &[MaybeUninit<f64>], want: &[f64], n: usize, what: &str) {
        for (i, (got, want)) in got.iter().zip(want).enumerate() {
            // SAFETY: initialised by the caller, overwritten by the kernel
            let got = unsafe { got.assume_init() };
            assert!(
                got.to_bits() == want.to_bits(),
                "{what}: c[{}, {}] = {got:e}, gemm + bias gives {want:e}",
                i / n,
                i % n
            );
        }
    }

    /// `len` values in [−1, 1) (the kernels room draws its own test data: it imports
    /// nothing from the rooms above it).
    fn uniform(len: usize, r: &mut ChaCha8Rng) -> Vec<f64> {
        (0..len).map(|_| r.random_range(-1.0..1.0)).collect()
    }

    #[test]
    fn same_bits_as_gemm() {
        if !x86::available() {
            eprintln!("no FMA on this CPU: the small-K kernel is not used, nothing to test");
            return;
        }
        let mut r = ChaCha8Rng::seed_from_u64(7);
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
            // blocks of 3, 4 and 5 rows (8 + 4, 8 + 5)
            (3, 30, 7, 30),
            (12, 50, 10, 50),
            (13, 24, 5, 24),
            (5, 40, 20, 41),
        ];
        for (what, run) in kernels() {
            for (m, n, k, ldb) in shapes {
                let (a, b, bias) = (
                    uniform(m * k, &mut r),
                    uniform((k - 1) * ldb + n, &mut r),
                    uniform(m, &mut r),
                );
                let want = by_gemm(m, n, k, &a, &b, ldb, &bias);
                let rows: Vec<usize> = (0..k).map(|t| t * ldb).collect();
                let layout = BLayout {
                    row: &rows,
                    blocks: 1,
                    width: n,
                    step: 0,
                };
                let mut c = vec![MaybeUninit::new(f64::NAN); m * n];
                run((m, k), &a, &b, layout, &bias, &mut c);
                let what = format!("{what}, ({m}, {k})·({k}, {n}) ldb {ldb}");
                assert_same_bits(&c, &want, n, &what);
            }
        }
    }

    /// Read from the (padded) input, block by output row, the product is gemm's with the
    /// transposed im2col rows, bit for bit.
    #[test]
    fn reading_the_input_is_the_im2col_product() {
        if !x86::available() {
            return;
        }
        let mut r = ChaCha8Rng::seed_from_u64(8);
        // (C, H, W), FH, FW, pad, filters: SimpleConvNet's; channels; non-square filters;
        // output rows of 1–3 vectors and a masked rest; padding
        let cases = [
            ((1, 28, 28), 5, 5, 0, 30),
            ((2, 9, 13), 3, 3, 1, 7),
            ((3, 6, 30), 2, 4, 0, 9),
            ((1, 12, 12), 5, 5, 2, 16),
            ((2, 5, 6), 4, 1, 3, 2),
        ];
        for (what, run) in kernels() {
            for ((ch, h, w), fh, fw, pad, fnum) in cases {
                let g = crate::kernels::Geom::new("test", &[1, ch, h, w], fh, fw, 1, pad);
                let (k, rows) = (g.cols(), g.oh * g.ow);
                let (x, a, bias) = (
                    uniform(ch * h * w, &mut r),
                    uniform(fnum * k, &mut r),
                    uniform(fnum, &mut r),
                );
                let mut col_t = vec![0.0; k * rows];
                g.unfold_t_into(&x, &mut col_t, rows);
                let want = by_gemm(fnum, rows, k, &a, &col_t, rows, &bias);
                // the padded input, and B's rows in it
                let mut buf = Vec::new();
                let (xp, hp, wp) = g.padded(1, &x, &mut buf);
                let row: Vec<usize> = (0..ch)
                    .flat_map(|c| {
                        (0..fh).flat_map(move |i| (0..fw).map(move |j| (c * hp + i) * wp + j))
                    })
                    .collect();
                let layout = BLayout {
                    row: &row,
                    blocks: g.oh,
                    width: g.ow,
                    step: wp,
                };
                let mut c = vec![MaybeUninit::new(f64::NAN); fnum * rows];
                run((fnum, k), &a, xp, layout, &bias, &mut c);
                assert_same_bits(
                    &c,
                    &want,
                    rows,
                    &format!("{what}, read from the input, {g:?}"),
                );
            }
        }
    }

    #[test]
    fn declines_where_the_crate_sums_otherwise() {
        for (m, n, k) in [(2, 2, 65), (2, 2, 2), (1, 2, 5), (2, 1, 5)] {
            assert!(
                !applies((m, n, k)),
                "({m}, {k})·({k}, {n}) should be left to gemm"
            );
        }
    }
}

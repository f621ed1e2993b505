//! The matrix product behind every layer.
//!
//! Products go through the pure-Rust [`gemm`](https://crates.io/crates/gemm) kernels (its
//! f64 part, `gemm-f64`, used directly so the f16/f32/complex kernels are not compiled), which
//! picks its kernels at run time: AVX-512 where the CPU has it (the crate's `x86-v4` feature,
//! stable since Rust 1.89), AVX2/FMA elsewhere. The two sum a dot product's terms in different
//! orders, so the last bits of a result can differ between such machines (never between runs
//! or thread counts on one machine).
//! Large products are split over the threads ([`super::split_product`]); the split is over
//! blocks of the output, never over K, so every element is summed in the same order and the
//! result does not depend on the thread count. Plain version: [`super::reference::matmul`].

use std::sync::atomic::{AtomicU64, Ordering};

use gemm_common::Parallelism;
use ndarray::{Array2, ArrayRef, ArrayView2, ArrayViewMut2, Ix2};
use rayon::prelude::*;

use super::{split_product, threads};

/// c ← α·a·b + β·c, for any strides (transposed views included).
///
/// # Panics
/// If the shapes do not chain: a (M, K), b (K, N), c (M, N).
#[track_caller]
pub fn gemm(
    alpha: f64,
    a: &ArrayView2<f64>,
    b: &ArrayView2<f64>,
    beta: f64,
    c: &mut ArrayViewMut2<f64>,
) {
    let ((m, k), (k2, n)) = (a.dim(), b.dim());
    if k != k2 || c.dim() != (m, n) {
        panic!(
            "matrix product: a {:?} · b {:?} does not fit c {:?} (need (M, K)·(K, N) = (M, N))",
            a.shape(),
            b.shape(),
            c.shape()
        );
    }
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c.mapv_inplace(|v| if beta == 0.0 { 0.0 } else { beta * v });
        return;
    }
    // SAFETY: the pointers and strides come from valid ndarray views whose shapes were
    // checked above; c is borrowed mutably, so it overlaps neither a nor b.
    unsafe {
        raw_gemm(
            a,
            b,
            c.as_mut_ptr(),
            c.strides()[0],
            c.strides()[1],
            beta,
            alpha,
        )
    }
}

/// Floating-point operations (2 per multiply-add) of every product since the process began.
static FLOP: AtomicU64 = AtomicU64::new(0);

/// The floating-point operations (two per multiply-add) of all matrix products this process
/// has computed so far, on all threads. The difference across a piece of work is its
/// matrix-product cost: `scripts/bench-vs-numpy` divides it by the measured GEMM rate to get
/// the time the work could take at best (its *floor*).
///
/// ```
/// use dlfs::kernels::{flop_count, matmul};
/// use dlfs::ndarray::Array2;
/// let before = flop_count();
/// matmul(&Array2::<f64>::ones((3, 4)), &Array2::<f64>::ones((4, 5)));
/// assert!(flop_count() - before >= 2 * 3 * 4 * 5); // other tests may run beside this one
/// ```
pub fn flop_count() -> u64 {
    FLOP.load(Ordering::Relaxed)
}

/// Adds a product of (m, k)·(k, n) to [`flop_count`]; every kernel that multiplies
/// matrices calls it: the gemm crate's, [`super::small_k`]'s and [`super::direct_dw`]'s.
pub(super) fn count_product(m: usize, k: usize, n: usize) {
    FLOP.fetch_add(2 * (m * n * k) as u64, Ordering::Relaxed);
}

/// c ← β·c + α·a·b through the gemm crate (c is not read when β = 0); shapes checked by the caller.
///
/// # Safety
/// `c` must be valid for reads (β ≠ 0) and writes of a.nrows() × b.ncols() elements at
/// strides (`c_rs`, `c_cs`), and must not overlap `a` or `b`.
unsafe fn raw_gemm(
    a: &ArrayView2<f64>,
    b: &ArrayView2<f64>,
    c: *mut f64,
    c_rs: isize,
    c_cs: isize,
    beta: f64,
    alpha: f64,
) {
    let ((m, k), n) = (a.dim(), b.ncols());
    count_product(m, k, n);
    let (a_rs, a_cs, b_rs, b_cs) = (
        a.strides()[0],
        a.strides()[1],
        b.strides()[0],
        b.strides()[1],
    );
    // The kernels prefer a column-major destination: for a row-major one, compute
    // cᵀ = bᵀ·aᵀ instead (the same normalisation as the `gemm` crate's front end).
    let (m, n, mut c, mut c_rs, mut c_cs, mut l, mut l_rs, mut l_cs, mut r, mut r_rs, mut r_cs) =
        if c_cs.abs() < c_rs.abs() {
            (
                n,
                m,
                c,
                c_cs,
                c_rs,
                b.as_ptr(),
                b_cs,
                b_rs,
                a.as_ptr(),
                a_cs,
                a_rs,
            )
        } else {
            (
                m,
                n,
                c,
                c_rs,
                c_cs,
                a.as_ptr(),
                a_rs,
                a_cs,
                b.as_ptr(),
                b_rs,
                b_cs,
            )
        };
    // negative strides (reversed views): walk the same elements forwards
    if c_rs < 0 && m > 0 {
        c = c.wrapping_offset((m - 1) as isize * c_rs);
        l = l.wrapping_offset((m - 1) as isize * l_rs);
        (c_rs, l_rs) = (-c_rs, -l_rs);
    }
    if c_cs < 0 && n > 0 {
        c = c.wrapping_offset((n - 1) as isize * c_cs);
        r = r.wrapping_offset((n - 1) as isize * r_cs);
        (c_cs, r_cs) = (-c_cs, -r_cs);
    }
    if l_cs < 0 && k > 0 {
        l = l.wrapping_offset((k - 1) as isize * l_cs);
        r = r.wrapping_offset((k - 1) as isize * r_rs);
        (l_cs, r_rs) = (-l_cs, -r_rs);
    }
    let kernel = |m: usize, n: usize, c: *mut f64, l: *const f64, r: *const f64, par| {
        // SAFETY: forwarded from the caller, with the pointers moved to the first element
        // of each operand (or of a block of rows of dst and lhs); the kernel computes
        // dst = alpha·dst + beta·lhs·rhs in its own names.
        unsafe {
            gemm_f64::gemm::f64::get_gemm_fn()(
                m,
                n,
                k,
                c,
                c_cs,
                c_rs,
                beta != 0.0,
                l,
                l_cs,
                l_rs,
                r,
                r_cs,
                r_rs,
                beta,
                alpha,
                false,
                false,
                false,
                par,
            );
        }
    };
    let par = parallelism(m * n * k);
    let parts = threads();
    if matches!(par, Parallelism::Rayon(_)) && m * n <= SMALL_OUTPUT && m >= 8 * parts && n > 64 {
        // A small output over a long K (Affine1 of SimpleConvNet: 100 × 100 over 4320): the
        // crate's own split syncs its threads for every block of K and ran slower on two
        // threads than on one (1.8 ms against 1.4). Each thread takes whole rows instead,
        // one product each. The crate cuts K into the same blocks for the whole and for
        // the parts (their size depends on K and the caches only) unless a product has
        // M ≤ 64 and N ≤ 64: then it takes blocks of 512, which changes the sums' order.
        // N > 64 keeps the whole and every part out of that case, so the result is the
        // same bits (tests/kernels.rs, `affine_products_give_the_same_bits_…`).
        let rows = m.div_ceil(parts).next_multiple_of(8);
        let (c, l) = (c as usize, l as usize);
        let r = r as usize;
        (0..m.div_ceil(rows)).into_par_iter().for_each(|i| {
            let (i0, mi) = (i * rows, rows.min(m - i * rows));
            let off =
                |p: usize, stride: isize| (p as *const f64).wrapping_offset(i0 as isize * stride);
            kernel(
                mi,
                n,
                off(c, c_rs).cast_mut(),
                off(l, l_rs),
                r as *const f64,
                Parallelism::None,
            );
        });
    } else {
        kernel(m, n, c, l, r, par);
    }
}

/// Outputs of at most this many elements are split by rows over the threads (see
/// `raw_gemm`) rather than by the gemm crate.
const SMALL_OUTPUT: usize = 1 << 16;

/// c ← a·b into memory that need not be initialised: every element of c is written, none
/// is read (no zero-filling of a fresh output first).
///
/// # Safety
/// `c` must be valid for writes of a.nrows() × b.ncols() elements at row stride `c_rs` and
/// column stride `c_cs` (in elements), and must not overlap `a` or `b`.
///
/// # Panics
/// If a's number of columns is not b's number of rows.
#[track_caller]
pub(crate) unsafe fn gemm_uninit(
    a: &ArrayView2<f64>,
    b: &ArrayView2<f64>,
    c: *mut f64,
    c_rs: isize,
    c_cs: isize,
) {
    let ((m, k), (k2, n)) = (a.dim(), b.dim());
    if k != k2 {
        panic!(
            "matrix product: a {:?} · b {:?} (need (M, K)·(K, N))",
            a.shape(),
            b.shape()
        );
    }
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        for i in 0..m as isize {
            for j in 0..n as isize {
                // SAFETY: in bounds by the caller's contract
                unsafe { c.offset(i * c_rs + j * c_cs).write(0.0) };
            }
        }
        return;
    }
    // SAFETY: a and b come from valid views whose shapes were checked; the caller
    // guarantees c. With β = 0 gemm writes c without reading it.
    unsafe { raw_gemm(a, b, c, c_rs, c_cs, 0.0, 1.0) }
}

fn parallelism(flop: usize) -> Parallelism {
    if split_product(flop) {
        Parallelism::Rayon(threads())
    } else {
        Parallelism::None
    }
}

/// a · b as a new array (the fast replacement for ndarray's `a.dot(&b)`).
///
/// ```
/// use dlfs::kernels::matmul;
/// use dlfs::ndarray::array;
/// assert_eq!(matmul(&array![[1.0, 2.0]], &array![[3.0], [4.0]]), array![[11.0]]);
/// ```
///
/// # Panics
/// If a's number of columns is not b's number of rows.
#[track_caller]
pub fn matmul(a: &ArrayRef<f64, Ix2>, b: &ArrayRef<f64, Ix2>) -> Array2<f64> {
    let (m, n) = (a.nrows(), b.ncols());
    let mut c = Array2::<f64>::uninit((m, n));
    // SAFETY: c is a fresh (m, n) array in standard layout; gemm_uninit writes all of it.
    unsafe {
        gemm_uninit(&a.view(), &b.view(), c.as_mut_ptr().cast(), n as isize, 1);
        c.assume_init()
    }
}

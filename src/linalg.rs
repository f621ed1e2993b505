//! The matrix product behind every layer, and the thread count.
//!
//! Products go through the pure-Rust [`gemm`](https://crates.io/crates/gemm) kernels (its
//! f64 part, `gemm-f64`, used directly so the f16/f32/complex kernels are not compiled), which
//! picks its AVX2/FMA kernels at run time (AVX-512 ones need the crate's nightly feature);
//! on this project's machine it measured as fast as ndarray's built-in `dot` on large
//! squares and 1.2–1.7× faster on the small and skinny products of SimpleConvNet (see
//! `docs/benchmarks.md`). Large products and the batch loops of the convolution, pooling
//! and ReLU layers are split over [`threads`] threads.
//!
//! The thread count is read from the environment variable `DLFS_THREADS` (or rayon's own
//! `RAYON_NUM_THREADS`) the first time it is needed; by default, one per core.
//!
//! On Linux with glibc, the same first call also asks `malloc` to keep freed memory for
//! reuse (up to 32 MiB blocks, 256 MiB kept): by default glibc hands every freed
//! multi-megabyte activation back to the kernel and page-faults it in again on the next
//! step, which measured as a third of the time of a SimpleConvNet step.

use std::mem::MaybeUninit;
use std::sync::Once;

use gemm_common::Parallelism;
use rayon::prelude::*;

use ndarray::{Array2, ArrayRef, ArrayView2, ArrayViewMut2, Ix2};

/// Products with fewer multiply-adds than this run on one thread (splitting costs more).
pub(crate) const PARALLEL_MIN_FLOP: usize = 1 << 20;

/// Products inside a parallel section (already on a worker thread, e.g. one of several
/// networks trained side by side) split again only from this many multiply-adds on: big
/// evaluation batches, where the split lets an idle core help once the other jobs are
/// done, and costs little while every core is busy. Smaller ones stay whole.
pub(crate) const NESTED_PARALLEL_MIN_FLOP: usize = 1 << 25;

/// Element-wise loops over fewer elements than this run on one thread.
pub(crate) const PARALLEL_MIN_LEN: usize = 1 << 15;

/// Whether an element-wise loop over `len` elements is split over the threads.
pub(crate) fn parallel_len(len: usize) -> bool {
    len >= PARALLEL_MIN_LEN && threads() > 1
}

/// The number of threads the library uses (`DLFS_THREADS`, else `RAYON_NUM_THREADS`, else
/// one per core).
pub fn threads() -> usize {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if let Some(n) = std::env::var("DLFS_THREADS")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
        {
            // Fails only if the pool already exists (e.g. the caller built it): keep it.
            let _ = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build_global();
        }
        keep_freed_memory();
    });
    rayon::current_num_threads()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    unsafe extern "C" {
        fn mallopt(param: i32, value: i32) -> i32;
    }
    const M_TRIM_THRESHOLD: i32 = -1;
    const M_MMAP_THRESHOLD: i32 = -3;
    // SAFETY: mallopt only changes glibc's allocation thresholds; both values are in range.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 256 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}

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
    // SAFETY: forwarded from the caller, with the pointers moved to the first element of
    // each operand; the kernel computes dst = alpha·dst + beta·lhs·rhs in its own names.
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
            parallelism(m * n * k),
        );
    }
}

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
    let nested = rayon::current_thread_index().is_some();
    let min = if nested {
        NESTED_PARALLEL_MIN_FLOP
    } else {
        PARALLEL_MIN_FLOP
    };
    if flop >= min && threads() > 1 {
        Parallelism::Rayon(threads())
    } else {
        Parallelism::None
    }
}

/// a · b as a new array (the fast replacement for ndarray's `a.dot(&b)`).
///
/// ```
/// use dlfs::linalg::matmul;
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

/// [`par_samples`] for one input and one output whose memory is not initialised yet:
/// `f(input_n, output_n, scratch)` must write every element of `output_n`.
pub(crate) fn par_samples_uninit<F>(n: usize, ins: &[f64], outs: &mut [MaybeUninit<f64>], f: F)
where
    F: Fn(&[f64], &mut [MaybeUninit<f64>], &mut Scratch) + Sync + Send,
{
    if n == 0 || outs.is_empty() {
        return;
    }
    let (per_in, per_out) = (ins.len() / n, outs.len() / n);
    let run = |scratch: &mut Scratch, (a, b): (&[f64], &mut [MaybeUninit<f64>])| {
        scratch.col.clear();
        scratch.dcol.clear();
        f(a, b, scratch);
    };
    if threads() == 1 || per_in == 0 {
        let mut scratch = Scratch::default();
        for i in 0..n {
            let a = &ins[i * per_in..][..per_in];
            run(&mut scratch, (a, &mut outs[i * per_out..][..per_out]));
        }
        return;
    }
    ins.par_chunks_exact(per_in)
        .zip(outs.par_chunks_exact_mut(per_out))
        .for_each_init(Scratch::default, run);
}

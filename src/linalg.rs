//! The matrix product behind every layer, and the thread count.
//!
//! Products go through the pure-Rust [`gemm`](https://crates.io/crates/gemm) crate, which
//! picks AVX2/FMA or AVX-512 kernels at run time; on this project's machine it measured
//! as fast as ndarray's built-in `dot` on large squares and 1.2–1.7× faster on the small
//! and skinny products of SimpleConvNet (see `docs/benchmarks.md`). Large products and the batch loops of the convolution, pooling
//! and ReLU layers are split over [`threads`] threads.
//!
//! The thread count is read from the environment variable `DLFS_THREADS` (or rayon's own
//! `RAYON_NUM_THREADS`) the first time it is needed; by default, one per core.
//!
//! On Linux with glibc, the same first call also asks `malloc` to keep freed memory for
//! reuse (up to 32 MiB blocks, 256 MiB kept): by default glibc hands every freed
//! multi-megabyte activation back to the kernel and page-faults it in again on the next
//! step, which measured as a third of the time of a SimpleConvNet step.

use std::sync::Once;

use rayon::prelude::*;

use ndarray::{Array2, ArrayRef, ArrayView2, ArrayViewMut2, Ix2};

/// Products with fewer multiply-adds than this run on one thread (splitting costs more).
const PARALLEL_MIN_FLOP: usize = 1 << 20;

/// Element-wise loops over fewer elements than this run on one thread.
pub(crate) const PARALLEL_MIN_LEN: usize = 1 << 15;

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
    let par = if m * n * k >= PARALLEL_MIN_FLOP && threads() > 1 {
        gemm::Parallelism::Rayon(threads())
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the pointers and strides come from valid ndarray views whose shapes were
    // checked above; c is borrowed mutably, so it overlaps neither a nor b.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            c.strides()[1],
            c.strides()[0],
            beta != 0.0,
            a.as_ptr(),
            a.strides()[1],
            a.strides()[0],
            b.as_ptr(),
            b.strides()[1],
            b.strides()[0],
            beta,
            alpha,
            false,
            false,
            false,
            par,
        );
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
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    gemm(1.0, &a.view(), &b.view(), 0.0, &mut c.view_mut());
    c
}

/// Scratch buffers of one worker in [`par_samples`] (im2col rows and their gradient).
#[derive(Default)]
pub(crate) struct Scratch {
    pub col: Vec<f64>,
    pub dcol: Vec<f64>,
}

/// Runs `f(inputs_n, outputs_n, scratch)` for every sample n of a batch of `n`: each slice
/// of `ins` and `outs` holds the whole batch, split into `n` equal parts, one per sample.
/// The samples are spread over [`threads`] threads; `scratch` is cleared before each call.
/// Every sample writes only its own parts, so the result does not depend on the thread count.
pub(crate) fn par_samples<const I: usize, const O: usize, F>(
    n: usize,
    ins: [&[f64]; I],
    outs: [&mut [f64]; O],
    f: F,
) where
    F: Fn([&[f64]; I], [&mut [f64]; O], &mut Scratch) + Sync + Send,
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
        for (a, b) in jobs {
            scratch.col.clear();
            scratch.dcol.clear();
            f(a, b, &mut scratch);
        }
        return;
    }
    jobs.into_par_iter()
        .for_each_init(Scratch::default, |scratch, (a, b)| {
            scratch.col.clear();
            scratch.dcol.clear();
            f(a, b, scratch);
        });
}

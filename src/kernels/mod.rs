//! Kernels: the loops that make the teaching layers fast, kept apart from them. The only
//! room of the crate allowed `unsafe` code (vector instructions, buffers written before
//! they are read).
//!
//! A layer under `crate::layers` reads like the book's page and calls these by name
//! (`matmul`, `conv_forward`, `conv_backward`, `max_pool`, `map`); everything about speed
//! lives here: the matrix product through the `gemm` crate; the convolution's two passes
//! (`conv`), which read the input without writing im2col where they can (the small-K
//! product `small_k` forward, the direct weight gradient `direct_dw` backward) and fall
//! back on the im2col/col2im loops (`unfold`) elsewhere; max pooling written as selects
//! (with AVX-512/AVX2 where the CPU has them); per-thread scratch buffers (`batch`); and
//! the one place where the library decides whether a piece of work is worth the thread
//! pool (`split_product`, `split_len`).
//!
//! Each fast kernel has a plain version beside it in [`reference`](mod@reference), written
//! as directly as the formula; the tests in `tests/kernels.rs` and `tests/conv_kernels.rs`
//! demand that the two agree. The kernels written with vector instructions (`pool`,
//! `small_k`, `direct_dw`) also have, in their own tests, the scalar loop or the product
//! whose bits they must give.
//!
//! Nothing here changes process-wide state, with one documented exception: [`threads`]
//! sizes rayon's global pool from `DLFS_THREADS` the first time it is asked. (A counter of
//! the products' floating-point operations, [`flop_count`], only counts.)

mod batch;
mod conv;
mod direct_dw;
mod fused;
mod gemm;
mod pool;
pub mod reference;
mod small_k;
mod unfold;

pub(crate) use batch::with_scratch;
pub(crate) use conv::{backward as conv_backward, forward as conv_forward};
pub(crate) use fused::{
    backward as conv_relu_pool_backward, forward as conv_relu_pool, pooled_size,
};
pub(crate) use gemm::gemm_uninit;
pub use gemm::{flop_count, gemm, matmul};
pub(crate) use pool::{Window, max_pool, max_pool_backward};
pub(crate) use unfold::Geom;

use std::sync::Once;

/// The vector instructions this CPU has, for the kernels written with them (`pool`,
/// `small_k`, `direct_dw`): each picks the widest at run time, since the crate itself is
/// compiled for the x86-64 baseline (SSE2).
#[cfg(target_arch = "x86_64")]
pub(crate) mod cpu {
    /// AVX-512F.
    pub(crate) fn avx512() -> bool {
        std::arch::is_x86_feature_detected!("avx512f")
    }

    /// AVX2 with fused multiply-adds.
    pub(crate) fn avx2_fma() -> bool {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }

    /// Either: what the kernels built on fused multiply-adds need.
    pub(crate) fn fma() -> bool {
        avx512() || avx2_fma()
    }
}

/// OH = ⌊(H + 2P − FH) / S⌋ + 1: the number of filter positions along one axis.
///
/// Floors when S does not divide H + 2P − FH (the windows that would stick out past the
/// padded border are dropped, like PyTorch), so every size the book's nets meet works.
///
/// ```
/// use dlfs::im2col::conv_output_size; // also dlfs::kernels::conv_output_size
/// assert_eq!(conv_output_size(28, 5, 1, 0), 24);
/// assert_eq!(conv_output_size(7, 2, 2, 0), 3); // (7 − 2) / 2 = 2.5 → 2, + 1
/// assert_eq!(conv_output_size(7, 3, 2, 1), 4);
/// ```
///
/// # Panics
/// If `stride` is 0, or the filter is larger than the padded input (FH > H + 2P).
#[track_caller]
pub fn conv_output_size(input_size: usize, filter_size: usize, stride: usize, pad: usize) -> usize {
    assert!(stride > 0, "conv_output_size: stride must be at least 1");
    let padded = input_size + 2 * pad;
    assert!(
        filter_size >= 1 && filter_size <= padded,
        "conv_output_size: filter size {filter_size} does not fit the padded input size {padded} \
         (input {input_size} + 2·pad {pad})"
    );
    (padded - filter_size) / stride + 1
}

/// Products with fewer multiply-adds than this run on one thread: below it, waking the
/// pool and splitting costs more than the second core gives back. Measured on 2 cores
/// (medians of 8 interleaved rounds, docs/benchmarks.md): at 2²⁰ the TwoLayerNet step took
/// 0.85 ms, at 2²⁴ 0.69 ms, on one thread 0.64 ms; MultiLayerNet 2.60 → 2.39 ms;
/// SimpleConvNet 20.8 → 18.8 ms. So the training steps' products (TwoLayerNet's
/// 100×784×50 is 3.9 M, MultiLayerNet's 128×784×100 is 10 M) stay whole, and evaluation
/// batches (10 000×784×50 = 392 M) and the CNN's larger products split.
pub(crate) const PARALLEL_MIN_FLOP: usize = 1 << 24;

/// Products inside a parallel section (already on a worker thread, e.g. one of several
/// networks trained side by side) split again only from this many multiply-adds on: big
/// evaluation batches, where the split lets an idle core help once the other jobs are
/// done, and costs little while every core is busy. Smaller ones stay whole.
pub(crate) const NESTED_PARALLEL_MIN_FLOP: usize = 1 << 25;

/// Element-wise loops over fewer elements than this run on one thread.
pub(crate) const PARALLEL_MIN_LEN: usize = 1 << 15;

/// Whether a matrix product of `flop` multiply-adds is worth splitting over the threads.
pub(crate) fn split_product(flop: usize) -> bool {
    let min = if rayon::current_thread_index().is_some() {
        NESTED_PARALLEL_MIN_FLOP
    } else {
        PARALLEL_MIN_FLOP
    };
    flop >= min && threads() > 1
}

/// Whether an element-wise loop over `len` elements is worth splitting over the threads.
pub(crate) fn split_len(len: usize) -> bool {
    len >= PARALLEL_MIN_LEN && threads() > 1
}

/// ReLU's forward in one pass over `x`: (out, mask) with mask = (x ≤ 0) and out = x where
/// the mask is false, 0 where it is true; split over the threads for large arrays (each
/// element on its own, so the result is the same on any number).
/// Without `keep_mask` (inference) the mask is not made.
pub(crate) fn relu_forward(
    x: &ndarray::ArrayRef<f64, ndarray::IxDyn>,
    keep_mask: bool,
) -> (ndarray::ArrayD<f64>, Option<ndarray::ArrayD<bool>>) {
    use rayon::prelude::*;
    let x = x.as_standard_layout();
    let xs = x.as_slice().expect("standard layout");
    let shape = x.raw_dim();
    if !keep_mask {
        let g = |&v: &f64| if v <= 0.0 { 0.0 } else { v };
        let out: Vec<f64> = if split_len(xs.len()) {
            xs.par_iter().map(g).collect()
        } else {
            xs.iter().map(g).collect()
        };
        let out = ndarray::ArrayD::from_shape_vec(shape, out).expect("one value per element");
        return (out, None);
    }
    let f = |&v: &f64| if v <= 0.0 { (0.0, true) } else { (v, false) };
    let (out, mask): (Vec<f64>, Vec<bool>) = if split_len(xs.len()) {
        xs.par_iter().map(f).unzip()
    } else {
        xs.iter().map(f).unzip()
    };
    (
        ndarray::ArrayD::from_shape_vec(shape.clone(), out).expect("one value per element"),
        Some(ndarray::ArrayD::from_shape_vec(shape, mask).expect("one flag per element")),
    )
}

/// ReLU's backward: `dout` where `mask` is false, 0 where it is true (the same shape), as
/// [`relu_forward`] splits it.
pub(crate) fn relu_backward(
    dout: &ndarray::ArrayRef<f64, ndarray::IxDyn>,
    mask: &ndarray::ArrayRef<bool, ndarray::IxDyn>,
) -> ndarray::ArrayD<f64> {
    let (d, m) = (dout.as_standard_layout(), mask.as_standard_layout());
    let (ds, ms) = (
        d.as_slice().expect("standard"),
        m.as_slice().expect("standard"),
    );
    let f = |(&d, &m): (&f64, &bool)| if m { 0.0 } else { d };
    let dx: Vec<f64> = if split_len(ds.len()) {
        use rayon::prelude::*;
        ds.par_iter().zip(ms).map(f).collect()
    } else {
        ds.iter().zip(ms).map(f).collect()
    };
    ndarray::ArrayD::from_shape_vec(d.raw_dim(), dx).expect("one value per element")
}

/// The number of threads the library uses (`DLFS_THREADS`, else `RAYON_NUM_THREADS`, else
/// one per core).
///
/// The first call sizes rayon's global pool from `DLFS_THREADS`. Said once on stderr, and
/// otherwise ignored: an unusable value (`0`, `two`); a value that comes too late (the
/// program used rayon, e.g. `dlfs::rayon`, before its first dlfs call, so the pool already
/// runs another number of threads: it is kept). Honoured, and said once: more threads than
/// the machine has cores (they take turns, which is much slower).
pub fn threads() -> usize {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let Ok(s) = std::env::var("DLFS_THREADS") else {
            return;
        };
        match s.trim().parse::<usize>() {
            Ok(n) if n > 0 => {
                // Fails only if the pool already exists (e.g. the caller built it): keep it.
                let built = rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build_global()
                    .is_ok();
                let running = rayon::current_num_threads();
                let cores = std::thread::available_parallelism().map_or(n, |c| c.get());
                if !built && running != n {
                    eprintln!(
                        "dlfs: DLFS_THREADS={n} came too late: rayon's pool was already built \
                         with {running} threads (the program used rayon before its first dlfs \
                         call); using {running}. Set DLFS_THREADS before that, or call \
                         dlfs::kernels::threads() first"
                    );
                } else if built && n > cores {
                    eprintln!(
                        "dlfs: DLFS_THREADS={n} is more than this machine's {cores} cores: \
                         honoured, but the threads take turns, which is much slower than {cores}"
                    );
                }
            }
            _ => eprintln!(
                "dlfs: DLFS_THREADS={s:?} is not a positive whole number; ignored (using {} threads)",
                rayon::current_num_threads()
            ),
        }
    });
    rayon::current_num_threads()
}

//! Scratch buffers for the convolution's kernels ([`super::conv`]): one set per thread, kept
//! for the thread's life.
//!
//! Backward's buffers hold a chunk's im2col rows and activation gradients, about a megabyte
//! each for SimpleConvNet. rayon's `for_each_init` would make a new set for every parallel
//! job (not once per thread), so every step would allocate and first-touch them again. The
//! threads are rayon's workers (or the caller's), which live as long as the process, so
//! each thread's buffers are made once and grow to the largest size asked for.

use std::cell::RefCell;

/// Scratch buffers of one thread: im2col rows and their gradient, and the chunk's
/// convolution outputs or their gradient.
#[derive(Default)]
pub(crate) struct Scratch {
    pub col: Vec<f64>,
    pub dcol: Vec<f64>,
    pub act: Vec<f64>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// Runs `f` with this thread's scratch buffers (their contents are whatever the last user
/// left: clear or overwrite before reading).
///
/// # Panics
/// If `f` calls `with_scratch` again (the buffers are borrowed once at a time).
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|s| f(&mut s.borrow_mut()))
}

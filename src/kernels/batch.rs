//! Scratch buffers for the chunked convolution ([`super::fused`]): one set per thread, kept
//! for the thread's life.
//!
//! A chunk's im2col rows and activations are about a megabyte each. Buffers that size come
//! from the system as fresh pages, and touching them the first time costs more than the
//! work done in them: with a new set for each parallel job (rayon's `for_each_init` makes
//! one per job, not per thread), the SimpleConvNet forward pass took 10.5 ms instead of
//! about 4. The threads are rayon's workers (or the caller's), which live as long as the
//! process, so each thread's buffers are made once and reused.

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

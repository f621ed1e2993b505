//! DLFS_THREADS sizes the thread pool even when a network's first parallel loop is the
//! convolution's kernel (its own test binary: the pool is global to a process and sized
//! only once).

// setting an environment variable is `unsafe` (edition 2024); this binary does it once
#![allow(unsafe_code)]

use dlfs::init::{rand_uniform, seeded_rng};
use dlfs::ndarray::IxDyn;
use dlfs::prelude::*;

#[test]
fn dlfs_threads_is_honoured_by_a_conv_net_first_forward() {
    // SAFETY: the only test in this binary; nothing else reads the environment meanwhile.
    unsafe { std::env::set_var("DLFS_THREADS", "1") };
    let mut r = seeded_rng(3);
    let mut net = SimpleConvNet::new(ConvNetConfig::default(), &mut r);
    let x = rand_uniform(IxDyn(&[8, 1, 28, 28]), 0.0, 1.0, &mut r);
    // the first thing this process runs in parallel: the convolution's forward
    net.predict(&x, false);
    assert_eq!(
        rayon::current_num_threads(),
        1,
        "DLFS_THREADS=1 was ignored: the pool was built with its default size before \
         dlfs::kernels::threads() read the variable (a parallel loop that does not call it first)"
    );
}

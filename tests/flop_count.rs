//! The benchmark's floors divide `dlfs::kernels::flop_count` by the GEMM rate: every matrix
//! product a network computes must be counted, whichever kernel ran it (its own test
//! binary: the counter is global to a process, and no other test may multiply meanwhile).

use dlfs::init::{rand_uniform, seeded_rng};
use dlfs::kernels::flop_count;
use dlfs::ndarray::IxDyn;
use dlfs::prelude::*;

#[test]
fn a_simple_conv_net_counts_every_product_forward_and_backward() {
    let mut r = seeded_rng(5);
    let mut net = SimpleConvNet::new(ConvNetConfig::default(), &mut r);
    let n = 13;
    let x = rand_uniform(IxDyn(&[n, 1, 28, 28]), 0.0, 1.0, &mut r);
    let before = flop_count();
    net.predict(&x, false);
    let counted = flop_count() - before;
    // conv (30 filters of 1·5·5 over 24·24 positions), Affine1 (4320 → 100), Affine2 (100 → 10)
    let (conv, affine1, affine2) = (2 * n * 30 * 576 * 25, 2 * n * 4320 * 100, 2 * n * 100 * 10);
    assert_eq!(
        counted as usize,
        conv + affine1 + affine2,
        "flop_count after one forward of {n} images: the convolution's {conv}, Affine1's \
         {affine1} and Affine2's {affine2} should all be counted (is the first convolution's \
         kernel counting its product?)"
    );
    // a training step: the forward again, then backward: dW and dx of both Affine layers,
    // and the convolution's dW (its ∂L/∂x is not needed, the first layer's input is data)
    let t = dlfs::ndarray::Array1::from_iter((0..n).map(|i| (i % 10) as f64)).into_dyn();
    let before = flop_count();
    net.backprop(&x, &t);
    let counted = flop_count() - before;
    let backward = 2 * affine1 + 2 * affine2 + conv;
    assert_eq!(
        counted as usize,
        conv + affine1 + affine2 + backward,
        "flop_count over a training step of {n} images: forward {} and backward {backward} \
         (Affine2's and Affine1's dW and dx, the convolution's dW; is the direct dW kernel \
         counting its product?)",
        conv + affine1 + affine2
    );
}

//! [`ConvReluPool`] (the fused Convolution → ReLU → Pooling layer SimpleConvNet uses)
//! against the three book layers in a row: the same loss, gradients, input gradient and
//! scores, to rounding (the fused layer sums each product in another order), over
//! geometries with padding, strides, overlapping and tiling windows, and ties.

use dlfs::init::{rand_uniform, randn, seeded_rng};
use dlfs::layers::{Affine, Convolution, Layer, Pooling, Relu};
use dlfs::ndarray::{Array1, ArrayD, IxDyn};
use dlfs::nets::ConvReluPool;
use dlfs::nets::Sequential;

mod common;

/// `lead` an optional ReLU before the convolution (so the convolution is not the first
/// layer and must compute ∂L/∂x); conv with `c` channels, `filters` filters of `fs`×`fs`, `pad`;
/// then ReLU, pooling (`pool`: window, stride, pad), Affine to 10.
struct Spec {
    lead: bool,
    c: usize,
    filters: usize,
    hw: usize,
    fs: usize,
    conv_pad: usize,
    conv_stride: usize,
    pool: (usize, usize, usize),
}

fn build(spec: &Spec, seed: u64, fused: bool) -> Sequential {
    let mut r = seeded_rng(seed);
    let conv = Convolution::new(
        randn((spec.filters, spec.c, spec.fs, spec.fs), &mut r) * 0.3,
        randn(spec.filters, &mut r) * 0.1,
        spec.conv_stride,
        spec.conv_pad,
    );
    let oh = (spec.hw + 2 * spec.conv_pad - spec.fs) / spec.conv_stride + 1;
    let (ph, ps, pp) = spec.pool;
    let poh = (oh + 2 * pp - ph) / ps + 1;
    let pool = Pooling::new(ph, ph, ps, pp);
    let mut net = Sequential::new();
    if spec.lead {
        net.push("Relu0", Relu::new());
    }
    if fused {
        net.push_with_suffix("Conv1+Relu1+Pool1", "1", ConvReluPool::new(conv, pool));
    } else {
        net.push("Conv1", conv)
            .push("Relu1", Relu::new())
            .push("Pool1", pool);
    }
    net.push_with_suffix(
        "Affine1",
        "2",
        Affine::new(
            randn((spec.filters * poh * poh, 10), &mut r) * 0.1,
            Array1::zeros(10),
        ),
    );
    net
}

fn data(spec: &Spec, n: usize, seed: u64) -> (ArrayD<f64>, ArrayD<f64>) {
    let mut r = seeded_rng(seed);
    // values around 0, so ReLU masks and pooling ties both happen
    let x = (rand_uniform((n, spec.c, spec.hw, spec.hw), -1.0, 1.0, &mut r) * 4.0)
        .mapv(f64::round)
        .into_dyn();
    let t = ArrayD::from_shape_fn(IxDyn(&[n]), |i| ((i[0] * 7) % 10) as f64);
    (x, t)
}

/// Loss and ∂L/∂x of the whole stack, each layer's forward and backward by hand.
fn by_hand(net: &mut Sequential, x: &ArrayD<f64>, t: &ArrayD<f64>) -> (f64, ArrayD<f64>) {
    let mut y = x.clone();
    for l in net.layers.iter_mut() {
        y = l.layer.forward(&y, true);
    }
    let loss = net.last_layer.forward(&y, t);
    let mut d = net.last_layer.backward(1.0);
    for l in net.layers.iter_mut().rev() {
        d = l.layer.backward(&d);
    }
    (loss, d)
}

#[track_caller]
fn close(a: &ArrayD<f64>, b: &ArrayD<f64>, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes");
    let scale = a.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    let diff = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    assert!(
        diff <= 1e-12 * scale,
        "{what}: max |fused − plain| = {diff:e}"
    );
}

fn check(spec: Spec) {
    check_batch(spec, 5)
}

/// As [`check`] with a batch of `n` samples (the fused layer takes them 8 at a time).
fn check_batch(spec: Spec, n: usize) {
    let (x, t) = data(&spec, n, 3);
    let (mut plain, mut fused) = (build(&spec, 1, false), build(&spec, 1, true));
    for step in 0..2 {
        let (loss_plain, dx_plain) = by_hand(&mut plain, &x, &t);
        let (loss_fused, dx_fused) = by_hand(&mut fused, &x, &t);
        assert!((loss_plain - loss_fused).abs() < 1e-12, "loss, step {step}");
        let (pp, pf) = (plain.params(), fused.params());
        assert_eq!(pp.len(), pf.len());
        for (p, f) in pp.iter().zip(&pf) {
            assert_eq!(p.name, f.name);
            assert!(
                p.grad.iter().any(|v| *v != 0.0),
                "{} has a gradient",
                p.name
            );
            close(
                p.grad,
                f.grad,
                &format!("gradient of {}, step {step}", p.name),
            );
        }
        if spec.lead {
            assert!(dx_plain.iter().any(|v| *v != 0.0));
            close(&dx_plain, &dx_fused, "∂L/∂x");
        }
        close(
            &plain.predict(&x, false),
            &fused.predict(&x, false),
            "inference scores",
        );
        // a step of plain SGD on both, so the second round starts elsewhere
        for net in [&mut plain, &mut fused] {
            for p in net.params() {
                p.value.scaled_add(-0.5, p.grad);
            }
        }
    }
}

#[test]
fn simple_conv_net_shape_first_layer() {
    check(mnist_like(false));
}

/// SimpleConvNet's first layer on a 12×12 image: one channel, 5×5 filters, a 2×2 pool.
fn mnist_like(lead: bool) -> Spec {
    Spec {
        lead,
        c: 1,
        filters: 4,
        hw: 12,
        fs: 5,
        conv_pad: 0,
        conv_stride: 1,
        pool: (2, 2, 0),
    }
}

#[test]
fn conv_after_another_layer_computes_input_gradient() {
    check(Spec {
        lead: true,
        c: 3,
        filters: 4,
        hw: 9,
        fs: 3,
        conv_pad: 1,
        conv_stride: 1,
        pool: (2, 2, 0),
    });
}

/// Where the fast kernels step aside, one at a time: 40 filters are more than the direct
/// dW kernel's 32 lanes (backward through im2col and the product, forward still by the
/// small-K kernel); 3 channels of 5×5 (K = 75) are more than the small-K forward takes
/// (forward through im2col and the product, backward still direct).
#[test]
fn more_filters_than_the_direct_dw_kernel_takes() {
    check(five_by_five_on_ten(1, 40));
}

#[test]
fn a_longer_filter_than_the_small_k_forward_takes() {
    check(five_by_five_on_ten(3, 4));
}

/// `filters` filters of `c`×5×5 over a padded 10×10 input, after a ReLU, then a 2×2 pool.
fn five_by_five_on_ten(c: usize, filters: usize) -> Spec {
    Spec {
        lead: true,
        c,
        filters,
        hw: 10,
        fs: 5,
        conv_pad: 1,
        conv_stride: 1,
        pool: (2, 2, 0),
    }
}

/// SimpleConvNet's first layer at full size (28×28, 5×5 filters): 12 pooled outputs a row,
/// so the AVX-512 pooling kernel runs (it takes rows of 8 or more).
#[test]
fn simple_conv_net_first_layer_full_size() {
    check(Spec {
        hw: 28,
        ..mnist_like(false)
    });
}

/// 3×3 windows at stride 3 that tile the 9×9 activation exactly
/// (`conv_after_another_layer_computes_input_gradient` has 2×2 windows at stride 2 that
/// leave its last row and column out).
#[test]
fn tiling_three_by_three_windows() {
    check(Spec {
        lead: true,
        c: 2,
        filters: 4,
        hw: 9,
        fs: 3,
        conv_pad: 1,
        conv_stride: 1,
        pool: (3, 3, 0),
    });
}

#[test]
fn overlapping_padded_pooling_and_strided_conv() {
    check(Spec {
        lead: true,
        c: 2,
        filters: 4,
        hw: 11,
        fs: 3,
        conv_pad: 1,
        conv_stride: 2,
        pool: (3, 2, 1),
    });
}

/// Pooling whose window does not fit the convolution's output: the fused layer says so,
/// naming itself and the convolution output's shape.
#[test]
#[should_panic(expected = "ConvReluPool.forward: got shape [1, 2, 2, 2]")]
fn pooling_too_large_is_reported() {
    let mut r = seeded_rng(0);
    let conv = Convolution::new(randn((2, 1, 3, 3), &mut r), Array1::zeros(2), 1, 0);
    let mut layer = ConvReluPool::new(conv, Pooling::new(4, 4, 1, 0));
    let x = randn((1, 1, 4, 4), &mut r).into_dyn();
    layer.forward(&x, true);
}

/// An empty batch goes through with the right shapes.
#[test]
fn empty_batch() {
    let spec = Spec {
        lead: false,
        c: 1,
        filters: 4,
        hw: 6,
        fs: 3,
        conv_pad: 0,
        conv_stride: 1,
        pool: (2, 2, 0),
    };
    let mut net = build(&spec, 1, true);
    let x = ArrayD::zeros(IxDyn(&[0, 1, 6, 6]));
    assert_eq!(net.predict(&x, true).shape(), &[0, 10]);
}

/// The pooling window must fit the convolution's (padded) output in each direction on its
/// own: on a 2×2 output, 2×2 fits exactly, 3×3 with pad 1 fits (2 + 2·1 ≥ 3), 4×1, 1×4 and
/// 5×5 with pad 1 (5 > 2 + 2·1) do not.
#[test]
fn the_pooling_window_must_fit_each_side_of_the_padded_output() {
    let mut r = seeded_rng(0);
    let conv = Convolution::new(randn((2, 1, 3, 3), &mut r), Array1::zeros(2), 1, 0);
    let x = randn((1, 1, 4, 4), &mut r).into_dyn();
    for ((h, w, pad), fits) in [
        ((2, 2, 0), true),
        ((3, 3, 1), true),
        ((4, 1, 0), false),
        ((1, 4, 0), false),
        ((5, 5, 1), false),
    ] {
        let mut layer = ConvReluPool::new(conv.clone(), Pooling::new(h, w, 1, pad));
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            layer.forward(&x, true).shape().to_vec()
        }));
        match (run, fits) {
            (Ok(shape), true) => assert_eq!(shape[..2], [1, 2], "{h}×{w} pad {pad}"),
            (Err(e), false) => {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                assert!(
                    msg.contains("ConvReluPool.forward: got shape [1, 2, 2, 2]"),
                    "{h}×{w} pad {pad}: {msg}"
                );
            }
            (Ok(shape), false) => panic!("{h}×{w} pad {pad} cannot fit, yet gave {shape:?}"),
            (Err(_), true) => panic!("{h}×{w} pad {pad} fits, yet was refused"),
        }
    }
}

/// A batch of several chunks (the fused layer computes 8 samples per product) and a last
/// one that is not full: every sample's place in its chunk, and the chunks' gradient sums.
#[test]
fn batches_of_several_chunks_and_a_partial_one() {
    for n in [8, 9, 19] {
        check_batch(
            Spec {
                lead: true,
                c: 2,
                filters: 4,
                hw: 8,
                fs: 3,
                conv_pad: 1,
                conv_stride: 1,
                pool: (2, 2, 0),
            },
            n,
        );
    }
}

/// The chunks run on all threads and their gradients are summed in chunk order: the
/// loss, every gradient and ∂L/∂x are the same bits on one thread as on several.
#[test]
fn the_same_bits_on_one_thread_and_on_several() {
    let one = common::one_thread_pool();
    let spec = mnist_like(true);
    let (x, t) = data(&spec, 37, 4);
    let run = || {
        let mut net = build(&spec, 2, true);
        let (loss, dx) = by_hand(&mut net, &x, &t);
        let grads: Vec<ArrayD<f64>> = net.params().iter().map(|p| p.grad.clone()).collect();
        (loss, dx, grads, net.predict(&x, false))
    };
    let (a, b) = (one.install(run), run());
    assert!(a.0.to_bits() == b.0.to_bits(), "loss: {} vs {}", a.0, b.0);
    assert!(a.1 == b.1, "∂L/∂x differs between 1 thread and several");
    for (i, (ga, gb)) in a.2.iter().zip(&b.2).enumerate() {
        assert!(
            ga == gb,
            "gradient {i} differs between 1 thread and several"
        );
    }
    assert!(a.3 == b.3, "scores differ between 1 thread and several");
}

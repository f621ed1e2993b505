//! SimpleConvNet: numerical gradient check on small inputs (odd sizes included), shapes.

use dlfs::ndarray::{Array1, ArrayD, IxDyn};
use dlfs::nets::{ConvNetConfig, SimpleConvNet};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod common;
use common::assert_grad;

/// The check on the book's three layers (the default) and on the fused option.
fn gradient_check(config: ConvNetConfig, batch: usize, seed: u64) {
    for fuse_conv_relu_pool in [false, true] {
        gradient_check_one(
            ConvNetConfig {
                fuse_conv_relu_pool,
                ..config.clone()
            },
            batch,
            seed,
        );
    }
}

fn gradient_check_one(config: ConvNetConfig, batch: usize, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (c, h, w) = config.input_dim;
    let classes = config.output_size;
    let mut net = SimpleConvNet::new(config.clone(), &mut rng);
    let x = ArrayD::from_shape_simple_fn(IxDyn(&[batch, c, h, w]), || rng.random_range(-1.0..1.0));
    let t = Array1::from_shape_simple_fn(batch, || rng.random_range(0..classes) as f64).into_dyn();
    let num = net.numerical_gradient(&x, &t);
    let grad = net.gradient(&x, &t);
    assert_eq!(
        num.names().collect::<Vec<_>>(),
        ["W1", "b1", "W2", "b2", "W3", "b3"]
    );
    println!(
        "SimpleConvNet input {:?}, batch {batch}, fused {}:",
        config.input_dim, config.fuse_conv_relu_pool
    );
    for (name, g) in grad.iter() {
        assert_grad(&format!("  {name}"), g, &num[name]);
    }
}

#[test]
fn gradient_check_odd_input_7x7() {
    // conv 5x5 on 7x7 → 3x3 (odd), pool 2x2/2 → 1x1
    gradient_check(
        ConvNetConfig {
            input_dim: (1, 7, 7),
            filter_num: 3,
            hidden_size: 5,
            weight_init_std: 0.3,
            ..Default::default()
        },
        2,
        1,
    );
}

#[test]
fn gradient_check_8x8_odd_pool_stride_pad() {
    // conv 3x3 pad 1 on 2x8x9 → 8x9, pool → 4x4 (9 is odd)
    gradient_check(
        ConvNetConfig {
            input_dim: (2, 8, 9),
            filter_num: 3,
            filter_size: 3,
            pad: 1,
            hidden_size: 5,
            output_size: 4,
            weight_init_std: 0.3,
            ..Default::default()
        },
        2,
        2,
    );
}

#[test]
fn book_configuration_shapes() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut net = SimpleConvNet::new(ConvNetConfig::default(), &mut rng);
    assert_eq!(
        net.layer_names(),
        ["Conv1", "Relu1", "Pool1", "Affine1", "Relu2", "Affine2"]
    );
    let fused = SimpleConvNet::new(
        ConvNetConfig {
            fuse_conv_relu_pool: true,
            ..Default::default()
        },
        &mut ChaCha8Rng::seed_from_u64(0),
    );
    assert_eq!(
        fused.layer_names(),
        ["Conv1+Relu1+Pool1", "Affine1", "Relu2", "Affine2"]
    );
    let p = net.param_values();
    assert_eq!(p["W1"].shape(), &[30, 1, 5, 5]);
    assert_eq!(p["b1"].shape(), &[30]);
    assert_eq!(p["W2"].shape(), &[30 * 12 * 12, 100]);
    assert_eq!(p["W3"].shape(), &[100, 10]);
    let std = (p["W2"].iter().map(|v| v * v).sum::<f64>() / p["W2"].len() as f64).sqrt();
    assert!((std - 0.01).abs() < 0.0005, "std {std}");
    let x = ArrayD::zeros(IxDyn(&[3, 1, 28, 28]));
    assert_eq!(net.predict(&x, false).shape(), &[3, 10]);
    // same seed, same weights
    let mut again = SimpleConvNet::new(ConvNetConfig::default(), &mut ChaCha8Rng::seed_from_u64(0));
    assert_eq!(again.param_values(), p);
}

#[test]
#[should_panic(expected = "SimpleConvNet.new: the conv output 1×1")]
fn too_small_for_the_pool_panics() {
    let config = ConvNetConfig {
        input_dim: (1, 5, 5),
        ..Default::default()
    };
    SimpleConvNet::new(config, &mut ChaCha8Rng::seed_from_u64(0));
}

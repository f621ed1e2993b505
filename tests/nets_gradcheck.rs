//! Numerical gradient checks of every network on small random inputs (the book's
//! `gradient_check.py`), reporting the relative error per parameter name (`common::assert_grad_check`).

use dlfs::prelude::*;

mod common;
use common::{assert_grad, assert_grad_check};

fn data(n: usize, d: usize, classes: usize, seed: u64) -> (ArrayD<f64>, ArrayD<f64>) {
    let mut r = seeded_rng(seed);
    let x = randn(IxDyn(&[n, d]), &mut r);
    let t = ArrayD::from_shape_vec(
        IxDyn(&[n]),
        choice(classes, n, &mut r)
            .into_iter()
            .map(|k| k as f64)
            .collect(),
    )
    .unwrap();
    (x, t)
}

fn assert_tight(label: &str, report: &GradCheck, names: &[&str]) {
    println!("{label}:\n{report}");
    let got: Vec<&str> = report.0.iter().map(|e| e.name.as_str()).collect();
    // printed like the book's gradient_check.py: one `name:mean` line per parameter
    let printed = report.to_string();
    assert_eq!(printed.lines().count(), names.len());
    for (line, name) in printed.lines().zip(names) {
        assert!(line.starts_with(&format!("{name}:")), "{line}");
    }
    assert_eq!(got, names, "{label}");
    assert_grad_check(label, report);
}

#[test]
fn two_layer_net() {
    let (x, t) = data(3, 6, 4, 1);
    let mut net = TwoLayerNet::new(6, 5, 4, 0.5, &mut seeded_rng(2));
    let report = gradient_check(&mut net, &x, &t);
    assert_tight("TwoLayerNet", &report, &["W1", "b1", "W2", "b2"]);
}

#[test]
fn two_layer_net_book_order_numerical_first() {
    // the book computes the numerical gradient first, then backprop
    let (x, t) = data(3, 6, 4, 3);
    let mut net = TwoLayerNet::new(6, 5, 4, 0.5, &mut seeded_rng(4));
    let num = net.numerical_gradient(&x, &t);
    let bp = net.gradient(&x, &t);
    for (name, g) in num.iter() {
        assert_grad(name, &bp[name], g);
    }
}

#[test]
fn multi_layer_net_relu_and_sigmoid_with_weight_decay() {
    let (x, t) = data(4, 5, 3, 5);
    for (act, init) in [
        (Activation::Relu, WeightInit::He),
        (Activation::Sigmoid, WeightInit::Xavier),
    ] {
        let mut net = MultiLayerNet::new(5, &[6, 4], 3, act, init, 0.1, &mut seeded_rng(6));
        let report = net.gradient_check(&x, &t);
        assert_tight(
            &format!("MultiLayerNet {act:?} λ=0.1"),
            &report,
            &["W1", "b1", "W2", "b2", "W3", "b3"],
        );
    }
}

#[test]
fn weight_decay_enters_loss_and_gradient() {
    let (x, t) = data(4, 5, 3, 7);
    let mut plain = MultiLayerNet::new(5, &[6], 3, "relu", "he", 0.0, &mut seeded_rng(8));
    let mut decayed = MultiLayerNet::new(5, &[6], 3, "relu", "he", 0.5, &mut seeded_rng(8));
    let w = plain.param_values();
    let penalty: f64 = ["W1", "W2"]
        .iter()
        .map(|n| 0.25 * w[*n].mapv(|v| v * v).sum())
        .sum();
    let (l0, l1) = (plain.loss(&x, &t, true), decayed.loss(&x, &t, true));
    assert!((l1 - l0 - penalty).abs() < 1e-12);
    let (g0, g1) = (plain.gradient(&x, &t), decayed.gradient(&x, &t));
    let diff = &g1["W1"] - &g0["W1"] - &w["W1"] * 0.5;
    assert!(diff.iter().all(|d| d.abs() < 1e-12));
    assert_eq!(g0["b1"], g1["b1"]);
}

#[test]
fn multi_layer_net_extend_batchnorm_and_dropout() {
    let (x, t) = data(5, 4, 3, 9);
    let opts = ExtendOptions {
        use_batchnorm: true,
        use_dropout: true,
        dropout_ratio: 0.3,
        weight_decay_lambda: 0.05,
        ..Default::default()
    };
    let mut net = MultiLayerNetExtend::new(4, &[6, 5], 3, opts, &mut seeded_rng(10));
    let before = net.buffer_values();
    let report = net.gradient_check(&x, &t);
    assert_tight(
        "MultiLayerNetExtend BN+dropout",
        &report,
        &[
            "W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3",
        ],
    );
    assert_eq!(net.buffer_values(), before, "running statistics restored");
    // masks are released afterwards: two training passes draw different masks,
    // inference passes agree
    assert_ne!(net.predict(&x, true), net.predict(&x, true));
    assert_eq!(net.predict(&x, false), net.predict(&x, false));
}

#[test]
fn multi_layer_net_extend_batchnorm_sigmoid() {
    let (x, t) = data(6, 4, 3, 11);
    let opts = ExtendOptions {
        use_batchnorm: true,
        activation: Activation::Sigmoid,
        weight_init_std: WeightInit::Std(0.3),
        ..Default::default()
    };
    let mut net = MultiLayerNetExtend::new(4, &[5], 3, opts, &mut seeded_rng(12));
    let report = net.gradient_check(&x, &t);
    assert_tight(
        "MultiLayerNetExtend BN sigmoid",
        &report,
        &["W1", "b1", "gamma1", "beta1", "W2", "b2"],
    );
}

#[test]
fn extend_without_options_has_same_weights_as_multi_layer_net() {
    let mut a = MultiLayerNet::new(4, &[5, 5], 3, "relu", "he", 0.0, &mut seeded_rng(3));
    let opts = ExtendOptions {
        use_dropout: true,
        ..Default::default()
    };
    let mut b = MultiLayerNetExtend::new(4, &[5, 5], 3, opts, &mut seeded_rng(3));
    assert_eq!(a.param_values(), b.param_values());
}

//! Numerical gradient checks of the layers with parameters (and of Sigmoid and Dropout's
//! ∂L/∂x). Each layer's output is reduced to L = Σ out ⊙ R with a fixed random R, so
//! backward gets dout = R; every gradient is compared with the central difference.

use dlfs::gradient::numerical_gradient;
use dlfs::init::{randn, seeded_rng};
use dlfs::layers::{Affine, BatchNormalization, Dropout, Layer, Sigmoid};
use dlfs::ndarray::{Array1, ArrayD, IxDyn};

mod common;
use common::assert_grad;

fn weighted_sum(a: &ArrayD<f64>, r: &ArrayD<f64>) -> f64 {
    (a * r).sum()
}

/// Checks ∂L/∂x and every parameter of `layer` at `x` in the given mode (relative error,
/// not all zero: `common::assert_grad`); returns the per-name max relative errors.
fn check(layer: &mut dyn Layer, x: &ArrayD<f64>, train: bool, seed: u64) -> Vec<(String, f64)> {
    let mut r = seeded_rng(seed);
    let out = layer.forward(x, train);
    let weights = randn(IxDyn(out.shape()), &mut r);
    layer.forward(x, train);
    let dx = layer.backward(&weights);
    let grads: Vec<(String, ArrayD<f64>)> = layer
        .params()
        .into_iter()
        .map(|p| (p.name, p.grad.clone()))
        .collect();

    let mut report = Vec::new();
    let mut xv = x.clone();
    let num_dx = numerical_gradient(
        |x| weighted_sum(&layer.forward(x, train), &weights),
        &mut xv,
    );
    let kind = layer.kind();
    report.push((
        "x".to_string(),
        assert_grad(&format!("{kind} x"), &dx, &num_dx),
    ));

    for (pi, (name, grad)) in grads.iter().enumerate() {
        let mut value = layer.params()[pi].value.clone();
        let num = numerical_gradient(
            |v| {
                *layer.params()[pi].value = v.clone();
                weighted_sum(&layer.forward(x, train), &weights)
            },
            &mut value,
        );
        *layer.params()[pi].value = value;
        report.push((
            name.clone(),
            assert_grad(&format!("{kind} {name}"), grad, &num),
        ));
    }
    report
}

#[test]
fn affine_gradients() {
    let mut r = seeded_rng(1);
    let mut layer = Affine::new(randn((6, 4), &mut r), randn(4, &mut r));
    check(&mut layer, &randn(IxDyn(&[3, 6]), &mut r), true, 2);
    // 4-D input is flattened per sample, dx comes back 4-D
    check(&mut layer, &randn(IxDyn(&[2, 1, 2, 3]), &mut r), true, 3);
}

#[test]
fn sigmoid_gradient() {
    let mut r = seeded_rng(4);
    check(&mut Sigmoid::new(), &randn(IxDyn(&[3, 5]), &mut r), true, 5);
}

#[test]
fn batch_norm_2d_gradients_train_and_inference() {
    let mut r = seeded_rng(6);
    let mut bn = BatchNormalization::with_params(randn(5, &mut r) + 1.0, randn(5, &mut r));
    let x = randn(IxDyn(&[4, 5]), &mut r) * 3.0 + 1.0;
    let report = check(&mut bn, &x, true, 7);
    assert_eq!(
        report.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["x", "gamma", "beta"]
    );
    bn.running_var = ArrayD::from_elem(IxDyn(&[5]), 2.0);
    check(&mut bn, &x, false, 8);
}

#[test]
fn batch_norm_4d_gradients_per_channel() {
    let mut r = seeded_rng(9);
    let mut bn = BatchNormalization::with_params(randn(3, &mut r) + 1.0, randn(3, &mut r));
    let x = randn(IxDyn(&[2, 3, 3, 2]), &mut r) * 2.0 - 0.5;
    check(&mut bn, &x, true, 10);
    assert_eq!(bn.gamma.shape(), [3]);
}

#[test]
fn batch_norm_4d_normalises_each_channel() {
    let mut r = seeded_rng(11);
    let mut bn = BatchNormalization::new(2);
    let mut x = randn(IxDyn(&[3, 2, 2, 2]), &mut r);
    // channel 1 has a large offset and scale: per-channel statistics remove it
    x.index_axis_mut(dlfs::ndarray::Axis(1), 1)
        .mapv_inplace(|v| 10.0 * v + 50.0);
    let y = bn.forward(&x, true);
    for c in 0..2 {
        let ch = y.index_axis(dlfs::ndarray::Axis(1), c);
        let mean = ch.mean().unwrap();
        let var = ch.mapv(|v| (v - mean).powi(2)).mean().unwrap();
        assert!(mean.abs() < 1e-12, "channel {c} mean {mean}");
        assert!((var - 1.0).abs() < 1e-5, "channel {c} var {var}");
    }
    // running statistics per channel moved 10 % toward the batch's
    assert!((bn.running_mean[1] - 5.0).abs() < 1.0);
    assert!(bn.running_mean[0].abs() < 0.2);
    // inference uses the running statistics
    bn.running_mean = Array1::from(vec![1.0, 2.0]).into_dyn();
    bn.running_var = Array1::from(vec![4.0, 9.0]).into_dyn();
    bn.eps = 0.0;
    let y = bn.forward(&x, false);
    let expect = (x[[0, 1, 0, 0]] - 2.0) / 3.0;
    assert!((y[[0, 1, 0, 0]] - expect).abs() < 1e-15);
}

#[test]
fn dropout_gradient_with_frozen_mask() {
    let mut r = seeded_rng(12);
    let mut d = Dropout::new(0.4, 13);
    d.frozen = true;
    check(&mut d, &randn(IxDyn(&[4, 6]), &mut r), true, 14);
}

#[test]
fn dropout_masks_are_seeded_and_change_unless_frozen() {
    let x = ArrayD::ones(IxDyn(&[3, 50]));
    let (mut a, mut b) = (Dropout::new(0.5, 7), Dropout::new(0.5, 7));
    let ya = a.forward(&x, true);
    assert_eq!(ya, b.forward(&x, true));
    let ya2 = a.forward(&x, true);
    assert_ne!(ya, ya2);
    a.frozen = true;
    assert_eq!(a.forward(&x, true), ya2);
    // backward scales like forward
    let dx = a.backward(&x);
    assert_eq!(dx, ya2);
}

/// out = x + b (per column) with a backward that returns 1.5 × the true ∂L/∂b: a mistake
/// in a small gradient.
struct WrongBias {
    b: ArrayD<f64>,
    db: ArrayD<f64>,
}

impl Layer for WrongBias {
    fn forward(&mut self, x: &dlfs::ndarray::ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        x.to_owned() + &self.b
    }
    fn backward(&mut self, dout: &dlfs::ndarray::ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        self.db = dout.sum_axis(dlfs::ndarray::Axis(0)) * 1.5;
        dout.to_owned()
    }
    fn params(&mut self) -> Vec<dlfs::layers::ParamRef<'_>> {
        vec![dlfs::layers::ParamRef::new("b", &mut self.b, &mut self.db)]
    }
}

#[test]
#[should_panic(
    expected = "WrongBias b: numerical gradient check failed: relative error 9.7e-4 at flat index 1"
)]
fn a_small_gradient_off_by_half_fails_the_relative_check() {
    // dout = R · 1e-7: ∂L/∂b is about 1e-7, so the mistake is 5e-8 in absolute terms and
    // passed the old check (max |num − backprop| < 1e-6); below the floor of 1e-4 it is
    // measured against the floor: 1e-7 / 1e-4, two orders above the tolerance.
    let mut layer = WrongBias {
        b: ArrayD::zeros(IxDyn(&[3])),
        db: ArrayD::zeros(IxDyn(&[3])),
    };
    let x = randn(IxDyn(&[4, 3]), &mut seeded_rng(20));
    let mut r = seeded_rng(21);
    let weights = randn(IxDyn(&[4, 3]), &mut r) * 1e-7;
    layer.forward(&x, true);
    layer.backward(&weights);
    let mut b = layer.b.clone();
    let num = numerical_gradient(
        |b| {
            layer.b = b.clone();
            weighted_sum(&layer.forward(&x, true), &weights)
        },
        &mut b,
    );
    let (abs, _) = dlfs::gradient::abs_diff(&layer.db, &num);
    assert!(abs < 1e-6, "the absolute check would have passed: {abs:e}");
    assert_grad("WrongBias b", &layer.db.clone(), &num);
}

//! Gradient check of the bare `Sequential` body (Affine → Relu → Affine → SoftmaxWithLoss)
//! with weights from a fixed formula, so it depends on no RNG.

use dlfs::layers::{Affine, Relu};
use dlfs::ndarray::{Array1, Array2, ArrayD, IxDyn};
use dlfs::nets::Sequential;

mod common;
use common::assert_grad;

fn wave(shape: (usize, usize), phase: f64) -> Array2<f64> {
    Array2::from_shape_fn(shape, |(i, j)| {
        0.5 * ((i * 7 + j * 3) as f64 * 0.37 + phase).sin()
    })
}

fn net(lambda: f64) -> Sequential {
    let mut net = Sequential::new();
    net.push(
        "Affine1",
        Affine::new(wave((4, 5), 0.1), Array1::from_elem(5, 0.05)),
    )
    .push("Relu1", Relu::new())
    .push(
        "Affine2",
        Affine::new(wave((5, 3), 0.7), Array1::from_elem(3, -0.02)),
    );
    net.weight_decay_lambda = lambda;
    net
}

#[test]
fn backprop_matches_numerical_gradient_with_and_without_weight_decay() {
    let x = ArrayD::from_shape_fn(IxDyn(&[3, 4]), |d| ((d[0] * 4 + d[1]) as f64 * 0.9).cos());
    let t_index = ArrayD::from_shape_vec(IxDyn(&[3]), vec![0.0, 2.0, 1.0]).unwrap();
    let mut t_onehot = ArrayD::zeros(IxDyn(&[3, 3]));
    for (i, &k) in [0usize, 2, 1].iter().enumerate() {
        t_onehot[[i, k]] = 1.0;
    }
    for lambda in [0.0, 0.1] {
        for t in [&t_index, &t_onehot] {
            let mut n = net(lambda);
            let num = n.numerical_gradient(&x, t);
            let bp = n.gradient(&x, t);
            assert_eq!(bp.names().collect::<Vec<_>>(), ["W1", "b1", "W2", "b2"]);
            for (name, g) in num.iter() {
                assert_grad(&format!("lambda {lambda} {name}"), &bp[name], g);
            }
        }
    }
}

#[test]
fn accuracy_counts_a_partial_last_batch() {
    let mut n = net(0.0);
    n.eval_batch_size = 2;
    let x = ArrayD::from_shape_fn(IxDyn(&[3, 4]), |d| ((d[0] * 4 + d[1]) as f64 * 0.9).cos());
    let scores = n.predict(&x, false);
    let labels: Vec<f64> = scores
        .outer_iter()
        .map(|r| dlfs::functions::argmax(r.iter().copied()) as f64)
        .collect();
    let t = ArrayD::from_shape_vec(IxDyn(&[3]), labels).unwrap();
    assert_eq!(n.accuracy(&x, &t), 1.0);
}

/// A learner's layer that does not say its kind: `Layer::kind` gives its type's name.
struct Doubler;

impl dlfs::layers::Layer for Doubler {
    fn forward(&mut self, x: &dlfs::ndarray::ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        x.to_owned() * 2.0
    }
    fn backward(&mut self, dout: &dlfs::ndarray::ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        dout.to_owned() * 2.0
    }
}

/// `{:?}` of a network lists its layers by name and kind, a learner's own layer by its type
/// name (the default of `Layer::kind`), and the weight decay when there is one.
#[test]
fn a_network_lists_its_layers_by_name_and_kind() {
    use dlfs::layers::Layer;
    assert_eq!(Doubler.kind(), "Doubler");
    assert_eq!(Relu::new().kind(), "Relu");
    let mut n = net(0.1);
    n.push("Double1", Doubler);
    assert_eq!(
        format!("{n:?}"),
        "Sequential [Affine1 (Affine), Relu1 (Relu), Affine2 (Affine), Double1 (Doubler)], \
         weight decay λ = 0.1"
    );
}

/// A layer's parameters take all the trailing digits of its name (`Affine12` → `W12`), and
/// none when it has none (`Affine` → `W`).
#[test]
fn parameter_names_take_the_layers_trailing_digits() {
    let affine = || Affine::new(wave((2, 2), 0.3), Array1::zeros(2));
    let mut n = Sequential::new();
    n.push("Affine12", affine()).push("Affine", affine());
    let names: Vec<String> = n.params().iter().map(|p| p.name.clone()).collect();
    assert_eq!(names, ["W12", "b12", "W", "b"]);
}

/// Layers by name, to look at or to change (a notebook sets a dropout layer's ratio so).
#[test]
fn layers_by_name() {
    let mut n = net(0.0);
    assert_eq!(n.layer("Relu1").map(|l| l.kind()), Some("Relu"));
    assert_eq!(n.layer_mut("Relu1").map(|l| l.kind()), Some("Relu"));
    assert!(n.layer("Relu2").is_none() && n.layer_mut("Relu2").is_none());
    let w = &mut n.layer_mut("Affine2").expect("Affine2").params()[0];
    assert_eq!(w.name, "W");
    w.value.fill(0.0);
    assert!(n.param_values()["W2"].iter().all(|&v| v == 0.0));
}

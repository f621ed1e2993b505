//! The exercise checks (`dlfs::exercise`) against deliberately wrong implementations: each
//! must be reported ✗ with a message that points at the mistake, a `todo!()` as "not done
//! yet" with its hint, and the library's own classes must pass.
#![allow(clippy::todo)] // an unfinished exercise is a `todo!()`: the checks must say "not done yet"

use dlfs::exercise::*;
use dlfs::layers::{self, Layer, LossLayer, ParamRef, ScalarLayer};
use dlfs::ndarray::{Array1, Array2, ArrayD, ArrayRef, Axis, IxDyn, Zip};
use dlfs::nets::Sequential;

mod common;
use common::{assert_failed, assert_passed};

// ---- the library's own classes pass ----

#[test]
fn the_library_classes_pass_every_check() {
    assert_passed(&check_mul_layer(layers::MulLayer::new));
    assert_passed(&check_add_layer(layers::AddLayer::new));
    assert_passed(&check_relu(layers::Relu::new));
    assert_passed(&check_sigmoid(layers::Sigmoid::new));
    assert_passed(&check_affine(layers::Affine::new));
    assert_passed(&check_softmax_with_loss(layers::SoftmaxWithLoss::new));
    assert_passed(&check_two_layer_net(|w1, b1, w2, b2| {
        let mut net = Sequential::new();
        net.push("Affine1", layers::Affine::new(w1, b1))
            .push("Relu1", layers::Relu::new())
            .push("Affine2", layers::Affine::new(w2, b2));
        net
    }));
}

// ---- not done yet ----

struct Todo;
impl Layer for Todo {
    fn forward(&mut self, _x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        todo!("mask = (x <= 0)")
    }
    fn backward(&mut self, _dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        todo!()
    }
}

#[test]
fn todo_is_not_done_yet_with_its_hint() {
    let r = check_relu(|| Todo);
    assert_eq!(r.outcome, Outcome::NotDone("mask = (x <= 0)".into()));
    assert_eq!(r.to_string(), "… Relu: not done yet: mask = (x <= 0)");
}

struct Panics;
impl Layer for Panics {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        let v: Vec<f64> = x.iter().copied().collect();
        ArrayD::from_elem(x.raw_dim(), v[7]) // out of bounds on small inputs
    }
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        dout.to_owned()
    }
}

#[test]
fn a_panic_is_a_failure_that_quotes_it() {
    assert_failed(
        &check_relu(|| Panics),
        &["forward panicked", "index out of bounds"],
    );
}

// ---- MulLayer / AddLayer ----

#[derive(Default)]
struct MulNoSwap {
    x: f64,
    y: f64,
}
impl ScalarLayer for MulNoSwap {
    fn forward(&mut self, x: f64, y: f64) -> f64 {
        (self.x, self.y) = (x, y);
        x * y
    }
    fn backward(&mut self, dout: f64) -> (f64, f64) {
        (dout * self.x, dout * self.y)
    }
}

#[test]
fn mul_layer_that_does_not_swap_the_inputs() {
    assert_failed(
        &check_mul_layer(MulNoSwap::default),
        &["apple example's backward", "swaps the inputs"],
    );
}

/// Remembers only the first inputs it saw: right on the apple example, wrong afterwards.
#[derive(Default)]
struct MulStale {
    xy: Option<(f64, f64)>,
}
impl ScalarLayer for MulStale {
    fn forward(&mut self, x: f64, y: f64) -> f64 {
        self.xy.get_or_insert((x, y));
        x * y
    }
    fn backward(&mut self, dout: f64) -> (f64, f64) {
        let (x, y) = self.xy.expect("forward first");
        (dout * y, dout * x)
    }
}

#[test]
fn mul_layer_with_stale_inputs() {
    assert_failed(
        &check_mul_layer(MulStale::default),
        &["backward(", "expected ("],
    );
}

struct AddHalf;
impl ScalarLayer for AddHalf {
    fn forward(&mut self, x: f64, y: f64) -> f64 {
        x + y
    }
    fn backward(&mut self, dout: f64) -> (f64, f64) {
        (dout / 2.0, dout / 2.0)
    }
}

#[test]
fn add_layer_that_splits_the_gradient() {
    assert_failed(&check_add_layer(|| AddHalf), &["backward(", "expected ("]);
}

// ---- Relu ----

/// mask = x < 0 instead of x ≤ 0: forward is the same, backward differs at exact zeros.
#[derive(Default)]
struct ReluStrict {
    mask: Option<ArrayD<bool>>,
}
impl Layer for ReluStrict {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        self.mask = Some(x.mapv(|v| v < 0.0));
        x.mapv(|v| v.max(0.0))
    }
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let mask = self.mask.as_ref().unwrap();
        Zip::from(dout)
            .and(mask)
            .map_collect(|&d, &m| if m { 0.0 } else { d })
    }
}

#[test]
fn relu_whose_mask_lets_zeros_through() {
    assert_failed(
        &check_relu(ReluStrict::default),
        &["backward (dx) on x of shape (3, 5)", "yours", "expected 0"],
    );
}

/// Twice the ReLU, forward and backward alike: the gradient check alone cannot see it.
#[derive(Default)]
struct ReluDouble {
    x: Option<ArrayD<f64>>,
}
impl Layer for ReluDouble {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        self.x = Some(x.to_owned());
        x.mapv(|v| 2.0 * v.max(0.0))
    }
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let x = self.x.as_ref().unwrap();
        Zip::from(dout)
            .and(x)
            .map_collect(|&d, &v| if v > 0.0 { 2.0 * d } else { 0.0 })
    }
}

#[test]
fn a_consistent_mistake_is_caught_by_the_reference() {
    assert_failed(
        &check_relu(ReluDouble::default),
        &[
            "forward on x of shape (2, 2)",
            "at [1, 1] (yours 6, expected 3)",
        ],
    );
}

// ---- Sigmoid ----

/// Backward with the input where the output belongs: dout·(1 − x)·x.
#[derive(Default)]
struct SigmoidWrongBackward {
    x: Option<ArrayD<f64>>,
}
impl Layer for SigmoidWrongBackward {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        self.x = Some(x.to_owned());
        x.mapv(|v| 1.0 / (1.0 + (-v).exp()))
    }
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let x = self.x.as_ref().unwrap();
        Zip::from(dout)
            .and(x)
            .map_collect(|&d, &v| d * (1.0 - v) * v)
    }
}

#[test]
fn sigmoid_backward_from_the_input() {
    assert_failed(
        &check_sigmoid(SigmoidWrongBackward::default),
        &["backward (dx) on x of shape (2, 3)"],
    );
}

// ---- Affine ----

#[allow(non_snake_case)]
struct AffineBad {
    W: ArrayD<f64>,
    b: ArrayD<f64>,
    dW: ArrayD<f64>,
    db: ArrayD<f64>,
    x: Option<Array2<f64>>,
    shape: Vec<usize>,
    mistake: AffineMistake,
}

#[derive(Clone, Copy)]
enum AffineMistake {
    /// dW = doutᵀ·x: off by a transpose.
    TransposedDw,
    /// db = the mean over the batch instead of the sum.
    MeanDb,
    /// dx returned flat (N, D) instead of in x's own shape.
    FlatDx,
    /// params named "W1", "b1".
    Names,
}

impl AffineBad {
    fn new(w: Array2<f64>, b: Array1<f64>, mistake: AffineMistake) -> Self {
        Self {
            dW: ArrayD::zeros(w.shape()),
            db: ArrayD::zeros(b.shape()),
            W: w.into_dyn(),
            b: b.into_dyn(),
            x: None,
            shape: vec![],
            mistake,
        }
    }
}

impl Layer for AffineBad {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        self.shape = x.shape().to_vec();
        let n = x.shape()[0];
        let x2 = x.to_shape((n, x.len() / n)).unwrap().to_owned();
        let out = x2.dot(&mat(&self.W)) + &self.b;
        self.x = Some(x2);
        out.into_dyn()
    }
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let x = self.x.as_ref().unwrap();
        let d = mat(dout);
        let dx = d.dot(&mat(&self.W).t());
        self.dW = match self.mistake {
            AffineMistake::TransposedDw => d.t().dot(x).into_dyn(),
            _ => x.t().dot(&d).into_dyn(),
        };
        self.db = match self.mistake {
            AffineMistake::MeanDb => d.mean_axis(Axis(0)).unwrap().into_dyn(),
            _ => d.sum_axis(Axis(0)).into_dyn(),
        };
        match self.mistake {
            AffineMistake::FlatDx => dx.into_dyn(),
            _ => dx.into_shape_with_order(self.shape.clone()).unwrap(),
        }
    }
    fn params(&mut self) -> Vec<ParamRef<'_>> {
        let (w, b) = match self.mistake {
            AffineMistake::Names => ("W1", "b1"),
            _ => ("W", "b"),
        };
        vec![
            ParamRef::new(w, &mut self.W, &mut self.dW),
            ParamRef::new(b, &mut self.b, &mut self.db),
        ]
    }
}

#[test]
fn affine_mistakes() {
    let check = |m| check_affine(move |w, b| AffineBad::new(w, b, m));
    assert_failed(
        &check(AffineMistake::TransposedDw),
        &["backward (dW)", "your shape is (4, 6), expected (6, 4)"],
    );
    assert_failed(
        &check(AffineMistake::MeanDb),
        &["backward (db) on x of shape (3, 6)"],
    );
    assert_failed(
        &check(AffineMistake::FlatDx),
        &[
            "backward (dx) on x of shape (2, 2, 3)",
            "your shape is (2, 6), expected (2, 2, 3)",
        ],
    );
    assert_failed(&check(AffineMistake::Names), &["named [\"W1\", \"b1\"]"]);
}

// ---- SoftmaxWithLoss ----

struct SoftmaxBad {
    sum_loss: bool,
    y: Option<ArrayD<f64>>,
    t: Option<ArrayD<f64>>,
}

impl LossLayer for SoftmaxBad {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>) -> f64 {
        let y = dlfs::functions::softmax(x);
        let mut loss = dlfs::functions::cross_entropy_error(&y, t);
        if self.sum_loss {
            loss *= y.shape()[0] as f64;
        }
        self.y = Some(y);
        self.t = Some(t.to_owned());
        loss
    }
    fn backward(&mut self, dout: f64) -> ArrayD<f64> {
        // (y − t) without the 1/N (one-hot labels only)
        let (y, t) = (self.y.as_ref().unwrap(), self.t.as_ref().unwrap());
        (y - t) * dout
    }
}

#[test]
fn softmax_with_loss_summed_over_the_batch() {
    let r = check_softmax_with_loss(|| SoftmaxBad {
        sum_loss: true,
        y: None,
        t: None,
    });
    assert_failed(&r, &["the sum over the batch: divide by the batch size"]);
}

#[test]
fn softmax_with_loss_backward_without_one_over_n() {
    let r = check_softmax_with_loss(|| SoftmaxBad {
        sum_loss: false,
        y: None,
        t: None,
    });
    assert_failed(&r, &["backward on x of shape (4, 3)"]);
}

// ---- TwoLayerNet ----

#[test]
fn two_layer_net_with_misnamed_layers() {
    let r = check_two_layer_net(|w1, b1, w2, b2| {
        let mut net = Sequential::new();
        net.push("Affine", layers::Affine::new(w1, b1))
            .push("Relu", layers::Relu::new())
            .push("Affine", layers::Affine::new(w2, b2));
        net
    });
    assert_failed(&r, &["name the layers Affine1, Relu1, Affine2"]);
}

#[test]
fn two_layer_net_with_sigmoid_for_relu() {
    let r = check_two_layer_net(|w1, b1, w2, b2| {
        let mut net = Sequential::new();
        net.push("Affine1", layers::Affine::new(w1, b1))
            .push("Sigmoid1", layers::Sigmoid::new())
            .push("Affine2", layers::Affine::new(w2, b2));
        net
    });
    assert_failed(&r, &["loss"]);
}

// ---- progress ----

#[test]
fn progress_counts_passed_exercises() {
    let mut p = Progress::new("ch05", &["Relu", "Sigmoid", "Affine"]);
    p.record(check_relu(layers::Relu::new));
    p.record(check_sigmoid(|| Todo));
    assert_eq!(p.count(), 1);
    assert!(p.done(&["Relu"]) && !p.done(&["Relu", "Sigmoid"]));
    let text = p.to_string();
    assert!(text.starts_with("ch05: 1 of 3 exercises done"), "{text}");
    assert!(text.contains("✓ Relu") && text.contains("… Sigmoid") && text.contains("… Affine"));
}

//! The exercise checks (`dlfs::exercise`) against deliberately wrong implementations: each
//! must be reported ✗ with a message that points at the mistake, a `todo!()` as "not done
//! yet" with its hint, and the library's own classes must pass.
#![allow(clippy::todo)] // an unfinished exercise is a `todo!()`: the checks must say "not done yet"

use dlfs::exercise::*;
use dlfs::layers::{self, Layer, LossLayer, ParamRef, ScalarLayer};
use dlfs::ndarray::{Array1, Array2, ArrayD, ArrayRef, Axis, IxDyn, Zip};

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
        LearnersNet::new(w1, b1, w2, b2, NetSlip::None)
    }));
    assert_passed(&check_two_layer_net(|w1, b1, w2, b2| {
        LearnersNet::new(w1, b1, w2, b2, NetSlip::BookLoss)
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

/// Forgets to keep x and y: backward multiplies by the zeros of `new`.
#[derive(Default)]
struct MulKeepsNothing {
    x: f64,
    y: f64,
}
impl ScalarLayer for MulKeepsNothing {
    fn forward(&mut self, x: f64, y: f64) -> f64 {
        x * y
    }
    fn backward(&mut self, dout: f64) -> (f64, f64) {
        (dout * self.y, dout * self.x)
    }
}

#[test]
fn mul_layer_that_keeps_nothing() {
    let r = check_mul_layer(MulKeepsNothing::default);
    assert_failed(&r, &["(0, 0, 0)", "forward must keep x and y for backward"]);
    assert!(!r.to_string().contains("swaps"), "{r}");
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
        &[
            "backward (dx) on x of shape (3, 5)",
            "expected 0)",
            "your mask is x < 0 where the book's is x <= 0",
            "only where x is exactly 0",
        ],
    );
}

/// Computes the mask and forgets to keep it: backward unwraps a `None`.
#[derive(Default)]
struct ReluKeepsNoMask {
    mask: Option<ArrayD<bool>>,
}
impl Layer for ReluKeepsNoMask {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        let mask = x.mapv(|v| v <= 0.0);
        Zip::from(x)
            .and(&mask)
            .map_collect(|&v, &m| if m { 0.0 } else { v })
    }
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let mask = self.mask.as_ref().unwrap();
        Zip::from(dout)
            .and(mask)
            .map_collect(|&d, &m| if m { 0.0 } else { d })
    }
}

#[test]
fn relu_that_keeps_no_mask_is_told_to_keep_it() {
    assert_failed(
        &check_relu(ReluKeepsNoMask::default),
        &[
            "backward panicked: called `Option::unwrap()` on a `None` value",
            "forward must keep the mask for backward (self.mask = Some(mask) in forward)",
        ],
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
        &[
            "backward (dx) on x of shape (2, 3)",
            "backward uses the input x where the output belongs: dx = dout·(1 − y)·y",
        ],
    );
}

/// The sigmoid with a slip in forward, or keeping no output.
#[derive(Clone, Copy, PartialEq)]
enum SigmoidSlip {
    /// `1.0 / (1.0 + -v.exp())`: the minus applies after `exp`.
    MinusAfterExp,
    /// `1.0 / (1.0 + v.exp())`.
    NoMinus,
    /// forward does not keep its output.
    KeepsNoOutput,
}

struct SigmoidBad {
    out: Option<ArrayD<f64>>,
    slip: SigmoidSlip,
}
impl Layer for SigmoidBad {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        let out = match self.slip {
            SigmoidSlip::MinusAfterExp => x.mapv(|v| 1.0 / (1.0 + -v.exp())),
            SigmoidSlip::NoMinus => x.mapv(|v| 1.0 / (1.0 + v.exp())),
            SigmoidSlip::KeepsNoOutput => x.mapv(|v| 1.0 / (1.0 + (-v).exp())),
        };
        if self.slip != SigmoidSlip::KeepsNoOutput {
            self.out = Some(out.clone());
        }
        out
    }
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let out = self.out.as_ref().unwrap();
        Zip::from(dout)
            .and(out)
            .map_collect(|&d, &y| d * (1.0 - y) * y)
    }
}

#[test]
fn sigmoid_slips_are_named() {
    let check = |slip| check_sigmoid(move || SigmoidBad { out: None, slip });
    assert_failed(
        &check(SigmoidSlip::MinusAfterExp),
        &[
            "forward on x of shape (2, 3)",
            "in Rust `-v.exp()` is −(exp(v))",
            "write `(-v).exp()`",
        ],
    );
    assert_failed(
        &check(SigmoidSlip::NoMinus),
        &["yours is 1/(1 + exp(x)): the sigmoid is 1/(1 + exp(−x))"],
    );
    assert_failed(
        &check(SigmoidSlip::KeepsNoOutput),
        &[
            "backward panicked",
            "forward must keep its output out for backward (self.out = Some(out.clone()) in forward)",
        ],
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
    /// db summed over axis 1, one number per sample.
    DbAxis1,
    /// db = dout, not summed at all.
    DbUnsummed,
    /// forward takes x as a matrix without reshaping it to (N, D).
    NoFlatten,
    /// forward does not keep x.
    KeepsNoX,
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
        let x2 = match self.mistake {
            AffineMistake::NoFlatten => mat(x).to_owned(),
            _ => x.to_shape((n, x.len() / n)).unwrap().to_owned(),
        };
        let out = x2.dot(&mat(&self.W)) + &self.b;
        if !matches!(self.mistake, AffineMistake::KeepsNoX) {
            self.x = Some(x2);
        }
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
            AffineMistake::DbAxis1 => d.sum_axis(Axis(1)).into_dyn(),
            AffineMistake::DbUnsummed => d.to_owned().into_dyn(),
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
        &[
            "backward (dW)",
            "your shape is (4, 6), expected (6, 4)",
            "dW = xᵀ·dout, of W's shape (D, M); yours is doutᵀ·x",
        ],
    );
    assert_failed(
        &check(AffineMistake::MeanDb),
        &[
            "backward (db) on x of shape (3, 6)",
            "db is the sum of dout over the batch (axis 0), not its mean",
        ],
    );
    assert_failed(
        &check(AffineMistake::DbAxis1),
        &[
            "backward (db) on x of shape (3, 6): your shape is (3,), expected (4,)",
            "db sums dout over the batch, axis 0",
            "yours sums over axis 1",
        ],
    );
    assert_failed(
        &check(AffineMistake::DbUnsummed),
        &[
            "backward (db) on x of shape (3, 6): your shape is (3, 4), expected (4,)",
            "yours is dout itself",
        ],
    );
    assert_failed(
        &check(AffineMistake::FlatDx),
        &[
            "backward (dx) on x of shape (2, 2, 3)",
            "your shape is (2, 6), expected (2, 2, 3)",
            "reshape dout·Wᵀ back to it",
        ],
    );
    assert_failed(
        &check(AffineMistake::NoFlatten),
        &[
            "forward panicked: mat: expected a 2-D array, got shape (2, 2, 3)",
            "reshape x to (N, −1) first",
        ],
    );
    assert_failed(
        &check(AffineMistake::KeepsNoX),
        &[
            "backward panicked",
            "forward must keep x (reshaped to (N, D)) for backward",
        ],
    );
    assert_failed(&check(AffineMistake::Names), &["named [\"W1\", \"b1\"]"]);
}

// ---- SoftmaxWithLoss ----

#[derive(Clone, Copy, PartialEq)]
enum SoftmaxSlip {
    /// The loss summed over the batch, and backward (y − t) without the 1/N.
    SumLoss,
    /// The loss averaged, backward (y − t) without the 1/N.
    NoOneOverN,
    /// (t − y)/N.
    Sign,
    /// (y − t)/N for one-hot labels only: index labels do not broadcast.
    OneHotOnly,
    /// forward keeps neither y nor t.
    KeepsNothing,
}

struct SoftmaxBad {
    slip: SoftmaxSlip,
    y: Option<ArrayD<f64>>,
    t: Option<ArrayD<f64>>,
}

fn softmax_bad(slip: SoftmaxSlip) -> impl Fn() -> SoftmaxBad {
    move || SoftmaxBad {
        slip,
        y: None,
        t: None,
    }
}

impl LossLayer for SoftmaxBad {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>) -> f64 {
        let y = dlfs::functions::softmax(x);
        let mut loss = dlfs::functions::cross_entropy_error(&y, t);
        if self.slip == SoftmaxSlip::SumLoss {
            loss *= y.shape()[0] as f64;
        }
        if self.slip != SoftmaxSlip::KeepsNothing {
            self.y = Some(y);
            self.t = Some(t.to_owned());
        }
        loss
    }
    fn backward(&mut self, dout: f64) -> ArrayD<f64> {
        // (y − t) as written for one-hot labels
        let (y, t) = (self.y.as_ref().unwrap(), self.t.as_ref().unwrap());
        let n = y.shape()[0] as f64;
        match self.slip {
            SoftmaxSlip::SumLoss | SoftmaxSlip::NoOneOverN => (y - t) * dout,
            SoftmaxSlip::Sign => (t - y) * (dout / n),
            SoftmaxSlip::OneHotOnly | SoftmaxSlip::KeepsNothing => (y - t) * (dout / n),
        }
    }
}

#[test]
fn softmax_with_loss_summed_over_the_batch() {
    let r = check_softmax_with_loss(softmax_bad(SoftmaxSlip::SumLoss));
    assert_failed(&r, &["the sum over the batch: divide by the batch size"]);
}

#[test]
fn softmax_with_loss_backward_without_one_over_n() {
    let r = check_softmax_with_loss(softmax_bad(SoftmaxSlip::NoOneOverN));
    assert_failed(
        &r,
        &[
            "backward on x of shape (4, 3)",
            "your dx is N = 4 times the expected",
            "divides (y − t) by the batch size N",
        ],
    );
}

#[test]
fn softmax_with_loss_slips_are_named() {
    assert_failed(
        &check_softmax_with_loss(softmax_bad(SoftmaxSlip::Sign)),
        &["your dx has the opposite sign: dx = (y − t)/N"],
    );
    let r = check_softmax_with_loss(softmax_bad(SoftmaxSlip::OneHotOnly));
    assert_failed(
        &r,
        &[
            "backward panicked",
            "labels of shape (3,) are class indices, not one-hot rows",
            "dx[[i, t[i] as usize]] -= 1.0",
        ],
    );
    assert!(
        r.to_string()
            .contains("passed before it: loss and backward on x of shape (4, 3)")
    );
    assert_failed(
        &check_softmax_with_loss(softmax_bad(SoftmaxSlip::KeepsNothing)),
        &[
            "backward panicked",
            "forward must keep y and t for backward (self.y = Some(y); self.t = Some(t.to_owned()) in forward)",
        ],
    );
}

// ---- TwoLayerNet (5.7.2) ----

/// A learner's TwoLayerNet over the library's layers, with one slip.
#[derive(Clone, Copy, PartialEq)]
enum NetSlip {
    None,
    /// backward through the layers in forward order
    ForwardOrder,
    /// backward started from ones: the last layer forgotten
    NoLastLayer,
    /// gradient without the forward pass
    NoForward,
    /// the layers named Affine, Relu, Affine
    Misnamed,
    /// Sigmoid where the book has Relu
    Sigmoid,
    /// gradient not written yet
    Todo,
    /// right, with the book's loss (cross_entropy_error, 1e-7 inside the log)
    BookLoss,
}

/// The book's SoftmaxWithLoss: `cross_entropy_error` with its 1e-7 inside the log.
struct BookLoss {
    y: ArrayD<f64>,
    t: ArrayD<f64>,
}

impl LossLayer for BookLoss {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>) -> f64 {
        self.y = dlfs::functions::softmax(x);
        self.t = t.to_owned();
        dlfs::functions::cross_entropy_error(&self.y, t)
    }
    fn backward(&mut self, dout: f64) -> ArrayD<f64> {
        let n = self.y.shape()[0];
        let mut dx = self.y.clone();
        for (i, &k) in self.t.iter().enumerate() {
            dx[[i, k as usize]] -= 1.0;
        }
        dx * (dout / n as f64)
    }
}

struct LearnersNet {
    layers: Vec<(&'static str, Box<dyn Layer>)>,
    last_layer: Box<dyn LossLayer>,
    slip: NetSlip,
}

impl LearnersNet {
    fn new(
        w1: Array2<f64>,
        b1: Array1<f64>,
        w2: Array2<f64>,
        b2: Array1<f64>,
        slip: NetSlip,
    ) -> Self {
        let act: Box<dyn Layer> = if slip == NetSlip::Sigmoid {
            Box::new(layers::Sigmoid::new())
        } else {
            Box::new(layers::Relu::new())
        };
        let names = if slip == NetSlip::Misnamed {
            ["Affine", "Relu", "Affine"]
        } else {
            ["Affine1", "Relu1", "Affine2"]
        };
        let layers: Vec<(&'static str, Box<dyn Layer>)> = vec![
            (names[0], Box::new(layers::Affine::new(w1, b1))),
            (names[1], act),
            (names[2], Box::new(layers::Affine::new(w2, b2))),
        ];
        let last_layer: Box<dyn LossLayer> = if slip == NetSlip::BookLoss {
            Box::new(BookLoss {
                y: ArrayD::zeros(IxDyn(&[0])),
                t: ArrayD::zeros(IxDyn(&[0])),
            })
        } else {
            Box::new(layers::SoftmaxWithLoss::new())
        };
        LearnersNet {
            layers,
            last_layer,
            slip,
        }
    }
}

impl BookNet for LearnersNet {
    fn predict(&mut self, x: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let mut x = x.to_owned();
        for (_, layer) in self.layers.iter_mut() {
            x = layer.forward(&x, true);
        }
        x
    }

    fn loss(&mut self, x: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>) -> f64 {
        let y = self.predict(x);
        self.last_layer.forward(&y, t)
    }

    fn gradient(&mut self, x: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>) {
        if self.slip == NetSlip::Todo {
            todo!("forward: self.loss(x, t); backward: the last layer, then the layers in reverse")
        }
        if self.slip != NetSlip::NoForward {
            self.loss(x, t);
        }
        let mut dout = if self.slip == NetSlip::NoLastLayer {
            let n = t.shape()[0];
            let c = self.predict(x).shape()[1];
            ArrayD::ones(IxDyn(&[n, c]))
        } else {
            self.last_layer.backward(1.0)
        };
        if self.slip == NetSlip::ForwardOrder {
            for (_, layer) in self.layers.iter_mut() {
                dout = layer.backward(&dout);
            }
        } else {
            for (_, layer) in self.layers.iter_mut().rev() {
                dout = layer.backward(&dout);
            }
        }
    }

    fn params(&mut self) -> Vec<ParamRef<'_>> {
        numbered_params(&mut self.layers)
    }
}

fn check_net_with(slip: NetSlip) -> Report {
    check_two_layer_net(move |w1, b1, w2, b2| LearnersNet::new(w1, b1, w2, b2, slip))
}

#[test]
fn two_layer_net_backward_in_forward_order_is_named() {
    assert_failed(
        &check_net_with(NetSlip::ForwardOrder),
        &[
            "gradient of",
            "on a 4-4-4 net",
            "forward order",
            "in reverse (Affine2, Relu1, Affine1",
        ],
    );
}

#[test]
fn two_layer_net_without_the_last_layers_backward_is_named() {
    assert_failed(
        &check_net_with(NetSlip::NoLastLayer),
        &[
            "starts from ones, not from the last layer",
            "dout = self.last_layer.backward(1.0)",
        ],
    );
}

#[test]
fn two_layer_net_without_a_forward_pass_in_gradient_is_named() {
    assert_failed(
        &check_net_with(NetSlip::NoForward),
        &[
            "gradients of the previous call's x",
            "gradient must run the forward pass first (self.loss(x, t))",
        ],
    );
}

#[test]
fn two_layer_net_with_misnamed_layers() {
    assert_failed(
        &check_net_with(NetSlip::Misnamed),
        &[
            "named [\"W\", \"b\", \"W\", \"b\"]",
            "name the layers Affine1, Relu1, Affine2",
        ],
    );
}

#[test]
fn two_layer_net_with_sigmoid_for_relu() {
    assert_failed(
        &check_net_with(NetSlip::Sigmoid),
        &["predict on a 4-4-4 net"],
    );
}

#[test]
fn two_layer_net_not_written_yet_is_not_done() {
    let r = check_net_with(NetSlip::Todo);
    assert!(
        matches!(&r.outcome, Outcome::NotDone(h) if h.starts_with("forward: self.loss(x, t)")),
        "{r}"
    );
}

#[test]
fn numbered_params_names_the_books_way() {
    let mut layers: Vec<(&'static str, Box<dyn Layer>)> = vec![
        (
            "Affine1",
            Box::new(layers::Affine::new(Array2::zeros((2, 3)), Array1::zeros(3))),
        ),
        ("Relu1", Box::new(layers::Relu::new())),
        (
            "Affine12",
            Box::new(layers::Affine::new(Array2::zeros((3, 2)), Array1::zeros(2))),
        ),
    ];
    let names: Vec<String> = numbered_params(&mut layers)
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["W1", "b1", "W12", "b12"]);
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

#[test]
fn progress_is_written_for_scripts_progress() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("ch05.tsv");
    let mut p = Progress::new("ch05", &["Relu", "Sigmoid", "Affine"]);
    p.record(check_relu(layers::Relu::new));
    p.record(check_sigmoid(|| Todo));
    p.save(&path).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "passed\tRelu\npending\tSigmoid\npending\tAffine\n"
    );
    // where record writes: DLFS_PROGRESS_DIR (cargo's [env] for the tests), per chapter
    let file = progress_file("ch05").unwrap();
    assert!(
        file.ends_with("target/progress-of-cargo-runs/ch05.tsv"),
        "{file:?}"
    );
}

#[test]
fn two_layer_net_slips_are_named_in_korean_too() {
    let text = with_language(Lang::Ko, || {
        check_net_with(NetSlip::ForwardOrder).to_string()
    });
    assert!(
        text.contains("4-4-4 신경망에서 W1의 기울기")
            && text.contains("역전파가 계층을 순전파와 같은 순서로 지나갑니다"),
        "{text}"
    );
    let text = with_language(Lang::Ko, || check_net_with(NetSlip::None).to_string());
    assert!(
        text.starts_with("✓ TwoLayerNet: 4-4-4 신경망에서 predict"),
        "{text}"
    );
    assert!(text.contains("기울기 확인 (상대 오차"), "{text}");
}

#[test]
fn dot_of_arrayd_names_both_shapes_when_they_do_not_fit() {
    let x = ArrayD::<f64>::zeros(IxDyn(&[3, 4]));
    let w = ArrayD::<f64>::zeros(IxDyn(&[5, 2]));
    let msg = catch_quietly(|| x.dot(&w)).unwrap_err();
    assert!(
        msg.contains("dot: shapes (3, 4) and (5, 2) do not fit"),
        "{msg}"
    );
    let img = ArrayD::<f64>::zeros(IxDyn(&[2, 1, 3]));
    let msg = catch_quietly(|| img.dot(&w)).unwrap_err();
    assert!(msg.contains("flatten the input to (N, D) first"), "{msg}");
    // the book's Affine lines, on ArrayD: (N, D)·(D, H), xᵀ·dout, dout·Wᵀ, a vector
    let x = ArrayD::from_shape_fn(IxDyn(&[2, 3]), |i| (i[0] * 3 + i[1]) as f64);
    let w = ArrayD::from_shape_fn(IxDyn(&[3, 2]), |i| (i[0] + 2 * i[1]) as f64);
    let y = x.dot(&w);
    assert_eq!(
        y,
        dlfs::ndarray::array![[5.0, 11.0], [14.0, 38.0]].into_dyn()
    );
    assert_eq!(x.t().dot(&y).shape(), &[3, 2]);
    assert_eq!(y.dot(&w.t()).shape(), &[2, 3]);
    let v = ArrayD::from_elem(IxDyn(&[3]), 1.0);
    assert_eq!(x.dot(&v), dlfs::ndarray::array![3.0, 12.0].into_dyn());
}

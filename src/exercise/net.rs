//! The check of 5.7.2: the book's `TwoLayerNet`, written by the learner over their own
//! layers — `predict` through the layers in order, `loss` with the last layer, and
//! `gradient`: forward, then backward from the last layer through the layers in reverse.

use ndarray::{Array1, Array2, ArrayD, ArrayRef, Axis, IxDyn};

use super::{Report, Step, Stop, attempt, awkward, compare, fail, grad_check, numerical, report};
use crate::functions::{argmax, label_indices};
use crate::init::{Rng, randn, seeded_rng};
use crate::layers::{self, Layer, ParamRef};

/// What the learner's `TwoLayerNet` offers (5.7.2), as the book's class does: `predict`,
/// `loss`, `gradient` and, for the update, its parameters; `accuracy` comes with the trait.
pub trait BookNet {
    /// The scores: `x` through the layers in order (the last layer not included).
    fn predict(&mut self, x: &ArrayRef<f64, IxDyn>) -> ArrayD<f64>;
    /// The loss: the last layer's forward of the scores and the labels `t`.
    fn loss(&mut self, x: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>) -> f64;
    /// Forward (the loss), then backward: the last layer first, then the layers in reverse
    /// order. Each layer keeps its gradients (`dW`, `db`), read through [`params`](Self::params).
    fn gradient(&mut self, x: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>);
    /// The parameters with their gradients, named `W1`, `b1`, `W2`, `b2`
    /// ([`numbered_params`] gives them so).
    fn params(&mut self) -> Vec<ParamRef<'_>>;

    /// The share of samples whose largest score is their label (one-hot or index labels),
    /// predicted 1000 samples at a time.
    fn accuracy(&mut self, x: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>) -> f64 {
        let n = x.shape()[0];
        let mut correct = 0;
        for start in (0..n).step_by(1000) {
            let end = (start + 1000).min(n);
            let y = self.predict(&x.slice_axis(Axis(0), (start..end).into()));
            let labels = label_indices(
                &t.slice_axis(Axis(0), (start..end).into()),
                end - start,
                y.shape()[1],
            );
            correct += y
                .lanes(Axis(1))
                .into_iter()
                .zip(&labels)
                .filter(|(row, k)| argmax(row.iter().copied()) == **k)
                .count();
        }
        correct as f64 / n as f64
    }
}

/// The parameters of an ordered list of layers, named as the book's `TwoLayerNet` names
/// them: a layer's own names (`W`, `b`) followed by the digits that end the layer's name
/// (`Affine1` → `W1`, `b1`; `Relu1` has none).
pub fn numbered_params<'a>(layers: &'a mut [(&'static str, Box<dyn Layer>)]) -> Vec<ParamRef<'a>> {
    let mut out = Vec::new();
    for (name, layer) in layers.iter_mut() {
        let digits = name.trim_start_matches(|c: char| !c.is_ascii_digit());
        for mut p in layer.params() {
            p.name.push_str(digits);
            out.push(p);
        }
    }
    out
}

/// The book's layers of a two-layer net with these weights: (Affine1, Relu1, Affine2), and
/// the loss layer.
struct Reference {
    affine1: layers::Affine,
    relu1: layers::Relu,
    affine2: layers::Affine,
    last: layers::SoftmaxWithLoss,
}

/// How the gradients come out of a backward pass that goes wrong in a usual way.
#[derive(Clone, Copy, PartialEq)]
enum Pass {
    /// The book's: forward, the last layer's backward, the layers in reverse.
    Book,
    /// The layers in forward order (Affine1, Relu1, Affine2).
    ForwardOrder,
    /// Backward started from ones instead of the last layer's backward.
    NoLastLayer,
}

type Weights = (Array2<f64>, Array1<f64>, Array2<f64>, Array1<f64>);

impl Reference {
    fn new(w: &Weights) -> Self {
        Self {
            affine1: layers::Affine::new(w.0.clone(), w.1.clone()),
            relu1: layers::Relu::new(),
            affine2: layers::Affine::new(w.2.clone(), w.3.clone()),
            last: layers::SoftmaxWithLoss::new(),
        }
    }

    fn scores(&mut self, x: &ArrayD<f64>) -> ArrayD<f64> {
        let h = self.affine1.forward(x, true);
        let h = self.relu1.forward(&h, true);
        self.affine2.forward(&h, true)
    }

    /// The loss, with and without the book's 1e-7 inside the log (both are right).
    fn losses(&mut self, x: &ArrayD<f64>, t: &ArrayD<f64>) -> (f64, f64) {
        let s = self.scores(x);
        let book = crate::functions::cross_entropy_error(&crate::functions::softmax(&s), t);
        (self.last.forward(&s, t), book)
    }

    /// The gradients (W1, b1, W2, b2) by `pass` (`ForwardOrder` fits a square net only).
    fn gradients(&mut self, x: &ArrayD<f64>, t: &ArrayD<f64>, pass: Pass) -> Vec<ArrayD<f64>> {
        let s = self.scores(x);
        self.last.forward(&s, t);
        let dout = match pass {
            Pass::NoLastLayer => ArrayD::ones(s.shape()),
            _ => self.last.backward(1.0),
        };
        if pass == Pass::ForwardOrder {
            let d = self.affine1.backward(&dout);
            let d = self.relu1.backward(&d);
            self.affine2.backward(&d);
        } else {
            let d = self.affine2.backward(&dout);
            let d = self.relu1.backward(&d);
            self.affine1.backward(&d);
        }
        let mut out = Vec::new();
        for l in [&mut self.affine1, &mut self.affine2] {
            for p in l.params() {
                out.push(p.grad.clone());
            }
        }
        out
    }
}

const NAMES: [&str; 4] = ["W1", "b1", "W2", "b2"];

/// Weights of scale 0.5 (biases 0.1): the scores stay moderate, so no probability is tiny
/// and the book's 1e-7 inside the log changes the loss's gradient by far less than the
/// gradient check's tolerance (with weights of scale 1, by up to 1e-4 of it).
fn weights(d: usize, h: usize, c: usize, r: &mut Rng) -> Weights {
    let b = |n: usize, r: &mut Rng| randn(n, r) * 0.1;
    (
        randn((d, h), r) * 0.5,
        b(h, r),
        randn((h, c), r) * 0.5,
        b(c, r),
    )
}

/// The learner's gradients after `gradient(x, t)`, checked for names.
fn gradients_of<N: BookNet>(net: &mut N) -> Step<Vec<ArrayD<f64>>> {
    let params = attempt("params", || {
        net.params()
            .into_iter()
            .map(|p| (p.name.clone(), p.grad.clone()))
            .collect::<Vec<_>>()
    })?;
    let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
    if names != NAMES {
        return fail(tr!(
            "params(): your net's parameters are named {names:?}, expected [\"W1\", \"b1\", \"W2\", \"b2\"] \
             (name the layers Affine1, Relu1, Affine2 and use numbered_params)",
            "params(): 매개변수 이름이 {names:?}입니다. [\"W1\", \"b1\", \"W2\", \"b2\"]여야 합니다 \
             (계층 이름을 Affine1, Relu1, Affine2로 하고 numbered_params를 쓰세요)"
        ));
    }
    Ok(params.into_iter().map(|(_, g)| g).collect())
}

/// The learner's gradients against the book's; a difference that a usual slip explains is
/// named.
fn compare_gradients(
    yours: &[ArrayD<f64>],
    w: &Weights,
    x: &ArrayD<f64>,
    t: &ArrayD<f64>,
    x_before: &ArrayD<f64>,
    on: &str,
) -> Step<()> {
    let want = Reference::new(w).gradients(x, t, Pass::Book);
    let mut first_bad = None;
    for ((name, a), b) in NAMES.iter().zip(yours).zip(&want) {
        let what = tr!("gradient of {name} {on}", "{on} {name}의 기울기");
        if let Err(Stop::Failed(why)) = compare(&what, a, b, 1e-10) {
            first_bad = Some(why);
            break;
        }
    }
    let Some(why) = first_bad else {
        return Ok(());
    };
    let same = |other: Vec<ArrayD<f64>>| {
        yours.len() == other.len() && yours.iter().zip(&other).all(|(a, b)| super::same(a, b))
    };
    let square = w.0.nrows() == w.0.ncols() && w.2.nrows() == w.2.ncols();
    if square && same(Reference::new(w).gradients(x, t, Pass::ForwardOrder)) {
        return fail(tr!(
            "{why}: your backward goes through the layers in forward order; after the last layer's \
             backward, go through them in reverse (Affine2, Relu1, Affine1: self.layers.iter_mut().rev())",
            "{why}: 역전파가 계층을 순전파와 같은 순서로 지나갑니다. 마지막 계층의 backward 다음에는 \
             계층을 거꾸로 지나야 합니다 (Affine2, Relu1, Affine1: self.layers.iter_mut().rev())"
        ));
    }
    if same(Reference::new(w).gradients(x, t, Pass::NoLastLayer)) {
        return fail(tr!(
            "{why}: your backward starts from ones, not from the last layer: \
             dout = self.last_layer.backward(1.0) first, then the layers in reverse",
            "{why}: 역전파가 마지막 계층이 아니라 1에서 시작합니다. \
             먼저 dout = self.last_layer.backward(1.0), 그다음 계층을 거꾸로 지나세요"
        ));
    }
    if same(Reference::new(w).gradients(x_before, t, Pass::Book)) {
        return fail(tr!(
            "{why}: these are the gradients of the previous call's x: gradient must run the \
             forward pass first (self.loss(x, t)), so that each layer keeps this x for backward",
            "{why}: 이전 호출의 x에 대한 기울기입니다. gradient는 먼저 순전파(self.loss(x, t))를 해서 \
             각 계층이 backward에 쓸 이번 x를 보관하게 해야 합니다"
        ));
    }
    if yours.iter().all(|g| g.iter().all(|&v| v == 0.0)) {
        return fail(tr!(
            "{why}: every gradient is 0: does gradient call backward on the last layer and on \
             each layer?",
            "{why}: 모든 기울기가 0입니다. gradient가 마지막 계층과 각 계층의 backward를 호출하나요?"
        ));
    }
    fail(why)
}

/// Checks the learner's `TwoLayerNet` (5.7.2): `make(W1, b1, W2, b2)` builds it from their
/// own layers. Its scores, loss and gradients must equal the book's on the same weights
/// (on a square net, where a backward in forward order still fits, and on a 6-5-3 one),
/// and its gradient must pass a numerical gradient check of its own loss. The usual slips
/// are named: backward in forward order, backward not started from the last layer, no
/// forward pass in `gradient`.
pub fn check_two_layer_net<N: BookNet>(
    make: impl Fn(Array2<f64>, Array1<f64>, Array2<f64>, Array1<f64>) -> N,
) -> Report {
    let mut parts = Vec::new();
    let end = (|| {
        let mut r = seeded_rng(19);
        for (d, h, c, n) in [(4, 4, 4, 3), (6, 5, 3, 4)] {
            let w = weights(d, h, c, &mut r);
            let mut yours = attempt("new", || {
                make(w.0.clone(), w.1.clone(), w.2.clone(), w.3.clone())
            })?;
            let mut reference = Reference::new(&w);
            let x = awkward(&[n, d], 0, &mut r);
            let x_before = awkward(&[n, d], 0, &mut r);
            let labels: Vec<f64> = (0..n).map(|i| ((i * 2 + 1) % c) as f64).collect();
            let t = ArrayD::from_shape_vec(IxDyn(&[n]), labels).expect("n labels");
            let on = tr!("on a {d}-{h}-{c} net", "{d}-{h}-{c} 신경망에서");
            let s = attempt("predict", || yours.predict(&x))?;
            compare(&format!("predict {on}"), &s, &reference.scores(&x), 1e-12)?;
            let loss = attempt("loss", || yours.loss(&x, &t))?;
            let (want, book) = reference.losses(&x, &t);
            if !(crate::gradient::rel_error(loss, want) < 1e-12
                || crate::gradient::rel_error(loss, book) < 1e-12)
            {
                return fail(tr!(
                    "loss {on}: yours {loss}, expected {book}: loss is the last layer's forward \
                     of predict(x) and t",
                    "loss, {on}: 손실이 {loss}입니다. {book}이어야 합니다. loss는 predict(x)와 t에 대한 \
                     마지막 계층의 forward입니다"
                ));
            }
            attempt("loss", || yours.loss(&x_before, &t))?;
            attempt("gradient", || yours.gradient(&x, &t))?;
            let g = gradients_of(&mut yours)?;
            compare_gradients(&g, &w, &x, &t, &x_before, &on)?;
            parts.push(tr!(
                "predict, loss and gradient {on}",
                "{on} predict, loss, gradient 모두 일치"
            ));
        }
        // the numerical gradient of your own loss (with the book's 1e-7 inside the log, if
        // your loss layer uses cross_entropy_error: see `weights`)
        let w = weights(6, 5, 3, &mut r);
        let mut yours = attempt("new", || {
            make(w.0.clone(), w.1.clone(), w.2.clone(), w.3.clone())
        })?;
        let x = awkward(&[4, 6], 0, &mut r);
        let t = ArrayD::from_shape_vec(IxDyn(&[4]), vec![0.0, 2.0, 1.0, 2.0]).expect("4 labels");
        attempt("gradient", || yours.gradient(&x, &t))?;
        let g = gradients_of(&mut yours)?;
        let mut worst = 0.0f64;
        for (k, name) in NAMES.iter().enumerate() {
            let value = attempt("params", || yours.params()[k].value.clone())?;
            let num = attempt("loss", || {
                numerical(&value, |v| {
                    yours.params()[k].value.assign(v);
                    yours.loss(&x, &t)
                })
            })?;
            yours.params()[k].value.assign(&value);
            worst = worst.max(grad_check(&format!("d{name}"), &g[k], &num)?);
        }
        parts.push(tr!(
            "gradient check (rel. error {worst:.1e})",
            "기울기 확인 (상대 오차 {worst:.1e})"
        ));
        Ok(())
    })();
    report("TwoLayerNet", parts, end)
}

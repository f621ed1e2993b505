//! Checks for the exercise notebooks (`notebooks/exercises/`): the learner writes a class of
//! the book, a cell hands it to a `check_*` function, and the report says at once whether
//! it is right, and if not, where.
//!
//! Each check runs the learner's code on fixed, seeded inputs (awkward ones included: a
//! batch of one, odd sizes, N-D input, exact zeros), compares outputs and gradients with
//! the library's own implementation, and runs a numerical gradient check (central
//! difference, h = 1e-4) on the learner's layer. A `todo!()` or any other panic inside the
//! learner's code is caught and reported as not done yet or as a failure; it never reaches
//! the notebook. A report prints as one line per part:
//!
//! ```text
//! ✓ Relu: forward, backward, inference, gradient check (rel. error 3.1e-12)
//! ✗ Relu: backward on x of shape (3, 5): max |yours − expected| = 2.0e0 at [0, 2] (yours 0, expected 2)
//! … Relu: not done yet: mask = (x <= 0); out = x with 0 where mask
//! ```
//!
//! [`Progress`] collects the reports of a notebook and prints the chapter's count.

use std::collections::BTreeMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use ndarray::{Array1, Array2, ArrayD, IxDyn};
use rand::Rng as _;

use crate::init::{Rng, rng};
use crate::layers::{self, Layer, LossLayer, ScalarLayer};

/// Relative error of two numbers in the CS231n form, |a − b| / max(|a| + |b|, 1e-8).
pub fn rel_error(a: f64, b: f64) -> f64 {
    (a - b).abs() / (a.abs() + b.abs()).max(1e-8)
}

/// A numerical gradient agrees with backpropagation when every element's
/// [`rel_error`] is below this.
pub const GRAD_REL_TOL: f64 = 1e-6;

/// How one exercise came out.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every part agreed.
    Passed,
    /// A part disagreed: what, where, and by how much.
    Failed(String),
    /// The learner's code hit a `todo!()`: its message (the hint).
    NotDone(String),
}

/// The result of one `check_*` call.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The exercise's name (`"Relu"`).
    pub exercise: String,
    /// The parts that passed, with their numbers.
    pub parts: Vec<String>,
    /// The verdict.
    pub outcome: Outcome,
}

impl Report {
    /// Whether every part passed.
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Passed
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Outcome::Passed => write!(f, "✓ {}: {}", self.exercise, self.parts.join(", ")),
            Outcome::Failed(why) => {
                write!(f, "✗ {}: {why}", self.exercise)?;
                if !self.parts.is_empty() {
                    write!(f, "\n  (passed before it: {})", self.parts.join(", "))?;
                }
                Ok(())
            }
            Outcome::NotDone(hint) => write!(f, "… {}: not done yet: {hint}", self.exercise),
        }
    }
}

/// Why a check stopped early.
enum Stop {
    Failed(String),
    NotDone(String),
}

type Step<T> = Result<T, Stop>;

fn fail<T>(why: impl Into<String>) -> Step<T> {
    Err(Stop::Failed(why.into()))
}

/// Runs the learner's code, turning a panic into a [`Stop`]: `todo!()` is "not done yet",
/// any other panic a failure that quotes its message. The panic's usual message on stderr
/// is kept quiet while the check runs.
fn attempt<T>(what: &str, f: impl FnOnce() -> T) -> Step<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    result.map_err(|payload| {
        let msg = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "(no message)".into());
        match msg.strip_prefix("not yet implemented") {
            Some(rest) => {
                let hint = rest.trim_start_matches(':').trim();
                Stop::NotDone(if hint.is_empty() {
                    what.to_string()
                } else {
                    hint.to_string()
                })
            }
            None => Stop::Failed(format!("{what} panicked: {msg}")),
        }
    })
}

/// Builds a [`Report`] from the parts collected and the end of the check.
fn report(exercise: &str, parts: Vec<String>, end: Step<()>) -> Report {
    let outcome = match end {
        Ok(()) => Outcome::Passed,
        Err(Stop::Failed(why)) => Outcome::Failed(why),
        Err(Stop::NotDone(hint)) => Outcome::NotDone(hint),
    };
    Report {
        exercise: exercise.to_string(),
        parts,
        outcome,
    }
}

fn shape_str(s: &[usize]) -> String {
    crate::np_shape(s)
}

/// Compares `yours` with `expected` element by element: the same shape, and
/// |a − b| ≤ tol·max(1, |b|) everywhere. The error names `what`, the worst index and both
/// values.
fn compare(what: &str, yours: &ArrayD<f64>, expected: &ArrayD<f64>, tol: f64) -> Step<f64> {
    if yours.shape() != expected.shape() {
        return fail(format!(
            "{what}: your shape is {}, expected {}",
            shape_str(yours.shape()),
            shape_str(expected.shape())
        ));
    }
    let mut worst: Option<(f64, IxDyn, f64, f64)> = None;
    let mut max_diff = 0.0f64;
    for ((idx, &a), &b) in yours.indexed_iter().zip(expected.iter()) {
        let d = (a - b).abs();
        let bad = d.is_nan() || d > tol * b.abs().max(1.0);
        if d > max_diff || (d.is_nan() && !max_diff.is_nan()) {
            max_diff = d;
        }
        if bad && worst.as_ref().is_none_or(|w| d > w.0 || d.is_nan()) {
            worst = Some((d, idx, a, b));
        }
    }
    match worst {
        None => Ok(max_diff),
        Some((d, idx, a, b)) => fail(format!(
            "{what}: max |yours − expected| = {d:.1e} at {:?} (yours {a}, expected {b})",
            ndarray::Dimension::slice(&idx)
        )),
    }
}

/// Central-difference gradient of `f` at `x` (h = 1e-4): the crate's one
/// [`numerical_gradient`](crate::gradient::numerical_gradient), on a copy of `x`.
fn numerical(x: &ArrayD<f64>, f: impl FnMut(&ArrayD<f64>) -> f64) -> ArrayD<f64> {
    crate::gradient::numerical_gradient(f, &mut x.clone())
}

/// Backprop `yours` against the numerical gradient `num`: every element's relative error
/// below [`GRAD_REL_TOL`]; returns the largest.
fn grad_check(what: &str, yours: &ArrayD<f64>, num: &ArrayD<f64>) -> Step<f64> {
    if yours.shape() != num.shape() {
        return fail(format!(
            "{what}: your gradient has shape {}, expected {}",
            shape_str(yours.shape()),
            shape_str(num.shape())
        ));
    }
    let mut worst = (0.0f64, 0usize);
    for (i, (&a, &b)) in yours.iter().zip(num.iter()).enumerate() {
        let e = rel_error(a, b);
        if e.is_nan() || e > worst.0 {
            worst = (e, i);
        }
    }
    if worst.0 > GRAD_REL_TOL || worst.0.is_nan() {
        let i = worst.1;
        return fail(format!(
            "{what}: numerical gradient check failed: relative error {:.1e} at flat index {i} \
             (backprop {}, numerical {})",
            worst.0,
            yours.iter().nth(i).expect("index in range"),
            num.iter().nth(i).expect("index in range"),
        ));
    }
    Ok(worst.0)
}

/// Random values in (−2, 2), none within 0.05 of 0 (so a ReLU's kink lies outside the
/// numerical gradient's ±h), with exact zeros at every `zeros_every`-th element if > 0.
fn awkward(shape: &[usize], zeros_every: usize, r: &mut Rng) -> ArrayD<f64> {
    let mut i = 0;
    ArrayD::from_shape_simple_fn(IxDyn(shape), || {
        i += 1;
        if zeros_every > 0 && i % zeros_every == 0 {
            return 0.0;
        }
        let v: f64 = r.random_range(0.05..2.0);
        if r.random::<bool>() { v } else { -v }
    })
}

fn random(shape: &[usize], r: &mut Rng) -> ArrayD<f64> {
    ArrayD::from_shape_simple_fn(IxDyn(shape), || r.random_range(-1.0..1.0))
}

/// Forward and backward of `yours` against `reference` on `x`, in training mode, then a
/// second input (the layer must not keep stale state), then inference.
fn layer_against_reference(
    yours: &mut dyn Layer,
    reference: &mut dyn Layer,
    x: &ArrayD<f64>,
    r: &mut Rng,
    parts: &mut Vec<String>,
) -> Step<()> {
    let on = format!("on x of shape {}", shape_str(x.shape()));
    let y = attempt("forward", || yours.forward(x, true))?;
    let want = reference.forward(x, true);
    compare(&format!("forward {on}"), &y, &want, 1e-12)?;
    let dout = random(want.shape(), r);
    let dx = attempt("backward", || yours.backward(&dout))?;
    let want_dx = reference.backward(&dout);
    compare(&format!("backward (dx) {on}"), &dx, &want_dx, 1e-12)?;
    let (yp, rp) = (yours.params(), reference.params());
    let names: Vec<&str> = yp.iter().map(|p| p.name.as_str()).collect();
    let want_names: Vec<&str> = rp.iter().map(|p| p.name.as_str()).collect();
    if names != want_names {
        return fail(format!(
            "params(): your parameters are named {names:?}, expected {want_names:?}"
        ));
    }
    for (p, q) in yp.iter().zip(&rp) {
        compare(
            &format!("backward (d{}) {on}", p.name),
            p.grad,
            q.grad,
            1e-12,
        )?;
    }
    parts.push(format!("forward and backward {on}"));
    Ok(())
}

/// The numerical gradient check of `layer` on `x`: f = Σ forward(x)·r, and ∂f/∂x and
/// ∂f/∂param from backward(r) against central differences.
fn layer_grad_check(layer: &mut dyn Layer, x: &ArrayD<f64>, r: &mut Rng) -> Step<f64> {
    let y = attempt("forward", || layer.forward(x, true))?;
    let w = random(y.shape(), r);
    let dx = attempt("backward", || layer.backward(&w))?;
    let grads: Vec<(String, ArrayD<f64>)> = layer
        .params()
        .into_iter()
        .map(|p| (p.name, p.grad.clone()))
        .collect();
    let f = |l: &mut dyn Layer, x: &ArrayD<f64>| (l.forward(x, true) * &w).sum();
    let num_dx = attempt("forward", || numerical(x, |xx| f(layer, xx)))?;
    let mut worst = grad_check("dx", &dx, &num_dx)?;
    for (k, (name, g)) in grads.iter().enumerate() {
        let value = layer.params()[k].value.clone();
        let num = attempt("forward", || {
            numerical(&value, |v| {
                layer.params()[k].value.assign(v);
                f(layer, x)
            })
        })?;
        layer.params()[k].value.assign(&value);
        worst = worst.max(grad_check(&format!("d{name}"), g, &num)?);
    }
    Ok(worst)
}

/// The shared body of the checks of array layers: reference comparisons on each input,
/// inference, and a gradient check on the first.
fn check_array_layer<L: Layer>(
    exercise: &str,
    make: impl Fn() -> L,
    make_ref: impl Fn() -> Box<dyn Layer>,
    inputs: &[ArrayD<f64>],
    seed: u64,
) -> Report {
    let mut parts = Vec::new();
    let end = (|| {
        let mut r = rng(seed);
        for x in inputs {
            let mut yours = attempt("new", &make)?;
            let mut reference = make_ref();
            layer_against_reference(&mut yours, reference.as_mut(), x, &mut r, &mut parts)?;
            let x2 = random(x.shape(), &mut r);
            let y = attempt("forward (inference)", || yours.forward(&x2, false))?;
            compare(
                "forward with train = false",
                &y,
                &reference.forward(&x2, false),
                1e-12,
            )?;
        }
        parts.push("inference".into());
        let mut yours = attempt("new", &make)?;
        let worst = layer_grad_check(&mut yours, &inputs[0], &mut r)?;
        parts.push(format!("gradient check (rel. error {worst:.1e})"));
        Ok(())
    })();
    report(exercise, parts, end)
}

// ---- chapter 5 ---------------------------------------------------------------------------

/// Checks a multiplication layer (5.4.1): the book's apple example must give its numbers
/// (`220.00000000000003`; `2.2 110.00000000000001 200`), then products and swapped
/// gradients of other inputs, bit for bit.
pub fn check_mul_layer<L: ScalarLayer>(make: impl Fn() -> L) -> Report {
    check_scalar("MulLayer", make, layers::MulLayer::new, true)
}

/// Checks an addition layer (5.4.2): the apple-and-orange example's 650 and gradients
/// passed on unchanged.
pub fn check_add_layer<L: ScalarLayer>(make: impl Fn() -> L) -> Report {
    check_scalar("AddLayer", make, layers::AddLayer::new, false)
}

fn check_scalar<L: ScalarLayer, R: ScalarLayer>(
    exercise: &str,
    make: impl Fn() -> L,
    make_ref: impl Fn() -> R,
    apple: bool,
) -> Report {
    let mut parts = Vec::new();
    let end = (|| {
        if apple {
            let (mut a, mut b) = (attempt("new", &make)?, attempt("new", &make)?);
            let price = attempt("forward", || {
                let apple_price = a.forward(100.0, 2.0);
                b.forward(apple_price, 1.1)
            })?;
            if price != 220.00000000000003 {
                return fail(format!(
                    "the apple example: price {price}, expected 220.00000000000003 (100 · 2 · 1.1)"
                ));
            }
            let (dap, dtax) = attempt("backward", || b.backward(1.0))?;
            let (dapple, dnum) = attempt("backward", || a.backward(dap))?;
            if (dapple, dnum, dtax) != (2.2, 110.00000000000001, 200.0) {
                return fail(format!(
                    "the apple example's backward: (dapple, dapple_num, dtax) = ({dapple}, {dnum}, {dtax}), \
                     expected (2.2, 110.00000000000001, 200): backward swaps the inputs, dx = dout·y, dy = dout·x"
                ));
            }
            parts.push("the apple example (220.00000000000003; 2.2 110.00000000000001 200)".into());
        } else {
            let mut add = attempt("new", &make)?;
            let total = attempt("forward", || add.forward(200.0, 450.0))?;
            if total != 650.0 {
                return fail(format!("forward(200, 450) = {total}, expected 650"));
            }
            parts.push("the apple-and-orange sum (650)".into());
        }
        let mut r = rng(5);
        let (mut yours, mut reference) = (attempt("new", &make)?, make_ref());
        for _ in 0..20 {
            let (x, y, d): (f64, f64, f64) = (
                r.random_range(-3.0..3.0),
                r.random_range(-3.0..3.0),
                r.random_range(-3.0..3.0),
            );
            let out = attempt("forward", || yours.forward(x, y))?;
            let want = reference.forward(x, y);
            if out != want {
                return fail(format!("forward({x}, {y}) = {out}, expected {want}"));
            }
            let g = attempt("backward", || yours.backward(d))?;
            let want = reference.backward(d);
            if g != want {
                return fail(format!(
                    "backward({d}) after forward({x}, {y}) = {g:?}, expected {want:?}"
                ));
            }
        }
        parts.push("20 random forward/backward pairs".into());
        Ok(())
    })();
    report(exercise, parts, end)
}

/// Checks a ReLU layer (5.5.1) against the library's: the book's mask example, odd shapes,
/// exact zeros (the book's mask is x ≤ 0), inference, and a gradient check.
pub fn check_relu<L: Layer>(make: impl Fn() -> L) -> Report {
    let mut r = rng(11);
    let book = ndarray::array![[1.0, -0.5], [-2.0, 3.0]].into_dyn();
    let inputs = [
        book,
        awkward(&[1], 0, &mut r),
        awkward(&[3, 5], 4, &mut r),
        awkward(&[2, 3, 4], 5, &mut r),
    ];
    check_array_layer("Relu", make, || Box::new(layers::Relu::new()), &inputs, 12)
}

/// Checks a sigmoid layer (5.5.2) against the library's: forward, backward
/// dout·(1 − y)·y, inference, and a gradient check.
pub fn check_sigmoid<L: Layer>(make: impl Fn() -> L) -> Report {
    let mut r = rng(13);
    let inputs = [
        awkward(&[2, 3], 0, &mut r),
        awkward(&[1], 0, &mut r),
        awkward(&[3, 2, 2], 3, &mut r) * 4.0,
    ];
    check_array_layer(
        "Sigmoid",
        make,
        || Box::new(layers::Sigmoid::new()),
        &inputs,
        14,
    )
}

/// Checks an affine layer (5.6.2), built by `make(W, b)`, against the library's: a batch,
/// a batch of one, and N-D input (2, 2, 3) flattened per sample; dx in x's own shape,
/// `dW`, `db` through `params()` (named `W` and `b`), and a gradient check of all three.
pub fn check_affine<L: Layer>(make: impl Fn(Array2<f64>, Array1<f64>) -> L) -> Report {
    let mut r = rng(15);
    let w = random(&[6, 4], &mut r)
        .into_dimensionality::<ndarray::Ix2>()
        .expect("2-D");
    let b = random(&[4], &mut r)
        .into_dimensionality::<ndarray::Ix1>()
        .expect("1-D");
    let inputs = [
        random(&[3, 6], &mut r),
        random(&[1, 6], &mut r),
        random(&[2, 2, 3], &mut r),
    ];
    let (w2, b2) = (w.clone(), b.clone());
    check_array_layer(
        "Affine",
        move || make(w.clone(), b.clone()),
        move || Box::new(layers::Affine::new(w2.clone(), b2.clone())),
        &inputs,
        16,
    )
}

/// Checks a softmax-with-loss layer (5.6.3) against the library's: the loss of a batch
/// (mean over the batch), of one sample, with one-hot and index labels, backward
/// (y − t) / N, and a gradient check of the loss.
pub fn check_softmax_with_loss<L: LossLayer>(make: impl Fn() -> L) -> Report {
    let mut parts = Vec::new();
    let end = (|| {
        let mut r = rng(17);
        let one_hot = |labels: &[usize], c: usize| {
            ArrayD::from_shape_fn(IxDyn(&[labels.len(), c]), |i| {
                f64::from(u8::from(labels[i[0]] == i[1]))
            })
        };
        let cases = [
            (random(&[4, 3], &mut r) * 3.0, one_hot(&[0, 2, 1, 2], 3)),
            (random(&[1, 5], &mut r), one_hot(&[4], 5)),
            (
                random(&[3, 4], &mut r),
                ArrayD::from_shape_vec(IxDyn(&[3]), vec![3.0, 0.0, 1.0]).expect("3 labels"),
            ),
        ];
        for (x, t) in &cases {
            let on = format!(
                "on x of shape {} with labels of shape {}",
                shape_str(x.shape()),
                shape_str(t.shape())
            );
            let mut yours = attempt("new", &make)?;
            let mut reference = layers::SoftmaxWithLoss::new();
            let loss = attempt("forward", || yours.forward(x, t))?;
            let want = LossLayer::forward(&mut reference, x, t);
            // the book's cross_entropy_error adds 1e-7 inside the log; the library's loss
            // (log-sum-exp) does not: either is right
            let book = crate::functions::cross_entropy_error(&crate::functions::softmax(x), t);
            let right = |v: f64| rel_error(v, want) < 1e-12 || rel_error(v, book) < 1e-12;
            if !right(loss) {
                let n = x.shape()[0] as f64;
                let hint = if right(loss / n) {
                    " (your loss is the sum over the batch: divide by the batch size)"
                } else {
                    ""
                };
                return fail(format!("forward {on}: loss {loss}, expected {want}{hint}"));
            }
            let dx = attempt("backward", || yours.backward(1.0))?;
            let want_dx = LossLayer::backward(&mut reference, 1.0);
            compare(&format!("backward {on}"), &dx, &want_dx, 1e-12)?;
            parts.push(format!("loss and backward {on}"));
        }
        let (x, t) = &cases[0];
        let mut yours = attempt("new", &make)?;
        attempt("forward", || yours.forward(x, t))?;
        let dx = attempt("backward", || yours.backward(1.0))?;
        let num = attempt("forward", || numerical(x, |xx| yours.forward(xx, t)))?;
        let worst = grad_check("dx", &dx, &num)?;
        parts.push(format!("gradient check (rel. error {worst:.1e})"));
        Ok(())
    })();
    report("SoftmaxWithLoss", parts, end)
}

/// Checks a two-layer net (5.7) assembled from the learner's layers: `make(W1, b1, W2,
/// b2)` returns it; its loss and gradients must equal the library's
/// [`TwoLayerNet`](crate::nets::TwoLayerNet) with the same weights, and pass a numerical
/// gradient check.
pub fn check_two_layer_net(
    make: impl Fn(Array2<f64>, Array1<f64>, Array2<f64>, Array1<f64>) -> crate::nets::Sequential,
) -> Report {
    use crate::nets::TwoLayerNet;
    let mut parts = Vec::new();
    let end = (|| {
        let mut r = rng(19);
        let mut reference = TwoLayerNet::new(6, 5, 3, 0.5, &mut r);
        let p = reference.param_values();
        let as2 = |a: &ArrayD<f64>| {
            a.clone()
                .into_dimensionality::<ndarray::Ix2>()
                .expect("2-D")
        };
        let as1 = |a: &ArrayD<f64>| {
            a.clone()
                .into_dimensionality::<ndarray::Ix1>()
                .expect("1-D")
        };
        let mut yours = attempt("building the net", || {
            make(as2(&p["W1"]), as1(&p["b1"]), as2(&p["W2"]), as1(&p["b2"]))
        })?;
        let x = awkward(&[4, 6], 0, &mut r);
        let t = ArrayD::from_shape_vec(IxDyn(&[4]), vec![0.0, 2.0, 1.0, 2.0]).expect("4 labels");
        let g = attempt("gradient", || yours.gradient(&x, &t))?;
        let want = reference.gradient(&x, &t);
        let names: Vec<&str> = g.names().collect();
        if names != ["W1", "b1", "W2", "b2"] {
            return fail(format!(
                "your net's parameters are named {names:?}, expected [\"W1\", \"b1\", \"W2\", \"b2\"] \
                 (name the layers Affine1, Relu1, Affine2)"
            ));
        }
        let loss = attempt("loss", || yours.loss(&x, &t, true))?;
        let want_loss = reference.loss(&x, &t, true);
        // with the book's cross_entropy_error (1e-7 inside the log) or without: both right
        let scores = reference.predict(&x, true);
        let book = crate::functions::cross_entropy_error(&crate::functions::softmax(&scores), &t);
        if !(rel_error(loss, want_loss) < 1e-12 || rel_error(loss, book) < 1e-12) {
            return fail(format!("loss {loss}, expected {want_loss}"));
        }
        for (name, a) in g.iter() {
            compare(&format!("gradient of {name}"), a, &want[name], 1e-10)?;
        }
        parts.push("loss and gradients equal TwoLayerNet's".into());
        // The numerical check of your layers runs with the library's loss layer: the book's
        // cross_entropy_error (1e-7 inside the log) is not exactly the function whose
        // gradient is (y − t)/N, and differs from it by relative errors of ~1e-6.
        let yours_loss = std::mem::replace(
            &mut yours.last_layer,
            Box::new(layers::SoftmaxWithLoss::new()),
        );
        let checked = attempt("numerical gradient", || {
            (yours.gradient(&x, &t), yours.numerical_gradient(&x, &t))
        });
        yours.last_layer = yours_loss;
        let (g, num) = checked?;
        let mut worst = 0.0f64;
        for (name, a) in g.iter() {
            worst = worst.max(grad_check(name, a, &num[name])?);
        }
        parts.push(format!("gradient check (rel. error {worst:.1e})"));
        Ok(())
    })();
    report("TwoLayerNet", parts, end)
}

/// The reports of one notebook, by exercise: re-running a check replaces its report.
/// `Display` prints the chapter's count and one line per exercise.
#[derive(Debug, Clone)]
pub struct Progress {
    chapter: String,
    exercises: Vec<String>,
    reports: BTreeMap<String, Report>,
}

impl Progress {
    /// The progress of `chapter` over its `exercises`, in order.
    pub fn new(chapter: &str, exercises: &[&str]) -> Self {
        Self {
            chapter: chapter.into(),
            exercises: exercises.iter().map(|s| s.to_string()).collect(),
            reports: BTreeMap::new(),
        }
    }

    /// Prints `report` and keeps it.
    pub fn record(&mut self, report: Report) {
        println!("{report}");
        self.reports.insert(report.exercise.clone(), report);
    }

    /// Whether each of `exercises` has passed.
    pub fn done(&self, exercises: &[&str]) -> bool {
        exercises
            .iter()
            .all(|e| self.reports.get(*e).is_some_and(Report::passed))
    }

    /// How many of the chapter's exercises have passed.
    pub fn count(&self) -> usize {
        self.exercises
            .iter()
            .filter(|e| self.reports.get(*e).is_some_and(Report::passed))
            .count()
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} of {} exercises done",
            self.chapter,
            self.count(),
            self.exercises.len()
        )?;
        for e in &self.exercises {
            let mark = match self.reports.get(e).map(|r| &r.outcome) {
                Some(Outcome::Passed) => "✓",
                Some(Outcome::Failed(_)) => "✗",
                Some(Outcome::NotDone(_)) | None => "…",
            };
            write!(f, "\n  {mark} {e}")?;
        }
        Ok(())
    }
}

/// A 2-D array (or view) as a matrix view, for `.dot` and `.t()`: the layers keep their
/// arrays as `ArrayD` (any number of axes), and ndarray multiplies only 1-D and 2-D ones.
///
/// ```
/// use dlfs::exercise::mat;
/// use dlfs::ndarray::array;
/// let w = array![[1.0, 2.0], [3.0, 4.0]].into_dyn();
/// assert_eq!(mat(&w).dot(&mat(&w).t()), array![[5.0, 11.0], [11.0, 25.0]]);
/// ```
///
/// # Panics
/// If `a` is not 2-D; the message gives its shape.
#[track_caller]
pub fn mat(a: &ndarray::ArrayRef<f64, IxDyn>) -> ndarray::ArrayView2<'_, f64> {
    match a.view().into_dimensionality::<ndarray::Ix2>() {
        Ok(v) => v,
        Err(_) => panic!(
            "mat: expected a 2-D array, got shape {}",
            shape_str(a.shape())
        ),
    }
}

/// What an exercise notebook needs, without the classes the learner writes:
/// `use dlfs::exercise::prelude::*;`.
pub mod prelude {
    pub use super::{
        Progress, Report, check_add_layer, check_affine, check_mul_layer, check_relu,
        check_sigmoid, check_softmax_with_loss, check_two_layer_net, mat,
    };
    pub use crate::data::{Dataset, LoadOptions, load_mnist};
    pub use crate::functions::{cross_entropy_error, softmax};
    pub use crate::init::{Rng, choice, randn, rng};
    pub use crate::layers::{Hint, Layer, LossLayer, ParamRef, ScalarLayer};
    pub use crate::nets::{NamedArrays, Sequential};
    pub use crate::np_shape;
    pub use crate::plot::{Figure, LineChart};
    pub use ndarray::{
        Array1, Array2, ArrayD, ArrayRef, ArrayView2, Axis, Ix2, IxDyn, Zip, array, s,
    };
}

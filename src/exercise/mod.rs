//! Checks for the exercise notebooks (`notebooks/exercises/`): the learner writes a class of
//! the book, a cell hands it to a `check_*` function, and the report says at once whether
//! it is right, and if not, where.
//!
//! Each check runs the learner's code on fixed, seeded inputs (awkward ones included: a
//! batch of one, odd sizes, N-D input, exact zeros), compares outputs and gradients with
//! the library's own implementation, and runs a numerical gradient check (central
//! difference, h = 1e-4) on the learner's layer. A `todo!()` or any other panic inside the
//! learner's code is caught and reported as not done yet or as a failure; it never reaches
//! the notebook. Where the learner's values differ, the check computes what the usual slips
//! give on the same input (Sigmoid's backward from x instead of the output, Convolution's
//! dout not transposed, …) and names the one they match; a backward that unwraps a `None`
//! is told what forward must keep. A report prints as one line per part:
//!
//! ```text
//! ✓ Relu: forward, backward, inference, gradient check (rel. error 3.1e-12)
//! ✗ Relu: backward on x of shape (3, 5): max |yours − expected| = 2.0e0 at [0, 2] (yours 0, expected 2)
//! … Relu: not done yet: mask = (x <= 0); out = x with 0 where mask
//! ```
//!
//! [`Progress`] collects the reports of a notebook and prints the chapter's count.
//!
//! The checks of each chapter live in their own file (`ch05.rs`, `ch06.rs`, `ch07.rs`); this one holds
//! what they share: running the learner's code, comparing arrays, the numerical gradient
//! check and the report.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use ndarray::{ArrayD, IxDyn};
use rand::Rng as _;

use crate::init::{Rng, seeded_rng};
use crate::layers::Layer;

mod ch05;
mod ch06;
mod ch07;
mod net;
pub use crate::lang::{self, Lang, language, say, set_language, with_language};
pub use ch05::*;
pub use ch06::*;
pub use ch07::*;
pub use net::*;

pub use crate::gradient::{GRAD_REL_TOL, rel_error};

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
                    let parts = self.parts.join(", ");
                    let line = tr!(
                        "(passed before it: {parts})",
                        "(그 전에 통과한 것: {parts})"
                    );
                    write!(f, "\n  {line}")?;
                }
                Ok(())
            }
            Outcome::NotDone(hint) => {
                let exercise = &self.exercise;
                let line = tr!(
                    "{exercise}: not done yet: {hint}",
                    "{exercise}: 아직 작성 전: {hint}"
                );
                write!(f, "… {line}")
            }
        }
    }
}

/// Why a check stopped early.
pub(super) enum Stop {
    Failed(String),
    NotDone(String),
}

pub(super) type Step<T> = Result<T, Stop>;

pub(super) fn fail<T>(why: impl Into<String>) -> Step<T> {
    Err(Stop::Failed(why.into()))
}

thread_local! {
    /// Whether this thread is inside [`catch_quietly`]: the panic hook then keeps quiet.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Installs, once per process, a panic hook that keeps quiet on a thread inside
/// [`catch_quietly`] and hands every other panic to the hook it replaced. The process-wide
/// hook is never swapped back and forth, so checks running on several threads at once
/// cannot silence a panic elsewhere or lose the original hook. (evcxr gives each cell its
/// own copy of the library's statics: a cell that runs a check then adds one more such
/// hook, which defers to the one before.)
fn install_quiet_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `f`; a panic inside it comes back as its message instead of unwinding further, and
/// is not printed on stderr. Panics on other threads are reported as usual, whatever runs
/// at the same time.
///
/// ```
/// use dlfs::exercise::catch_quietly;
/// assert_eq!(catch_quietly(|| 2 + 2), Ok(4));
/// let v: Vec<f64> = Vec::new();
/// let err = catch_quietly(|| v[3]).unwrap_err();
/// assert!(err.contains("index out of bounds"), "{err}");
/// ```
pub fn catch_quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_quiet_hook();
    let outer = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(outer));
    result.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| tr!("(no message)", "(메시지 없음)"))
    })
}

/// Runs the learner's code, turning a panic into a [`Stop`]: `todo!()` is "not done yet",
/// any other panic a failure that quotes its message. The panic's usual message on stderr
/// is kept quiet while the check runs ([`catch_quietly`]).
pub(super) fn attempt<T>(what: &str, f: impl FnOnce() -> T) -> Step<T> {
    catch_quietly(f).map_err(|msg| match msg.strip_prefix("not yet implemented") {
        Some(rest) => {
            let hint = rest.trim_start_matches(':').trim();
            Stop::NotDone(if hint.is_empty() {
                what.to_string()
            } else {
                hint.to_string()
            })
        }
        None => Stop::Failed(tr!("{what} panicked: {msg}", "{what}에서 패닉 발생: {msg}")),
    })
}

/// The message of `unwrap()` on a `None`.
const UNWRAP_NONE: &str = "called `Option::unwrap()` on a `None` value";

/// The learner's `backward`, run by [`attempt`]; an `unwrap()` of a `None` there means
/// forward did not keep what backward needs, and the report says so.
pub(super) fn attempt_backward<T>(known: &Known, f: impl FnOnce() -> T) -> Step<T> {
    attempt("backward", f).map_err(|stop| match stop {
        Stop::Failed(why) if why.contains(UNWRAP_NONE) => {
            let (keeps, store) = (&known.keeps, &known.store);
            Stop::Failed(tr!(
                "{why}: forward must keep {keeps} for backward ({store})",
                "{why}: forward가 backward에 쓸 것({keeps})을 보관해야 합니다 ({store})"
            ))
        }
        stop => stop,
    })
}

/// Builds a [`Report`] from the parts collected and the end of the check.
pub(super) fn report(exercise: &str, parts: Vec<String>, end: Step<()>) -> Report {
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

pub(super) fn shape_str(s: &[usize]) -> String {
    crate::np_shape(s)
}

/// Compares `yours` with `expected` element by element: the same shape, and
/// |a − b| ≤ tol·max(1, |b|) everywhere. The error names `what`, the worst index and both
/// values.
pub(super) fn compare(
    what: &str,
    yours: &ArrayD<f64>,
    expected: &ArrayD<f64>,
    tol: f64,
) -> Step<f64> {
    if yours.shape() != expected.shape() {
        let (yours, expected) = (shape_str(yours.shape()), shape_str(expected.shape()));
        return fail(tr!(
            "{what}: your shape is {yours}, expected {expected}",
            "{what}: 형상이 {yours}입니다. {expected}이어야 합니다"
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
        Some((d, idx, a, b)) => {
            let at = ndarray::Dimension::slice(&idx);
            fail(tr!(
                "{what}: max |yours − expected| = {d:.1e} at {at:?} (yours {a}, expected {b})",
                "{what}: 최대 |여러분의 값 − 기댓값| = {d:.1e}, 위치 {at:?} (여러분의 값 {a}, 기댓값 {b})"
            ))
        }
    }
}

/// Central-difference gradient of `f` at `x` (h = 1e-4): the crate's one
/// [`numerical_gradient`](crate::gradient::numerical_gradient), on a copy of `x`.
pub(super) fn numerical(x: &ArrayD<f64>, f: impl FnMut(&ArrayD<f64>) -> f64) -> ArrayD<f64> {
    crate::gradient::numerical_gradient(f, &mut x.clone())
}

/// Backprop `yours` against the numerical gradient `num`: the crate's one gradient check,
/// [`check_gradient`](crate::gradient::check_gradient) (every element's relative error below
/// [`GRAD_REL_TOL`]); returns the largest.
pub(super) fn grad_check(what: &str, yours: &ArrayD<f64>, num: &ArrayD<f64>) -> Step<f64> {
    crate::gradient::check_gradient(what, yours, num).map_err(Stop::Failed)
}

/// Random values in (−2, 2), none within 0.05 of 0 (so a ReLU's kink lies outside the
/// numerical gradient's ±h), with exact zeros at every `zeros_every`-th element if > 0.
pub(super) fn awkward(shape: &[usize], zeros_every: usize, r: &mut Rng) -> ArrayD<f64> {
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

pub(super) fn random(shape: &[usize], r: &mut Rng) -> ArrayD<f64> {
    ArrayD::from_shape_simple_fn(IxDyn(shape), || r.random_range(-1.0..1.0))
}

/// A slip learners make in one part of a layer: what it computes from the input `x` and
/// `dout`, and what to tell a learner whose values match it.
pub(super) struct Slip {
    /// `"forward"`, `"dx"`, or a parameter's gradient (`"dW"`).
    part: &'static str,
    /// What is wrong, and how to put it right.
    what: String,
    computes: Computes,
}

/// What a [`Slip`] computes from `x` and `dout`.
type Computes = Box<dyn Fn(&ArrayD<f64>, &ArrayD<f64>) -> ArrayD<f64>>;

impl Slip {
    /// A slip in forward: `computes(x)` is its output.
    pub(super) fn forward(
        what: impl Into<String>,
        computes: impl Fn(&ArrayD<f64>) -> ArrayD<f64> + 'static,
    ) -> Self {
        Self {
            part: "forward",
            what: what.into(),
            computes: Box::new(move |x, _| computes(x)),
        }
    }

    /// A slip in backward: `computes(x, dout)` is its `part` (`"dx"`, `"dW"`, …).
    pub(super) fn backward(
        part: &'static str,
        what: impl Into<String>,
        computes: impl Fn(&ArrayD<f64>, &ArrayD<f64>) -> ArrayD<f64> + 'static,
    ) -> Self {
        Self {
            part,
            what: what.into(),
            computes: Box::new(computes),
        }
    }
}

/// What a layer's check knows about it: what forward keeps for backward (in the book's
/// words), and the slips learners make.
pub(super) struct Known {
    /// What backward needs from forward: `"the mask"`.
    pub keeps: String,
    /// How forward keeps it: `"self.mask = Some(mask) in forward"`.
    pub store: String,
    pub slips: Vec<Slip>,
    /// Said when forward fails (panics or returns the wrong shape) on input of more than two
    /// axes: Affine's flattening.
    pub nd_input: Option<String>,
}

impl Known {
    pub(super) fn new(keeps: impl Into<String>, store: impl Into<String>) -> Self {
        Self {
            keeps: keeps.into(),
            store: store.into(),
            slips: Vec::new(),
            nd_input: None,
        }
    }

    pub(super) fn slip(mut self, slip: Slip) -> Self {
        self.slips.push(slip);
        self
    }

    /// A failure of forward on `x` with [`nd_input`](Self::nd_input)'s hint, if `x` has
    /// more than two axes.
    fn nd_hint<T>(&self, x: &ArrayD<f64>, step: Step<T>) -> Step<T> {
        match (step, &self.nd_input) {
            (Err(Stop::Failed(why)), Some(hint)) if x.ndim() > 2 => fail(format!("{why}: {hint}")),
            (step, _) => step,
        }
    }

    /// A failure of `part` explained: the slip whose values `yours` has, if any, else a dx
    /// of zeros (nothing kept), else the failure as it is.
    fn explain<T>(
        &self,
        part: &str,
        step: Step<T>,
        x: &ArrayD<f64>,
        dout: &ArrayD<f64>,
        yours: &ArrayD<f64>,
    ) -> Step<T> {
        let Err(Stop::Failed(why)) = step else {
            return step;
        };
        let matched = self
            .slips
            .iter()
            .filter(|s| s.part == part)
            .find(|s| same(yours, &(s.computes)(x, dout)));
        if let Some(s) = matched {
            return fail(format!("{why}: {}", s.what));
        }
        if part == "dx" && !yours.is_empty() && yours.iter().all(|&v| v == 0.0) {
            let (keeps, store) = (&self.keeps, &self.store);
            return fail(tr!(
                "{why}: your dx is 0 everywhere: does forward keep {keeps} for backward ({store})?",
                "{why}: dx가 모두 0입니다. forward가 backward에 쓸 것({keeps})을 \
                 보관하나요? ({store})"
            ));
        }
        fail(why)
    }
}

/// Whether `a` has `b`'s shape and values (to 1e-10, relative above 1).
pub(super) fn same(a: &ArrayD<f64>, b: &ArrayD<f64>) -> bool {
    a.shape() == b.shape()
        && a.iter()
            .zip(b)
            .all(|(&u, &v)| (u - v).abs() <= 1e-10 * v.abs().max(1.0))
}

/// Forward and backward of `yours` against `reference` on `x`, in training mode: the
/// output, dx, the parameters' names and their gradients; a difference that one of
/// `known`'s slips explains is named.
pub(super) fn layer_against_reference(
    yours: &mut dyn Layer,
    reference: &mut dyn Layer,
    x: &ArrayD<f64>,
    r: &mut Rng,
    parts: &mut Vec<String>,
    known: &Known,
) -> Step<()> {
    let shape = shape_str(x.shape());
    let y = known.nd_hint(x, attempt("forward", || yours.forward(x, true)))?;
    let want = reference.forward(x, true);
    let what = tr!("forward on x of shape {shape}", "forward (x 형상 {shape})");
    let step = compare(&what, &y, &want, 1e-12);
    let step = known.explain("forward", step, x, &ArrayD::zeros(IxDyn(&[0])), &y);
    if y.shape() != want.shape() {
        known.nd_hint(x, step)?;
    } else {
        step?;
    }
    let dout = random(want.shape(), r);
    let dx = attempt_backward(known, || yours.backward(&dout))?;
    let want_dx = reference.backward(&dout);
    let what = tr!(
        "backward (dx) on x of shape {shape}",
        "backward (dx, x 형상 {shape})"
    );
    let step = compare(&what, &dx, &want_dx, 1e-12);
    known.explain("dx", step, x, &dout, &dx)?;
    let (yp, rp) = (yours.params(), reference.params());
    let names: Vec<&str> = yp.iter().map(|p| p.name.as_str()).collect();
    let want_names: Vec<&str> = rp.iter().map(|p| p.name.as_str()).collect();
    if names != want_names {
        return fail(tr!(
            "params(): your parameters are named {names:?}, expected {want_names:?}",
            "params(): 매개변수 이름이 {names:?}입니다. {want_names:?}이어야 합니다"
        ));
    }
    for (p, q) in yp.iter().zip(&rp) {
        let part = format!("d{}", p.name);
        let what = tr!(
            "backward ({part}) on x of shape {shape}",
            "backward ({part}, x 형상 {shape})"
        );
        let step = compare(&what, p.grad, q.grad, 1e-12);
        known.explain(&part, step, x, &dout, p.grad)?;
    }
    parts.push(tr!(
        "forward and backward on x of shape {shape}",
        "forward와 backward (x 형상 {shape})"
    ));
    Ok(())
}

/// The numerical gradient check of `layer` on `x`: f = Σ forward(x)·r, and ∂f/∂x and
/// ∂f/∂param from backward(r) against central differences.
pub(super) fn layer_grad_check(
    layer: &mut dyn Layer,
    x: &ArrayD<f64>,
    r: &mut Rng,
    known: &Known,
) -> Step<f64> {
    let y = attempt("forward", || layer.forward(x, true))?;
    let w = random(y.shape(), r);
    let dx = attempt_backward(known, || layer.backward(&w))?;
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
pub(super) fn check_array_layer<L: Layer>(
    exercise: &str,
    make: impl Fn() -> L,
    make_ref: impl Fn() -> Box<dyn Layer>,
    inputs: &[ArrayD<f64>],
    seed: u64,
    known: &Known,
) -> Report {
    let mut parts = Vec::new();
    let end = (|| {
        let mut r = seeded_rng(seed);
        for x in inputs {
            let mut yours = attempt("new", &make)?;
            let mut reference = make_ref();
            layer_against_reference(&mut yours, reference.as_mut(), x, &mut r, &mut parts, known)?;
            let x2 = random(x.shape(), &mut r);
            let inference = tr!("forward (inference)", "forward (추론)");
            let y = attempt(&inference, || yours.forward(&x2, false))?;
            compare(
                &tr!(
                    "forward with train = false",
                    "forward (추론 모드, train = false)"
                ),
                &y,
                &reference.forward(&x2, false),
                1e-12,
            )?;
        }
        parts.push(tr!("inference", "추론"));
        let mut yours = attempt("new", &make)?;
        let worst = layer_grad_check(&mut yours, &inputs[0], &mut r, known)?;
        parts.push(tr!(
            "gradient check (rel. error {worst:.1e})",
            "기울기 확인 (상대 오차 {worst:.1e})"
        ));
        Ok(())
    })();
    report(exercise, parts, end)
}

/// The reports of one notebook, by exercise: re-running a check replaces its report.
/// `Display` prints the chapter's count and one line per exercise. (Training's lines of
/// epochs done and time left are another thing: [`ProgressMeter`](crate::progress::ProgressMeter).)
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

    /// Prints `report`, keeps it, and writes the chapter's list to its progress file
    /// ([`progress_file`]), which `scripts/progress` reads to list every chapter.
    pub fn record(&mut self, report: Report) {
        println!("{report}");
        self.reports.insert(report.exercise.clone(), report);
        if let Some(path) = progress_file(&self.chapter) {
            // a progress list that cannot be written costs nothing but the list
            let _ = self.save(&path);
        }
    }

    /// The chapter's list as lines `passed|failed|pending<TAB>exercise`, in order.
    pub fn lines(&self) -> Vec<String> {
        self.exercises
            .iter()
            .map(|e| {
                let status = match self.reports.get(e).map(|r| &r.outcome) {
                    Some(Outcome::Passed) => "passed",
                    Some(Outcome::Failed(_)) => "failed",
                    Some(Outcome::NotDone(_)) | None => "pending",
                };
                format!("{status}\t{e}")
            })
            .collect()
    }

    /// Writes [`lines`](Self::lines) to `path` atomically (creating its folder).
    pub fn save(&self, path: &std::path::Path) -> Result<(), crate::error::ParamsError> {
        use std::io::Write as _;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| crate::error::ParamsError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let text = self.lines().join("\n") + "\n";
        crate::nets::write_atomically(path, |file| {
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|source| crate::error::ParamsError::Io {
                    path: path.to_path_buf(),
                    source,
                })
        })
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
        let (chapter, done, all) = (&self.chapter, self.count(), self.exercises.len());
        let line = tr!(
            "{chapter}: {done} of {all} exercises done",
            "{chapter}: 연습 문제 {all}개 중 {done}개 완료"
        );
        f.write_str(&line)?;
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

/// Where [`Progress::record`] keeps a chapter's list: `DLFS_PROGRESS_DIR/<chapter>.tsv`,
/// by default `target/progress/` of this crate's folder (the notebooks' own checkout); None
/// when `DLFS_PROGRESS_DIR` is `0` or `off` (the notebook runner's setting: running the
/// solutions must not mark the learner's exercises done).
pub fn progress_file(chapter: &str) -> Option<std::path::PathBuf> {
    let dir = match std::env::var("DLFS_PROGRESS_DIR") {
        Ok(v) if v == "0" || v.eq_ignore_ascii_case("off") => return None,
        Ok(v) if !v.is_empty() => std::path::PathBuf::from(v),
        _ => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/progress"),
    };
    let name: String = chapter
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(dir.join(format!("{name}.tsv")))
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
        Err(_) => {
            let shape = shape_str(a.shape());
            panic!(
                "{}",
                tr!(
                    "mat: expected a 2-D array, got shape {shape}",
                    "mat: 2차원 배열이어야 하는데 형상이 {shape}입니다"
                )
            )
        }
    }
}

/// numpy's `np.dot` for the layers' `ArrayD`s (and their views, `w.t()` among them), so the
/// book's lines compile as written: `self.dW = x.t().dot(dout)`, `dout.dot(&self.W.t())`,
/// `x.dot(&self.W) + &self.b`. ndarray's own `dot` takes 1-D and 2-D arrays only (an
/// `Array2` still uses it); this one takes arrays of any type of shape and checks their
/// shapes when it runs: a matrix or vector product of arrays with one or two axes, the
/// result as an `ArrayD`.
///
/// ```
/// use dlfs::exercise::prelude::*;
/// let x = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]].into_dyn();
/// let w = array![[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]].into_dyn();
/// let y = x.dot(&w); // (3, 2)·(2, 3)
/// assert_eq!(y.shape(), &[3, 3]);
/// assert_eq!(x.t().dot(&y).shape(), &[2, 3]);
/// ```
pub trait DotDyn {
    /// The product of `self` and `rhs` (1-D or 2-D each).
    ///
    /// # Panics
    /// When an array has more than two axes or the inner sizes differ; the message gives
    /// both shapes.
    fn dot(&self, rhs: &ndarray::ArrayRef<f64, IxDyn>) -> ArrayD<f64>;
}

impl DotDyn for ndarray::ArrayRef<f64, IxDyn> {
    #[track_caller]
    fn dot(&self, rhs: &ndarray::ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        use ndarray::Ix1;
        let (a, b) = (shape_str(self.shape()), shape_str(rhs.shape()));
        let inner = |k: usize, m: usize| {
            if k != m {
                panic!(
                    "{}",
                    tr!(
                        "dot: shapes {a} and {b} do not fit: the first's last axis ({k}) must be \
                         as long as the second's first ({m})",
                        "dot: 형상 {a}와 {b}가 맞지 않습니다. 앞 배열의 마지막 축({k})과 뒤 배열의 \
                         첫 축({m})의 길이가 같아야 합니다"
                    )
                )
            }
        };
        match (self.ndim(), rhs.ndim()) {
            (2, 2) => {
                inner(self.shape()[1], rhs.shape()[0]);
                mat(self).dot(&mat(rhs)).into_dyn()
            }
            (2, 1) => {
                inner(self.shape()[1], rhs.shape()[0]);
                let v = rhs.view().into_dimensionality::<Ix1>().expect("1-D");
                mat(self).dot(&v).into_dyn()
            }
            (1, 2) => {
                inner(self.shape()[0], rhs.shape()[0]);
                let v = self.view().into_dimensionality::<Ix1>().expect("1-D");
                v.dot(&mat(rhs)).into_dyn()
            }
            (1, 1) => {
                inner(self.shape()[0], rhs.shape()[0]);
                let u = self.view().into_dimensionality::<Ix1>().expect("1-D");
                let v = rhs.view().into_dimensionality::<Ix1>().expect("1-D");
                ndarray::arr0(u.dot(&v)).into_dyn()
            }
            _ => panic!(
                "{}",
                tr!(
                    "dot: shapes {a} and {b}: the product takes arrays of one or two axes; \
                     flatten the input to (N, D) first (as Affine does: x.to_shape((n, d)))",
                    "dot: 형상 {a}와 {b}: 곱은 축이 하나나 둘인 배열만 받습니다. 입력을 먼저 \
                     (N, D)로 펴세요 (Affine처럼: x.to_shape((n, d)))"
                )
            ),
        }
    }
}

/// What an exercise notebook needs, without the classes the learner writes:
/// `use dlfs::exercise::prelude::*;`.
pub mod prelude {
    pub use super::{
        BookNet, DotDyn, Lang, Progress, Report, check_adagrad, check_adam, check_add_layer,
        check_affine, check_batch_normalization, check_col2im, check_convolution, check_dropout,
        check_im2col, check_init_std, check_momentum, check_mul_layer, check_nesterov,
        check_output_size, check_pooling, check_relu, check_rmsprop, check_sgd, check_sigmoid,
        check_softmax_with_loss, check_two_layer_net, check_weight_decay, mat, numbered_params,
        say, set_language,
    };
    pub use crate::arrays::{as_nchw, np_shape, plane_of, rows_of};
    pub use crate::data::{Dataset, LoadOptions, load_mnist};
    pub use crate::functions::{cross_entropy_error, relu, sigmoid, softmax};
    pub use crate::init::{Rng, choice, randn, seeded_rng};
    pub use crate::layers::{Hint, Layer, LossLayer, ParamRef, ScalarLayer};
    pub use crate::nets::{Activation, MultiLayerNet, NamedArrays, Sequential};
    pub use crate::optimizer::Optimizer;
    pub use crate::parallel::in_parallel;
    pub use crate::plot::{
        ChartGrid, Colormap, ContourPlot, Figure, HistogramGrid, ImageGrid, LineChart, Plot,
    };
    pub use crate::trainer::{TrainReport, Trainer, TrainerConfig};
    pub use ndarray::{
        Array1, Array2, Array4, Array6, ArrayD, ArrayRef, ArrayView2, Axis, Ix2, Ix4, IxDyn, Zip,
        array, s,
    };
    pub use rand::Rng as _;
    pub use std::collections::HashMap;
}

//! The six optimizers of chapter 6 (the book's `common/optimizer.py`), all in one file.
//!
//! Each takes every named parameter of a network in one [`Optimizer::update`] call (the
//! book's `update(params, grads)`; here a [`ParamRef`] carries value and gradient
//! together). State (`v`, `h`, `m`) lives in a map keyed by the parameter's name and is
//! created, as zeros, the first time a name is seen.
//!
//! ```
//! use dlfs::ndarray::array;
//! use dlfs::layers::ParamRef;
//! use dlfs::optimizer::{Optimizer, SGD};
//! let mut opt = SGD::new(0.1);
//! let (mut x, mut gx) = (array![-7.0].into_dyn(), array![2.0].into_dyn());
//! opt.update(vec![ParamRef::new("x", &mut x, &mut gx)]);
//! assert_eq!(x, array![-7.2].into_dyn());
//! ```
//!
//! # Panics
//! `new` panics if the learning rate is NaN or infinite. Every `update` panics if the
//! learning rate (a public field, which may have been set since) is NaN or infinite, if a
//! parameter's gradient shape differs from its value's shape, if a name appears twice in
//! one call, or if a name's stored state has a different shape than the parameter now has
//! (the network changed: use a fresh optimizer). All of this is checked before the first
//! parameter moves: a refused update changes nothing (no parameter, no state, not Adam's
//! `iter`).

use std::collections::{HashMap, HashSet};

use ndarray::{ArrayD, Zip};

use crate::kernels::split_len;
use crate::layers::ParamRef;

/// `zip.for_each(f)`, split over the threads for large parameters (each element's update
/// depends on that element only, so the result is the same on any number of threads).
macro_rules! each {
    ($zip:expr, $f:expr) => {{
        let zip = $zip;
        if split_len(zip.size()) {
            zip.par_for_each($f)
        } else {
            zip.for_each($f)
        }
    }};
}

/// Added to √h (AdaGrad, RMSprop) and √v (Adam) against division by zero, as in the book.
pub const EPSILON: f64 = 1e-7;

/// An update rule over a network's named parameters (`Send`, like [`Layer`](crate::layers::Layer),
/// so a network and its optimizer can train on another thread).
pub trait Optimizer: Send {
    /// One step over ALL parameters (one call per training step).
    ///
    /// # Panics
    /// See the [module docs](self).
    fn update(&mut self, params: Vec<ParamRef<'_>>);

    /// The optimizer's name, for plot legends (`"SGD"`, `"Adam"`, …).
    fn name(&self) -> &'static str;

    /// The hyperparameters, for a checkpoint's record of the run (`"lr=0.001 beta1=0.9
    /// beta2=0.999"`): a changed one starts a run afresh.
    fn settings(&self) -> String {
        String::new()
    }

    /// What the optimizer carries from one step to the next, by name (`"v/W1"`, `"iter"`),
    /// for a [`Trainer`](crate::trainer::Trainer) checkpoint. Default: nothing.
    fn state(&self) -> Vec<(String, ArrayD<f64>)> {
        Vec::new()
    }

    /// Puts back what [`state`](Self::state) gave.
    fn set_state(&mut self, state: Vec<(String, ArrayD<f64>)>) {
        let _ = state;
    }

    /// Whether [`state`](Self::state) and [`set_state`](Self::set_state) carry all the
    /// optimizer keeps between steps, so that a run resumed from a checkpoint is the run
    /// that was interrupted, bit for bit. The library's optimizers do; an optimizer of your
    /// own says `false` by default, and a trainer then keeps no checkpoint (and says why).
    fn checkpointable(&self) -> bool {
        false
    }

    /// One step for two scalar parameters named `"x"` and `"y"` at `xy`, with gradients
    /// `grad` = (∂f/∂x, ∂f/∂y); returns the new (x, y). For the 2-D demos of chapter 6
    /// (f(x, y) = x²/20 + y²).
    ///
    /// ```
    /// use dlfs::optimizer::{Momentum, Optimizer};
    /// let mut opt = Momentum::new(0.1);
    /// let (mut x, mut y) = (-7.0, 2.0);
    /// (x, y) = opt.update_xy((x, y), (x / 10.0, 2.0 * y));
    /// assert!((x - -6.93).abs() < 1e-12 && (y - 1.6).abs() < 1e-12);
    /// ```
    #[track_caller]
    fn update_xy(&mut self, xy: (f64, f64), grad: (f64, f64)) -> (f64, f64) {
        let mut xs = ndarray::arr0(xy.0).into_dyn();
        let mut ys = ndarray::arr0(xy.1).into_dyn();
        let mut gx = ndarray::arr0(grad.0).into_dyn();
        let mut gy = ndarray::arr0(grad.1).into_dyn();
        self.update(vec![
            ParamRef::new("x", &mut xs, &mut gx),
            ParamRef::new("y", &mut ys, &mut gy),
        ]);
        (xs[[]], ys[[]])
    }
}

/// A boxed optimizer is one too, so a list of different ones (`Vec<Box<dyn Optimizer>>`)
/// can be handed to anything that takes an optimizer by value, [`Trainer`](crate::trainer::Trainer)
/// among them.
impl<O: Optimizer + ?Sized> Optimizer for Box<O> {
    fn update(&mut self, params: Vec<ParamRef<'_>>) {
        (**self).update(params)
    }

    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn settings(&self) -> String {
        (**self).settings()
    }

    fn state(&self) -> Vec<(String, ArrayD<f64>)> {
        (**self).state()
    }

    fn set_state(&mut self, state: Vec<(String, ArrayD<f64>)>) {
        (**self).set_state(state)
    }

    fn checkpointable(&self) -> bool {
        (**self).checkpointable()
    }

    #[track_caller]
    fn update_xy(&mut self, xy: (f64, f64), grad: (f64, f64)) -> (f64, f64) {
        (**self).update_xy(xy, grad)
    }
}

/// A state map as checkpoint entries `"{what}/{name}"`, sorted by name.
fn map_state(what: &str, map: &HashMap<String, ArrayD<f64>>) -> Vec<(String, ArrayD<f64>)> {
    let mut out: Vec<_> = map
        .iter()
        .map(|(k, v)| (format!("{what}/{k}"), v.clone()))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The entries `"{what}/{name}"` of `state` as a state map (removed from `state`).
fn take_map(what: &str, state: &mut Vec<(String, ArrayD<f64>)>) -> HashMap<String, ArrayD<f64>> {
    let prefix = format!("{what}/");
    let mut map = HashMap::new();
    state.retain(|(k, v)| match k.strip_prefix(&prefix) {
        Some(name) => {
            map.insert(name.to_string(), v.clone());
            false
        }
        None => true,
    });
    map
}

/// Refuses a learning rate that is NaN or infinite (one step would make every weight so).
#[track_caller]
fn check_lr(optimizer: &str, op: &str, lr: f64) -> f64 {
    if !lr.is_finite() {
        panic!("{optimizer}.{op}: the learning rate lr is {lr}; it must be a finite number")
    }
    lr
}

/// Checks one update before anything moves: a finite `lr`, each grad of its value's shape,
/// no name twice, and each stored state (`states`: what, map) of the parameter's shape.
#[track_caller]
fn check_params(
    optimizer: &str,
    lr: f64,
    params: &[ParamRef<'_>],
    states: &[(&str, &HashMap<String, ArrayD<f64>>)],
) {
    check_lr(optimizer, "update", lr);
    let mut seen = HashSet::new();
    for p in params {
        for (what, map) in states {
            if let Some(s) = map.get(&p.name) {
                stored_shape_fits(optimizer, what, &p.name, s, p.value);
            }
        }
        if p.grad.shape() != p.value.shape() {
            panic!(
                "{optimizer}.update: gradient of {:?} has shape {:?}, but the parameter has shape {:?}",
                p.name,
                p.grad.shape(),
                p.value.shape()
            );
        }
        if !seen.insert(p.name.as_str()) {
            panic!(
                "{optimizer}.update: parameter name {:?} appears twice in one update (state is kept by name)",
                p.name
            );
        }
    }
}

/// The state array of `name`, created as zeros of `like`'s shape on first use.
#[track_caller]
fn state<'s>(
    optimizer: &str,
    what: &str,
    map: &'s mut HashMap<String, ArrayD<f64>>,
    name: &str,
    like: &ArrayD<f64>,
) -> &'s mut ArrayD<f64> {
    let s = map
        .entry(name.to_string())
        .or_insert_with(|| ArrayD::zeros(like.raw_dim()));
    stored_shape_fits(optimizer, what, name, s, like);
    s
}

#[track_caller]
fn stored_shape_fits(optimizer: &str, what: &str, name: &str, s: &ArrayD<f64>, like: &ArrayD<f64>) {
    if s.shape() != like.shape() {
        panic!(
            "{optimizer}.update: stored {what} of {name:?} has shape {:?}, but the parameter now has shape {:?} (use a fresh optimizer for a changed network)",
            s.shape(),
            like.shape()
        );
    }
}

/// Stochastic gradient descent: W ← W − η ∂L/∂W.
#[derive(Debug, Clone)]
pub struct SGD {
    /// Learning rate η (book default 0.01).
    pub lr: f64,
}

impl SGD {
    /// SGD with learning rate `lr`.
    ///
    /// # Panics
    /// If `lr` is NaN or infinite (likewise every optimizer's `new`).
    #[track_caller]
    pub fn new(lr: f64) -> Self {
        Self {
            lr: check_lr("SGD", "new", lr),
        }
    }
}

impl Default for SGD {
    fn default() -> Self {
        Self::new(0.01)
    }
}

impl Optimizer for SGD {
    #[track_caller]
    fn update(&mut self, params: Vec<ParamRef<'_>>) {
        check_params("SGD", self.lr, &params, &[]);
        for p in params {
            p.value.scaled_add(-self.lr, p.grad);
        }
    }

    fn name(&self) -> &'static str {
        "SGD"
    }

    fn settings(&self) -> String {
        format!("lr={}", self.lr)
    }

    fn state(&self) -> Vec<(String, ArrayD<f64>)> {
        #[allow(unused_mut)]
        let mut out = Vec::new();

        out
    }

    fn set_state(&mut self, state: Vec<(String, ArrayD<f64>)>) {
        #[allow(unused_mut, unused_variables)]
        let mut state = state;
    }

    fn checkpointable(&self) -> bool {
        true
    }
}

/// Momentum: v ← α v − η ∂L/∂W; W ← W + v (v starts at 0).
#[derive(Debug, Clone)]
pub struct Momentum {
    /// Learning rate η (book default 0.01).
    pub lr: f64,
    /// α (book default 0.9).
    pub momentum: f64,
    /// Velocity per parameter name.
    pub v: HashMap<String, ArrayD<f64>>,
}

impl Momentum {
    /// Momentum with learning rate `lr` and α = 0.9.
    #[track_caller]
    pub fn new(lr: f64) -> Self {
        Self {
            lr: check_lr("Momentum", "new", lr),
            momentum: 0.9,
            v: HashMap::new(),
        }
    }
}

impl Default for Momentum {
    fn default() -> Self {
        Self::new(0.01)
    }
}

impl Optimizer for Momentum {
    #[track_caller]
    fn update(&mut self, params: Vec<ParamRef<'_>>) {
        check_params("Momentum", self.lr, &params, &[("v", &self.v)]);
        let (lr, a) = (self.lr, self.momentum);
        for p in params {
            let v = state("Momentum", "v", &mut self.v, &p.name, p.value);
            each!(Zip::from(&mut *p.value).and(&*p.grad).and(v), |w, &g, v| {
                *v = a * *v - lr * g;
                *w += *v;
            });
        }
    }

    fn name(&self) -> &'static str {
        "Momentum"
    }

    fn settings(&self) -> String {
        format!("lr={} momentum={}", self.lr, self.momentum)
    }

    fn state(&self) -> Vec<(String, ArrayD<f64>)> {
        #[allow(unused_mut)]
        let mut out = Vec::new();
        out.extend(map_state("v", &self.v));
        out
    }

    fn set_state(&mut self, state: Vec<(String, ArrayD<f64>)>) {
        #[allow(unused_mut, unused_variables)]
        let mut state = state;
        self.v = take_map("v", &mut state);
    }

    fn checkpointable(&self) -> bool {
        true
    }
}

/// Nesterov's accelerated gradient in the form of the book's `Nesterov` (after Bengio et
/// al., arXiv 1212.0901): the step uses the velocity of the *previous* step, then the
/// velocity is updated:
///
/// W ← W + α² v − (1 + α) η g; v ← α v − η g.
///
/// From (−7, 2) on f = x²/20 + y² with η = 0.1 the first step lands at (−6.867, 1.24).
///
/// ```
/// use dlfs::optimizer::{Nesterov, Optimizer};
/// let mut opt = Nesterov::new(0.1);
/// let (x, y) = opt.update_xy((-7.0, 2.0), (-0.7, 4.0));
/// assert!((x - -6.867).abs() < 1e-12 && (y - 1.24).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct Nesterov {
    /// Learning rate η (book default 0.01).
    pub lr: f64,
    /// α (book default 0.9).
    pub momentum: f64,
    /// Velocity per parameter name.
    pub v: HashMap<String, ArrayD<f64>>,
}

impl Nesterov {
    /// Nesterov with learning rate `lr` and α = 0.9.
    #[track_caller]
    pub fn new(lr: f64) -> Self {
        Self {
            lr: check_lr("Nesterov", "new", lr),
            momentum: 0.9,
            v: HashMap::new(),
        }
    }
}

impl Default for Nesterov {
    fn default() -> Self {
        Self::new(0.01)
    }
}

impl Optimizer for Nesterov {
    #[track_caller]
    fn update(&mut self, params: Vec<ParamRef<'_>>) {
        check_params("Nesterov", self.lr, &params, &[("v", &self.v)]);
        let (lr, a) = (self.lr, self.momentum);
        for p in params {
            let v = state("Nesterov", "v", &mut self.v, &p.name, p.value);
            each!(Zip::from(&mut *p.value).and(&*p.grad).and(v), |w, &g, v| {
                *w += a * a * *v - (1.0 + a) * lr * g;
                *v = a * *v - lr * g;
            });
        }
    }

    fn name(&self) -> &'static str {
        "Nesterov"
    }

    fn settings(&self) -> String {
        format!("lr={} momentum={}", self.lr, self.momentum)
    }

    fn state(&self) -> Vec<(String, ArrayD<f64>)> {
        #[allow(unused_mut)]
        let mut out = Vec::new();
        out.extend(map_state("v", &self.v));
        out
    }

    fn set_state(&mut self, state: Vec<(String, ArrayD<f64>)>) {
        #[allow(unused_mut, unused_variables)]
        let mut state = state;
        self.v = take_map("v", &mut state);
    }

    fn checkpointable(&self) -> bool {
        true
    }
}

/// AdaGrad: h ← h + g ⊙ g; W ← W − η g / (√h + 1e-7).
#[derive(Debug, Clone)]
pub struct AdaGrad {
    /// Learning rate η (book default 0.01).
    pub lr: f64,
    /// Sum of squared gradients per parameter name.
    pub h: HashMap<String, ArrayD<f64>>,
}

impl AdaGrad {
    /// AdaGrad with learning rate `lr`.
    #[track_caller]
    pub fn new(lr: f64) -> Self {
        Self {
            lr: check_lr("AdaGrad", "new", lr),
            h: HashMap::new(),
        }
    }
}

impl Default for AdaGrad {
    fn default() -> Self {
        Self::new(0.01)
    }
}

impl Optimizer for AdaGrad {
    #[track_caller]
    fn update(&mut self, params: Vec<ParamRef<'_>>) {
        check_params("AdaGrad", self.lr, &params, &[("h", &self.h)]);
        let lr = self.lr;
        for p in params {
            let h = state("AdaGrad", "h", &mut self.h, &p.name, p.value);
            each!(Zip::from(&mut *p.value).and(&*p.grad).and(h), |w, &g, h| {
                *h += g * g;
                *w -= lr * g / (h.sqrt() + EPSILON);
            });
        }
    }

    fn name(&self) -> &'static str {
        "AdaGrad"
    }

    fn settings(&self) -> String {
        format!("lr={}", self.lr)
    }

    fn state(&self) -> Vec<(String, ArrayD<f64>)> {
        #[allow(unused_mut)]
        let mut out = Vec::new();
        out.extend(map_state("h", &self.h));
        out
    }

    fn set_state(&mut self, state: Vec<(String, ArrayD<f64>)>) {
        #[allow(unused_mut, unused_variables)]
        let mut state = state;
        self.h = take_map("h", &mut state);
    }

    fn checkpointable(&self) -> bool {
        true
    }
}

/// RMSprop: h ← ρ h + (1 − ρ) g ⊙ g; W ← W − η g / (√h + 1e-7).
#[derive(Debug, Clone)]
pub struct RMSprop {
    /// Learning rate η (book default 0.01).
    pub lr: f64,
    /// ρ (book default 0.99).
    pub decay_rate: f64,
    /// Running mean of squared gradients per parameter name.
    pub h: HashMap<String, ArrayD<f64>>,
}

impl RMSprop {
    /// RMSprop with learning rate `lr` and ρ = 0.99.
    #[track_caller]
    pub fn new(lr: f64) -> Self {
        Self {
            lr: check_lr("RMSprop", "new", lr),
            decay_rate: 0.99,
            h: HashMap::new(),
        }
    }
}

impl Default for RMSprop {
    fn default() -> Self {
        Self::new(0.01)
    }
}

impl Optimizer for RMSprop {
    #[track_caller]
    fn update(&mut self, params: Vec<ParamRef<'_>>) {
        check_params("RMSprop", self.lr, &params, &[("h", &self.h)]);
        let (lr, rho) = (self.lr, self.decay_rate);
        for p in params {
            let h = state("RMSprop", "h", &mut self.h, &p.name, p.value);
            each!(Zip::from(&mut *p.value).and(&*p.grad).and(h), |w, &g, h| {
                *h = rho * *h + (1.0 - rho) * g * g;
                *w -= lr * g / (h.sqrt() + EPSILON);
            });
        }
    }

    fn name(&self) -> &'static str {
        "RMSprop"
    }

    fn settings(&self) -> String {
        format!("lr={} decay_rate={}", self.lr, self.decay_rate)
    }

    fn state(&self) -> Vec<(String, ArrayD<f64>)> {
        #[allow(unused_mut)]
        let mut out = Vec::new();
        out.extend(map_state("h", &self.h));
        out
    }

    fn set_state(&mut self, state: Vec<(String, ArrayD<f64>)>) {
        #[allow(unused_mut, unused_variables)]
        let mut state = state;
        self.h = take_map("h", &mut state);
    }

    fn checkpointable(&self) -> bool {
        true
    }
}

/// Adam, with the book's bias-corrected step size. At step t (counted per `update` call):
///
/// η_t = η √(1 − β₂ᵗ) / (1 − β₁ᵗ);
/// m ← m + (1 − β₁)(g − m); v ← v + (1 − β₂)(g ⊙ g − v);
/// W ← W − η_t m / (√v + 1e-7).
///
/// t is one count for all parameters, as the book's `self.iter`: a parameter first seen at
/// step t ≫ 1 (a layer added to a trained network) takes its first step with step t's
/// correction, about 2.5·η at t = 1000 instead of η. We keep the book's counter; give a
/// changed network a fresh optimizer.
#[derive(Debug, Clone)]
pub struct Adam {
    /// Learning rate η (book default 0.001).
    pub lr: f64,
    /// β₁ (book default 0.9).
    pub beta1: f64,
    /// β₂ (book default 0.999).
    pub beta2: f64,
    /// Steps taken (t); advances once per `update` call.
    pub iter: u64,
    /// First moment per parameter name.
    pub m: HashMap<String, ArrayD<f64>>,
    /// Second moment per parameter name.
    pub v: HashMap<String, ArrayD<f64>>,
}

impl Adam {
    /// Adam with learning rate `lr`, β₁ = 0.9, β₂ = 0.999.
    #[track_caller]
    pub fn new(lr: f64) -> Self {
        Self {
            lr: check_lr("Adam", "new", lr),
            beta1: 0.9,
            beta2: 0.999,
            iter: 0,
            m: HashMap::new(),
            v: HashMap::new(),
        }
    }
}

impl Default for Adam {
    fn default() -> Self {
        Self::new(0.001)
    }
}

impl Optimizer for Adam {
    #[track_caller]
    fn update(&mut self, params: Vec<ParamRef<'_>>) {
        check_params("Adam", self.lr, &params, &[("m", &self.m), ("v", &self.v)]);
        self.iter += 1;
        let (b1, b2) = (self.beta1, self.beta2);
        let t = self.iter as i32;
        let lr_t = self.lr * (1.0 - b2.powi(t)).sqrt() / (1.0 - b1.powi(t));
        for p in params {
            let m = state("Adam", "m", &mut self.m, &p.name, p.value);
            let v = state("Adam", "v", &mut self.v, &p.name, p.value);
            each!(
                Zip::from(&mut *p.value).and(&*p.grad).and(m).and(v),
                |w, &g, m, v| {
                    *m += (1.0 - b1) * (g - *m);
                    *v += (1.0 - b2) * (g * g - *v);
                    *w -= lr_t * *m / (v.sqrt() + EPSILON);
                }
            );
        }
    }

    fn name(&self) -> &'static str {
        "Adam"
    }

    fn settings(&self) -> String {
        format!("lr={} beta1={} beta2={}", self.lr, self.beta1, self.beta2)
    }

    fn state(&self) -> Vec<(String, ArrayD<f64>)> {
        #[allow(unused_mut)]
        let mut out = Vec::new();
        out.push((
            "iter".to_string(),
            ndarray::arr0(self.iter as f64).into_dyn(),
        ));
        out.extend(map_state("m", &self.m));
        out.extend(map_state("v", &self.v));
        out
    }

    fn set_state(&mut self, state: Vec<(String, ArrayD<f64>)>) {
        #[allow(unused_mut, unused_variables)]
        let mut state = state;
        if let Some(i) = state.iter().position(|(k, _)| k == "iter") {
            self.iter = state.swap_remove(i).1.sum() as u64;
        }
        self.m = take_map("m", &mut state);
        self.v = take_map("v", &mut state);
    }

    fn checkpointable(&self) -> bool {
        true
    }
}

//! Chapter 6's checks: the six optimizers, Xavier and He initialisation, batch
//! normalisation, dropout and weight decay.
//!
//! An optimizer check plays one fixed script on the learner's optimizer and on the
//! library's: three named parameters, six updates of seeded gradients, the third lending
//! the parameters in reverse order (state is kept by name, not by position) and the fourth
//! with exact zeros in one gradient; then the 30 steps of 6.1.7 from (−7, 2). When the
//! learner's values differ, the same script is played on the mistakes learners make (the
//! new velocity in Nesterov, Adam without bias correction, …): a match names the mistake.

use std::collections::HashMap;

use ndarray::{Array1, ArrayD, Axis, IxDyn};

use super::{
    Known, Report, Slip, Step, attempt, attempt_backward, awkward, compare, fail,
    layer_against_reference, layer_grad_check, numerical, random, rel_error, report, same,
    shape_str,
};
use crate::init::seeded_rng;
use crate::layers::{self, Layer, ParamRef};
use crate::nets::Sequential;
use crate::optimizer::{self, EPSILON, Optimizer};

// ---- optimizers --------------------------------------------------------------------------

/// The learning rate of the script (no optimizer's default, so a forgotten `lr` shows).
const LR: f64 = 0.05;

/// Values and gradients of the optimizer script.
struct Script {
    names: [&'static str; 4],
    init: Vec<ArrayD<f64>>,
    grads: Vec<Vec<ArrayD<f64>>>,
}

impl Script {
    fn new() -> Self {
        let mut r = seeded_rng(21);
        // W3 has W1's shape: state must be found by name, not by shape
        let names = ["W1", "b1", "W2", "W3"];
        let shapes: [&[usize]; 4] = [&[3, 4], &[4], &[4, 2], &[3, 4]];
        let init = shapes.iter().map(|s| random(s, &mut r)).collect();
        let grads = (0..6)
            .map(|update| {
                shapes
                    .iter()
                    .enumerate()
                    .map(|(k, s)| {
                        let mut g = random(s, &mut r) * 2.0;
                        if update == 3 && k == 1 {
                            g.iter_mut().step_by(2).for_each(|v| *v = 0.0);
                        }
                        g
                    })
                    .collect()
            })
            .collect();
        Self { names, init, grads }
    }

    /// The parameters' values after each update of `opt`.
    fn play(&self, opt: &mut dyn Optimizer) -> Vec<Vec<ArrayD<f64>>> {
        let mut values = self.init.clone();
        let mut run = Vec::new();
        for (update, grads) in self.grads.iter().enumerate() {
            let mut grads = grads.clone();
            let mut params: Vec<ParamRef<'_>> = self
                .names
                .iter()
                .zip(values.iter_mut())
                .zip(grads.iter_mut())
                .map(|((n, v), g)| ParamRef::new(*n, v, g))
                .collect();
            if update == 2 {
                params.reverse();
            }
            opt.update(params);
            run.push(values.clone());
        }
        run
    }

    /// The first place where `run` differs from `want`, as a compare message.
    fn difference(&self, run: &[Vec<ArrayD<f64>>], want: &[Vec<ArrayD<f64>>]) -> Option<String> {
        for (k, (a, b)) in run.iter().zip(want).enumerate() {
            for ((name, x), y) in self.names.iter().zip(a).zip(b) {
                let order = if k == 2 {
                    tr!(
                        " (parameters lent in reverse order)",
                        " (매개변수를 역순으로 건넨 갱신)"
                    )
                } else {
                    String::new()
                };
                let update = k + 1;
                let what = tr!(
                    "{name} after update {update} of 6{order}",
                    "갱신 6번 중 {update}번째 뒤의 {name}{order}"
                );
                if let Err(super::Stop::Failed(why)) = compare(&what, x, y, 1e-10) {
                    return Some(why);
                }
            }
        }
        None
    }
}

fn same_run(a: &[Vec<ArrayD<f64>>], b: &[Vec<ArrayD<f64>>]) -> bool {
    a.iter().zip(b).all(|(x, y)| {
        x.iter().zip(y).all(|(p, q)| {
            p.shape() == q.shape()
                && p.iter()
                    .zip(q)
                    .all(|(&u, &v)| (u - v).abs() <= 1e-10 * v.abs().max(1.0))
        })
    })
}

/// 30 steps on f(x, y) = x²/20 + y² from (−7, 2) (6.1.7).
fn path(opt: &mut dyn Optimizer) -> Vec<(f64, f64)> {
    let mut xy = (-7.0, 2.0);
    let mut points = vec![xy];
    for _ in 0..30 {
        xy = opt.update_xy(xy, (xy.0 / 10.0, 2.0 * xy.1));
        points.push(xy);
    }
    points
}

/// One element's update: value, gradient, two state numbers, η, the step count t.
type Elem = fn(&mut f64, f64, &mut [f64; 2], f64, i32);

/// An optimizer written element by element: the mistakes the checks recognise (and the
/// book's rules, for the mistakes of bookkeeping: state by position, t per parameter).
struct Rule {
    lr: f64,
    t: i32,
    elem: Elem,
    t_per_param: bool,
    by_position: bool,
    state: HashMap<String, Vec<[f64; 2]>>,
}

impl Rule {
    fn boxed(lr: f64, elem: Elem) -> Box<dyn Optimizer> {
        Box::new(Self::new(lr, elem))
    }

    fn new(lr: f64, elem: Elem) -> Self {
        Self {
            lr,
            t: 0,
            elem,
            t_per_param: false,
            by_position: false,
            state: HashMap::new(),
        }
    }
}

impl Optimizer for Rule {
    fn update(&mut self, params: Vec<ParamRef<'_>>) {
        if !self.t_per_param {
            self.t += 1;
        }
        for (k, p) in params.into_iter().enumerate() {
            if self.t_per_param {
                self.t += 1;
            }
            let key = if self.by_position {
                k.to_string()
            } else {
                p.name.clone()
            };
            let state = self
                .state
                .entry(key)
                .or_insert_with(|| vec![[0.0; 2]; p.value.len()]);
            for ((w, &g), s) in p.value.iter_mut().zip(p.grad.iter()).zip(state) {
                (self.elem)(w, g, s, self.lr, self.t);
            }
        }
    }

    fn name(&self) -> &'static str {
        "variant"
    }
}

const MOMENTUM: Elem = |w, g, s, lr, _| {
    s[0] = 0.9 * s[0] - lr * g;
    *w += s[0];
};
const NESTEROV: Elem = |w, g, s, lr, _| {
    *w += 0.81 * s[0] - 1.9 * lr * g;
    s[0] = 0.9 * s[0] - lr * g;
};
const ADAGRAD: Elem = |w, g, s, lr, _| {
    s[0] += g * g;
    *w -= lr * g / (s[0].sqrt() + EPSILON);
};
const RMSPROP: Elem = |w, g, s, lr, _| {
    s[0] = 0.99 * s[0] + 0.01 * g * g;
    *w -= lr * g / (s[0].sqrt() + EPSILON);
};
const ADAM: Elem = |w, g, s, lr, t| {
    let lr_t = lr * (1.0 - 0.999f64.powi(t)).sqrt() / (1.0 - 0.9f64.powi(t));
    s[0] += 0.1 * (g - s[0]);
    s[1] += 0.001 * (g * g - s[1]);
    *w -= lr_t * s[0] / (s[1].sqrt() + EPSILON);
};

/// A rule with its state looked up by position.
fn by_position(lr: f64, elem: Elem) -> Box<dyn Optimizer> {
    let mut r = Rule::new(lr, elem);
    r.by_position = true;
    Box::new(r)
}

fn by_position_slip() -> String {
    tr!(
        "your state follows the parameters' order: keep it by name \
         (update 3 lends the same parameters in reverse order; key a HashMap with p.name)",
        "상태를 매개변수의 순서로 찾고 있습니다. 이름으로 보관하세요 \
         (3번째 갱신은 같은 매개변수를 역순으로 건넵니다. HashMap의 키로 p.name을 쓰세요)"
    )
}

fn no_epsilon_slip() -> String {
    tr!(
        "the 1e-7 is missing: W ← W − η·g / (√h + 1e-7) (it keeps a \
         parameter whose h is still 0 from a division by zero)",
        "1e-7이 빠졌습니다. W ← W − η·g / (√h + 1e-7) (h가 아직 0인 매개변수에서 \
         0으로 나누는 것을 막아 줍니다)"
    )
}

/// A maker of optimizers from a learning rate.
type Make = Box<dyn Fn(f64) -> Box<dyn Optimizer>>;

struct OptimizerCase {
    exercise: &'static str,
    reference: Make,
    default_lr: f64,
    book_lr: f64,
    /// (what is wrong, how it computes)
    mistakes: Vec<(String, Make)>,
    /// (a note, another right form)
    alternatives: Vec<(String, Make)>,
}

fn check_optimizer(case: OptimizerCase, make: &dyn Fn(f64) -> Box<dyn Optimizer>) -> Report {
    let mut parts = Vec::new();
    let end = (|| {
        let script = Script::new();
        let mut yours = attempt("new", || make(LR))?;
        let run = attempt("update", || script.play(yours.as_mut()))?;
        let want = script.play((case.reference)(LR).as_mut());
        let mut reference: &Make = &case.reference;
        let mut note = None;
        if let Some(first) = script.difference(&run, &want) {
            let plays = |m: &Make| same_run(&run, &script.play(m(LR).as_mut()));
            if let Some((what, m)) = case.alternatives.iter().find(|(_, m)| plays(m)) {
                note = Some(what.clone());
                reference = m;
            } else {
                let default = case.default_lr;
                if same_run(&run, &script.play((case.reference)(default).as_mut())) {
                    return fail(tr!(
                        "{first}: your optimizer steps as with lr = {default} (the default), \
                         not the lr = {LR} it was made with: keep `lr` from new",
                        "{first}: 옵티마이저가 만들 때 받은 lr = {LR}이 아니라 기본값 lr = {default}로 \
                         갱신합니다. new에서 받은 `lr`을 보관하세요"
                    ));
                }
                return match case.mistakes.iter().find(|(_, m)| plays(m)) {
                    Some((what, _)) => fail(format!("{first}: {what}")),
                    None => fail(first),
                };
            }
        }
        parts.push(tr!(
            "6 updates of W1 (3, 4), b1 (4,), W2 (4, 2), W3 (3, 4) with lr {LR}, state kept by name",
            "lr {LR}로 W1 (3, 4), b1 (4,), W2 (4, 2), W3 (3, 4)를 6번 갱신, 상태는 이름으로 보관"
        ));
        let mut yours = attempt("new", || make(case.book_lr))?;
        let p = attempt("update_xy", || path(yours.as_mut()))?;
        let q = path(reference(case.book_lr).as_mut());
        for (k, (a, b)) in p.iter().zip(&q).enumerate() {
            let off = (a.0 - b.0).abs().max((a.1 - b.1).abs());
            if off.is_nan() || off > 1e-10 * b.0.abs().max(b.1.abs()).max(1.0) {
                let (lr, (ax, ay), (bx, by)) = (case.book_lr, a, b);
                return fail(tr!(
                    "6.1.7 from (−7, 2) with lr {lr}: step {k} at ({ax}, {ay}), expected ({bx}, {by})",
                    "6.1.7, (−7, 2)에서 lr = {lr}: {k}번째 단계가 ({ax}, {ay})입니다. ({bx}, {by})이어야 합니다"
                ));
            }
        }
        let end = q.last().expect("31 points");
        let (lr, (ex, ey)) = (case.book_lr, end);
        parts.push(tr!(
            "30 steps of 6.1.7 from (−7, 2) with lr {lr} (to ({ex:.4}, {ey:.4}))",
            "6.1.7, (−7, 2)에서 lr = {lr}, 30단계 (도착 ({ex:.4}, {ey:.4}))"
        ));
        if let Some(n) = note {
            parts.push(n);
        }
        Ok(())
    })();
    report(case.exercise, parts, end)
}

fn boxed<O: Optimizer + 'static>(make: impl Fn(f64) -> O) -> impl Fn(f64) -> Box<dyn Optimizer> {
    move |lr| Box::new(make(lr)) as Box<dyn Optimizer>
}

/// Checks SGD (6.1.2), built by `make(lr)`: W ← W − η·∂L/∂W over six updates of three
/// named parameters, and the 30 steps of 6.1.7 with lr 0.95.
pub fn check_sgd<O: Optimizer + 'static>(make: impl Fn(f64) -> O) -> Report {
    check_optimizer(
        OptimizerCase {
            exercise: "SGD",
            reference: Box::new(|lr| Box::new(optimizer::SGD::new(lr))),
            default_lr: 0.01,
            book_lr: 0.95,
            mistakes: vec![(
                tr!(
                    "you add the gradient: step downhill, W ← W − η·∂L/∂W",
                    "기울기를 더하고 있습니다. 내리막으로 가세요, W ← W − η·∂L/∂W"
                ),
                Box::new(|lr| Rule::boxed(lr, |w, g, _, lr, _| *w += lr * g)),
            )],
            alternatives: vec![],
        },
        &boxed(make),
    )
}

/// Checks Momentum (6.1.4), built by `make(lr)` with α = 0.9: v ← αv − η·g; W ← W + v,
/// v per parameter name, starting at 0.
pub fn check_momentum<O: Optimizer + 'static>(make: impl Fn(f64) -> O) -> Report {
    check_optimizer(
        OptimizerCase {
            exercise: "Momentum",
            reference: Box::new(|lr| Box::new(optimizer::Momentum::new(lr))),
            default_lr: 0.01,
            book_lr: 0.1,
            mistakes: vec![
                (
                    tr!(
                        "W moved by the velocity of the step before: update v first, then W ← W + v",
                        "W가 이전 단계의 속도로 움직였습니다. v를 먼저 갱신한 뒤 W ← W + v"
                    ),
                    Box::new(|lr| {
                        Rule::boxed(lr, |w, g, s, lr, _| {
                            *w += s[0];
                            s[0] = 0.9 * s[0] - lr * g;
                        })
                    }),
                ),
                (
                    tr!(
                        "the velocity lacks the learning rate: v ← αv − η·∂L/∂W",
                        "속도에 학습률이 빠졌습니다. v ← αv − η·∂L/∂W"
                    ),
                    Box::new(|lr| {
                        Rule::boxed(lr, |w, g, s, _, _| {
                            s[0] = 0.9 * s[0] - g;
                            *w += s[0];
                        })
                    }),
                ),
                (
                    tr!(
                        "v is not kept between updates (this is SGD): store it per parameter name",
                        "갱신 사이에 v가 보관되지 않습니다(이러면 SGD입니다). 매개변수 이름별로 보관하세요"
                    ),
                    Box::new(|lr| Box::new(optimizer::SGD::new(lr))),
                ),
                (by_position_slip(), Box::new(|lr| by_position(lr, MOMENTUM))),
            ],
            alternatives: vec![],
        },
        &boxed(make),
    )
}

/// Checks Nesterov's accelerated gradient (6.1.6's note; the book's `Nesterov`), built by
/// `make(lr)` with α = 0.9: W ← W + α²v − (1 + α)η·g with the velocity of the step
/// before, then v ← αv − η·g.
pub fn check_nesterov<O: Optimizer + 'static>(make: impl Fn(f64) -> O) -> Report {
    check_optimizer(
        OptimizerCase {
            exercise: "Nesterov",
            reference: Box::new(|lr| Box::new(optimizer::Nesterov::new(lr))),
            default_lr: 0.01,
            book_lr: 0.1,
            mistakes: vec![
                (
                    tr!(
                        "your step uses the new velocity, as older copies of the book's \
                         common/optimizer.py do; the form of Bengio et al. (arXiv 1212.0901) that \
                         the book follows steps with the velocity from before this update: first \
                         W ← W + α²v − (1 + α)η·g, then v ← αv − η·g",
                        "책의 common/optimizer.py 옛 판처럼 새 속도로 갱신하고 있습니다. 책이 따르는 \
                         Bengio 등(arXiv 1212.0901)의 형태는 이번 갱신 전의 속도를 씁니다. 먼저 \
                         W ← W + α²v − (1 + α)η·g, 그다음 v ← αv − η·g"
                    ),
                    Box::new(|lr| {
                        Rule::boxed(lr, |w, g, s, lr, _| {
                            s[0] = 0.9 * s[0] - lr * g;
                            *w += 0.81 * s[0] - 1.9 * lr * g;
                        })
                    }),
                ),
                (
                    tr!(
                        "this is Momentum's update: Nesterov steps by α²v − (1 + α)η·g",
                        "이것은 모멘텀의 갱신입니다. Nesterov는 α²v − (1 + α)η·g만큼 움직입니다"
                    ),
                    Box::new(|lr| Box::new(optimizer::Momentum::new(lr))),
                ),
                (by_position_slip(), Box::new(|lr| by_position(lr, NESTEROV))),
            ],
            alternatives: vec![],
        },
        &boxed(make),
    )
}

/// Checks AdaGrad (6.1.5), built by `make(lr)`: h ← h + g⊙g; W ← W − η·g / (√h + 1e-7).
pub fn check_adagrad<O: Optimizer + 'static>(make: impl Fn(f64) -> O) -> Report {
    check_optimizer(
        OptimizerCase {
            exercise: "AdaGrad",
            reference: Box::new(|lr| Box::new(optimizer::AdaGrad::new(lr))),
            default_lr: 0.01,
            book_lr: 1.5,
            mistakes: vec![
                (
                    tr!(
                        "h must add up the squared gradients of all updates: h ← h + g⊙g",
                        "h는 모든 갱신의 기울기 제곱을 누적해야 합니다. h ← h + g⊙g"
                    ),
                    Box::new(|lr| {
                        Rule::boxed(lr, |w, g, s, lr, _| {
                            s[0] = g * g;
                            *w -= lr * g / (s[0].sqrt() + EPSILON);
                        })
                    }),
                ),
                (
                    tr!(
                        "divide by √h + 1e-7, not by h",
                        "h가 아니라 √h + 1e-7로 나누세요"
                    ),
                    Box::new(|lr| {
                        Rule::boxed(lr, |w, g, s, lr, _| {
                            s[0] += g * g;
                            *w -= lr * g / (s[0] + EPSILON);
                        })
                    }),
                ),
                (
                    tr!(
                        "1e-7 goes outside the square root: √h + 1e-7",
                        "1e-7은 제곱근 밖에 더합니다. √h + 1e-7"
                    ),
                    Box::new(|lr| {
                        Rule::boxed(lr, |w, g, s, lr, _| {
                            s[0] += g * g;
                            *w -= lr * g / (s[0] + EPSILON).sqrt();
                        })
                    }),
                ),
                (
                    no_epsilon_slip(),
                    Box::new(|lr| {
                        Rule::boxed(lr, |w, g, s, lr, _| {
                            s[0] += g * g;
                            *w -= lr * g / s[0].sqrt();
                        })
                    }),
                ),
                (by_position_slip(), Box::new(|lr| by_position(lr, ADAGRAD))),
            ],
            alternatives: vec![],
        },
        &boxed(make),
    )
}

/// Checks RMSprop (6.1.5), built by `make(lr)` with ρ = 0.99:
/// h ← ρh + (1 − ρ)g⊙g; W ← W − η·g / (√h + 1e-7).
pub fn check_rmsprop<O: Optimizer + 'static>(make: impl Fn(f64) -> O) -> Report {
    check_optimizer(
        OptimizerCase {
            exercise: "RMSprop",
            reference: Box::new(|lr| Box::new(optimizer::RMSprop::new(lr))),
            default_lr: 0.01,
            book_lr: 0.3,
            mistakes: vec![
                (
                    tr!(
                        "this is AdaGrad's sum: RMSprop keeps a running average, h ← ρh + (1 − ρ)g⊙g",
                        "이것은 AdaGrad의 합입니다. RMSprop은 이동 평균을 유지합니다, h ← ρh + (1 − ρ)g⊙g"
                    ),
                    Box::new(|lr| Rule::boxed(lr, ADAGRAD)),
                ),
                (
                    tr!(
                        "ρ = 0.99 weighs the old h: h ← ρh + (1 − ρ)g⊙g",
                        "ρ = 0.99는 이전 h에 곱합니다. h ← ρh + (1 − ρ)g⊙g"
                    ),
                    Box::new(|lr| {
                        Rule::boxed(lr, |w, g, s, lr, _| {
                            s[0] = 0.01 * s[0] + 0.99 * g * g;
                            *w -= lr * g / (s[0].sqrt() + EPSILON);
                        })
                    }),
                ),
                (
                    tr!(
                        "the new squared gradient is weighed by 1 − ρ = 0.01: h ← ρh + (1 − ρ)g⊙g",
                        "새 기울기 제곱에는 1 − ρ = 0.01을 곱합니다. h ← ρh + (1 − ρ)g⊙g"
                    ),
                    Box::new(|lr| {
                        Rule::boxed(lr, |w, g, s, lr, _| {
                            s[0] = 0.99 * s[0] + g * g;
                            *w -= lr * g / (s[0].sqrt() + EPSILON);
                        })
                    }),
                ),
                (
                    no_epsilon_slip(),
                    Box::new(|lr| {
                        Rule::boxed(lr, |w, g, s, lr, _| {
                            s[0] = 0.99 * s[0] + 0.01 * g * g;
                            *w -= lr * g / s[0].sqrt();
                        })
                    }),
                ),
                (by_position_slip(), Box::new(|lr| by_position(lr, RMSPROP))),
            ],
            alternatives: vec![],
        },
        &boxed(make),
    )
}

/// Checks Adam (6.1.6), built by `make(lr)` with β₁ = 0.9, β₂ = 0.999, in the book's form:
/// t ← t + 1 once per update; η_t = η√(1 − β₂ᵗ)/(1 − β₁ᵗ); m ← m + (1 − β₁)(g − m);
/// v ← v + (1 − β₂)(g⊙g − v); W ← W − η_t·m / (√v + 1e-7). The paper's form (ε added to
/// √v̂ of the corrected moments) passes too, with a note.
pub fn check_adam<O: Optimizer + 'static>(make: impl Fn(f64) -> O) -> Report {
    check_optimizer(
        OptimizerCase {
            exercise: "Adam",
            reference: Box::new(|lr| Box::new(optimizer::Adam::new(lr))),
            default_lr: 0.001,
            book_lr: 0.3,
            mistakes: vec![
                (
                    tr!(
                        "no bias correction: the step size is η_t = η·√(1 − β₂ᵗ)/(1 − β₁ᵗ)",
                        "편향 보정이 없습니다. 갱신 폭은 η_t = η·√(1 − β₂ᵗ)/(1 − β₁ᵗ)입니다"
                    ),
                    Box::new(|lr| {
                        Rule::boxed(lr, |w, g, s, lr, _| {
                            s[0] += 0.1 * (g - s[0]);
                            s[1] += 0.001 * (g * g - s[1]);
                            *w -= lr * s[0] / (s[1].sqrt() + EPSILON);
                        })
                    }),
                ),
                (
                    tr!(
                        "t counts update calls, not parameters: advance it once per update, before the loop",
                        "t는 매개변수 수가 아니라 update 호출 횟수입니다. update마다 한 번, 반복문 전에 늘리세요"
                    ),
                    Box::new(|lr| {
                        let mut r = Rule::new(lr, ADAM);
                        r.t_per_param = true;
                        Box::new(r)
                    }),
                ),
                (by_position_slip(), Box::new(|lr| by_position(lr, ADAM))),
            ],
            alternatives: vec![(
                tr!(
                    "yours is the paper's form (ε added to √v̂); the book's puts the correction in η_t \
                     — the two differ only in where ε acts",
                    "논문의 형태입니다 (√v̂에 ε을 더함). 책은 보정을 η_t에 넣습니다 \
                     — 둘은 ε이 작용하는 위치만 다릅니다"
                ),
                Box::new(|lr| {
                    Rule::boxed(lr, |w, g, s, lr, t| {
                        s[0] += 0.1 * (g - s[0]);
                        s[1] += 0.001 * (g * g - s[1]);
                        let m_hat = s[0] / (1.0 - 0.9f64.powi(t));
                        let v_hat = s[1] / (1.0 - 0.999f64.powi(t));
                        *w -= lr * m_hat / (v_hat.sqrt() + EPSILON);
                    })
                }),
            )],
        },
        &boxed(make),
    )
}

// ---- initial weights ---------------------------------------------------------------------

/// Checks the standard deviations of Xavier's (√(1/n)) and He's (√(2/n)) initial weights
/// (6.2.2–6.2.3) for layers of n inputs, n = 1, 2, 3, 50, 100, 784.
pub fn check_init_std(xavier: impl Fn(usize) -> f64, he: impl Fn(usize) -> f64) -> Report {
    let mut parts = Vec::new();
    let end = (|| {
        let ns = [1usize, 2, 3, 50, 100, 784];
        for (name, f, want) in [
            ("Xavier", &xavier as &dyn Fn(usize) -> f64, 1.0f64),
            ("He", &he, 2.0),
        ] {
            for &n in &ns {
                let got = attempt(name, || f(n))?;
                let expected = (want / n as f64).sqrt();
                if rel_error(got, expected) > 1e-14 {
                    let nf = n as f64;
                    let why = if rel_error(got, want / nf) < 1e-14 {
                        tr!(
                            " (that is {want}/n: take its square root)",
                            " ({want}/n입니다. 제곱근을 취하세요)"
                        )
                    } else if rel_error(got, (1.0 / nf).sqrt()) < 1e-14 {
                        tr!(
                            " (that is Xavier's √(1/n): He doubles the variance, √(2/n))",
                            " (Xavier의 √(1/n)입니다. He는 분산을 두 배로 합니다, √(2/n))"
                        )
                    } else if rel_error(got, (2.0 / nf).sqrt()) < 1e-14 {
                        tr!(
                            " (that is He's √(2/n): Xavier's is √(1/n))",
                            " (He의 √(2/n)입니다. Xavier는 √(1/n)입니다)"
                        )
                    } else {
                        String::new()
                    };
                    return fail(tr!(
                        "{name} for n = {n}: {got}, expected {expected} = √({want}/{n}){why}",
                        "n = {n}일 때 {name}: {got}입니다. {expected} = √({want}/{n})이어야 합니다{why}"
                    ));
                }
            }
            parts.push(tr!(
                "{name} for n = 1, 2, 3, 50, 100, 784",
                "n = 1, 2, 3, 50, 100, 784일 때 {name}"
            ));
        }
        Ok(())
    })();
    report("Xavier and He", parts, end)
}

// ---- batch normalization -----------------------------------------------------------------

/// The layer's buffer `name`, copied.
fn buffer(layer: &mut dyn Layer, name: &str) -> Step<ArrayD<f64>> {
    let names: Vec<&str> = layer.buffers().iter().map(|(n, _)| *n).collect();
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    match layer.buffers().into_iter().find(|(n, _)| *n == name) {
        Some((_, a)) => Ok(a.clone()),
        None => fail(tr!(
            "buffers(): no {name:?} (yours are {names:?}); return (\"running_mean\", &mut \
             self.running_mean) and (\"running_var\", &mut self.running_var)",
            "buffers(): {name:?}이(가) 없습니다 (작성한 것은 {names:?}). (\"running_mean\", &mut \
             self.running_mean)과 (\"running_var\", &mut self.running_var)를 돌려주세요"
        )),
    }
}

/// Checks a batch-normalization layer (6.3), built by `make(gamma, beta)` for 2-D input
/// (N, D): training forward and backward (dx, dγ, dβ through `params()` named `gamma`,
/// `beta`) against the library's, the running statistics (read through `buffers()`) after
/// each training forward (momentum 0.9, from whatever they started at: the book starts
/// the variance at 0, the library at 1), inference with those statistics, and a gradient
/// check. ε = 1e-6 (the book's `10e-7`).
pub fn check_batch_normalization<L: Layer>(make: impl Fn(Array1<f64>, Array1<f64>) -> L) -> Report {
    let mut parts = Vec::new();
    let end = (|| {
        let mut r = seeded_rng(23);
        let mut first = None;
        for (n, d) in [(6usize, 4usize), (2, 3), (7, 5)] {
            let gamma = random(&[d], &mut r).mapv(|v| 1.0 + 0.5 * v);
            let beta = random(&[d], &mut r);
            let as1 = |a: &ArrayD<f64>| {
                a.clone()
                    .into_dimensionality::<ndarray::Ix1>()
                    .expect("1-D")
            };
            let (g1, b1) = (as1(&gamma), as1(&beta));
            let mut yours = attempt("new", || make(g1.clone(), b1.clone()))?;
            let mut reference = layers::BatchNormalization::with_params(g1.clone(), b1.clone());
            let x = random(&[n, d], &mut r) * 2.0 + 3.0;
            let xs = shape_str(x.shape());
            // a hint for the variance divided by N − 1
            let y = attempt("forward", || yours.forward(&x, true))?;
            let mu = x.mean_axis(Axis(0)).expect("N > 0");
            let xc = &x - &mu;
            let var = (&xc * &xc).mean_axis(Axis(0)).expect("N > 0");
            let unbiased =
                &xc / &(&var * (n as f64 / (n as f64 - 1.0))).mapv(|v| (v + 1e-6).sqrt()) * &gamma
                    + &beta;
            let want = reference.forward(&x, true);
            if compare("", &y, &want, 1e-10).is_err() && compare("", &y, &unbiased, 1e-10).is_ok() {
                return fail(tr!(
                    "forward on x of shape {xs}: your variance divides by N − 1; the book's (np.var) divides by N",
                    "forward (x 형상 {xs}): 분산을 N − 1로 나눕니다. 책(np.var)은 N으로 나눕니다"
                ));
            }
            let mut reference = layers::BatchNormalization::with_params(g1.clone(), b1.clone());
            let mut yours = attempt("new", || make(g1.clone(), b1.clone()))?;
            // running statistics of an earlier training: the update must weigh them by the
            // momentum (from zeros, 0.1·μ would look right without the old value's term)
            let (m0, v0) = (
                random(&[d], &mut r),
                random(&[d], &mut r).mapv(|v| 1.0 + 0.5 * v),
            );
            buffer(&mut yours, "running_mean")?;
            for (name, b) in yours.buffers() {
                match name {
                    "running_mean" => b.assign(&m0),
                    "running_var" => b.assign(&v0),
                    _ => {}
                }
            }
            let known = bn_known(&x, &gamma, &beta, &m0, &v0);
            layer_against_reference(&mut yours, &mut reference, &x, &mut r, &mut parts, &known)?;
            let (m1, v1) = (
                buffer(&mut yours, "running_mean")?,
                buffer(&mut yours, "running_var")?,
            );
            let expect_m = &m0 * 0.9 + &mu * 0.1;
            let expect_v = &v0 * 0.9 + &var * 0.1;
            let hint = tr!(
                "running = momentum·running + (1 − momentum)·batch statistic, momentum 0.9",
                "running = momentum·running + (1 − momentum)·배치 통계량, momentum 0.9"
            );
            if let Err(super::Stop::Failed(why)) = compare(
                &tr!(
                    "running_mean after a training forward on x of shape {xs}",
                    "훈련 모드 forward 뒤의 running_mean (x 형상 {xs})"
                ),
                &m1,
                &expect_m,
                1e-10,
            ) {
                return fail(format!("{why}: {hint}"));
            }
            if let Err(super::Stop::Failed(why)) = compare(
                &tr!(
                    "running_var after a training forward on x of shape {xs}",
                    "훈련 모드 forward 뒤의 running_var (x 형상 {xs})"
                ),
                &v1,
                &expect_v,
                1e-10,
            ) {
                return fail(tr!(
                    "{why}: {hint} (the variance divides by N)",
                    "{why}: {hint} (분산은 N으로 나눕니다)"
                ));
            }
            // inference uses the running statistics, not the batch's
            let x2 = random(&[n + 1, d], &mut r);
            let inference = tr!("forward (inference)", "forward (추론)");
            let y = attempt(&inference, || yours.forward(&x2, false))?;
            reference.running_mean.assign(&m1);
            reference.running_var.assign(&v1);
            let want = reference.forward(&x2, false);
            let (m2, v2) = (
                buffer(&mut yours, "running_mean")?,
                buffer(&mut yours, "running_var")?,
            );
            if m2 != m1 || v2 != v1 {
                return fail(tr!(
                    "forward with train = false changed the running statistics: only a training \
                     forward updates them",
                    "train = false인 forward가 이동 평균과 이동 분산을 바꿨습니다. 훈련 모드 \
                     forward만 이것을 갱신합니다"
                ));
            }
            if let Err(super::Stop::Failed(why)) = compare(
                &{
                    let xs2 = shape_str(x2.shape());
                    tr!(
                        "forward with train = false on x of shape {xs2}",
                        "forward (추론 모드, train = false, x 형상 {xs2})"
                    )
                },
                &y,
                &want,
                1e-10,
            ) {
                return fail(tr!(
                    "{why}: inference normalises with running_mean and running_var, not the batch's statistics",
                    "{why}: 추론에서는 배치의 통계량이 아니라 running_mean과 running_var로 정규화합니다"
                ));
            }
            first.get_or_insert((g1, b1, x));
        }
        parts.push(tr!(
            "running statistics and inference",
            "이동 평균·이동 분산과 추론"
        ));
        let (g1, b1, x) = first.expect("three cases ran");
        let mut yours = attempt("new", || make(g1.clone(), b1.clone()))?;
        let worst = layer_grad_check(&mut yours, &x, &mut r, &bn_keeps())?;
        parts.push(tr!(
            "gradient check (rel. error {worst:.1e})",
            "기울기 확인 (상대 오차 {worst:.1e})"
        ));
        Ok(())
    })();
    report("BatchNormalization", parts, end)
}

/// What batch norm's forward keeps for backward.
fn bn_keeps() -> Known {
    Known::new(
        tr!("xc, std and xn", "xc, std와 xn"),
        tr!(
            "the book's self.xc, self.std, self.xn, set by a training forward",
            "훈련 모드 forward에서 설정하는 책의 self.xc, self.std, self.xn"
        ),
    )
}

/// What batch norm's forward keeps, and its slips on `x`, with `gamma`, `beta` and running
/// statistics `m0`, `v0` before the training forward.
fn bn_known(
    x: &ArrayD<f64>,
    gamma: &ArrayD<f64>,
    beta: &ArrayD<f64>,
    m0: &ArrayD<f64>,
    v0: &ArrayD<f64>,
) -> Known {
    // the batch's statistics, x̂ and σ = √(var + ε)
    let mu = x.mean_axis(Axis(0)).expect("N > 0");
    let xc = x - &mu;
    let var = (&xc * &xc).mean_axis(Axis(0)).expect("N > 0");
    let std = var.mapv(|v| (v + 1e-6).sqrt());
    let xn = &xc / &std;
    let running = tr!(
        "forward with train = true normalised with running_mean and running_var: \
         in training use the batch's own mean and variance (the running ones are for train = false)",
        "train = true인 forward가 running_mean과 running_var로 정규화했습니다. \
         훈련 모드에서는 배치 자신의 평균과 분산을 쓰세요 (이동 평균·분산은 train = false용입니다)"
    );
    let mut known = bn_keeps();
    let (m1, v1) = (m0 * 0.9 + &mu * 0.1, v0 * 0.9 + &var * 0.1);
    for (m, v) in [(m0.clone(), v0.clone()), (m1, v1)] {
        let (g, b) = (gamma.clone(), beta.clone());
        known = known.slip(Slip::forward(running.clone(), move |x| {
            (x - &m) / v.mapv(|v| (v + 1e-6).sqrt()) * &g + &b
        }));
    }
    known = known.slip(Slip::backward(
        "dgamma",
        tr!(
            "dgamma = Σₙ dout·x̂ (the book's np.sum(self.xn * dout, axis=0)); yours lacks x̂, \
             which makes it dbeta",
            "dgamma = Σₙ dout·x̂ (책의 np.sum(self.xn * dout, axis=0))입니다. 작성한 것은 x̂가 \
             빠져서 dbeta가 되었습니다"
        ),
        |_, dout| dout.sum_axis(Axis(0)),
    ));
    // dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))/σ with dx̂ = γ·dout, without one of its terms
    let dx_is = tr!(
        "dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))/σ with dx̂ = γ·dout",
        "dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))/σ (여기서 dx̂ = γ·dout)"
    );
    let (g, s) = (gamma.clone(), std.clone());
    known = known.slip(Slip::backward(
        "dx",
        tr!(
            "{dx_is}; yours lacks −x̂·mean(dx̂·x̂), the path through the variance (the book's \
             dstd, dvar and dxc += (2/N)·xc·dvar)",
            "{dx_is}. 작성한 것에는 분산을 거치는 경로 −x̂·mean(dx̂·x̂)가 빠졌습니다 (책의 \
             dstd, dvar와 dxc += (2/N)·xc·dvar)"
        ),
        move |_, dout| {
            let dxn = dout * &g;
            (&dxn - &dxn.mean_axis(Axis(0)).expect("N > 0")) / &s
        },
    ));
    let (g, s, n) = (gamma.clone(), std, xn);
    known.slip(Slip::backward(
        "dx",
        tr!(
            "{dx_is}; yours lacks −mean(dx̂), the path through the mean (the book's dmu and \
             dx = dxc − dmu/N)",
            "{dx_is}. 작성한 것에는 평균을 거치는 경로 −mean(dx̂)가 빠졌습니다 (책의 dmu와 \
             dx = dxc − dmu/N)"
        ),
        move |_, dout| {
            let dxn = dout * &g;
            let along = (&dxn * &n).mean_axis(Axis(0)).expect("N > 0");
            (&dxn - &(&n * &along)) / &s
        },
    ))
}

// ---- dropout -----------------------------------------------------------------------------

/// Checks a dropout layer (6.4.3), built by `make(dropout_ratio, seed)`. Its masks are
/// random, so the check tests what a mask must do: in training every value is dropped (0)
/// or kept, about `dropout_ratio` of them dropped, a new mask each forward, backward lets
/// the gradient through exactly where forward kept the value; at inference the book
/// multiplies by 1 − ratio. Inverted dropout (kept values scaled by 1/(1 − ratio),
/// inference unchanged: the library's) passes too.
pub fn check_dropout<L: Layer>(make: impl Fn(f64, u64) -> L) -> Report {
    let mut parts = Vec::new();
    let end = (|| {
        let mut r = seeded_rng(25);
        let p = 0.3;
        let x = awkward(&[40, 50], 0, &mut r);
        let n = x.len() as f64;
        let mut yours = attempt("new", || make(p, 7))?;
        let y = attempt("forward", || yours.forward(&x, true))?;
        if y.shape() != x.shape() {
            let (ys, xs) = (shape_str(y.shape()), shape_str(x.shape()));
            return fail(tr!(
                "forward (train): your output has shape {ys}, expected x's {xs}",
                "forward (훈련): 출력의 형상이 {ys}입니다. x와 같은 {xs}이어야 합니다"
            ));
        }
        let dout = random(x.shape(), &mut r);
        let keeps = Known::new(
            tr!("the mask", "마스크"),
            tr!(
                "self.mask = Some(mask) in a training forward",
                "훈련 모드 forward에서 self.mask = Some(mask)"
            ),
        );
        let dx = attempt_backward(&keeps, || yours.backward(&dout))?;
        let inference = tr!("forward (inference)", "forward (추론)");
        let yi = attempt(&inference, || yours.forward(&x, false))?;
        let (scale, convention) = if compare("", &yi, &(&x * (1.0 - p)), 1e-12).is_ok() {
            (
                1.0,
                tr!(
                    "the book's: inference × (1 − ratio)",
                    "책의 방식: 추론에서 × (1 − ratio)"
                ),
            )
        } else if compare("", &yi, &x, 1e-12).is_ok() {
            (
                1.0 / (1.0 - p),
                tr!(
                    "inverted: kept values × 1/(1 − ratio)",
                    "역 드롭아웃: 남긴 값 × 1/(1 − ratio)"
                ),
            )
        } else {
            let hint = if same(&yi, &(&x * p)) {
                tr!(
                    ": yours multiplies by dropout_ratio = {p}, the fraction dropped; the book \
                     multiplies by 1 − dropout_ratio, the fraction kept",
                    ": 삭제하는 비율인 dropout_ratio = {p}을(를) 곱했습니다. 책은 남기는 비율인 \
                     1 − dropout_ratio를 곱합니다"
                )
            } else {
                String::new()
            };
            return match compare(
                &tr!(
                    "forward with train = false (the book multiplies x by 1 − dropout_ratio)",
                    "forward (추론 모드, train = false: 책은 x에 1 − dropout_ratio를 곱합니다)"
                ),
                &yi,
                &(&x * (1.0 - p)),
                1e-12,
            ) {
                Err(super::Stop::Failed(why)) => fail(format!("{why}{hint}")),
                other => other.map(|_| ()),
            };
        };
        let kept = y.mapv(|v| v != 0.0);
        for ((idx, &v), &xv) in y.indexed_iter().zip(&x) {
            if v != 0.0 && scale == 1.0 && rel_error(v, xv / (1.0 - p)) < 1e-12 {
                let at = ndarray::Dimension::slice(&idx);
                return fail(tr!(
                    "forward (train) at {at:?}: {v} = x/(1 − {p}), while forward with train = false \
                     multiplies by 1 − {p}: you scale twice; scale once, either kept values by \
                     1/(1 − {p}) in training (inverted dropout, inference returns x) or x by \
                     1 − {p} at inference (the book), not both",
                    "forward (훈련) {at:?}: {v} = x/(1 − {p})인데 train = false인 forward도 \
                     1 − {p}을(를) 곱합니다. 두 번 조정하고 있습니다. 훈련에서 남긴 값에 \
                     1/(1 − {p})을(를) 곱하거나(역 드롭아웃, 추론은 x를 그대로 반환) 추론에서 x에 \
                     1 − {p}을(를) 곱하거나(책) 둘 중 한 번만 하세요"
                ));
            }
            if v != 0.0 && scale != 1.0 && rel_error(v, xv) < 1e-12 {
                let at = ndarray::Dimension::slice(&idx);
                return fail(tr!(
                    "forward (train) at {at:?}: {v}, x itself, while forward with train = false \
                     returns x unchanged: either multiply by 1 − {p} at inference (the book) or \
                     scale kept values by 1/(1 − {p}) in training (inverted dropout), not neither",
                    "forward (훈련) {at:?}: {v}, x 그대로인데 train = false인 forward도 x를 그대로 \
                     반환합니다. 추론에서 1 − {p}을(를) 곱하거나(책) 훈련에서 남긴 값에 \
                     1/(1 − {p})을(를) 곱하세요(역 드롭아웃). 둘 다 안 하면 안 됩니다"
                ));
            }
            if v != 0.0 && rel_error(v, xv * scale) > 1e-12 {
                let at = ndarray::Dimension::slice(&idx);
                let kept_value = if scale == 1.0 {
                    tr!("x itself", "x 그대로")
                } else {
                    format!("x/(1 − {p}) = {}", xv * scale)
                };
                return fail(tr!(
                    "forward (train) at {at:?}: {v}; a kept value is {kept_value} ({xv}), a dropped one 0",
                    "forward (훈련) {at:?}: {v}입니다. 남긴 값은 {kept_value} ({xv}), 삭제한 값은 0입니다"
                ));
            }
        }
        let dropped = kept.iter().filter(|&&k| !k).count() as f64 / n;
        let sd = (p * (1.0 - p) / n).sqrt();
        if (dropped - p).abs() > 5.0 * sd {
            let hint = if (dropped - (1.0 - p)).abs() < 5.0 * sd {
                tr!(
                    ": you drop where rand > ratio; that is where the book keeps (mask = rand > ratio)",
                    ": rand > ratio인 곳을 삭제합니다. 책은 그곳을 남깁니다 (mask = rand > ratio)"
                )
            } else {
                String::new()
            };
            let (pct, want_pct) = (100.0 * dropped, 100.0 * p);
            return fail(tr!(
                "forward (train) dropped {pct:.1}% of 2000 values with dropout_ratio {p}, expected about {want_pct:.0}%{hint}",
                "forward (훈련): dropout_ratio {p}에서 값 2000개 중 {pct:.1}%를 삭제했습니다. 약 {want_pct:.0}%여야 합니다{hint}"
            ));
        }
        let pct = 100.0 * dropped;
        parts.push(tr!(
            "forward drops {pct:.1}% with ratio {p} ({convention})",
            "ratio {p}에서 forward가 {pct:.1}% 삭제 ({convention})"
        ));
        for ((idx, &g), (&d, &k)) in dx.indexed_iter().zip(dout.iter().zip(&kept)) {
            let want = if k { d * scale } else { 0.0 };
            if rel_error(g, want) > 1e-12 {
                let at = ndarray::Dimension::slice(&idx);
                let passes = if scale == 1.0 {
                    tr!("unchanged", "그대로")
                } else {
                    "× 1/(1 − ratio)".to_string()
                };
                return fail(tr!(
                    "backward at {at:?}: {g}, expected {want}: the gradient passes {passes} where forward kept the value and is 0 where it dropped it (keep the mask)",
                    "backward {at:?}: {g}입니다. {want}이어야 합니다. 기울기는 forward가 값을 남긴 곳에서는 {passes} 전해지고 삭제한 곳에서는 0입니다 (마스크를 보관하세요)"
                ));
            }
        }
        parts.push(tr!(
            "backward through forward's mask",
            "forward의 마스크를 통한 backward"
        ));
        // one random number per value: not one mask row for the whole batch, not whole rows
        let rows: Vec<Vec<bool>> = kept
            .outer_iter()
            .map(|r| r.iter().copied().collect())
            .collect();
        if rows.iter().all(|r| *r == rows[0]) {
            return fail(tr!(
                "forward (train): every sample of the batch got the same mask: draw a random number for each value, not for each feature",
                "forward (훈련): 배치의 모든 표본이 같은 마스크를 받았습니다. 특징마다가 아니라 값마다 난수를 뽑으세요"
            ));
        }
        if rows.iter().all(|r| r.iter().all(|&k| k == r[0])) {
            return fail(tr!(
                "forward (train): whole samples are dropped or kept: draw a random number for each value",
                "forward (훈련): 표본 전체를 삭제하거나 남깁니다. 값마다 난수를 뽑으세요"
            ));
        }
        let y2 = attempt("forward", || yours.forward(&x, true))?;
        let kept2 = y2.mapv(|v| v != 0.0);
        if kept2 == kept {
            return fail(tr!(
                "a second training forward dropped exactly the same values: draw a new mask each forward",
                "두 번째 훈련 모드 forward가 정확히 같은 값을 삭제했습니다. forward마다 새 마스크를 뽑으세요"
            ));
        }
        let dx2 = attempt_backward(&keeps, || yours.backward(&dout))?;
        for ((idx, &g), (&d, &k)) in dx2.indexed_iter().zip(dout.iter().zip(&kept2)) {
            let want = if k { d * scale } else { 0.0 };
            if rel_error(g, want) > 1e-12 {
                let at = ndarray::Dimension::slice(&idx);
                return fail(tr!(
                    "backward after the second forward, at {at:?}: {g}, expected {want}: keep the mask of the latest forward",
                    "두 번째 forward 다음의 backward, {at:?}: {g}입니다. {want}이어야 합니다. 가장 최근 forward의 마스크를 보관하세요"
                ));
            }
        }
        parts.push(tr!("a new mask each forward", "forward마다 새 마스크"));
        Ok(())
    })();
    report("Dropout", parts, end)
}

// ---- weight decay ------------------------------------------------------------------------

/// Checks weight decay (6.4.2): `decay_loss(net, λ)` must be ½λ Σ‖W‖² over the net's
/// weights (`W1`, `W2`, …, not the biases), and `add_decay_grad(net, λ)`, called after
/// `net.backprop`, must add λW to each weight's gradient; against the library's
/// `weight_decay_lambda` on a 6-5-4-3 net, and by a numerical gradient check of
/// loss + decay.
pub fn check_weight_decay(
    decay_loss: impl Fn(&mut Sequential, f64) -> f64,
    add_decay_grad: impl Fn(&mut Sequential, f64),
) -> Report {
    use crate::nets::{ExtendOptions, MultiLayerNetExtend};
    let mut parts = Vec::new();
    let end = (|| {
        // not the book's 0.1 (a constant written in would pass), and batch norm's gamma1,
        // gamma2 in the net: they are not weights and do not decay
        let lambda = 0.07;
        let make = |l| {
            let opts = ExtendOptions {
                use_batchnorm: true,
                weight_decay_lambda: l,
                ..Default::default()
            };
            MultiLayerNetExtend::new(6, &[5, 4], 3, opts, &mut seeded_rng(27))
        };
        let (mut yours, mut reference) = (make(0.0), make(lambda));
        let mut r = seeded_rng(28);
        // biases (and batch norm's beta) away from their initial zeros, so that decaying
        // them shows
        for (p, q) in yours.params().into_iter().zip(reference.params()) {
            if p.name.starts_with('b') {
                let b = random(p.value.shape(), &mut r);
                p.value.assign(&b);
                q.value.assign(&b);
            }
        }
        let x = awkward(&[4, 6], 0, &mut r);
        let t = ArrayD::from_shape_vec(IxDyn(&[4]), vec![0.0, 2.0, 1.0, 2.0]).expect("4 labels");
        let term = attempt("decay_loss", || decay_loss(&mut yours, lambda))?;
        let sq = |net: &mut Sequential, w: bool| -> f64 {
            net.params()
                .iter()
                .filter(|p| p.name.starts_with('W') == w)
                .map(|p| p.value.iter().map(|v| v * v).sum::<f64>())
                .sum()
        };
        let (ws, bs) = (sq(&mut yours, true), sq(&mut yours, false));
        let want = 0.5 * lambda * ws;
        if rel_error(term, want) > 1e-12 {
            let why = if rel_error(term, lambda * ws) < 1e-12 {
                tr!(
                    " (yours is λΣ‖W‖²: the book's term is ½λΣ‖W‖², so that its gradient is λW)",
                    " (작성한 것은 λΣ‖W‖²입니다. 책의 항은 기울기가 λW가 되도록 ½λΣ‖W‖²입니다)"
                )
            } else if rel_error(term, 0.5 * lambda * (ws + bs)) < 1e-12 {
                tr!(
                    " (yours includes other parameters: only the weights W1, W2, … decay, not b, gamma, beta)",
                    " (다른 매개변수도 들어갔습니다. b, gamma, beta가 아니라 가중치 W1, W2, …만 감소합니다)"
                )
            } else {
                String::new()
            };
            return fail(tr!(
                "decay_loss(net, {lambda}) = {term}, expected ½·{lambda}·Σ‖W‖² = {want}{why}",
                "decay_loss(net, {lambda}) = {term}입니다. ½·{lambda}·Σ‖W‖² = {want}이어야 합니다{why}"
            ));
        }
        let total = yours.loss(&x, &t, true) + term;
        let want_total = reference.loss(&x, &t, true);
        if rel_error(total, want_total) > 1e-12 {
            return fail(tr!(
                "loss + decay_loss = {total}, expected the library's {want_total}",
                "loss + decay_loss = {total}입니다. 라이브러리의 값 {want_total}이어야 합니다"
            ));
        }
        parts.push(tr!("½λΣ‖W‖² in the loss", "손실에 ½λΣ‖W‖²"));
        yours.backprop(&x, &t);
        attempt("add_decay_grad", || add_decay_grad(&mut yours, lambda))?;
        reference.backprop(&x, &t);
        let mine: Vec<(String, ArrayD<f64>)> = yours
            .params()
            .into_iter()
            .map(|p| (p.name, p.grad.clone()))
            .collect();
        let theirs: Vec<ArrayD<f64>> = reference
            .params()
            .into_iter()
            .map(|p| p.grad.clone())
            .collect();
        for ((name, g), want) in mine.iter().zip(&theirs) {
            if let Err(super::Stop::Failed(why)) = compare(
                &tr!("gradient of {name}", "{name}의 기울기"),
                g,
                want,
                1e-10,
            ) {
                let hint = if !name.starts_with('W') {
                    tr!(
                        ": only the weights decay (not b, gamma, beta); add λW to the weights' gradients only",
                        ": 가중치만 감소합니다 (b, gamma, beta는 아님). λW는 가중치의 기울기에만 더하세요"
                    )
                } else {
                    tr!(
                        ": add λ·W, the derivative of ½λ‖W‖², to each weight's gradient",
                        ": ½λ‖W‖²의 미분인 λ·W를 각 가중치의 기울기에 더하세요"
                    )
                };
                return fail(format!("{why}{hint}"));
            }
        }
        parts.push(tr!("λW in the gradients", "기울기에 λW"));
        let mut worst = 0.0f64;
        for (k, (name, g)) in mine.iter().enumerate() {
            let value = yours.params()[k].value.clone();
            let num = attempt("decay_loss", || {
                numerical(&value, |v| {
                    yours.params()[k].value.assign(v);
                    let l = yours.loss(&x, &t, true);
                    l + decay_loss(&mut yours, lambda)
                })
            })?;
            yours.params()[k].value.assign(&value);
            worst = worst.max(super::grad_check(name, g, &num)?);
        }
        parts.push(tr!(
            "gradient check (rel. error {worst:.1e})",
            "기울기 확인 (상대 오차 {worst:.1e})"
        ));
        Ok(())
    })();
    report("Weight decay", parts, end)
}

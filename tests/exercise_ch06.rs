//! Chapter 6's exercise checks against deliberately wrong optimizers, initialisations,
//! batch-norm and dropout layers and weight decays: each must be reported ✗ with a message
//! that names the mistake; right ones (the library's, the book's variants) must pass.
#![allow(clippy::todo)] // an unfinished exercise is a `todo!()`: the checks must say "not done yet"

use std::collections::HashMap;

use dlfs::exercise::*;
use dlfs::init::{Rng, seeded_rng};
use dlfs::layers::{self, Layer, ParamRef};
use dlfs::ndarray::{Array1, ArrayD, ArrayRef, Axis, IxDyn, Zip};
use dlfs::nets::Sequential;
use dlfs::optimizer::{self, Optimizer};
use dlfs::rand::Rng as _;

mod common;
use common::{assert_failed, assert_passed};

// ---- optimizers ----

/// An optimizer written per element, as a learner might: `f(w, g, state, lr, t)`.
struct Elementwise {
    lr: f64,
    t: i32,
    per_param_t: bool,
    by_position: bool,
    state: HashMap<String, Vec<[f64; 2]>>,
    f: fn(&mut f64, f64, &mut [f64; 2], f64, i32),
}

fn elementwise(lr: f64, f: fn(&mut f64, f64, &mut [f64; 2], f64, i32)) -> Elementwise {
    Elementwise {
        lr,
        t: 0,
        per_param_t: false,
        by_position: false,
        state: HashMap::new(),
        f,
    }
}

impl Optimizer for Elementwise {
    fn update(&mut self, params: Vec<ParamRef<'_>>) {
        if !self.per_param_t {
            self.t += 1;
        }
        for (k, p) in params.into_iter().enumerate() {
            if self.per_param_t {
                self.t += 1;
            }
            let key = if self.by_position {
                k.to_string()
            } else {
                p.name.clone()
            };
            let s = self
                .state
                .entry(key)
                .or_insert_with(|| vec![[0.0; 2]; p.value.len()]);
            for ((w, &g), s) in p.value.iter_mut().zip(p.grad.iter()).zip(s) {
                (self.f)(w, g, s, self.lr, self.t);
            }
        }
    }
    fn name(&self) -> &'static str {
        "test"
    }
}

#[test]
fn the_library_optimizers_pass() {
    assert_passed(&check_sgd(optimizer::SGD::new));
    assert_passed(&check_momentum(optimizer::Momentum::new));
    assert_passed(&check_nesterov(optimizer::Nesterov::new));
    assert_passed(&check_adagrad(optimizer::AdaGrad::new));
    assert_passed(&check_rmsprop(optimizer::RMSprop::new));
    assert_passed(&check_adam(optimizer::Adam::new));
}

#[test]
fn right_optimizers_written_per_element_pass() {
    assert_passed(&check_momentum(|lr| {
        elementwise(lr, |w, g, s, lr, _| {
            s[0] = 0.9 * s[0] - lr * g;
            *w += s[0];
        })
    }));
    assert_passed(&check_adam(|lr| {
        elementwise(lr, |w, g, s, lr, t| {
            let lr_t = lr * (1.0 - 0.999f64.powi(t)).sqrt() / (1.0 - 0.9f64.powi(t));
            s[0] = 0.9 * s[0] + 0.1 * g;
            s[1] = 0.999 * s[1] + 0.001 * g * g;
            *w -= lr_t * s[0] / (s[1].sqrt() + 1e-7);
        })
    }));
}

#[test]
fn sgd_mistakes_are_named() {
    assert_failed(
        &check_sgd(|lr| elementwise(lr, |w, g, _, lr, _| *w += lr * g)),
        &["SGD", "W1 after update 1 of 6", "you add the gradient"],
    );
    assert_failed(
        &check_sgd(|_| optimizer::SGD::new(0.01)),
        &["lr = 0.01 (the default)", "lr = 0.05"],
    );
}

#[test]
fn an_unfinished_optimizer_is_not_done_yet() {
    struct Todo;
    impl Optimizer for Todo {
        fn update(&mut self, _params: Vec<ParamRef<'_>>) {
            todo!("v = αv − η·g; W += v")
        }
        fn name(&self) -> &'static str {
            "Todo"
        }
    }
    let r = check_momentum(|_| Todo);
    assert_eq!(r.outcome, Outcome::NotDone("v = αv − η·g; W += v".into()));
}

#[test]
fn momentum_mistakes_are_named() {
    assert_failed(
        &check_momentum(|lr| {
            elementwise(lr, |w, g, s, lr, _| {
                *w += s[0];
                s[0] = 0.9 * s[0] - lr * g;
            })
        }),
        &["velocity of the step before"],
    );
    let mut by_position = elementwise(0.05, |w, g, s, lr, _| {
        s[0] = 0.9 * s[0] - lr * g;
        *w += s[0];
    });
    by_position.by_position = true;
    let cell = std::cell::RefCell::new(Some(by_position));
    assert_failed(
        &check_momentum(|lr| {
            let mut o = cell.borrow_mut().take().unwrap_or_else(|| {
                elementwise(lr, |w, g, s, lr, _| {
                    s[0] = 0.9 * s[0] - lr * g;
                    *w += s[0];
                })
            });
            o.lr = lr;
            o
        }),
        &[
            "update 3 of 6 (parameters lent in reverse order)",
            "keep it by name",
        ],
    );
}

/// Momentum with its velocity looked up by the parameter's shape.
struct ByShape {
    lr: f64,
    v: HashMap<Vec<usize>, ArrayD<f64>>,
}

impl Optimizer for ByShape {
    fn update(&mut self, params: Vec<ParamRef<'_>>) {
        for p in params {
            let v = self
                .v
                .entry(p.value.shape().to_vec())
                .or_insert_with(|| ArrayD::zeros(p.value.raw_dim()));
            *v = &*v * 0.9 - &*p.grad * self.lr;
            *p.value += &*v;
        }
    }
    fn name(&self) -> &'static str {
        "ByShape"
    }
}

#[test]
fn state_found_by_shape_fails() {
    assert_failed(
        &check_momentum(|lr| ByShape {
            lr,
            v: HashMap::new(),
        }),
        &["W3 after update 1 of 6"],
    );
}

#[test]
fn nesterov_with_the_new_velocity_is_named() {
    assert_failed(
        &check_nesterov(|lr| {
            elementwise(lr, |w, g, s, lr, _| {
                s[0] = 0.9 * s[0] - lr * g;
                *w += 0.81 * s[0] - 1.9 * lr * g;
            })
        }),
        &["uses the new velocity", "first W ← W + α²v − (1 + α)η·g"],
    );
    assert_failed(
        &check_nesterov(optimizer::Momentum::new),
        &["this is Momentum's update"],
    );
}

#[test]
fn adagrad_and_rmsprop_mistakes_are_named() {
    assert_failed(
        &check_adagrad(|lr| {
            elementwise(lr, |w, g, s, lr, _| {
                s[0] = g * g;
                *w -= lr * g / (s[0].sqrt() + 1e-7);
            })
        }),
        &["h ← h + g⊙g"],
    );
    assert_failed(
        &check_adagrad(|lr| {
            elementwise(lr, |w, g, s, lr, _| {
                s[0] += g * g;
                *w -= lr * g / (s[0] + 1e-7).sqrt();
            })
        }),
        &["outside the square root"],
    );
    assert_failed(
        &check_rmsprop(optimizer::AdaGrad::new),
        &["AdaGrad's sum", "running average"],
    );
}

#[test]
fn adagrad_and_rmsprop_without_the_epsilon_are_named() {
    let needles = [
        "W1 after update 1 of 6",
        "the 1e-7 is missing: W ← W − η·g / (√h + 1e-7)",
    ];
    assert_failed(
        &check_adagrad(|lr| {
            elementwise(lr, |w, g, s, lr, _| {
                s[0] += g * g;
                *w -= lr * g / s[0].sqrt();
            })
        }),
        &needles,
    );
    assert_failed(
        &check_rmsprop(|lr| {
            elementwise(lr, |w, g, s, lr, _| {
                s[0] = 0.99 * s[0] + 0.01 * g * g;
                *w -= lr * g / s[0].sqrt();
            })
        }),
        &needles,
    );
}

#[test]
fn rmsprop_mistakes_are_named() {
    assert_failed(
        &check_rmsprop(|lr| {
            elementwise(lr, |w, g, s, lr, _| {
                s[0] = 0.99 * s[0] + g * g;
                *w -= lr * g / (s[0].sqrt() + 1e-7);
            })
        }),
        &["weighed by 1 − ρ = 0.01: h ← ρh + (1 − ρ)g⊙g"],
    );
    assert_failed(
        &check_rmsprop(|lr| {
            elementwise(lr, |w, g, s, lr, _| {
                s[0] = 0.01 * s[0] + 0.99 * g * g;
                *w -= lr * g / (s[0].sqrt() + 1e-7);
            })
        }),
        &["ρ = 0.99 weighs the old h"],
    );
}

#[test]
fn adam_mistakes_are_named_and_the_paper_form_passes() {
    assert_failed(
        &check_adam(|lr| {
            elementwise(lr, |w, g, s, lr, _| {
                s[0] += 0.1 * (g - s[0]);
                s[1] += 0.001 * (g * g - s[1]);
                *w -= lr * s[0] / (s[1].sqrt() + 1e-7);
            })
        }),
        &["no bias correction"],
    );
    assert_failed(
        &check_adam(|lr| {
            let mut o = elementwise(lr, |w, g, s, lr, t| {
                let lr_t = lr * (1.0 - 0.999f64.powi(t)).sqrt() / (1.0 - 0.9f64.powi(t));
                s[0] += 0.1 * (g - s[0]);
                s[1] += 0.001 * (g * g - s[1]);
                *w -= lr_t * s[0] / (s[1].sqrt() + 1e-7);
            });
            o.per_param_t = true;
            o
        }),
        &["t counts update calls"],
    );
    let paper = check_adam(|lr| {
        elementwise(lr, |w, g, s, lr, t| {
            s[0] = 0.9 * s[0] + 0.1 * g;
            s[1] = 0.999 * s[1] + 0.001 * g * g;
            let (m, v) = (
                s[0] / (1.0 - 0.9f64.powi(t)),
                s[1] / (1.0 - 0.999f64.powi(t)),
            );
            *w -= lr * m / (v.sqrt() + 1e-7);
        })
    });
    assert_passed(&paper);
    assert!(paper.to_string().contains("the paper's form"), "{paper}");
}

// ---- initial weights ----

#[test]
fn init_std_mistakes_are_named() {
    let xavier = |n: usize| (1.0 / n as f64).sqrt();
    let he = |n: usize| (2.0 / n as f64).sqrt();
    assert_passed(&check_init_std(xavier, he));
    assert_passed(&check_init_std(|n| 1.0 / (n as f64).sqrt(), he));
    assert_failed(
        &check_init_std(|n| 1.0 / n as f64, he),
        &["Xavier for n = 2", "take its square root"],
    );
    assert_failed(
        &check_init_std(xavier, xavier),
        &["He for n = 1", "He doubles"],
    );
    assert_failed(&check_init_std(he, xavier), &["that is He's"]);
}

// ---- batch normalization ----

/// The book's BatchNormalization for 2-D input, step by step; `mistake` breaks one step.
#[derive(Clone, Copy, PartialEq)]
enum BnMistake {
    None,
    UnbiasedVar,
    NoMomentum,
    OldValueNotWeighed,
    InferenceUpdatesStats,
    InferenceWithBatchStats,
    DgammaWithoutXn,
    /// dx without −x̂·mean(dx̂·x̂): no `dxc += (2/N)·xc·dvar`.
    DxWithoutVarTerm,
    /// dx without −mean(dx̂): returns dxc, not dxc − dmu/N.
    DxWithoutMeanTerm,
    /// a training forward normalises with the (just updated) running statistics.
    RunningStatsInTraining,
}

struct BookBn {
    gamma: ArrayD<f64>,
    beta: ArrayD<f64>,
    dgamma: ArrayD<f64>,
    dbeta: ArrayD<f64>,
    running_mean: ArrayD<f64>,
    running_var: ArrayD<f64>,
    xc: ArrayD<f64>,
    xn: ArrayD<f64>,
    std: ArrayD<f64>,
    mistake: BnMistake,
}

fn book_bn(gamma: Array1<f64>, beta: Array1<f64>, mistake: BnMistake) -> BookBn {
    let d = gamma.len();
    let z = || ArrayD::zeros(IxDyn(&[d]));
    BookBn {
        gamma: gamma.into_dyn(),
        beta: beta.into_dyn(),
        dgamma: z(),
        dbeta: z(),
        running_mean: z(),
        running_var: z(), // the book starts at zeros
        xc: z(),
        xn: z(),
        std: z(),
        mistake,
    }
}

impl Layer for BookBn {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64> {
        let n = x.shape()[0] as f64;
        let xn = if train || self.mistake == BnMistake::InferenceWithBatchStats {
            let mu = x.mean_axis(Axis(0)).unwrap();
            let xc = x - &*mu;
            let mut var = (&xc * &xc).mean_axis(Axis(0)).unwrap();
            if self.mistake == BnMistake::UnbiasedVar {
                var *= n / (n - 1.0);
            }
            let std = var.mapv(|v| (v + 1e-6).sqrt());
            let mut xn = &xc / &std;
            if train {
                if self.mistake == BnMistake::NoMomentum {
                    self.running_mean = mu;
                    self.running_var = var;
                } else if self.mistake == BnMistake::OldValueNotWeighed {
                    self.running_mean = &self.running_mean + &mu * 0.1;
                    self.running_var = &self.running_var + &var * 0.1;
                } else {
                    self.running_mean = &self.running_mean * 0.9 + &mu * 0.1;
                    self.running_var = &self.running_var * 0.9 + &var * 0.1;
                }
                self.xc = xc;
                self.std = std;
                self.xn = xn.clone();
                if self.mistake == BnMistake::RunningStatsInTraining {
                    xn = (x - &*self.running_mean) / self.running_var.mapv(|v| (v + 1e-6).sqrt());
                }
            }
            xn
        } else {
            if self.mistake == BnMistake::InferenceUpdatesStats {
                let mu = x.mean_axis(Axis(0)).unwrap();
                self.running_mean = &self.running_mean * 0.9 + &mu * 0.1;
            }
            (x - &*self.running_mean) / self.running_var.mapv(|v| (v + 1e-6).sqrt())
        };
        xn * &self.gamma + &self.beta
    }

    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let n = dout.shape()[0] as f64;
        self.dbeta = dout.sum_axis(Axis(0));
        self.dgamma = if self.mistake == BnMistake::DgammaWithoutXn {
            dout.sum_axis(Axis(0))
        } else {
            (&*self.xn * dout).sum_axis(Axis(0))
        };
        let dxn = dout * &*self.gamma;
        let mut dxc = &dxn / &self.std;
        let dstd = -(&dxn * &self.xc / (&self.std * &self.std)).sum_axis(Axis(0));
        let dvar = 0.5 * dstd / &self.std;
        if self.mistake != BnMistake::DxWithoutVarTerm {
            dxc = dxc + (2.0 / n) * &self.xc * &dvar;
        }
        if self.mistake == BnMistake::DxWithoutMeanTerm {
            return dxc;
        }
        let dmu = dxc.sum_axis(Axis(0));
        dxc - dmu / n
    }

    fn params(&mut self) -> Vec<ParamRef<'_>> {
        vec![
            ParamRef::new("gamma", &mut self.gamma, &mut self.dgamma),
            ParamRef::new("beta", &mut self.beta, &mut self.dbeta),
        ]
    }

    fn buffers(&mut self) -> Vec<(&'static str, &mut ArrayD<f64>)> {
        vec![
            ("running_mean", &mut self.running_mean),
            ("running_var", &mut self.running_var),
        ]
    }
}

#[test]
fn batch_normalization_the_library_and_the_book_pass() {
    assert_passed(&check_batch_normalization(
        layers::BatchNormalization::with_params,
    ));
    assert_passed(&check_batch_normalization(|g, b| {
        book_bn(g, b, BnMistake::None)
    }));
}

#[test]
fn batch_normalization_mistakes_are_named() {
    let check = |m| check_batch_normalization(move |g, b| book_bn(g, b, m));
    assert_failed(&check(BnMistake::UnbiasedVar), &["divides by N − 1"]);
    assert_failed(
        &check(BnMistake::NoMomentum),
        &["running_mean after a training forward", "momentum 0.9"],
    );
    assert_failed(
        &check(BnMistake::InferenceWithBatchStats),
        &["train = false", "not the batch's statistics"],
    );
    assert_failed(
        &check(BnMistake::DgammaWithoutXn),
        &["backward (dgamma)", "dgamma = Σₙ dout·x̂", "yours lacks x̂"],
    );
    assert_failed(
        &check(BnMistake::OldValueNotWeighed),
        &["running_mean after a training forward", "momentum 0.9"],
    );
    assert_failed(
        &check(BnMistake::InferenceUpdatesStats),
        &["train = false changed the running statistics"],
    );
    assert_failed(
        &check(BnMistake::DxWithoutVarTerm),
        &[
            "backward (dx) on x of shape (6, 4)",
            "dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))/σ with dx̂ = γ·dout",
            "yours lacks −x̂·mean(dx̂·x̂), the path through the variance",
        ],
    );
    assert_failed(
        &check(BnMistake::DxWithoutMeanTerm),
        &[
            "backward (dx) on x of shape (6, 4)",
            "yours lacks −mean(dx̂), the path through the mean",
        ],
    );
    assert_failed(
        &check(BnMistake::RunningStatsInTraining),
        &[
            "forward on x of shape (6, 4)",
            "forward with train = true normalised with running_mean and running_var",
            "use the batch's own mean and variance",
        ],
    );
}

#[test]
fn batch_normalization_without_buffers_is_told_to_lend_them() {
    struct NoBuffers(BookBn);
    impl Layer for NoBuffers {
        fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64> {
            self.0.forward(x, train)
        }
        fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
            self.0.backward(dout)
        }
        fn params(&mut self) -> Vec<ParamRef<'_>> {
            self.0.params()
        }
    }
    assert_failed(
        &check_batch_normalization(|g, b| NoBuffers(book_bn(g, b, BnMistake::None))),
        &["buffers(): no \"running_mean\""],
    );
}

// ---- dropout ----

#[derive(Clone, Copy, PartialEq)]
enum DropMistake {
    None,
    KeepsBelowRatio,
    BackwardIgnoresMask,
    OneMaskForever,
    InferenceUnscaled,
    OneRowForAll,
    BackwardFirstMask,
    /// inference multiplies by the ratio instead of 1 − ratio.
    InferenceTimesRatio,
    /// kept values × 1/(1 − ratio) in training and x × (1 − ratio) at inference.
    ScaledTwice,
    /// forward does not keep its mask.
    KeepsNoMask,
}

/// The book's Dropout (mask = rand > ratio; inference × (1 − ratio)) with one mistake.
struct BookDropout {
    ratio: f64,
    rng: Rng,
    mask: Option<ArrayD<bool>>,
    mistake: DropMistake,
}

impl Layer for BookDropout {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64> {
        if !train {
            return match self.mistake {
                DropMistake::InferenceUnscaled => x.to_owned(),
                DropMistake::InferenceTimesRatio => x * self.ratio,
                _ => x * (1.0 - self.ratio),
            };
        }
        let scale = if self.mistake == DropMistake::ScaledTwice {
            1.0 / (1.0 - self.ratio)
        } else {
            1.0
        };
        if self.mask.is_none() || self.mistake != DropMistake::OneMaskForever {
            let (p, keep_below) = (self.ratio, self.mistake == DropMistake::KeepsBelowRatio);
            let rng = &mut self.rng;
            let mut mask = ArrayD::from_shape_simple_fn(x.raw_dim(), || {
                let u: f64 = rng.random();
                if keep_below { u < p } else { u > p }
            });
            if self.mistake == DropMistake::OneRowForAll {
                let first = mask.index_axis(Axis(0), 0).to_owned();
                for mut row in mask.outer_iter_mut() {
                    row.assign(&first);
                }
            }
            let out = Zip::from(x)
                .and(&mask)
                .map_collect(|&v, &k| if k { v * scale } else { 0.0 });
            if self.mistake == DropMistake::KeepsNoMask {
                return out;
            }
            if self.mask.is_none() || self.mistake != DropMistake::BackwardFirstMask {
                self.mask = Some(mask);
            }
            return out;
        }
        let mask = self.mask.as_ref().unwrap();
        Zip::from(x)
            .and(mask)
            .map_collect(|&v, &k| if k { v } else { 0.0 })
    }

    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        if self.mistake == DropMistake::BackwardIgnoresMask {
            return dout.to_owned();
        }
        let mask = self.mask.as_ref().unwrap();
        Zip::from(dout)
            .and(mask)
            .map_collect(|&v, &k| if k { v } else { 0.0 })
    }
}

fn book_dropout(mistake: DropMistake) -> impl Fn(f64, u64) -> BookDropout {
    move |ratio, seed| BookDropout {
        ratio,
        rng: seeded_rng(seed),
        mask: None,
        mistake,
    }
}

#[test]
fn dropout_the_library_and_the_book_pass() {
    let lib = check_dropout(layers::Dropout::new);
    assert_passed(&lib);
    assert!(lib.to_string().contains("inverted"), "{lib}");
    let book = check_dropout(book_dropout(DropMistake::None));
    assert_passed(&book);
    assert!(book.to_string().contains("the book's"), "{book}");
}

#[test]
fn dropout_mistakes_are_named() {
    assert_failed(
        &check_dropout(book_dropout(DropMistake::KeepsBelowRatio)),
        &["dropped 7", "where the book keeps"],
    );
    assert_failed(
        &check_dropout(book_dropout(DropMistake::BackwardIgnoresMask)),
        &["backward at", "keep the mask"],
    );
    assert_failed(
        &check_dropout(book_dropout(DropMistake::OneMaskForever)),
        &["draw a new mask each forward"],
    );
    assert_failed(
        &check_dropout(book_dropout(DropMistake::OneRowForAll)),
        &["every sample of the batch got the same mask"],
    );
    assert_failed(
        &check_dropout(book_dropout(DropMistake::BackwardFirstMask)),
        &[
            "backward after the second forward",
            "mask of the latest forward",
        ],
    );
    assert_failed(
        &check_dropout(book_dropout(DropMistake::InferenceTimesRatio)),
        &[
            "forward with train = false",
            "yours multiplies by dropout_ratio = 0.3, the fraction dropped",
            "multiplies by 1 − dropout_ratio, the fraction kept",
        ],
    );
    assert_failed(
        &check_dropout(book_dropout(DropMistake::ScaledTwice)),
        &["forward (train) at", "= x/(1 − 0.3)", "you scale twice"],
    );
    assert_failed(
        &check_dropout(book_dropout(DropMistake::KeepsNoMask)),
        &[
            "backward panicked: called `Option::unwrap()` on a `None` value",
            "forward must keep the mask for backward",
        ],
    );
    assert_failed(
        &check_dropout(book_dropout(DropMistake::InferenceUnscaled)),
        &[
            "forward (train)",
            "x itself",
            "multiply by 1 − 0.3 at inference",
        ],
    );
}

// ---- weight decay ----

fn sum_sq(net: &mut Sequential, weights: bool) -> f64 {
    net.params()
        .iter()
        .filter(|p| p.name.starts_with('W') == weights)
        .map(|p| p.value.iter().map(|v| v * v).sum::<f64>())
        .sum()
}

fn add_grad(net: &mut Sequential, lambda: f64, prefix: char) {
    for p in net.params() {
        if p.name.starts_with(prefix) || prefix == '*' {
            p.grad.scaled_add(lambda, p.value);
        }
    }
}

#[test]
fn weight_decay_right_and_wrong() {
    let loss = |net: &mut Sequential, l: f64| 0.5 * l * sum_sq(net, true);
    assert_passed(&check_weight_decay(loss, |net, l| add_grad(net, l, 'W')));
    assert_failed(
        &check_weight_decay(
            |net, l| l * sum_sq(net, true),
            |net, l| add_grad(net, l, 'W'),
        ),
        &["½λΣ‖W‖²", "yours is λΣ‖W‖²"],
    );
    assert_failed(
        &check_weight_decay(
            |net, l| 0.5 * l * (sum_sq(net, true) + sum_sq(net, false)),
            |net, l| add_grad(net, l, 'W'),
        ),
        &["includes other parameters"],
    );
    assert_failed(
        &check_weight_decay(loss, |net, l| add_grad(net, l, '*')),
        &["gradient of b1", "only the weights decay"],
    );
    assert_failed(
        &check_weight_decay(loss, |net, l| add_grad(net, 2.0 * l, 'W')),
        &["gradient of W1", "add λ·W"],
    );
    // everything but the biases: batch norm's gamma decays too
    assert_failed(
        &check_weight_decay(loss, |net, l| {
            for p in net.params() {
                if !p.name.starts_with('b') {
                    p.grad.scaled_add(l, p.value);
                }
            }
        }),
        &["gradient of gamma1", "only the weights decay"],
    );
    // the book's λ written in instead of the argument
    assert_failed(
        &check_weight_decay(
            |net, _| 0.5 * 0.1 * sum_sq(net, true),
            |net, l| add_grad(net, l, 'W'),
        ),
        &["decay_loss(net, 0.07)"],
    );
}

//! PLACEHOLDER: the minimal `Optimizer` trait and plain `SGD` so the trainer compiles.
//! The conv helper's src/optimizer.rs (all six optimizers) replaces this file at merge.

use crate::layers::ParamRef;

/// Updates a network's named parameters from their gradients.
pub trait Optimizer {
    /// One update step over `params` (e.g. `opt.update(net.params())`).
    fn update(&mut self, params: Vec<ParamRef<'_>>);
}

/// Stochastic gradient descent: W ← W − lr·∂L/∂W.
#[derive(Debug, Clone)]
pub struct SGD {
    /// Learning rate.
    pub lr: f64,
}

impl SGD {
    /// SGD with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Self { lr }
    }
}

impl Optimizer for SGD {
    fn update(&mut self, params: Vec<ParamRef<'_>>) {
        for p in params {
            p.value.scaled_add(-self.lr, p.grad);
        }
    }
}

use std::ops::{Deref, DerefMut};
use std::str::FromStr;

use ndarray::Array1;

use super::Sequential;
use crate::init::WeightInit;
use crate::layers::{Affine, Relu, Sigmoid};

/// The activation of the hidden layers of [`MultiLayerNet`] and
/// [`MultiLayerNetExtend`](super::MultiLayerNetExtend).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Activation {
    /// [`Relu`] (the book's default).
    #[default]
    Relu,
    /// [`Sigmoid`].
    Sigmoid,
}

impl FromStr for Activation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "relu" => Ok(Activation::Relu),
            "sigmoid" => Ok(Activation::Sigmoid),
            _ => Err(format!("activation {s:?} is not \"relu\" or \"sigmoid\"")),
        }
    }
}

impl From<&str> for Activation {
    /// `"relu"` or `"sigmoid"`.
    ///
    /// # Panics
    /// On any other string.
    #[track_caller]
    fn from(s: &str) -> Self {
        s.parse().unwrap_or_else(|e: String| panic!("{e}"))
    }
}

/// Appends the activation layer `Activation_function{idx}` (the book's name).
pub(super) fn push_activation(net: &mut Sequential, activation: Activation, idx: usize) {
    let name = format!("Activation_function{idx}");
    match activation {
        Activation::Relu => net.push(name, Relu::new()),
        Activation::Sigmoid => net.push(name, Sigmoid::new()),
    };
}

/// Appends `Affine{idx}` with weights drawn from `rng`.
pub(super) fn affine(
    net: &mut Sequential,
    idx: usize,
    fan_in: usize,
    fan_out: usize,
    init: WeightInit,
    rng: &mut impl rand::Rng,
) {
    let w = init.weights(fan_in, fan_out, rng);
    net.push(
        format!("Affine{idx}"),
        Affine::new(w, Array1::zeros(fan_out)),
    );
}

/// The book's fully connected `MultiLayerNet` (6.1–6.4): for each hidden layer
/// `Affine{i}` → `Activation_function{i}`, then a last `Affine` and SoftmaxWithLoss.
///
/// Parameters `W1`, `b1`, …, `W{L}`, `b{L}` (L = hidden layers + 1). Weights are
/// std · N(0, 1) with std from `weight_init_std` and the previous layer's size (He √(2/n)
/// for `"relu"`, Xavier √(1/n) for `"sigmoid"`, or a fixed number); biases zero. With
/// `weight_decay_lambda` λ the loss gains ½λ Σ‖W‖² (all W, as in the book).
///
/// ```
/// use dlfs::prelude::*;
/// let mut net = MultiLayerNet::new(784, &[100, 100], 10, Activation::Relu, "he", 0.1, &mut seeded_rng(0));
/// assert_eq!(net.layer_names(),
///     ["Affine1", "Activation_function1", "Affine2", "Activation_function2", "Affine3"]);
/// assert_eq!(net.weight_decay_lambda, 0.1);
/// ```
#[derive(Debug)]
pub struct MultiLayerNet(pub Sequential);

impl MultiLayerNet {
    /// A net `input_size` → `hidden_size_list` → `output_size`.
    pub fn new(
        input_size: usize,
        hidden_size_list: &[usize],
        output_size: usize,
        activation: impl Into<Activation>,
        weight_init_std: impl Into<WeightInit>,
        weight_decay_lambda: f64,
        rng: &mut impl rand::Rng,
    ) -> Self {
        let (activation, init) = (activation.into(), weight_init_std.into());
        let mut sizes = vec![input_size];
        sizes.extend_from_slice(hidden_size_list);
        sizes.push(output_size);
        let mut net = Sequential::new();
        for idx in 1..sizes.len() {
            affine(&mut net, idx, sizes[idx - 1], sizes[idx], init, rng);
            if idx < sizes.len() - 1 {
                push_activation(&mut net, activation, idx);
            }
        }
        net.weight_decay_lambda = weight_decay_lambda;
        Self(net)
    }
}

impl Deref for MultiLayerNet {
    type Target = Sequential;
    fn deref(&self) -> &Sequential {
        &self.0
    }
}

impl DerefMut for MultiLayerNet {
    fn deref_mut(&mut self) -> &mut Sequential {
        &mut self.0
    }
}

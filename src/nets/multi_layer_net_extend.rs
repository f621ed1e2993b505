use std::ops::{Deref, DerefMut};

use super::Sequential;
use super::multi_layer_net::{Activation, push_activation};
use crate::init::WeightInit;
use crate::layers::{Affine, BatchNormalization, Dropout};
use ndarray::Array1;

/// Options of [`MultiLayerNetExtend`] beyond the layer sizes; `Default` gives the book's
/// defaults (ReLU, He init, no weight decay, no dropout (ratio 0.5), no batch norm).
///
/// ```
/// use dlfs::nets::ExtendOptions;
/// let opts = ExtendOptions { use_batchnorm: true, weight_init_std: 0.01.into(), ..Default::default() };
/// assert_eq!(opts.dropout_ratio, 0.5);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ExtendOptions {
    /// Hidden activation.
    pub activation: Activation,
    /// Weight scale (He for `"relu"`, Xavier for `"sigmoid"`, or a fixed std).
    pub weight_init_std: WeightInit,
    /// Weight decay λ.
    pub weight_decay_lambda: f64,
    /// Insert `Dropout{i}` after each hidden activation.
    pub use_dropout: bool,
    /// Dropout ratio p.
    pub dropout_ratio: f64,
    /// Insert `BatchNorm{i}` between each hidden Affine and its activation.
    pub use_batchnorm: bool,
}

impl Default for ExtendOptions {
    fn default() -> Self {
        Self {
            activation: Activation::Relu,
            weight_init_std: WeightInit::He,
            weight_decay_lambda: 0.0,
            use_dropout: false,
            dropout_ratio: 0.5,
            use_batchnorm: false,
        }
    }
}

/// The book's `MultiLayerNetExtend` (6.3–6.4): [`MultiLayerNet`](super::MultiLayerNet)
/// with optional batch normalisation and dropout. For each hidden layer i:
/// `Affine{i}` → `BatchNorm{i}` (optional) → `Activation_function{i}` → `Dropout{i}`
/// (optional); then the last `Affine` and SoftmaxWithLoss.
///
/// Parameters `W{i}`, `b{i}`, `gamma{i}`, `beta{i}` (batch norm, hidden layers only);
/// buffers `running_mean{i}`, `running_var{i}`. Each dropout layer's mask RNG is seeded
/// from `rng` after all weights are drawn, so one seed fixes the whole run and the
/// weights are the same with and without dropout.
///
/// ```
/// use dlfs::prelude::*;
/// let opts = ExtendOptions { use_batchnorm: true, use_dropout: true, ..Default::default() };
/// let mut net = MultiLayerNetExtend::new(4, &[3], 2, opts, &mut seeded_rng(0));
/// assert_eq!(net.layer_names(),
///     ["Affine1", "BatchNorm1", "Activation_function1", "Dropout1", "Affine2"]);
/// let names: Vec<String> = net.params().into_iter().map(|p| p.name).collect();
/// assert_eq!(names, ["W1", "b1", "gamma1", "beta1", "W2", "b2"]);
/// ```
#[derive(Debug)]
pub struct MultiLayerNetExtend(pub Sequential);

impl MultiLayerNetExtend {
    /// A net `input_size` → `hidden_size_list` → `output_size` with `options`.
    ///
    /// # Panics
    /// If `use_dropout` and the ratio is not in [0, 1).
    #[track_caller]
    pub fn new(
        input_size: usize,
        hidden_size_list: &[usize],
        output_size: usize,
        options: ExtendOptions,
        rng: &mut impl rand::Rng,
    ) -> Self {
        let mut sizes = vec![input_size];
        sizes.extend_from_slice(hidden_size_list);
        sizes.push(output_size);
        let last = sizes.len() - 1;
        // weights first, dropout seeds after: the same rng gives the same weights with
        // and without dropout
        let weights: Vec<_> = (1..=last)
            .map(|i| options.weight_init_std.weights(sizes[i - 1], sizes[i], rng))
            .collect();
        let mut net = Sequential::new();
        for (idx, w) in (1..=last).zip(weights) {
            net.push(
                format!("Affine{idx}"),
                Affine::new(w, Array1::zeros(sizes[idx])),
            );
            if idx == last {
                break;
            }
            if options.use_batchnorm {
                net.push(
                    format!("BatchNorm{idx}"),
                    BatchNormalization::new(sizes[idx]),
                );
            }
            push_activation(&mut net, options.activation, idx);
            if options.use_dropout {
                let seed = rng.next_u64();
                net.push(
                    format!("Dropout{idx}"),
                    Dropout::new(options.dropout_ratio, seed),
                );
            }
        }
        net.weight_decay_lambda = options.weight_decay_lambda;
        Self(net)
    }
}

impl Deref for MultiLayerNetExtend {
    type Target = Sequential;
    fn deref(&self) -> &Sequential {
        &self.0
    }
}

impl DerefMut for MultiLayerNetExtend {
    fn deref_mut(&mut self) -> &mut Sequential {
        &mut self.0
    }
}

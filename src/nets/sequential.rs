//! [`Sequential`]: the book's `OrderedDict` of layers followed by `lastLayer`; `predict`
//! and `backward` are plain loops over the layers.

use std::fmt;

use ndarray::{ArrayD, ArrayRef, Axis, IxDyn, Slice};

use super::NamedArrays;
use crate::functions::{argmax, label_indices};
use crate::layers::{Hint, Layer, LossLayer, ParamRef, SoftmaxWithLoss};

/// One layer of a [`Sequential`] with its name (`"Affine1"`) and the suffix its parameters
/// get (`"1"`: `W` becomes `W1`).
pub struct NamedLayer {
    /// The book's layer name, e.g. `Affine1`, `Relu1`, `BatchNorm1`.
    pub name: String,
    /// Appended to the layer's parameter names to give the network's names.
    pub param_suffix: String,
    /// The layer.
    pub layer: Box<dyn Layer>,
}

impl fmt::Debug for NamedLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.layer.kind())
    }
}

/// A loss above this many times max(the first step's loss, 1) stops training as
/// diverged (see [`Trainer`](crate::trainer::Trainer)).
pub const DIVERGED_LOSS_FACTOR: f64 = 100.0;

/// An ordered list of named layers followed by [`SoftmaxWithLoss`]: the body of every
/// network in the book (`TwoLayerNet`, `MultiLayerNet`, `SimpleConvNet`, …).
///
/// Parameters are owned by the layers and addressed by the book's names (`W1`, `b1`,
/// `gamma1`). With `weight_decay_lambda` λ > 0 the loss gains ½λ Σ‖W‖² over every weight
/// (every parameter of 2 or more axes, [`ParamRef::is_weight`]), and each such gradient
/// gains λW.
pub struct Sequential {
    /// The layers in forward order.
    pub layers: Vec<NamedLayer>,
    /// The loss layer: [`SoftmaxWithLoss`] unless replaced (e.g. by a learner's own).
    pub last_layer: Box<dyn LossLayer>,
    /// Weight decay strength λ (0 = none).
    pub weight_decay_lambda: f64,
    /// Samples per forward pass in [`accuracy`](Self::accuracy) and
    /// [`predict_batched`](Self::predict_batched) (bounds memory on large sets).
    pub eval_batch_size: usize,
    pub(super) masks_frozen: bool,
    warned_diverged: bool,
    first_loss: Option<f64>,
}

impl Default for Sequential {
    fn default() -> Self {
        Self::new()
    }
}

/// `{:?}` lists the layers in order: `Sequential [Affine1 (Affine), Relu1 (Relu), …]`.
impl fmt::Debug for Sequential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sequential ")?;
        f.debug_list().entries(&self.layers).finish()?;
        if self.weight_decay_lambda != 0.0 {
            write!(f, ", weight decay λ = {}", self.weight_decay_lambda)?;
        }
        Ok(())
    }
}

impl Sequential {
    /// An empty network.
    pub fn new() -> Self {
        Self {
            layers: Vec::new(),
            last_layer: Box::new(SoftmaxWithLoss::new()),
            weight_decay_lambda: 0.0,
            eval_batch_size: 1000,
            masks_frozen: false,
            warned_diverged: false,
            first_loss: None,
        }
    }

    /// Appends a layer; its parameters are suffixed with the trailing digits of `name`
    /// (`Affine2` → `W2`, `b2`).
    pub fn push(&mut self, name: impl Into<String>, layer: impl Layer + 'static) -> &mut Self {
        let name = name.into();
        let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let suffix = name[name.len() - digits..].to_string();
        self.push_with_suffix(name, suffix, layer)
    }

    /// Appends a layer whose parameters get `param_suffix` (SimpleConvNet's `Affine1`
    /// holds `W2`).
    pub fn push_with_suffix(
        &mut self,
        name: impl Into<String>,
        param_suffix: impl Into<String>,
        layer: impl Layer + 'static,
    ) -> &mut Self {
        self.layers.push(NamedLayer {
            name: name.into(),
            param_suffix: param_suffix.into(),
            layer: Box::new(layer),
        });
        self
    }

    /// The layer called `name`.
    pub fn layer(&self, name: &str) -> Option<&dyn Layer> {
        self.layers
            .iter()
            .find(|l| l.name == name)
            .map(|l| &*l.layer)
    }

    /// The layer called `name`, mutably.
    pub fn layer_mut(&mut self, name: &str) -> Option<&mut Box<dyn Layer>> {
        self.layers
            .iter_mut()
            .find(|l| l.name == name)
            .map(|l| &mut l.layer)
    }

    /// The layers' names in order.
    pub fn layer_names(&self) -> Vec<&str> {
        self.layers.iter().map(|l| l.name.as_str()).collect()
    }

    /// Scores for `x` (before softmax): each layer's `forward` in order. `train` selects
    /// training behaviour of batch norm and dropout.
    pub fn predict(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64> {
        let Some((first, rest)) = self.layers.split_first_mut() else {
            return x.to_owned();
        };
        let mut out = first.layer.forward(x, train);
        for l in rest {
            out = l.layer.forward(&out, train);
        }
        out
    }

    /// Scores for `x` computed `eval_batch_size` samples at a time, in inference mode.
    pub fn predict_batched(&mut self, x: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let n = x.shape()[0];
        if n == 0 {
            // no batches to put together: the forward pass of the empty input itself
            return self.predict(x, false);
        }
        let bs = self.eval_batch_size.max(1);
        let parts: Vec<ArrayD<f64>> = (0..n)
            .step_by(bs)
            .map(|i| {
                let xb = x.slice_axis(Axis(0), Slice::from(i..(i + bs).min(n)));
                self.predict(&xb, false)
            })
            .collect();
        let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
        ndarray::concatenate(Axis(0), &views).expect("batches share their trailing shape")
    }

    /// L(x, t) + ½λ Σ‖W‖².
    pub fn loss(&mut self, x: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>, train: bool) -> f64 {
        let y = self.predict(x, train);
        self.last_layer.forward(&y, t) + self.weight_decay_term()
    }

    fn weight_decay_term(&mut self) -> f64 {
        if self.weight_decay_lambda == 0.0 {
            return 0.0;
        }
        let lambda = self.weight_decay_lambda;
        let mut sum = 0.0;
        for l in &mut self.layers {
            for p in l.layer.params() {
                if p.is_weight() {
                    sum += 0.5 * lambda * p.value.iter().map(|w| w * w).sum::<f64>();
                }
            }
        }
        sum
    }

    /// Fraction of samples whose largest score is the label's class (index or one-hot
    /// labels). Every sample counts, also the last partial batch (the book's
    /// `SimpleConvNet.accuracy` drops it).
    ///
    /// NaN, never a plausible score, when there is nothing to measure: `x` holds no
    /// samples, or the network's scores contain NaN (its parameters have diverged, or `x`
    /// holds NaN; the largest of NaN scores would otherwise be class 0). The
    /// [`Trainer`](crate::trainer::Trainer) refuses such data before it starts.
    #[track_caller]
    pub fn accuracy(&mut self, x: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>) -> f64 {
        let n = x.shape()[0];
        if n == 0 {
            return f64::NAN;
        }
        let y = self.predict_batched(x);
        if y.iter().any(|v| v.is_nan()) {
            return f64::NAN;
        }
        let c = y.shape()[1];
        let labels = label_indices(t, n, c);
        let correct = y
            .lanes(Axis(1))
            .into_iter()
            .zip(&labels)
            .filter(|(row, k)| argmax(row.iter().copied()) == **k)
            .count();
        correct as f64 / n as f64
    }

    /// Forward and backward pass: stores every parameter's gradient in its layer and
    /// returns the loss. Use [`params`](Self::params) to read them or hand them to an optimizer.
    pub fn backprop(&mut self, x: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>) -> f64 {
        let loss = self.loss(x, t, true);
        let mut dout = self.last_layer.backward(1.0);
        // in reverse order; nobody needs ∂L/∂x of the input images, so the first layer
        // computes its parameters' gradients only
        if let Some((first, rest)) = self.layers.split_first_mut() {
            for l in rest.iter_mut().rev() {
                dout = l.layer.backward(&dout);
            }
            first.layer.backward_params(&dout);
        }
        if self.weight_decay_lambda != 0.0 {
            let lambda = self.weight_decay_lambda;
            for l in &mut self.layers {
                for p in l.layer.params() {
                    if p.is_weight() {
                        p.grad.scaled_add(lambda, p.value);
                    }
                }
            }
        }
        self.warn_if_diverged(loss);
        loss
    }

    /// The gradients by backpropagation, by name (the book's `gradient(x, t)`).
    pub fn gradient(&mut self, x: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>) -> NamedArrays {
        self.backprop(x, t);
        NamedArrays(
            self.params()
                .into_iter()
                .map(|p| (p.name, p.grad.clone()))
                .collect(),
        )
    }

    /// Says once per network, on stderr, that the training has diverged, by the
    /// [`Trainer`](crate::trainer::Trainer)'s rule: the loss is NaN or infinite, or more than
    /// [`DIVERGED_LOSS_FACTOR`] × max(the first loss this network computed, 1) (a learning
    /// rate far too large, or NaN in the data); it names the first parameter whose gradient
    /// is not finite, if one is. The book's own loop would go on silently with a network
    /// that has stopped learning.
    fn warn_if_diverged(&mut self, loss: f64) {
        let first = *self.first_loss.get_or_insert(loss);
        let limit = DIVERGED_LOSS_FACTOR * first.max(1.0);
        if (loss.is_finite() && loss <= limit) || std::mem::replace(&mut self.warned_diverged, true)
        {
            return;
        }
        let bad = self
            .params()
            .into_iter()
            .find(|p| p.grad.iter().any(|v| !v.is_finite()))
            .map(|p| p.name);
        let what = match (loss.is_finite(), bad) {
            (true, _) => format!(
                "the loss {loss:.3e} is more than {DIVERGED_LOSS_FACTOR}× the first one ({first:.3})"
            ),
            (false, Some(name)) => {
                format!("the loss is {loss} and {name}'s gradient is not finite")
            }
            (false, None) => format!("the loss is {loss} (the gradients are still finite)"),
        };
        eprintln!(
            "dlfs: {what}: the training has diverged and will not recover. Try a smaller \
             learning rate (the book's TwoLayerNet uses 0.1), and check the data for NaN or \
             infinity. (Said once per network.)"
        );
    }

    /// [`backprop`](Self::backprop) without the divergence warning, for a caller that
    /// reports a non-finite loss itself (the [`Trainer`](crate::trainer::Trainer) stops such
    /// a run with its own message).
    pub(crate) fn backprop_unwarned(
        &mut self,
        x: &ArrayRef<f64, IxDyn>,
        t: &ArrayRef<f64, IxDyn>,
    ) -> f64 {
        let said = std::mem::replace(&mut self.warned_diverged, true);
        let loss = self.backprop(x, t);
        self.warned_diverged = said;
        loss
    }

    /// Every learnable parameter with its gradient, by the book's names, in order.
    pub fn params(&mut self) -> Vec<ParamRef<'_>> {
        let mut out = Vec::new();
        for l in &mut self.layers {
            let suffix = &l.param_suffix;
            for mut p in l.layer.params() {
                p.name.push_str(suffix);
                out.push(p);
            }
        }
        out
    }

    /// The parameters' values by name (copies), e.g. to look at or plot them.
    pub fn param_values(&mut self) -> NamedArrays {
        NamedArrays(
            self.params()
                .into_iter()
                .map(|p| (p.name, p.value.clone()))
                .collect(),
        )
    }

    /// Non-learned state saved with the parameters (batch-norm `running_mean1`,
    /// `running_var1`, …), by name, in order.
    pub fn buffers(&mut self) -> Vec<(String, &mut ArrayD<f64>)> {
        let mut out = Vec::new();
        for l in &mut self.layers {
            let suffix = &l.param_suffix;
            for (name, b) in l.layer.buffers() {
                out.push((format!("{name}{suffix}"), b));
            }
        }
        out
    }

    /// The random number generators of the layers that draw numbers while training
    /// (dropout), by layer name, in order.
    pub fn rngs(&mut self) -> Vec<(String, &mut crate::init::Rng)> {
        let mut out = Vec::new();
        for l in &mut self.layers {
            let name = l.name.clone();
            if let Some(r) = l.layer.rng() {
                out.push((name, r));
            }
        }
        out
    }

    /// Copies of the buffers by name.
    pub fn buffer_values(&mut self) -> NamedArrays {
        NamedArrays(
            self.buffers()
                .into_iter()
                .map(|(n, b)| (n, b.clone()))
                .collect(),
        )
    }

    /// Freezes (or releases) the random masks of every layer (see [`Hint::FreezeMasks`]):
    /// while frozen, dropout reuses its last mask, so the training-mode loss is a fixed
    /// function of the parameters.
    pub fn freeze_masks(&mut self, frozen: bool) {
        self.masks_frozen = frozen;
        let hint = if frozen {
            Hint::FreezeMasks
        } else {
            Hint::ThawMasks
        };
        for l in &mut self.layers {
            l.layer.hint(hint);
        }
    }
}

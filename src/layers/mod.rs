//! Layers with `forward` and `backward`, one file each, as in the book's `common/layers.py`.
//!
//! Every layer caches in `forward` what its `backward` needs (`mask`, `x`, `out`, `col`),
//! and keeps the gradients of its parameters beside them (`dW` beside `W`). The `train`
//! flag of [`Layer::forward`] replaces the book's `train_flg` (it matters for
//! batch normalisation and dropout only).

mod affine;
mod batch_normalization;
mod convolution;
mod dropout;
mod pooling;
mod relu;
mod shapes;
mod sigmoid;
mod simple;
mod softmax_with_loss;

pub use affine::Affine;
pub use batch_normalization::BatchNormalization;
pub use convolution::Convolution;
pub use dropout::Dropout;
pub use pooling::Pooling;
pub use relu::Relu;
pub use sigmoid::Sigmoid;
pub use simple::{AddLayer, MulLayer, ScalarLayer};
pub use softmax_with_loss::SoftmaxWithLoss;

use ndarray::{ArrayD, ArrayRef, IxDyn};

pub(crate) use shapes::{check_dout, shape_mismatch, vector};

/// A learnable parameter lent out by a layer or network: its name (`"W1"`), its value
/// (for the optimizer to change) and the gradient from the last backward pass.
#[derive(Debug)]
pub struct ParamRef<'a> {
    /// The book's name: `W`, `b`, `gamma`, `beta` in a layer; `W1`, `b1`, `gamma1` in a net.
    pub name: String,
    /// The parameter itself.
    pub value: &'a mut ArrayD<f64>,
    /// ∂L/∂value from the last backward pass (zeros before the first).
    pub grad: &'a mut ArrayD<f64>,
}

impl<'a> ParamRef<'a> {
    /// A named parameter with its gradient, e.g. for hand-made parameters in a notebook.
    pub fn new(
        name: impl Into<String>,
        value: &'a mut ArrayD<f64>,
        grad: &'a mut ArrayD<f64>,
    ) -> Self {
        Self {
            name: name.into(),
            value,
            grad,
        }
    }

    /// Whether this is a weight, which weight decay penalises: a matrix or a stack of
    /// filters (2-D or more: `W` of Affine and Convolution, whatever a layer names it),
    /// not a vector (biases `b`, batch norm's `gamma` and `beta`), as in the book, whose
    /// weight decay sums the squares of every `W`.
    pub fn is_weight(&self) -> bool {
        self.value.ndim() >= 2
    }
}

/// A hint from a network to one of its layers, through [`Layer::hint`]. Layers that have
/// no use for a hint ignore it (the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hint {
    /// From now on, a layer that draws random masks ([`Dropout`]) reuses its last mask, so
    /// repeated forward passes compute the same function (what a numerical gradient check
    /// needs).
    FreezeMasks,
    /// Random masks are drawn anew at every training forward pass again.
    ThawMasks,
}

/// A layer of a network: the book's `forward`/`backward` pair, and its parameters.
///
/// To write a layer, implement [`forward`](Layer::forward), [`backward`](Layer::backward)
/// and, if it learns anything, [`params`](Layer::params). The rest has defaults.
///
/// Layers are `Send`, so whole networks can train on separate threads (the notebooks train
/// independent experiments side by side).
pub trait Layer: Send {
    /// The layer's kind, for messages: by default the type's name (`"Affine"`, `"Relu"`).
    fn kind(&self) -> &'static str {
        let full = std::any::type_name::<Self>();
        full.rsplit("::").next().unwrap_or(full)
    }

    /// Forward pass; `train` is true while training (batch norm and dropout behave
    /// differently then). A training pass keeps what `backward` needs.
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64>;

    /// Backward pass: takes ∂L/∂out, stores the parameter gradients, returns ∂L/∂x.
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64>;

    /// Backward pass for the parameters only: ∂L/∂x is not needed. A network calls it on
    /// its first layer (nobody needs the gradient of the input images). By default it is
    /// [`backward`](Layer::backward) with ∂L/∂x dropped; [`Affine`] and [`Convolution`] skip
    /// that product.
    fn backward_params(&mut self, dout: &ArrayRef<f64, IxDyn>) {
        self.backward(dout);
    }

    /// Learnable parameters with their gradients, by the book's local names (`W`, `b`).
    fn params(&mut self) -> Vec<ParamRef<'_>> {
        Vec::new()
    }

    /// State that is saved with the parameters but not learned (running mean and
    /// variance of batch norm).
    fn buffers(&mut self) -> Vec<(&'static str, &mut ArrayD<f64>)> {
        Vec::new()
    }

    /// A [`Hint`] from the network (freeze dropout masks for a gradient check). Ignored by
    /// default.
    fn hint(&mut self, _hint: Hint) {}

    /// The layer's own random number generator, if it draws numbers while training
    /// (dropout's masks): a training checkpoint keeps its state. None by default.
    fn rng(&mut self) -> Option<&mut crate::init::Rng> {
        None
    }
}

/// The last layer of a network: scores and labels in, the loss out (the book's
/// `SoftmaxWithLoss`, whose `backward` takes dout = 1).
pub trait LossLayer: Send {
    /// The loss of scores `x` against labels `t` (indices (N,) or one-hot (N, C)).
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>) -> f64;
    /// ∂L/∂x of the last forward pass, times `dout`.
    fn backward(&mut self, dout: f64) -> ArrayD<f64>;
}

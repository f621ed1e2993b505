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
pub(crate) mod fused;
mod pooling;
mod relu;
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
pub use simple::{AddLayer, MulLayer};
pub use softmax_with_loss::SoftmaxWithLoss;

use ndarray::{ArrayD, ArrayRef, IxDyn};

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
}

/// A layer of a network: the book's `forward`/`backward` pair.
///
/// Layers are `Send`, so whole networks can train on separate threads (the notebooks train
/// independent experiments side by side with rayon).
pub trait Layer: Send {
    /// The layer's kind, for messages (`"Affine"`, `"Relu"`, …).
    fn kind(&self) -> &'static str;

    /// Forward pass; `train` is true while training (batch norm and dropout behave
    /// differently then). A training pass caches what `backward` needs; an inference
    /// pass (`train == false`) may skip the caches (`Affine`, `Relu` and `Convolution`
    /// do, to save the copies), so `backward` needs a training `forward` before it.
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64>;

    /// Backward pass: takes ∂L/∂out, stores the parameter gradients, returns ∂L/∂x.
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64>;

    /// [`forward`](Layer::forward) with the input handed over: a layer whose output has
    /// the input's shape (ReLU) may write it in place instead of allocating. Networks call
    /// this one between layers; the default borrows and calls `forward`.
    fn forward_owned(&mut self, x: ArrayD<f64>, train: bool) -> ArrayD<f64> {
        self.forward(&x, train)
    }

    /// [`backward`](Layer::backward) with ∂L/∂out handed over, so it may become ∂L/∂x in
    /// place. The default borrows and calls `backward`.
    fn backward_owned(&mut self, dout: ArrayD<f64>) -> ArrayD<f64> {
        self.backward(&dout)
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

    /// Whether `backward` must compute ∂L/∂x. The first layer of a network does not
    /// need it; layers for which it is costly may skip it (and then return an empty array).
    fn set_input_grad(&mut self, _needed: bool) {}

    /// While `frozen`, a layer that draws random masks ([`Dropout`]) reuses its last mask
    /// instead of drawing a new one, so repeated forward passes compute the same function
    /// (what a numerical gradient check needs). Other layers ignore it.
    fn freeze_masks(&mut self, _frozen: bool) {}

    /// The layer as [`Any`](std::any::Any), so that a network can recognise the library's
    /// Convolution → Relu → Pooling sequence and run it fused (see `Sequential`). Layers
    /// written elsewhere keep the default, `None`, and always run one by one.
    #[doc(hidden)]
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        None
    }
}

/// Panics with a report naming the layer, the operation and both shapes.
#[track_caller]
pub(crate) fn shape_mismatch(layer: &str, op: &str, got: &[usize], expected: &str) -> ! {
    panic!("{layer}.{op}: got shape {got:?}, expected {expected}")
}

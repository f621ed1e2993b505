//! # dlfs — Deep Learning from Scratch, chapters 5–7, in Rust
//!
//! The reusable parts of the book's `common/` folder: layers with `forward`/`backward`,
//! optimizers, weight initialisation, networks, a trainer, MNIST loading and plots.
//! The chapter notebooks under `notebooks/` tell the story; this crate computes.
//!
//! A notebook starts with `use dlfs::prelude::*;`.

pub use ndarray;
pub use rand;
/// Data parallelism (`par_iter`), re-exported so notebooks can run independent
/// experiments on all cores: `use dlfs::rayon::prelude::*;`.
pub use rayon;

#[macro_use]
pub mod lang;
pub mod arrays;
pub use arrays::np_shape;
pub mod data;
pub mod error;
pub mod exercise;
pub mod functions;
pub mod gradient;
pub mod im2col;
pub mod init;
#[allow(unsafe_code)] // the one room with unsafe code: vector instructions, unfilled buffers
pub mod kernels;
pub mod layers;
pub mod nets;
pub mod optimizer;
pub mod parallel;
pub mod plot;
pub mod progress;
pub mod trainer;

/// Everything a notebook needs, in one `use dlfs::prelude::*;`.
pub mod prelude {
    pub use crate::arrays::{as_nchw, np_shape, plane_of, rows_of};
    pub use crate::data::{Dataset, DatasetKind, LoadOptions, load_mnist};
    pub use crate::error::ParamsError;
    pub use crate::functions::{cross_entropy_error, relu, sigmoid, softmax};
    pub use crate::gradient::{abs_diff, max_rel_error, numerical_gradient, rel_error};
    pub use crate::im2col::{col2im, conv_output_size, im2col};
    pub use crate::init::{Rng, WeightInit, choice, permutation, rand_uniform, randn, seeded_rng};
    pub use crate::layers::{
        AddLayer, Affine, BatchNormalization, Convolution, Dropout, Hint, Layer, LossLayer,
        MulLayer, ParamRef, Pooling, Relu, Sigmoid, SoftmaxWithLoss,
    };
    pub use crate::nets::{
        Activation, ConvNetConfig, ConvReluPool, ExtendOptions, GradCheck, MultiLayerNet,
        MultiLayerNetExtend, NamedArrays, Sequential, SimpleConvNet, TwoLayerNet, gradient_check,
    };
    pub use crate::optimizer::{AdaGrad, Adam, Momentum, Nesterov, Optimizer, RMSprop, SGD};
    pub use crate::parallel::in_parallel;
    pub use crate::plot::{
        ArrayDiagram, ChartGrid, CompGraph, ContourPlot, ConvDiagram, Figure, FunctionPlot,
        GradientField, HistogramGrid, Im2colDiagram, ImageGrid, LayerDiagram, LineChart, Plot,
        PoolDiagram, SurfacePlot, smooth_curve,
    };
    pub use crate::progress::ProgressMeter;
    pub use crate::trainer::{TrainError, TrainReport, Trainer, TrainerConfig};
    pub use ndarray::{
        Array, Array1, Array2, Array3, Array4, ArrayD, ArrayRef, ArrayView, ArrayViewD, Axis,
        IxDyn, array, s,
    };
    pub use rand::Rng as _;
}

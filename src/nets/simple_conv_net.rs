//! The book's `SimpleConvNet` (chapter 7).

use std::ops::{Deref, DerefMut};

use ndarray::{Array1, Array2, Array4};
use rand::Rng;
use rand_distr::StandardNormal;

use super::{ConvReluPool, Sequential};
use crate::im2col::conv_output_size;
use crate::layers::{Affine, Convolution, Pooling, Relu};

/// Hyperparameters of [`SimpleConvNet`]; `Default` gives the book's values.
///
/// ```
/// use dlfs::nets::ConvNetConfig;
/// let small = ConvNetConfig { filter_num: 4, ..Default::default() };
/// assert_eq!((small.input_dim, small.filter_size, small.hidden_size), ((1, 28, 28), 5, 100));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ConvNetConfig {
    /// (C, H, W) of one input image; default (1, 28, 28).
    pub input_dim: (usize, usize, usize),
    /// Number of filters FN; default 30.
    pub filter_num: usize,
    /// Filter height and width; default 5.
    pub filter_size: usize,
    /// Convolution padding; default 0.
    pub pad: usize,
    /// Convolution stride; default 1.
    pub stride: usize,
    /// Units of the hidden affine layer; default 100.
    pub hidden_size: usize,
    /// Number of classes; default 10.
    pub output_size: usize,
    /// Standard deviation of the Gaussian initial weights; default 0.01.
    pub weight_init_std: f64,
    /// Run `Conv1`, `Relu1`, `Pool1` as one fused layer, `Conv1+Relu1+Pool1`
    /// ([`ConvReluPool`]); default false: the book's three layers. The same outputs and
    /// gradients, bit for bit, without the convolution's whole output and its gradient
    /// travelling through memory between the layers; how much faster a step is, on which
    /// machine: docs/benchmarks.md.
    pub fuse_conv_relu_pool: bool,
}

impl Default for ConvNetConfig {
    fn default() -> Self {
        Self {
            input_dim: (1, 28, 28),
            filter_num: 30,
            filter_size: 5,
            pad: 0,
            stride: 1,
            hidden_size: 100,
            output_size: 10,
            weight_init_std: 0.01,
            fuse_conv_relu_pool: false,
        }
    }
}

/// conv - relu - pool - affine - relu - affine - softmax, as in the book.
///
/// Layers `Conv1`, `Relu1`, `Pool1` (max, 2×2, stride 2; or, with
/// [`ConvNetConfig::fuse_conv_relu_pool`], the three as one layer `Conv1+Relu1+Pool1`),
/// `Affine1`, `Relu2`, `Affine2`, then [`SoftmaxWithLoss`](crate::layers::SoftmaxWithLoss); parameters `W1`, `b1` (conv),
/// `W2`, `b2`, `W3`, `b3`. Dereferences to its [`Sequential`] for `predict`, `loss`,
/// `accuracy`, `gradient`, `numerical_gradient`, `params`.
///
/// Sizes: conv output OH = ⌊(H + 2P − FS)/S⌋ + 1, pool output ⌊(OH − 2)/2⌋ + 1, and the
/// hidden affine layer takes FN · pool_h · pool_w inputs. Where we differ from the book:
/// both sizes floor consistently, so odd sizes work (a 7×7 input with a 5×5 filter gives
/// a 3×3 map, pooled to 1×1: the last row and column are not pooled), and H ≠ W works.
///
/// ```
/// use dlfs::nets::{ConvNetConfig, SimpleConvNet};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let mut net = SimpleConvNet::new(ConvNetConfig { filter_num: 4, ..Default::default() }, &mut rng);
/// let names: Vec<String> = net.params().into_iter().map(|p| p.name).collect();
/// assert_eq!(names, ["W1", "b1", "W2", "b2", "W3", "b3"]);
/// assert_eq!(net.param_values()["W2"].shape(), &[4 * 12 * 12, 100]);
/// ```
///
/// # Panics
/// `new` if the filter does not fit the padded input, the conv output is smaller than the
/// 2×2 pool, or any size is 0.
#[derive(Debug)]
pub struct SimpleConvNet {
    /// The layers (this struct dereferences to it).
    pub net: Sequential,
    /// The configuration it was built from.
    pub config: ConvNetConfig,
}

impl SimpleConvNet {
    /// Builds the network with weights drawn from N(0, weight_init_std²) by `rng` and
    /// zero biases, in the book's order (W1, W2, W3).
    ///
    /// # Panics
    /// See the [type docs](SimpleConvNet).
    #[track_caller]
    pub fn new(config: ConvNetConfig, rng: &mut impl Rng) -> Self {
        let (c, h, w) = config.input_dim;
        let (fnum, fs, pad, stride) = (
            config.filter_num,
            config.filter_size,
            config.pad,
            config.stride,
        );
        let positive = [
            c,
            h,
            w,
            fnum,
            fs,
            stride,
            config.hidden_size,
            config.output_size,
        ];
        if positive.contains(&0) {
            panic!("SimpleConvNet.new: every size and the stride must be ≥ 1, got {config:?}");
        }
        if fs > h + 2 * pad || fs > w + 2 * pad {
            panic!(
                "SimpleConvNet.new: a {fs}×{fs} filter does not fit input {:?} with pad {pad}",
                config.input_dim
            );
        }
        let (conv_h, conv_w) = (
            conv_output_size(h, fs, stride, pad),
            conv_output_size(w, fs, stride, pad),
        );
        if conv_h < 2 || conv_w < 2 {
            panic!(
                "SimpleConvNet.new: the conv output {conv_h}×{conv_w} (input {:?}, filter {fs}, \
                 stride {stride}, pad {pad}) is smaller than the 2×2 pool",
                config.input_dim
            );
        }
        let (pool_h, pool_w) = (
            conv_output_size(conv_h, 2, 2, 0),
            conv_output_size(conv_w, 2, 2, 0),
        );
        let pool_output_size = fnum * pool_h * pool_w;

        let std = config.weight_init_std;
        let mut gauss = |shape: &[usize]| -> Vec<f64> {
            let n: usize = shape.iter().product();
            (0..n)
                .map(|_| std * rng.sample::<f64, _>(StandardNormal))
                .collect()
        };
        let w1 = Array4::from_shape_vec((fnum, c, fs, fs), gauss(&[fnum, c, fs, fs]))
            .expect("sizes match");
        let w2 = Array2::from_shape_vec(
            (pool_output_size, config.hidden_size),
            gauss(&[pool_output_size, config.hidden_size]),
        )
        .expect("sizes match");
        let w3 = Array2::from_shape_vec(
            (config.hidden_size, config.output_size),
            gauss(&[config.hidden_size, config.output_size]),
        )
        .expect("sizes match");

        let mut net = Sequential::new();
        let conv = Convolution::new(w1, Array1::zeros(fnum), stride, pad);
        let pool = Pooling::new(2, 2, 2, 0);
        if config.fuse_conv_relu_pool {
            net.push_with_suffix("Conv1+Relu1+Pool1", "1", ConvReluPool::new(conv, pool));
        } else {
            net.push_with_suffix("Conv1", "1", conv)
                .push("Relu1", Relu::new())
                .push("Pool1", pool);
        }
        net.push_with_suffix(
            "Affine1",
            "2",
            Affine::new(w2, Array1::zeros(config.hidden_size)),
        )
        .push("Relu2", Relu::new())
        .push_with_suffix(
            "Affine2",
            "3",
            Affine::new(w3, Array1::zeros(config.output_size)),
        );
        // 100 images per forward pass in `accuracy`/`predict_batched`: the activations
        // (FN·OH·OW per image) then stay small; 1000 at a time measured 2.3× slower.
        net.eval_batch_size = 100;
        Self { net, config }
    }
}

impl Deref for SimpleConvNet {
    type Target = Sequential;
    fn deref(&self) -> &Sequential {
        &self.net
    }
}

impl DerefMut for SimpleConvNet {
    fn deref_mut(&mut self) -> &mut Sequential {
        &mut self.net
    }
}

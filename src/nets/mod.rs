//! Networks: an ordered list of named layers plus the last layer, as in the book's
//! `OrderedDict` of layers and `lastLayer`.
//!
//! | file | holds |
//! |---|---|
//! | `sequential.rs` | [`Sequential`]: predict, loss, accuracy, backprop, named parameters |
//! | `named.rs` | [`NamedArrays`]: gradients and parameter values by the book's names |
//! | `grad_check.rs` | the numerical gradient of a network and [`gradient_check`] |
//! | `two_layer_net.rs`, `multi_layer_net.rs`, `multi_layer_net_extend.rs`, `simple_conv_net.rs` | the book's networks, each a `Sequential` built in the book's order |
//! | `conv_relu_pool.rs` | the fused Convolution → ReLU → Pooling layer, SimpleConvNet's option ([`ConvNetConfig::fuse_conv_relu_pool`]) |
//! | `params_io.rs` | saving and loading parameters (`.npz`) |

mod conv_relu_pool;
mod grad_check;
mod multi_layer_net;
mod multi_layer_net_extend;
mod named;
mod params_io;
mod sequential;
mod simple_conv_net;
mod two_layer_net;

pub use conv_relu_pool::ConvReluPool;
pub use grad_check::{GradCheck, GradCheckEntry, gradient_check};
pub use multi_layer_net::{Activation, MultiLayerNet};
pub use multi_layer_net_extend::{ExtendOptions, MultiLayerNetExtend};
pub use named::NamedArrays;
pub use params_io::STALE_TMP_SECS;
pub(crate) use params_io::write_atomically;
pub use sequential::{DIVERGED_LOSS_FACTOR, NamedLayer, Sequential};
pub use simple_conv_net::{ConvNetConfig, SimpleConvNet};
pub use two_layer_net::TwoLayerNet;

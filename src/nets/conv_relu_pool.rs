//! The fused Convolution → ReLU → Pooling layer: SimpleConvNet's option beside the book's
//! three layers.

use ndarray::{Array4, ArrayD, ArrayRef, Ix4, IxDyn};

use crate::kernels::{self, Window};
use crate::layers::{Convolution, Layer, ParamRef, Pooling, check_dout, shape_mismatch};

/// Convolution, ReLU and max pooling as one layer (the kernels in `kernels/fused.rs`): the
/// same outputs and gradients as the book's three layers in a row, bit for bit, without
/// writing the convolution's whole output and its gradient through memory (see
/// [`ConvNetConfig::fuse_conv_relu_pool`](super::ConvNetConfig) for what that saves).
/// Parameters `W`, `b` are the convolution's; [`conv`](Self::conv) and
/// [`pool`](Self::pool) hold the settings.
///
/// # Shapes
/// `x` (N, C, H, W) → (N, FN, POH, POW), where (OH, OW) is the convolution's output and
/// POH = ⌊(OH + 2·P_pool − PH)/S_pool⌋ + 1.
///
/// # Panics
/// As [`Convolution`] when `x` does not fit the filters, and when the pooling window does
/// not fit the convolution's output; `backward` before a training `forward` or with a
/// `dout` of another shape than the output.
#[derive(Debug, Clone)]
pub struct ConvReluPool {
    /// The convolution: filters `W`, biases `b`, stride, pad, and the gradients `dW`, `db`.
    pub conv: Convolution,
    /// The pooling window's size, stride and pad.
    pub pool: Pooling,
    x: Option<Array4<f64>>,
    arg_max: Vec<usize>,
    out_shape: [usize; 4],
}

impl ConvReluPool {
    /// The three layers `conv` → ReLU → `pool`, fused.
    pub fn new(conv: Convolution, pool: Pooling) -> Self {
        let (x, arg_max, out_shape) = (None, Vec::new(), [0; 4]);
        Self {
            conv,
            pool,
            x,
            arg_max,
            out_shape,
        }
    }

    fn window(&self) -> Window {
        let p = &self.pool;
        Window {
            h: p.pool_h,
            w: p.pool_w,
            stride: p.stride,
            pad: p.pad,
        }
    }

    /// dW and db (kept in `conv`) and, when `need_dx`, ∂L/∂x, from the pooled `dout`.
    #[track_caller]
    fn grads(&mut self, dout: &ArrayRef<f64, IxDyn>, need_dx: bool) -> Option<Array4<f64>> {
        let Some(x) = self.x.take() else {
            panic!("ConvReluPool.backward: called before forward with train = true")
        };
        check_dout("ConvReluPool", dout.shape(), &self.out_shape);
        let g = self.conv.geometry("backward", x.shape());
        let dout = dout.as_standard_layout();
        let dout = dout.as_slice().expect("standard layout");
        let w2 = self.conv.filters();
        let (dw2, db, dx) =
            kernels::conv_relu_pool_backward(&g, &w2, &x.view(), dout, &self.arg_max, need_dx);
        self.conv.dW = dw2
            .into_shape_with_order(self.conv.W.raw_dim())
            .expect("W's size");
        self.conv.db = db.into_dyn();
        self.x = Some(x);
        dx
    }
}

impl Layer for ConvReluPool {
    #[track_caller]
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64> {
        let g = self.conv.geometry("forward", x.shape());
        self.pool.check_window("forward");
        let win = self.window();
        let (n, fnum) = (x.shape()[0], self.conv.W.shape()[0]);
        if win.h > g.oh + 2 * win.pad || win.w > g.ow + 2 * win.pad {
            let want = format!(
                "a convolution output that the {}×{} pooling window (pad {}) fits",
                win.h, win.w, win.pad
            );
            shape_mismatch("ConvReluPool", "forward", &[n, fnum, g.oh, g.ow], &want);
        }
        let (poh, pow) = kernels::pooled_size(&g, win);
        let x4 = x
            .as_standard_layout()
            .into_dimensionality::<Ix4>()
            .expect("4-D");
        let mut out = Array4::<f64>::zeros((n, fnum, poh, pow));
        // the buffer of the last step is reused (every entry is overwritten)
        let mut arg = std::mem::take(&mut self.arg_max);
        arg.resize(out.len(), 0);
        let bias: Vec<f64> = self.conv.b.iter().copied().collect();
        let xs = x4.as_slice().expect("standard layout");
        let w2 = self.conv.filters();
        kernels::conv_relu_pool(&g, &w2, &bias, win, xs, &mut out, &mut arg);
        // only a training pass keeps x for backward
        self.x = train.then(|| x4.into_owned());
        (self.arg_max, self.out_shape) = (arg, [n, fnum, poh, pow]);
        out.into_dyn()
    }

    #[track_caller]
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        self.grads(dout, true).expect("dx was asked for").into_dyn()
    }

    #[track_caller]
    fn backward_params(&mut self, dout: &ArrayRef<f64, IxDyn>) {
        self.grads(dout, false);
    }

    fn params(&mut self) -> Vec<ParamRef<'_>> {
        self.conv.params()
    }
}

//! The fused Convolution → ReLU → Pooling layer that SimpleConvNet uses by default.

use ndarray::{Array4, ArrayD, ArrayRef, IxDyn};

use crate::kernels::{self, Window};
use crate::layers::{Convolution, Hint, Layer, ParamRef, Pooling, check_dout, shape_mismatch};

/// Convolution, ReLU and max pooling as one layer, computed a sample at a time (backward:
/// eight) in the kernels room ([`kernels`]: the activations never travel through memory
/// whole, and ReLU's mask is never stored; a
/// SimpleConvNet step 1.2–1.3× faster than the three layers). The same function as the
/// three book layers in a row, to rounding. Parameters `W`, `b` are the convolution's;
/// [`conv`](Self::conv) and [`pool`](Self::pool) hold the settings.
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
    need_dx: bool,
}

impl ConvReluPool {
    /// The three layers `conv` → ReLU → `pool`, fused.
    pub fn new(conv: Convolution, pool: Pooling) -> Self {
        Self {
            conv,
            pool,
            x: None,
            arg_max: Vec::new(),
            out_shape: [0; 4],
            need_dx: true,
        }
    }

    fn window(&self) -> Window {
        Window {
            h: self.pool.pool_h,
            w: self.pool.pool_w,
            stride: self.pool.stride,
            pad: self.pool.pad,
        }
    }
}

impl Layer for ConvReluPool {
    #[track_caller]
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64> {
        let g = self.conv.geometry("forward", x.shape());
        self.pool.check_window("forward");
        self.conv.make_w_contiguous();
        let win = self.window();
        let (n, fnum) = (x.shape()[0], self.conv.W.shape()[0]);
        if win.h > g.oh + 2 * win.pad || win.w > g.ow + 2 * win.pad {
            shape_mismatch(
                "ConvReluPool",
                "forward",
                &[n, fnum, g.oh, g.ow],
                &format!(
                    "a convolution output that the {}×{} pooling window (pad {}) fits",
                    win.h, win.w, win.pad
                ),
            );
        }
        let (poh, pow) = kernels::pooled_size(&g, win);
        let x4 = x
            .as_standard_layout()
            .into_shape_with_order((n, g.c, g.h, g.w))
            .expect("4-D input");
        let mut out = Array4::<f64>::zeros((n, fnum, poh, pow));
        // the buffers of the last step are reused (every entry is overwritten)
        let mut arg = std::mem::take(&mut self.arg_max);
        arg.resize(out.len(), 0);
        kernels::conv_relu_pool(
            &g,
            &self.conv.w2(),
            self.conv.b.as_slice().expect("b is contiguous"),
            win,
            x4.as_slice().expect("standard layout"),
            &mut out,
            &mut arg,
        );
        // only a training pass keeps x for backward
        self.x = train.then(|| x4.into_owned());
        self.arg_max = arg;
        self.out_shape = [n, fnum, poh, pow];
        out.into_dyn()
    }

    #[track_caller]
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let Some(x) = &self.x else {
            panic!("ConvReluPool.backward: called before forward with train = true")
        };
        check_dout("ConvReluPool", dout.shape(), &self.out_shape);
        self.conv.make_w_contiguous();
        let g = self.conv.geometry("backward", x.shape());
        let dout = dout.as_standard_layout();
        let (dw2, db, dx) = kernels::conv_relu_pool_backward(
            &g,
            &self.conv.w2(),
            x,
            dout.as_slice().expect("standard layout"),
            &self.arg_max,
            self.need_dx,
        );
        self.conv.dW = dw2
            .into_shape_with_order(self.conv.W.raw_dim())
            .expect("same size as W");
        self.conv.db = db.into_dyn();
        dx.map_or_else(|| ArrayD::zeros(IxDyn(&[0])), Array4::into_dyn)
    }

    fn params(&mut self) -> Vec<ParamRef<'_>> {
        self.conv.params()
    }

    fn hint(&mut self, hint: Hint) {
        if hint == Hint::NoInputGrad {
            self.need_dx = false;
        }
    }
}

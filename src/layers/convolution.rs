use ndarray::{Array1, Array2, Array4, ArrayD, ArrayRef, ArrayView2, Axis, IxDyn};

use super::{Hint, Layer, ParamRef, check_dout, shape_mismatch, vector};
use crate::im2col::{col2im, im2col};
use crate::kernels::{Geom, matmul, matmul_pair};

/// Convolution layer (chapter 7): the book's im2col + matrix product.
///
/// Forward: out\[n, f, oh, ow\] = Σ_{c,i,j} W\[f, c, i, j\] · x\[n, c, oh·S + i − P, ow·S + j − P\] + b\[f\],
/// i.e. with col = im2col(x) (N·OH·OW, C·FH·FW) and W₂ = W reshaped to (FN, C·FH·FW):
/// out = col · W₂ᵀ + b, reshaped to (N, OH, OW, FN) and transposed to (N, FN, OH, OW).
///
/// Backward, with dout transposed and reshaped to (N·OH·OW, FN):
/// ∂L/∂b = Σ_rows dout, ∂L/∂W₂ = doutᵀ · col, ∂L/∂x = col2im(dout · W₂)
/// (skipped in the first layer of a network, see [`Hint::NoInputGrad`]).
///
/// Output size OH = ⌊(H + 2P − FH)/S⌋ + 1 (floor when S does not divide, see
/// [`conv_output_size`](crate::im2col::conv_output_size)). Padding may exceed the filter
/// size (windows wholly in the padding see zeros).
///
/// For speed, [`SimpleConvNet`](crate::nets::SimpleConvNet) uses
/// [`ConvReluPool`](crate::nets::ConvReluPool), which computes the same thing one sample
/// at a time together with the ReLU and pooling that follow.
///
/// # Shapes
/// - `W`: (FN, C, FH, FW), `b`: (FN,)
/// - `x`: (N, C, H, W) → output (N, FN, OH, OW); `dout` (N, FN, OH, OW) → ∂L/∂x (N, C, H, W)
///
/// ```
/// use dlfs::layers::{Convolution, Layer};
/// use dlfs::ndarray::{Array1, Array4};
/// // one 2x2 filter of ones, bias 0.5, on a 1x1x3x3 image 0..9
/// let mut conv = Convolution::new(Array4::ones((1, 1, 2, 2)), Array1::from(vec![0.5]), 1, 0);
/// let x = Array4::from_shape_vec((1, 1, 3, 3), (0..9).map(f64::from).collect()).unwrap();
/// let y = conv.forward(&x.into_dyn(), true);
/// assert_eq!(y.shape(), &[1, 1, 2, 2]);
/// assert_eq!(y.iter().copied().collect::<Vec<_>>(), vec![8.5, 12.5, 20.5, 24.5]);
/// let dx = conv.backward(&Array4::ones((1, 1, 2, 2)).into_dyn());
/// assert_eq!(dx.iter().copied().collect::<Vec<_>>(), vec![1., 2., 1., 2., 4., 2., 1., 2., 1.]);
/// assert_eq!(conv.db[0], 4.0);
/// ```
///
/// # Panics
/// `new` if `b` is not (FN,) or `stride` is 0; `forward` if `x` is not 4-D with C channels
/// or the padded image is smaller than the filter; `backward` if `dout` is not
/// (N, FN, OH, OW) or comes before a training `forward` (inference keeps no cache). Messages name the layer and both shapes.
#[allow(non_snake_case)]
#[derive(Debug, Clone)]
pub struct Convolution {
    /// Filters, (FN, C, FH, FW).
    pub W: ArrayD<f64>,
    /// Biases, (FN,).
    pub b: ArrayD<f64>,
    /// Stride S.
    pub stride: usize,
    /// Zero padding P on each side.
    pub pad: usize,
    /// ∂L/∂W from the last backward pass.
    pub dW: ArrayD<f64>,
    /// ∂L/∂b from the last backward pass.
    pub db: ArrayD<f64>,
    /// The last input's shape (N, C, H, W).
    pub x_shape: Vec<usize>,
    /// im2col of the last training input, (N·OH·OW, C·FH·FW), kept for `backward`.
    pub col: Option<Array2<f64>>,
    need_dx: bool,
}

impl Convolution {
    /// A convolution with filters `W` (FN, C, FH, FW), biases `b` (FN,), `stride` and `pad`.
    ///
    /// # Panics
    /// If `b` is not (FN,) or `stride` is 0.
    #[allow(non_snake_case)]
    #[track_caller]
    pub fn new(W: Array4<f64>, b: Array1<f64>, stride: usize, pad: usize) -> Self {
        if b.len() != W.shape()[0] {
            shape_mismatch(
                "Convolution",
                "new",
                b.shape(),
                &format!(
                    "b of shape ({},) for W of shape {:?}",
                    W.shape()[0],
                    W.shape()
                ),
            );
        }
        assert!(stride > 0, "Convolution.new: stride must be at least 1");
        let (dW, db) = (ArrayD::zeros(W.shape()), ArrayD::zeros(b.shape()));
        Self {
            W: W.into_dyn(),
            b: b.into_dyn(),
            stride,
            pad,
            dW,
            db,
            x_shape: Vec::new(),
            col: None,
            need_dx: true,
        }
    }

    /// Makes W contiguous (a user may assign a transposed or sliced array), so that
    /// [`w2`](Self::w2) can view it as a matrix.
    pub(crate) fn make_w_contiguous(&mut self) {
        if self.W.as_slice().is_none() {
            self.W = self.W.as_standard_layout().into_owned();
        }
    }

    /// W reshaped to (FN, C·FH·FW); W must be contiguous (see `make_w_contiguous`).
    pub(crate) fn w2(&self) -> ArrayView2<'_, f64> {
        let fnum = self.W.shape()[0];
        let k = self.W.len() / fnum.max(1);
        self.W
            .view()
            .into_shape_with_order((fnum, k))
            .expect("W is in standard layout")
    }

    #[track_caller]
    pub(crate) fn geometry(&self, op: &str, x_shape: &[usize]) -> Geom {
        let w = self.W.shape();
        let (fh, fw) = (w[2], w[3]);
        let fits = x_shape.len() == 4
            && x_shape[1] == w[1]
            && fh <= x_shape[2] + 2 * self.pad
            && fw <= x_shape[3] + 2 * self.pad;
        if !fits {
            shape_mismatch(
                "Convolution",
                op,
                x_shape,
                &format!(
                    "(N, {}, H, W) with H + 2·{p} ≥ {fh} and W + 2·{p} ≥ {fw}, for W of shape {w:?}",
                    w[1],
                    p = self.pad
                ),
            );
        }
        Geom::new("Convolution", x_shape, fh, fw, self.stride, self.pad)
    }
}

impl Layer for Convolution {
    #[track_caller]
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64> {
        let g = self.geometry("forward", x.shape());
        self.make_w_contiguous();
        let (n, fnum) = (x.shape()[0], self.W.shape()[0]);
        // col = im2col(x); out = col · W₂ᵀ + b
        let col = im2col(x, g.fh, g.fw, self.stride, self.pad);
        let out = matmul(&col, &self.w2().t()) + vector(&self.b);
        // (N·OH·OW, FN) → (N, OH, OW, FN) → (N, FN, OH, OW)
        let out = out
            .into_shape_with_order((n, g.oh, g.ow, fnum))
            .expect("one row per window")
            .permuted_axes([0, 3, 1, 2])
            .as_standard_layout()
            .into_owned();
        self.x_shape = x.shape().to_vec();
        self.col = train.then_some(col);
        out.into_dyn()
    }

    #[track_caller]
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let Some(col) = &self.col else {
            panic!("Convolution.backward: called before forward with train = true")
        };
        let g = self.geometry("backward", &self.x_shape);
        let (n, fnum) = (self.x_shape[0], self.W.shape()[0]);
        check_dout("Convolution", dout.shape(), &[n, fnum, g.oh, g.ow]);
        // dout (N, FN, OH, OW) → (N, OH, OW, FN) → (N·OH·OW, FN)
        let dout = dout
            .view()
            .permuted_axes(IxDyn(&[0, 2, 3, 1]))
            .as_standard_layout()
            .into_owned()
            .into_shape_with_order((n * g.oh * g.ow, fnum))
            .expect("one row per window");
        // db = Σ dout; dW₂ = doutᵀ · col and dcol = dout · W₂ (two independent products);
        // dx = col2im(dcol)
        self.db = dout.sum_axis(Axis(0)).into_dyn();
        let w2 = self.w2();
        let (dw2, dcol) = matmul_pair((&dout.t(), col), self.need_dx.then_some((&dout, &w2)));
        self.dW = dw2
            .into_shape_with_order(self.W.raw_dim())
            .expect("same size as W");
        match dcol {
            Some(dcol) => {
                col2im(&dcol, &self.x_shape, g.fh, g.fw, self.stride, self.pad).into_dyn()
            }
            None => ArrayD::zeros(IxDyn(&[0])),
        }
    }

    fn params(&mut self) -> Vec<ParamRef<'_>> {
        vec![
            ParamRef::new("W", &mut self.W, &mut self.dW),
            ParamRef::new("b", &mut self.b, &mut self.db),
        ]
    }

    fn hint(&mut self, hint: Hint) {
        if hint == Hint::NoInputGrad {
            self.need_dx = false;
        }
    }
}

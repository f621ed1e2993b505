use ndarray::{Array1, Array4, ArrayD, ArrayRef, Ix4, IxDyn};

use super::{Layer, ParamRef, check_dout, shape_mismatch, shapes};
use crate::kernels::{self, Geom};

/// Convolution layer (chapter 7): the book's im2col + matrix product, computed by
/// [`kernels::conv_forward`](crate::kernels) and `conv_backward`, which read the input
/// without writing im2col where they can.
///
/// Forward: out\[n, f, oh, ow\] = Σ_{c,i,j} W\[f, c, i, j\] · x\[n, c, oh·S + i − P, ow·S + j − P\] + b\[f\],
/// i.e. with col = im2col(x) (N·OH·OW, C·FH·FW) and W₂ = W reshaped to (FN, C·FH·FW):
/// out = col · W₂ᵀ + b, reshaped to (N, OH, OW, FN) and transposed to (N, FN, OH, OW).
///
/// Backward, with dout transposed and reshaped to (N·OH·OW, FN):
/// ∂L/∂b = Σ_rows dout, ∂L/∂W₂ = doutᵀ · col, ∂L/∂x = col2im(dout · W₂)
/// ([`backward_params`](Layer::backward_params), which a network calls on its first layer,
/// skips ∂L/∂x).
///
/// Output size OH = ⌊(H + 2P − FH)/S⌋ + 1 (floor when S does not divide, see
/// [`conv_output_size`](crate::im2col::conv_output_size)). Padding may exceed the filter
/// size (windows wholly in the padding see zeros).
///
/// Where we differ from the book: the book keeps `col`, the im2col of the input, for
/// backward; here the layer keeps the input `x` itself (C·FH·FW times smaller), and the
/// kernels read the windows from it.
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
    /// The last training input (N, C, H, W), kept for `backward` (`None` after inference).
    pub x: Option<Array4<f64>>,
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
            let want = format!(
                "b of shape ({},) for W of shape {:?}",
                W.shape()[0],
                W.shape()
            );
            shape_mismatch("Convolution", "new", b.shape(), &want);
        }
        assert!(stride > 0, "Convolution.new: stride must be at least 1");
        let (dW, db) = (ArrayD::zeros(W.shape()), ArrayD::zeros(b.shape()));
        let (W, b) = (W.into_dyn(), b.into_dyn());
        Self {
            W,
            b,
            stride,
            pad,
            dW,
            db,
            x: None,
        }
    }

    /// W as the matrix W₂ (FN, C·FH·FW), the book's `W.reshape(FN, -1)`.
    pub(crate) fn filters(&mut self) -> ndarray::ArrayView2<'_, f64> {
        shapes::filters_as_matrix(&mut self.W)
    }

    /// The windows' geometry over an input of `x_shape`, or a panic naming both shapes.
    #[track_caller]
    pub(crate) fn geometry(&self, op: &str, x_shape: &[usize]) -> Geom {
        let settings = (self.stride, self.pad);
        shapes::conv_geometry("Convolution", op, x_shape, self.W.shape(), settings)
    }

    /// dW and db (kept) and, when `need_dx`, ∂L/∂x, from `dout` (N, FN, OH, OW).
    #[track_caller]
    fn grads(&mut self, dout: &ArrayRef<f64, IxDyn>, need_dx: bool) -> Option<Array4<f64>> {
        let Some(x) = self.x.take() else {
            panic!("Convolution.backward: called before forward with train = true")
        };
        let g = self.geometry("backward", x.shape());
        check_dout(
            "Convolution",
            dout.shape(),
            &[x.shape()[0], self.W.shape()[0], g.oh, g.ow],
        );
        let dout = dout.as_standard_layout();
        let dout = dout.as_slice().expect("standard layout");
        // db = Σ dout, dW₂ = doutᵀ · col, dx = col2im(dout · W₂), with dout as (N·OH·OW, FN)
        let w2 = self.filters();
        let (dw2, db, dx) = kernels::conv_backward(&g, &w2, &x.view(), dout, need_dx);
        self.dW = dw2
            .into_shape_with_order(self.W.raw_dim())
            .expect("W's size");
        self.db = db.into_dyn();
        self.x = Some(x);
        dx
    }
}

impl Layer for Convolution {
    #[track_caller]
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64> {
        let g = self.geometry("forward", x.shape());
        let x = x
            .as_standard_layout()
            .into_dimensionality::<Ix4>()
            .expect("4-D");
        // out = im2col(x) · W₂ᵀ + b, as (N, FN, OH, OW)
        let b: Vec<f64> = self.b.iter().copied().collect();
        let out = kernels::conv_forward(&g, &self.filters(), &b, &x.view());
        self.x = train.then(|| x.into_owned());
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
        vec![
            ParamRef::new("W", &mut self.W, &mut self.dW),
            ParamRef::new("b", &mut self.b, &mut self.db),
        ]
    }
}

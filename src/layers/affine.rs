use ndarray::{Array1, Array2, ArrayD, ArrayRef, ArrayView2, Axis, CowArray, Ix2, IxDyn};

use super::{Layer, ParamRef, check_dout, shape_mismatch, shapes, vector};
use crate::kernels::matmul;

/// Affine (fully connected) layer: Y = X·W + b.
///
/// Backward: ∂L/∂X = ∂L/∂Y · Wᵀ, ∂L/∂W = Xᵀ · ∂L/∂Y, ∂L/∂b = Σ_n ∂L/∂Y (sum over the batch).
///
/// # Shapes
/// - `W`: (D, M), `b`: (M,)
/// - `x`: (N, D), or (N, d1, d2, …) with d1·d2·… = D (flattened per sample, as the book's
///   4-D-aware Affine does), or one sample (D,)
/// - output: (N, M), or (M,) for one sample; `backward` gives ∂L/∂x in `x`'s own shape.
///
/// ```
/// use dlfs::layers::{Affine, Layer};
/// use dlfs::ndarray::array;
/// let mut affine = Affine::new(array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], array![0.5, 0.0, -1.0]);
/// let y = affine.forward(&array![[1.0, 1.0], [2.0, 0.0]].into_dyn(), true);
/// assert_eq!(y, array![[5.5, 7.0, 8.0], [2.5, 4.0, 5.0]].into_dyn());
/// let dx = affine.backward(&array![[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]].into_dyn());
/// assert_eq!(dx, array![[1.0, 4.0], [3.0, 6.0]].into_dyn());
/// assert_eq!(affine.dW, array![[1.0, 0.0, 2.0], [1.0, 0.0, 0.0]].into_dyn());
/// assert_eq!(affine.db, array![1.0, 0.0, 1.0].into_dyn());
/// ```
///
/// # Panics
/// If `x` does not flatten to D features per sample, if `dout` does not have the forward
/// output's shape ((N, M), or (M,) after one sample (D,)), or if `backward` comes before a
/// training `forward` (inference keeps no cache). The message names the layer and both shapes.
#[allow(non_snake_case)]
#[derive(Debug, Clone)]
pub struct Affine {
    /// Weights, (D, M).
    pub W: ArrayD<f64>,
    /// Bias, (M,).
    pub b: ArrayD<f64>,
    /// ∂L/∂W from the last backward pass.
    pub dW: ArrayD<f64>,
    /// ∂L/∂b from the last backward pass.
    pub db: ArrayD<f64>,
    /// The last training input, flattened to (N, D) (`None` after an inference pass).
    pub x: Option<Array2<f64>>,
    /// The last input's original shape.
    pub original_x_shape: Vec<usize>,
}

impl Affine {
    /// An affine layer with weights `W` (D, M) and bias `b` (M,).
    ///
    /// # Panics
    /// If `b`'s length is not W's number of columns.
    #[allow(non_snake_case)]
    #[track_caller]
    pub fn new(W: Array2<f64>, b: Array1<f64>) -> Self {
        if b.len() != W.ncols() {
            shape_mismatch(
                "Affine",
                "new",
                b.shape(),
                &format!("b of shape ({},) for W of shape {:?}", W.ncols(), W.shape()),
            );
        }
        let (dW, db) = (ArrayD::zeros(W.shape()), ArrayD::zeros(b.shape()));
        Self {
            W: W.into_dyn(),
            b: b.into_dyn(),
            dW,
            db,
            x: None,
            original_x_shape: Vec::new(),
        }
    }

    /// `dout` checked against the forward output's shape and viewed as (N, M).
    #[track_caller]
    fn dout2<'a>(&self, dout: &'a ArrayRef<f64, IxDyn>) -> CowArray<'a, f64, Ix2> {
        let Some(x) = &self.x else {
            panic!("Affine.backward: called before forward with train = true")
        };
        let (n, m) = (x.nrows(), self.W.shape()[1]);
        let one_sample = self.original_x_shape.len() == 1; // then the output was (M,)
        check_dout("Affine", dout.shape(), &[n, m][usize::from(one_sample)..]);
        let dout = dout.as_standard_layout();
        dout.into_shape_with_order((n, m)).expect("contiguous")
    }

    /// dW = xᵀ·dout and db = Σ_n dout, kept beside W and b.
    fn param_grads(&mut self, dout: &ArrayRef<f64, Ix2>) {
        let x = self.x.as_ref().expect("dout2 checked");
        self.dW = matmul(&x.t(), dout).into_dyn();
        self.db = dout.sum_axis(Axis(0)).into_dyn();
    }

    fn w2(&self) -> ArrayView2<'_, f64> {
        self.W
            .view()
            .into_dimensionality::<Ix2>()
            .expect("W is 2-D")
    }
}

impl Layer for Affine {
    #[track_caller]
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64> {
        // x = x.reshape(N, -1); out = x·W + b
        let (n, d) = shapes::flat_rows("Affine", x.shape(), self.W.shape());
        let x2 = x
            .as_standard_layout()
            .into_shape_with_order((n, d))
            .expect("contiguous");
        let out = matmul(&x2, &self.w2()) + vector(&self.b);
        self.original_x_shape = x.shape().to_vec();
        self.x = train.then(|| x2.into_owned());
        if x.ndim() == 1 {
            out.into_shape_with_order(IxDyn(&[self.W.shape()[1]]))
                .expect("one row")
        } else {
            out.into_dyn()
        }
    }

    #[track_caller]
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let dout = self.dout2(dout);
        // dx = dout·Wᵀ (in x's original shape); dW = xᵀ·dout; db = Σ_n dout
        let dx = matmul(&dout, &self.w2().t());
        self.param_grads(&dout);
        dx.into_shape_with_order(IxDyn(&self.original_x_shape))
            .expect("same number of elements")
    }

    #[track_caller]
    fn backward_params(&mut self, dout: &ArrayRef<f64, IxDyn>) {
        let dout = self.dout2(dout);
        self.param_grads(&dout);
    }

    fn params(&mut self) -> Vec<ParamRef<'_>> {
        vec![
            ParamRef::new("W", &mut self.W, &mut self.dW),
            ParamRef::new("b", &mut self.b, &mut self.db),
        ]
    }
}

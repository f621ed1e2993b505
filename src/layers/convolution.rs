use std::mem::MaybeUninit;

use ndarray::{
    Array1, Array2, Array4, ArrayD, ArrayRef, ArrayView2, ArrayViewMut2, Dim, IxDyn, Zip,
};

use super::{Layer, ParamRef, shape_mismatch};
use crate::im2col::Geom;
use crate::linalg::{gemm, gemm_uninit, par_samples, par_samples_uninit};

/// Convolution layer (chapter 7): the book's im2col + matrix product.
///
/// Forward: out\[n, f, oh, ow\] = Σ_{c,i,j} W\[f, c, i, j\] · x\[n, c, oh·S + i − P, ow·S + j − P\] + b\[f\],
/// i.e. with col = im2col(x) and W₂ = W reshaped to (FN, C·FH·FW): out = W₂ · colᵀ + b.
///
/// Backward, with dout reshaped to (FN, OH·OW) per sample:
/// ∂L/∂W₂ = Σ_n dout_n · col_n, ∂L/∂b = Σ over n, oh, ow of dout,
/// ∂L/∂x = col2im(Σ doutᵀ · W₂) (skipped when [`set_input_grad(false)`](Layer::set_input_grad)).
///
/// Output size OH = ⌊(H + 2P − FH)/S⌋ + 1 (floor when S does not divide, see
/// [`conv_output_size`](crate::im2col::conv_output_size)).
///
/// Where we differ from the book (for speed, same numbers): the patches are unfolded and
/// multiplied one sample at a time, so each sample's (OH·OW, C·FH·FW) matrix stays in cache
/// and the product lands directly in (FN, OH, OW) order (no transpose of the output);
/// the samples are spread over the threads ([`threads`](crate::linalg::threads)) and their
/// dW, db summed in sample order, so results do not depend on the thread count;
/// `backward` unfolds the stored input again instead of keeping the whole batch's `col`.
/// The first layer of a network skips ∂L/∂x (nobody needs the gradient of the images).
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
    /// The last training input (N, C, H, W), kept for `backward`.
    pub x: Option<Array4<f64>>,
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
            x: None,
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

    /// The backward pass from a gradient given per sample: `ds` holds the batch's gradient
    /// data in equal parts per sample, and `dout_of(i, part_i, buffer)` returns sample i's
    /// ∂L/∂out as (FN, OH·OW) row-major values, either `part_i` itself (plain `backward`) or
    /// values it builds in `buffer` (the fused path of [`super::fused`], from the pooled
    /// gradient). Stores ∂W, ∂b and returns ∂L/∂x (empty when not needed).
    pub(crate) fn backward_from<F>(&mut self, ds: &[f64], dout_of: F) -> ArrayD<f64>
    where
        F: for<'a> Fn(usize, &'a [f64], &'a mut Vec<f64>) -> &'a [f64] + Sync + Send,
    {
        self.make_w_contiguous();
        let Some(x) = &self.x else {
            panic!("Convolution.backward: called before forward with train = true")
        };
        let g = self.geometry("backward", x.shape());
        let (n, fnum) = (x.shape()[0], self.W.shape()[0]);
        let (rows, k) = (g.oh * g.ow, g.cols());
        let w2 = self.w2();
        // per sample: db_n, dW_n = dout_n · col_n and dcol_n = dout_nᵀ · W₂ folded into dx_n;
        // the samples run in parallel and their dW_n, db_n are summed in order afterwards
        let mut grads = vec![0.0; n * (fnum * k + fnum)];
        let mut dx = Array4::<f64>::zeros(if self.need_dx {
            x.raw_dim()
        } else {
            Dim([0; 4])
        });
        let xs = x.as_slice().expect("standard layout");
        let need_dx = self.need_dx;
        par_samples(
            n,
            [xs, ds],
            [&mut grads, dx.as_slice_mut().expect("owned")],
            |i, [xn, dpart], [gn, dxn], sc| {
                let (col, dcol) = (&mut sc.col, &mut sc.dcol);
                let dn = dout_of(i, dpart, &mut sc.act);
                let dn = ArrayView2::from_shape((fnum, rows), dn).expect("sizes match");
                let (dwn, dbn) = gn.split_at_mut(fnum * k);
                for (dbf, drow) in dbn.iter_mut().zip(dn.rows()) {
                    *dbf = drow.sum();
                }
                g.unfold(xn, col);
                let coln = ArrayView2::from_shape((rows, k), col).expect("one row per window");
                let mut dwn = ArrayViewMut2::from_shape((fnum, k), dwn).expect("sizes match");
                gemm(1.0, &dn, &coln, 0.0, &mut dwn);
                if need_dx {
                    dcol.resize(rows * k, 0.0);
                    let mut dc =
                        ArrayViewMut2::from_shape((rows, k), &mut dcol[..]).expect("sizes match");
                    gemm(1.0, &dn.t(), &w2, 0.0, &mut dc);
                    g.fold(dcol, dxn);
                }
            },
        );
        let mut dw2 = Array2::<f64>::zeros((fnum, k));
        let mut db = Array1::<f64>::zeros(fnum);
        for gn in grads.chunks_exact(fnum * k + fnum) {
            let (dwn, dbn) = gn.split_at(fnum * k);
            Zip::from(&mut dw2)
                .and(&ArrayView2::from_shape((fnum, k), dwn).expect("sizes match"))
                .for_each(|a, &b| *a += b);
            db.iter_mut().zip(dbn).for_each(|(a, &b)| *a += b);
        }
        self.dW = dw2
            .into_shape_with_order(self.W.raw_dim())
            .expect("same size as W");
        self.db = db.into_dyn();
        if self.need_dx {
            dx.into_dyn()
        } else {
            ArrayD::zeros(IxDyn(&[0]))
        }
    }
}

/// One sample's convolution: its im2col rows into `col`, then W₂·colᵀ + b into `out`, the
/// sample's (FN, OH·OW) block, row-major, which it writes whole (so it may come
/// uninitialised). Shared by `forward` and the fused path.
pub(crate) fn forward_sample<'o>(
    g: &Geom,
    w2: &ArrayView2<'_, f64>,
    b: &ArrayD<f64>,
    xn: &[f64],
    col: &mut Vec<f64>,
    out: &'o mut [MaybeUninit<f64>],
) -> &'o mut [f64] {
    let (rows, k) = (g.oh * g.ow, g.cols());
    assert_eq!(out.len(), w2.nrows() * rows, "one (FN, OH·OW) block");
    col.clear();
    g.unfold(xn, col);
    let coln = ArrayView2::from_shape((rows, k), &col[..]).expect("one row per window");
    // SAFETY: `out` holds FN·OH·OW values (checked above), row-major (FN, OH·OW); the
    // product writes every element of it, after which it is initialised.
    let out = unsafe {
        gemm_uninit(w2, &coln.t(), out.as_mut_ptr().cast(), rows as isize, 1);
        std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<f64>(), out.len())
    };
    for (orow, &bf) in out.chunks_exact_mut(rows).zip(b.iter()) {
        orow.iter_mut().for_each(|v| *v += bf);
    }
    out
}

impl Layer for Convolution {
    fn kind(&self) -> &'static str {
        "Convolution"
    }

    #[track_caller]
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64> {
        let g = self.geometry("forward", x.shape());
        self.make_w_contiguous();
        let n = x.shape()[0];
        let fnum = self.W.shape()[0];
        let rows = g.oh * g.ow;
        let x4 = x
            .as_standard_layout()
            .into_shape_with_order((n, g.c, g.h, g.w))
            .expect("4-D input");
        let mut out = Array4::<f64>::uninit((n, fnum, g.oh, g.ow));
        let w2 = self.w2();
        let xs = x4.as_slice().expect("standard layout");
        let outs = out.as_slice_mut().expect("standard layout");
        // one sample at a time, samples spread over the threads; the output is not
        // zero-filled first: each sample's block is written whole by its product
        par_samples_uninit(n, xs, outs, |xn, on, sc| {
            debug_assert_eq!(on.len(), fnum * rows);
            forward_sample(&g, &w2, &self.b, xn, &mut sc.col, on);
        });
        // SAFETY: par_samples_uninit ran the closure on every sample's block (or the
        // array is empty), and each run wrote its whole block.
        let out = unsafe { out.assume_init() };
        // only a training pass keeps x for backward
        self.x = train.then(|| x4.into_owned());
        out.into_dyn()
    }

    #[track_caller]
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let Some(x) = &self.x else {
            panic!("Convolution.backward: called before forward with train = true")
        };
        let g = self.geometry("backward", x.shape());
        let (n, fnum) = (x.shape()[0], self.W.shape()[0]);
        if dout.shape() != [n, fnum, g.oh, g.ow] {
            shape_mismatch(
                "Convolution",
                "backward",
                dout.shape(),
                &format!(
                    "dout of shape {:?} (the forward output's)",
                    [n, fnum, g.oh, g.ow]
                ),
            );
        }
        let dout = dout.as_standard_layout();
        let ds = dout.as_slice().expect("standard layout");
        self.backward_from(ds, |_, dn, _| dn)
    }

    fn params(&mut self) -> Vec<ParamRef<'_>> {
        vec![
            ParamRef::new("W", &mut self.W, &mut self.dW),
            ParamRef::new("b", &mut self.b, &mut self.db),
        ]
    }

    fn set_input_grad(&mut self, needed: bool) {
        self.need_dx = needed;
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}

use ndarray::{ArrayD, ArrayRef, Ix4, IxDyn};

use super::{Layer, check_dout, shape_mismatch};
use crate::im2col::conv_output_size;
use crate::kernels::{Window, max_pool, max_pool_backward};

/// Max pooling layer (chapter 7).
///
/// Forward: out[n, c, oh, ow] = max over the window x[n, c, oh·S + i − P, ow·S + j − P],
/// 0 ≤ i < PH, 0 ≤ j < PW, of the positions inside the image.
/// Backward: each dout goes to the argmax of its window (added up where windows overlap);
/// every other position gets 0. Ties go to the first maximum in row-major order, as
/// `np.argmax` does.
///
/// Output size OH = ⌊(H + 2P − PH)/S⌋ + 1 (floor when S does not divide, like
/// [`conv_output_size`]): a 2×2, stride-2 pool of a 7×7 map gives 3×3, the last row and
/// column are not pooled.
///
/// Where we differ from the book: the book pads with zeros before taking the max, which
/// is wrong for negative inputs (a window of −3 and padding gives 0), and its reshape
/// crashes when pad ≠ 0. Here padding positions are simply excluded from the max (the
/// same as padding with −∞), which is why the pad must be smaller than the window
/// (every window then holds at least one real value). The max is taken window by window
/// (the kernel `max_pool`) instead of going through im2col (several times faster), and
/// the argmax index of every window is remembered (the book's `arg_max`). A NaN in a
/// window makes its maximum NaN, wherever it sits.
///
/// # Shapes
/// `x`: (N, C, H, W) → output (N, C, OH, OW); `dout` (N, C, OH, OW) → ∂L/∂x (N, C, H, W).
///
/// ```
/// use dlfs::layers::{Layer, Pooling};
/// use dlfs::ndarray::Array4;
/// let mut pool = Pooling::new(2, 2, 2, 0);
/// let x = Array4::from_shape_vec((1, 1, 2, 4), vec![1., 5., -1., -2., 3., 2., -4., -3.]).unwrap();
/// let y = pool.forward(&x.into_dyn(), true);
/// assert_eq!(y.iter().copied().collect::<Vec<_>>(), vec![5.0, -1.0]);
/// let dx = pool.backward(&Array4::from_elem((1, 1, 1, 2), 10.0).into_dyn());
/// assert_eq!(dx.iter().copied().collect::<Vec<_>>(), vec![0., 10., 10., 0., 0., 0., 0., 0.]);
/// ```
///
/// # Panics
/// `new` and `forward` (the fields are public) if the stride is 0 or the pad is not
/// smaller than the window; `forward` if `x` is not 4-D or the padded image is smaller
/// than the window; `backward` if `dout` does not
/// have the forward output's shape or comes before `forward`.
#[derive(Debug, Clone)]
pub struct Pooling {
    /// Window height PH.
    pub pool_h: usize,
    /// Window width PW.
    pub pool_w: usize,
    /// Stride S.
    pub stride: usize,
    /// Padding P on each side (excluded from the max).
    pub pad: usize,
    /// The last input's shape (N, C, H, W).
    pub x_shape: Vec<usize>,
    /// For each output element (row-major), the flat index into the input of its maximum.
    pub arg_max: Vec<usize>,
    pub(crate) out_shape: [usize; 4],
}

impl Pooling {
    /// Max pooling over `pool_h`×`pool_w` windows with `stride` and `pad`.
    ///
    /// # Panics
    /// If `stride` is 0, or `pad` ≥ `pool_h` or `pad` ≥ `pool_w`.
    #[track_caller]
    pub fn new(pool_h: usize, pool_w: usize, stride: usize, pad: usize) -> Self {
        let pool = Self {
            pool_h,
            pool_w,
            stride,
            pad,
            x_shape: Vec::new(),
            arg_max: Vec::new(),
            out_shape: [0; 4],
        };
        pool.check_window("new");
        pool
    }

    /// The rule of `new`, checked again by `forward` (the fields are public).
    #[track_caller]
    pub(crate) fn check_window(&self, op: &str) {
        let (ph, pw, s, p) = (self.pool_h, self.pool_w, self.stride, self.pad);
        assert!(s > 0, "Pooling.{op}: stride must be at least 1, got 0");
        assert!(
            p < ph && p < pw,
            "Pooling.{op}: pad {p} must be smaller than the {ph}×{pw} window \
             (a window entirely in the padding has no maximum)"
        );
    }
}

impl Layer for Pooling {
    #[track_caller]
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        let sh = x.shape();
        self.check_window("forward");
        let (ph, pw, s, p) = (self.pool_h, self.pool_w, self.stride, self.pad);
        if sh.len() != 4 || ph > sh[2] + 2 * p || pw > sh[3] + 2 * p {
            shape_mismatch(
                "Pooling",
                "forward",
                sh,
                &format!("(N, C, H, W) with H + 2·{p} ≥ {ph} and W + 2·{p} ≥ {pw}"),
            );
        }
        let x4 = x.view().into_dimensionality::<Ix4>().expect("4-D");
        // out = the max of each window; arg_max = where it is
        let window = Window {
            h: ph,
            w: pw,
            stride: s,
            pad: p,
        };
        let (out, arg_max) = max_pool(&x4, window, std::mem::take(&mut self.arg_max));
        self.x_shape = sh.to_vec();
        self.arg_max = arg_max;
        self.out_shape = [
            sh[0],
            sh[1],
            conv_output_size(sh[2], ph, s, p),
            conv_output_size(sh[3], pw, s, p),
        ];
        out.into_dyn()
    }

    #[track_caller]
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        if self.x_shape.is_empty() {
            panic!("Pooling.backward: called before forward")
        }
        check_dout("Pooling", dout.shape(), &self.out_shape);
        // dx = 0; dx[arg_max] += dout
        let dout = dout.as_standard_layout();
        max_pool_backward(
            dout.as_slice().expect("standard layout"),
            &self.arg_max,
            &self.x_shape,
        )
    }
}

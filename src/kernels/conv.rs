//! The convolution of one sample, forward and backward, for the per-sample batching of the
//! fused layer ([`super::ConvReluPool`]). Each sample's im2col matrix (OH·OW, C·FH·FW)
//! stays in cache, and the product lands directly in (FN, OH·OW) order, so no transpose of
//! the output is needed. The plain layer, `crate::layers::Convolution`, does the same
//! arithmetic for the whole batch at once, the book's way.

use std::mem::MaybeUninit;

use ndarray::{ArrayView2, ArrayViewMut2};

use super::{Geom, gemm, gemm_uninit};

/// One sample's convolution: its im2col rows into `col`, then W₂·colᵀ + b into `out`, the
/// sample's (FN, OH·OW) block, row-major, which it writes whole (so it may come
/// uninitialised). Returns `out`, initialised.
pub(crate) fn conv_forward_sample<'o>(
    g: &Geom,
    w2: &ArrayView2<'_, f64>,
    b: &[f64],
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
    for (orow, &bf) in out.chunks_exact_mut(rows).zip(b) {
        orow.iter_mut().for_each(|v| *v += bf);
    }
    out
}

/// One sample's convolution backward from its ∂L/∂out `dn` (FN, OH·OW): db_n = Σ dn over
/// positions, dW_n = dn · col_n (both written, not added), and, when `dxn` is given,
/// col2im(dnᵀ · W₂) added into it. `col` and `dcol` are scratch buffers.
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv_backward_sample(
    g: &Geom,
    w2: &ArrayView2<'_, f64>,
    xn: &[f64],
    dn: &ArrayView2<'_, f64>,
    dwn: &mut [f64],
    dbn: &mut [f64],
    dxn: Option<&mut [f64]>,
    col: &mut Vec<f64>,
    dcol: &mut Vec<f64>,
) {
    let (rows, k, fnum) = (g.oh * g.ow, g.cols(), w2.nrows());
    for (dbf, drow) in dbn.iter_mut().zip(dn.rows()) {
        *dbf = drow.sum();
    }
    col.clear();
    g.unfold(xn, col);
    let coln = ArrayView2::from_shape((rows, k), &col[..]).expect("one row per window");
    let mut dwn = ArrayViewMut2::from_shape((fnum, k), dwn).expect("sizes match");
    gemm(1.0, dn, &coln, 0.0, &mut dwn);
    if let Some(dxn) = dxn {
        dcol.clear();
        dcol.resize(rows * k, 0.0);
        let mut dc = ArrayViewMut2::from_shape((rows, k), &mut dcol[..]).expect("sizes match");
        gemm(1.0, &dn.t(), w2, 0.0, &mut dc);
        g.fold(dcol, dxn);
    }
}

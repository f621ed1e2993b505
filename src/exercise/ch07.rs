//! Chapter 7's checks: the output-size formula, im2col and col2im, the convolution and
//! pooling layers.
//!
//! The geometries are chosen to find the usual slips: a stride that does not divide
//! (H + 2P − FH), padding wider than the filter, non-square filters, a batch of one;
//! col2im and pooling are checked first where windows do not overlap and then where they
//! do (overlapping values add up).

use ndarray::{Array1, Array2, Array4, ArrayD, Ix4, IxDyn};

use super::{
    Known, Report, Slip, attempt, awkward, compare, fail, layer_against_reference,
    layer_grad_check, random, report, shape_str,
};
use crate::im2col;
use crate::init::seeded_rng;
use crate::layers::{self, Layer};

/// Checks the output size OH = (H + 2P − FH)/S + 1 (7.2.3, division rounding down), for
/// `f(input_size, filter_size, stride, pad)`: every H 1–12, P 0–2, S 1–3 and filter size
/// that fits.
pub fn check_output_size(f: impl Fn(usize, usize, usize, usize) -> usize) -> Report {
    let mut parts = Vec::new();
    let end = (|| {
        // the book's examples first: 4×4 with a 3×3 filter, pad 1 → 4; 7×7, 3×3, stride 2 → 3
        let mut cases = vec![(4, 3, 1, 1), (7, 3, 2, 0), (28, 5, 1, 0)];
        for h in 1..=12 {
            for p in 0..=2 {
                for s in 1..=3 {
                    for fs in 1..=h + 2 * p {
                        cases.push((h, fs, s, p));
                    }
                }
            }
        }
        let mut got = Vec::with_capacity(cases.len());
        for &(h, fs, s, p) in &cases {
            got.push(attempt("conv_output_size", || f(h, fs, s, p))?);
        }
        // the usual slips, each as a formula (None where it is undefined)
        type Slip = (String, fn(usize, usize, usize, usize) -> Option<usize>);
        let slips: [Slip; 4] = [
            (
                tr!(
                    " (add 1: the first window sits at position 0)",
                    " (1을 더하세요. 첫 윈도우는 위치 0에 놓입니다)"
                ),
                |h, f, s, p| Some((h + 2 * p - f) / s),
            ),
            (
                tr!(
                    " (the padding is missing: H + 2P)",
                    " (패딩이 빠졌습니다. H + 2P)"
                ),
                |h, f, s, _| h.checked_sub(f).map(|d| d / s + 1),
            ),
            (
                tr!(
                    " (pad on both sides: H + 2P)",
                    " (패딩은 양쪽에 들어갑니다. H + 2P)"
                ),
                |h, f, s, p| (h + p).checked_sub(f).map(|d| d / s + 1),
            ),
            (
                tr!(
                    " (round the division down: windows that stick out are dropped)",
                    " (나눗셈은 내림하세요. 밖으로 삐져나온 윈도우는 버립니다)"
                ),
                |h, f, s, p| Some((h + 2 * p - f).div_ceil(s) + 1),
            ),
        ];
        for (&(h, fs, s, p), &yours) in cases.iter().zip(&got) {
            let want = im2col::conv_output_size(h, fs, s, p);
            if yours != want {
                let why = slips
                    .iter()
                    .find(|(_, slip)| {
                        cases
                            .iter()
                            .zip(&got)
                            .all(|(&(h, f, s, p), &g)| slip(h, f, s, p).is_none_or(|v| v == g))
                    })
                    .map_or("", |(why, _)| why.as_str());
                return fail(tr!(
                    "H = {h}, FH = {fs}, S = {s}, P = {p}: yours {yours}, expected \
                     ⌊({h} + 2·{p} − {fs}) / {s}⌋ + 1 = {want}{why}",
                    "H = {h}, FH = {fs}, S = {s}, P = {p}: 여러분의 값 {yours}, 기댓값 \
                     ⌊({h} + 2·{p} − {fs}) / {s}⌋ + 1 = {want}{why}"
                ));
            }
        }
        let sizes = cases.len() - 3;
        parts.push(tr!(
            "the book's examples and {sizes} sizes (H 1–12, P 0–2, S 1–3, every filter that fits)",
            "책의 예와 크기 {sizes}가지 (H 1–12, P 0–2, S 1–3, 들어가는 모든 필터)"
        ));
        Ok(())
    })();
    report("Output size", parts, end)
}

/// (input shape, filter h, filter w, stride, pad) of the im2col and col2im checks; the
/// first ones have windows that do not overlap (stride ≥ filter).
const GEOMETRIES: [([usize; 4], usize, usize, usize, usize); 8] = [
    ([1, 1, 4, 4], 2, 2, 2, 0),
    ([2, 2, 6, 4], 3, 2, 3, 0),
    ([1, 1, 3, 3], 1, 1, 1, 2),
    ([1, 1, 3, 3], 2, 2, 1, 0),
    ([2, 3, 5, 5], 3, 3, 1, 0),
    ([2, 2, 4, 5], 2, 3, 2, 1),
    ([1, 1, 7, 7], 3, 3, 2, 1),
    ([1, 3, 6, 4], 5, 2, 1, 2),
];
/// How many of [`GEOMETRIES`] have no overlapping windows.
const NON_OVERLAPPING: usize = 3;

fn geometry(k: usize) -> String {
    let (s, fh, fw, st, p) = GEOMETRIES[k];
    let shape = shape_str(&s);
    tr!(
        "x of shape {shape}, a {fh}×{fw} filter, stride {st}, pad {p}",
        "x 형상 {shape}, {fh}×{fw} 필터, 스트라이드 {st}, 패딩 {p}"
    )
}

fn as4(a: ArrayD<f64>) -> Array4<f64> {
    a.into_dimensionality::<Ix4>().expect("4-D")
}

/// Whether `a` and `b` hold the same numbers (to 1e-12), in any order.
fn same_values(a: &ndarray::ArrayRef<f64, ndarray::Ix2>, b: &Array2<f64>) -> bool {
    let sorted = |v: Vec<f64>| {
        let mut v = v;
        v.sort_by(f64::total_cmp);
        v
    };
    let (a, b) = (
        sorted(a.iter().copied().collect()),
        sorted(b.iter().copied().collect()),
    );
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| (x - y).abs() <= 1e-12 * y.abs().max(1.0))
}

/// Checks `im2col(x, filter_h, filter_w, stride, pad)` (7.4.3): for input (N, C, H, W) a
/// matrix of N·OH·OW rows, ordered (n, oh, ow), and C·FH·FW columns, ordered (c, fh, fw),
/// zeros where a window covers the padding; on eight geometries (a stride that does not
/// divide, padding wider than the filter, a non-square filter) and the book's two
/// examples, value for value.
pub fn check_im2col(f: impl Fn(&Array4<f64>, usize, usize, usize, usize) -> Array2<f64>) -> Report {
    let mut parts = Vec::new();
    let end = (|| {
        let mut r = seeded_rng(31);
        // the book's examples: (1, 3, 7, 7) → (9, 75), (10, 3, 7, 7) → (90, 75)
        for n in [1, 10] {
            let x = as4(random(&[n, 3, 7, 7], &mut r));
            let col = attempt("im2col", || f(&x, 5, 5, 1, 0))?;
            if col.dim() != (9 * n, 75) {
                let (shape, rows) = (shape_str(col.shape()), 9 * n);
                return fail(tr!(
                    "im2col of x of shape ({n}, 3, 7, 7), a 5×5 filter, stride 1, pad 0: your shape is {shape}, expected ({rows}, 75) (N·OH·OW rows, C·FH·FW columns)",
                    "im2col (x 형상 ({n}, 3, 7, 7), 5×5 필터, 스트라이드 1, 패딩 0): 형상이 {shape}입니다. ({rows}, 75)이어야 합니다 (행 N·OH·OW개, 열 C·FH·FW개)"
                ));
            }
        }
        parts.push(tr!(
            "the book's shapes (9, 75) and (90, 75)",
            "책의 형상 (9, 75)와 (90, 75)"
        ));
        for (k, &(shape, fh, fw, s, p)) in GEOMETRIES.iter().enumerate() {
            let x = as4(awkward(&shape, 0, &mut r));
            let col = attempt("im2col", || f(&x, fh, fw, s, p))?;
            let want = im2col::im2col(&x, fh, fw, s, p);
            let geometry = geometry(k);
            let what = tr!("im2col of {geometry}", "{geometry}의 im2col");
            if let Err(super::Stop::Failed(why)) = compare(
                &what,
                &col.clone().into_dyn(),
                &want.clone().into_dyn(),
                0.0,
            ) {
                let hint = if col.dim() == want.dim() && same_values(&col, &want) {
                    tr!(
                        ": the right numbers in another order (rows are ordered (n, oh, ow), columns (c, fh, fw))",
                        ": 값은 맞지만 순서가 다릅니다 (행은 (n, oh, ow), 열은 (c, fh, fw) 순서)"
                    )
                } else if p > 0 && col.dim() == want.dim() {
                    tr!(
                        ": a window reaching into the padding reads zeros there",
                        ": 패딩에 걸친 윈도우는 그곳에서 0을 읽습니다"
                    )
                } else {
                    String::new()
                };
                return fail(format!("{why}{hint}"));
            }
        }
        let count = GEOMETRIES.len();
        parts.push(tr!(
            "{count} geometries, value for value",
            "입력과 필터의 구성 {count}가지, 값 하나하나 일치"
        ));
        Ok(())
    })();
    report("im2col", parts, end)
}

/// Checks `col2im(col, (N, C, H, W), filter_h, filter_w, stride, pad)` (the book's
/// `util.py`): the inverse layout of im2col, where values of overlapping windows **add
/// up** and values in the padding are dropped; first on geometries whose windows do not
/// overlap, then on ones where they do.
pub fn check_col2im(
    f: impl Fn(&Array2<f64>, (usize, usize, usize, usize), usize, usize, usize, usize) -> Array4<f64>,
) -> Report {
    let mut parts = Vec::new();
    let end = (|| {
        let mut r = seeded_rng(33);
        for (k, &(shape, fh, fw, s, p)) in GEOMETRIES.iter().enumerate() {
            let n_rows = shape[0]
                * im2col::conv_output_size(shape[2], fh, s, p)
                * im2col::conv_output_size(shape[3], fw, s, p);
            let col = random(&[n_rows, shape[1] * fh * fw], &mut r)
                .into_dimensionality::<ndarray::Ix2>()
                .expect("2-D");
            let dims = (shape[0], shape[1], shape[2], shape[3]);
            let x = attempt("col2im", || f(&col, dims, fh, fw, s, p))?;
            let want = im2col::col2im(&col, &shape, fh, fw, s, p);
            let geometry = geometry(k);
            let what = tr!("col2im for {geometry}", "{geometry}의 col2im");
            let overwrites = compare(
                "",
                &x.clone().into_dyn(),
                &col2im_overwriting(&col, &shape, fh, fw, s, p).into_dyn(),
                1e-12,
            )
            .is_ok();
            if let Err(super::Stop::Failed(why)) =
                compare(&what, &x.into_dyn(), &want.into_dyn(), 1e-12)
            {
                let hint = if k >= NON_OVERLAPPING && overwrites {
                    tr!(
                        " (the geometries without overlapping windows passed: where windows overlap, add the values up (+=) instead of overwriting)",
                        " (윈도우가 겹치지 않는 경우는 통과했습니다. 윈도우가 겹치는 곳에서는 덮어쓰지 말고 값을 더하세요 (+=))"
                    )
                } else {
                    String::new()
                };
                return fail(format!("{why}{hint}"));
            }
            if k + 1 == NON_OVERLAPPING {
                parts.push(tr!("windows apart", "떨어진 윈도우"));
            }
        }
        parts.push(tr!("overlapping windows added up", "겹치는 윈도우의 합"));
        Ok(())
    })();
    report("col2im", parts, end)
}

/// col2im written with `=` where it must add up: what the hint about overlapping windows
/// recognises.
fn col2im_overwriting(
    col: &Array2<f64>,
    shape: &[usize; 4],
    fh: usize,
    fw: usize,
    s: usize,
    p: usize,
) -> Array4<f64> {
    let [n, c, h, w] = *shape;
    let (oh, ow) = (
        im2col::conv_output_size(h, fh, s, p),
        im2col::conv_output_size(w, fw, s, p),
    );
    let mut x = Array4::zeros((n, c, h, w));
    for ni in 0..n {
        for oy in 0..oh {
            for ox in 0..ow {
                let row = (ni * oh + oy) * ow + ox;
                for ci in 0..c {
                    for i in 0..fh {
                        for j in 0..fw {
                            let (y, xx) = (oy * s + i, ox * s + j);
                            if y >= p && xx >= p && y - p < h && xx - p < w {
                                x[[ni, ci, y - p, xx - p]] = col[[row, (ci * fh + i) * fw + j]];
                            }
                        }
                    }
                }
            }
        }
    }
    x
}

/// A second training forward and backward of the same layer on a new input: nothing of the
/// first pass (a cached `col`, an `arg_max` that only grows) may leak into the second.
fn second_pass(
    yours: &mut dyn Layer,
    reference: &mut dyn Layer,
    shape: &[usize],
    r: &mut crate::init::Rng,
    known: &Known,
) -> super::Step<()> {
    let x2 = awkward(shape, 0, r);
    let mut ignored = Vec::new();
    layer_against_reference(yours, reference, &x2, r, &mut ignored, known).map_err(|e| match e {
        super::Stop::Failed(why) => super::Stop::Failed(tr!(
            "{why} (second forward of the same layer: keep nothing from the first one)",
            "{why} (같은 계층의 두 번째 forward: 첫 번째 것에서 아무것도 남기지 마세요)"
        )),
        e => e,
    })
}

/// Checks a convolution layer (7.4.3), built by `make(W, b, stride, pad)` with W
/// (FN, C, FH, FW): forward (N, FN, OH, OW) and backward (dx, `dW`, `db` through
/// `params()` named `W` and `b`) against the library's on four cases (3×3 filters, a
/// non-square filter with stride 2 and pad 1, 1×1 filters with pad 2, a batch of one), and
/// a gradient check.
pub fn check_convolution<L: Layer>(
    make: impl Fn(Array4<f64>, Array1<f64>, usize, usize) -> L,
) -> Report {
    let mut parts = Vec::new();
    let end = (|| {
        let mut r = seeded_rng(35);
        // (x shape, W shape, stride, pad)
        let cases: [([usize; 4], [usize; 4], usize, usize); 4] = [
            ([2, 3, 5, 5], [4, 3, 3, 3], 1, 0),
            ([2, 2, 6, 5], [3, 2, 3, 2], 2, 1),
            ([1, 2, 4, 4], [2, 2, 1, 1], 1, 2),
            ([1, 1, 7, 7], [2, 1, 3, 3], 2, 1),
        ];
        for (xs, ws, s, p) in cases {
            let w = as4(random(&ws, &mut r));
            let b = random(&[ws[0]], &mut r)
                .into_dimensionality::<ndarray::Ix1>()
                .expect("1-D");
            let x = awkward(&xs, 0, &mut r);
            let mut yours = attempt("new", || make(w.clone(), b.clone(), s, p))?;
            let mut reference = layers::Convolution::new(w.clone(), b.clone(), s, p);
            let mut got = Vec::new();
            let known = conv_known(&w, s, p);
            let result =
                layer_against_reference(&mut yours, &mut reference, &x, &mut r, &mut got, &known);
            if let Err(super::Stop::Failed(why)) = &result
                && why.starts_with("forward")
            {
                // the right numbers in the wrong places: a missing transpose
                let mut again = attempt("new", || make(w.clone(), b.clone(), s, p))?;
                let y = attempt("forward", || again.forward(&x, true))?;
                let want = layers::Convolution::new(w.clone(), b.clone(), s, p).forward(&x, true);
                if y.shape() == want.shape() {
                    let flat = |a: &ArrayD<f64>| {
                        a.clone()
                            .into_shape_with_order((a.len(), 1))
                            .expect("any array reshapes to a column")
                    };
                    if same_values(&flat(&y), &flat(&want)) {
                        return fail(tr!(
                            "{why}: the right numbers in the wrong places: reshape col·W + b to \
                             (N, OH, OW, FN), then move the axes to (N, FN, OH, OW)",
                            "{why}: 값은 맞지만 위치가 틀렸습니다. col·W + b를 \
                             (N, OH, OW, FN)으로 바꾼 뒤 축을 (N, FN, OH, OW)로 옮기세요"
                        ));
                    }
                }
            }
            result?;
            second_pass(&mut yours, &mut reference, &xs, &mut r, &known)?;
            let wshape = shape_str(&ws);
            parts.push(tr!(
                "W {wshape}, stride {s}, pad {p}",
                "W {wshape}, 스트라이드 {s}, 패딩 {p}"
            ));
        }
        let w = as4(random(&[2, 2, 3, 3], &mut r));
        let b = random(&[2], &mut r)
            .into_dimensionality::<ndarray::Ix1>()
            .expect("1-D");
        let mut yours = attempt("new", || make(w.clone(), b.clone(), 1, 1))?;
        let x = awkward(&[2, 2, 4, 4], 0, &mut r);
        let worst = layer_grad_check(&mut yours, &x, &mut r, &conv_known(&w, 1, 1))?;
        parts.push(tr!(
            "gradient check (rel. error {worst:.1e})",
            "기울기 확인 (상대 오차 {worst:.1e})"
        ));
        Ok(())
    })();
    report("Convolution", parts, end)
}

/// (N, C, OH, OW) with its axes moved to (N, OH, OW, C), as (N·OH·OW, C): the book's
/// `.transpose(0, 2, 3, 1).reshape(-1, C)`.
fn channels_last_rows(a: &ArrayD<f64>) -> Array2<f64> {
    let c = a.shape()[1];
    let t = a.view().permuted_axes(IxDyn(&[0, 2, 3, 1]));
    let t = t.as_standard_layout();
    t.to_shape((a.len() / c, c))
        .expect("N·OH·OW rows")
        .to_owned()
}

/// `a`'s numbers in standard order, as `shape`.
fn reshaped(a: &ndarray::ArrayRef<f64, impl ndarray::Dimension>, shape: &[usize]) -> ArrayD<f64> {
    a.as_standard_layout()
        .to_shape(IxDyn(shape))
        .expect("as many numbers")
        .to_owned()
}

/// What convolution's forward keeps, and the slips of its backward, for filters `w`.
fn conv_known(w: &Array4<f64>, s: usize, p: usize) -> Known {
    let (fnum, _, fh, fw) = w.dim();
    let w2 = reshaped(w, &[fnum, w.len() / fnum])
        .into_dimensionality::<ndarray::Ix2>()
        .expect("2-D");
    let wshape = w.shape().to_vec();
    let not_transposed = tr!(
        "dout arrives as (N, FN, OH, OW): move its axes to (N, OH, OW, FN) \
         before reshaping it to (N·OH·OW, FN) (the book's dout.transpose(0, 2, 3, 1))",
        "dout은 (N, FN, OH, OW)로 들어옵니다. (N·OH·OW, FN)으로 바꾸기 전에 축을 \
         (N, OH, OW, FN)으로 옮기세요 (책의 dout.transpose(0, 2, 3, 1))"
    );
    // dout reshaped to (N·OH·OW, FN) without moving its axes
    let flat = |dout: &ArrayD<f64>| {
        let fnum = dout.shape()[1];
        reshaped(dout, &[dout.len() / fnum, fnum])
            .into_dimensionality::<ndarray::Ix2>()
            .expect("2-D")
    };
    let col = move |x: &ArrayD<f64>| im2col::im2col(x, fh, fw, s, p);
    let w2c = w2.clone();
    let ws = wshape.clone();
    let ws2 = wshape.clone();
    Known::new(
        tr!("x's shape, col and col_W", "x의 형상, col, col_W"),
        tr!(
            "the book's self.x, self.col, self.col_W, set in forward",
            "forward에서 설정하는 책의 self.x, self.col, self.col_W"
        ),
    )
    .slip(Slip::backward(
        "dx",
        not_transposed.clone(),
        move |x, dout| im2col::col2im(&flat(dout).dot(&w2c), x.shape(), fh, fw, s, p).into_dyn(),
    ))
    .slip(Slip::backward("dW", not_transposed, move |x, dout| {
        reshaped(&flat(dout).t().dot(&col(x)), &ws)
    }))
    .slip(Slip::backward(
        "dW",
        tr!(
            "colᵀ·dout is (C·FH·FW, FN): transpose it to (FN, C·FH·FW) before reshaping it to \
             (FN, C, FH, FW) (the book's dW.transpose(1, 0).reshape(FN, C, FH, FW))",
            "colᵀ·dout은 (C·FH·FW, FN)입니다. (FN, C, FH, FW)로 바꾸기 전에 \
             (FN, C·FH·FW)로 전치하세요 (책의 dW.transpose(1, 0).reshape(FN, C, FH, FW))"
        ),
        move |x, dout| reshaped(&col(x).t().dot(&channels_last_rows(dout)), &ws2),
    ))
}

/// For every window (n, c, oh, ow) of max pooling on `x`: where its maximum sits in the
/// window, (i, j) (the first, as numpy's argmax).
fn window_max_at(
    x: &ArrayD<f64>,
    ph: usize,
    pw: usize,
    s: usize,
) -> ndarray::Array4<(usize, usize)> {
    let x = x.view().into_dimensionality::<Ix4>().expect("4-D");
    let (n, c, h, w) = x.dim();
    let (oh, ow) = (
        im2col::conv_output_size(h, ph, s, 0),
        im2col::conv_output_size(w, pw, s, 0),
    );
    ndarray::Array4::from_shape_fn((n, c, oh, ow), |(ni, ci, oy, ox)| {
        let mut best = (f64::NEG_INFINITY, (0, 0));
        for i in 0..ph {
            for j in 0..pw {
                let v = x[[ni, ci, oy * s + i, ox * s + j]];
                if v > best.0 {
                    best = (v, (i, j));
                }
            }
        }
        best.1
    })
}

/// What pooling's forward keeps, and its slips, for `ph`×`pw` windows with stride `s`.
fn pool_known(ph: usize, pw: usize, s: usize) -> Known {
    Known::new(
        tr!("x's shape and arg_max", "x의 형상과 arg_max"),
        tr!(
            "the book's self.x and self.arg_max, set in forward",
            "forward에서 설정하는 책의 self.x와 self.arg_max"
        ),
    )
    .slip(Slip::forward(
        tr!(
            "the right maxima in the wrong places: they come in rows ordered (n, oh, ow, c); \
             reshape them to (N, OH, OW, C), then move the axes to (N, C, OH, OW) (the book's \
             out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2))",
            "최댓값은 맞지만 위치가 틀렸습니다. 최댓값은 (n, oh, ow, c) 순서의 행으로 나옵니다. \
             (N, OH, OW, C)로 바꾼 뒤 축을 (N, C, OH, OW)로 옮기세요 (책의 \
             out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2))"
        ),
        move |x| {
            let at = window_max_at(x, ph, pw, s);
            let out = ndarray::Array4::from_shape_fn(at.dim(), |(n, c, oy, ox)| {
                let (i, j) = at[[n, c, oy, ox]];
                x[[n, c, oy * s + i, ox * s + j]]
            });
            let by_row = out.view().permuted_axes([0, 2, 3, 1]);
            reshaped(&by_row, out.shape())
        },
    ))
    .slip(Slip::backward(
        "dx",
        tr!(
            "dout arrives as (N, C, OH, OW): move its axes to (N, OH, OW, C) before spreading it \
             over the windows, whose rows are ordered (n, oh, ow, c) (the book's \
             dout.transpose(0, 2, 3, 1))",
            "dout은 (N, C, OH, OW)로 들어옵니다. 행이 (n, oh, ow, c) 순서인 윈도우에 나눠 주기 \
             전에 축을 (N, OH, OW, C)로 옮기세요 (책의 dout.transpose(0, 2, 3, 1))"
        ),
        move |x, dout| {
            let at = window_max_at(x, ph, pw, s);
            let (_, c, oh, ow) = at.dim();
            let d: Vec<f64> = dout.iter().copied().collect();
            let mut dx = ArrayD::zeros(x.raw_dim());
            for ((n, ci, oy, ox), &(i, j)) in at.indexed_iter() {
                let row = (n * oh + oy) * ow + ox;
                dx[[n, ci, oy * s + i, ox * s + j]] += d[row * c + ci];
            }
            dx
        },
    ))
    .slip(Slip::backward(
        "dx",
        tr!(
            "your backward puts the gradient of window (oh, ow) at (oh + i, ow + j); its maximum \
             sits at (oh·stride + i, ow·stride + j)",
            "backward가 윈도우 (oh, ow)의 기울기를 (oh + i, ow + j)에 둡니다. 그 최댓값은 \
             (oh·stride + i, ow·stride + j)에 있습니다"
        ),
        move |x, dout| {
            let at = window_max_at(x, ph, pw, s);
            let mut dx = ArrayD::zeros(x.raw_dim());
            for ((n, c, oy, ox), &(i, j)) in at.indexed_iter() {
                dx[[n, c, oy + i, ox + j]] += dout[[n, c, oy, ox]];
            }
            dx
        },
    ))
}

/// Checks a max-pooling layer (7.4.4), built by `make(pool_h, pool_w, stride)` (no
/// padding): forward (N, C, OH, OW) and backward (each gradient to its window's maximum)
/// against the library's, first with windows apart, then overlapping (gradients add up),
/// and a gradient check.
pub fn check_pooling<L: Layer>(make: impl Fn(usize, usize, usize) -> L) -> Report {
    let mut parts = Vec::new();
    let end = (|| {
        let mut r = seeded_rng(37);
        // (x shape, pool h, pool w, stride); the last two overlap
        let cases: [([usize; 4], usize, usize, usize); 5] = [
            ([2, 3, 4, 4], 2, 2, 2),
            ([1, 2, 5, 5], 2, 2, 2),
            ([2, 2, 4, 6], 2, 3, 3),
            ([1, 1, 5, 5], 3, 3, 1),
            ([1, 2, 4, 4], 2, 2, 1),
        ];
        for (k, (xs, ph, pw, s)) in cases.into_iter().enumerate() {
            let x = awkward(&xs, 0, &mut r);
            let mut yours = attempt("new", || make(ph, pw, s))?;
            let mut reference = layers::Pooling::new(ph, pw, s, 0);
            let mut got = Vec::new();
            let known = pool_known(ph, pw, s);
            let result =
                layer_against_reference(&mut yours, &mut reference, &x, &mut r, &mut got, &known);
            if let Err(super::Stop::Failed(why)) = result {
                let hint = if k >= 3 && why.starts_with("backward") {
                    tr!(
                        " (the windows apart passed: where windows overlap (stride < window) a \
                         value that is the maximum of several windows collects all their gradients (+=))",
                        " (떨어진 윈도우는 통과했습니다. 윈도우가 겹치면(stride < 윈도우) 여러 \
                         윈도우의 최댓값인 값은 그 기울기를 모두 모읍니다 (+=))"
                    )
                } else {
                    String::new()
                };
                return fail(format!("{why}{hint}"));
            }
            result?;
            second_pass(&mut yours, &mut reference, &xs, &mut r, &known)?;
            if k == 2 {
                parts.push(tr!(
                    "windows apart (2×2 and 2×3, an odd size, a stride past the window)",
                    "떨어진 윈도우 (2×2와 2×3, 홀수 크기, 윈도우보다 큰 스트라이드)"
                ));
            }
        }
        parts.push(tr!(
            "overlapping windows (3×3 and 2×2, stride 1)",
            "겹치는 윈도우 (3×3과 2×2, 스트라이드 1)"
        ));
        let mut yours = attempt("new", || make(2, 2, 2))?;
        let x = awkward(&[2, 2, 4, 4], 0, &mut r);
        let worst = layer_grad_check(&mut yours, &x, &mut r, &pool_known(2, 2, 2))?;
        parts.push(tr!(
            "gradient check (rel. error {worst:.1e})",
            "기울기 확인 (상대 오차 {worst:.1e})"
        ));
        Ok(())
    })();
    report("Pooling", parts, end)
}

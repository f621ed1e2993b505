//! Chapter 5's checks: the computational-graph layers, the activation layers, Affine,
//! Softmax-with-Loss, and a two-layer net assembled from them.

use ndarray::{Array1, Array2, ArrayD, Axis, IxDyn, Zip};
use rand::Rng as _;

use super::{
    Known, Report, Slip, Stop, attempt, attempt_backward, awkward, check_array_layer, compare,
    fail, grad_check, numerical, random, rel_error, report, same, shape_str,
};
use crate::init::seeded_rng;
use crate::layers::{self, Layer, LossLayer, ScalarLayer};

/// Checks a multiplication layer (5.4.1): the book's apple example must give its numbers
/// (`220.00000000000003`; `2.2 110.00000000000001 200`), then products and swapped
/// gradients of other inputs, bit for bit.
pub fn check_mul_layer<L: ScalarLayer>(make: impl Fn() -> L) -> Report {
    check_scalar("MulLayer", make, layers::MulLayer::new, true)
}

/// Checks an addition layer (5.4.2): the apple-and-orange example's 650 and gradients
/// passed on unchanged.
pub fn check_add_layer<L: ScalarLayer>(make: impl Fn() -> L) -> Report {
    check_scalar("AddLayer", make, layers::AddLayer::new, false)
}

fn check_scalar<L: ScalarLayer, R: ScalarLayer>(
    exercise: &str,
    make: impl Fn() -> L,
    make_ref: impl Fn() -> R,
    apple: bool,
) -> Report {
    let mut parts = Vec::new();
    let end = (|| {
        if apple {
            let (mut a, mut b) = (attempt("new", &make)?, attempt("new", &make)?);
            let price = attempt("forward", || {
                let apple_price = a.forward(100.0, 2.0);
                b.forward(apple_price, 1.1)
            })?;
            if price != 220.00000000000003 {
                return fail(tr!(
                    "the apple example: price {price}, expected 220.00000000000003 (100 · 2 · 1.1)",
                    "사과 예: 가격이 {price}입니다. 220.00000000000003 (100 · 2 · 1.1)이어야 합니다"
                ));
            }
            let keeps = Known::new(
                tr!("x and y", "x와 y"),
                tr!(
                    "self.x = x; self.y = y in forward",
                    "forward에서 self.x = x; self.y = y"
                ),
            );
            let (dap, dtax) = attempt_backward(&keeps, || b.backward(1.0))?;
            let (dapple, dnum) = attempt_backward(&keeps, || a.backward(dap))?;
            let got = (dapple, dnum, dtax);
            if got != (2.2, 110.00000000000001, 200.0) {
                // without the swap: (dout·x, dout·y) = (200, 1.1), then 200·(100, 2)
                let why = if got == (20000.0, 400.0, 1.1) {
                    tr!(
                        "backward swaps the inputs, dx = dout·y, dy = dout·x",
                        "backward는 입력을 서로 바꿉니다. dx = dout·y, dy = dout·x"
                    )
                } else if got == (0.0, 0.0, 0.0) {
                    tr!(
                        "forward must keep x and y for backward (self.x = x; self.y = y)",
                        "backward에 필요한 x와 y를 forward에서 보관해야 합니다 (self.x = x; self.y = y)"
                    )
                } else {
                    tr!(
                        "dx = dout·y, dy = dout·x, with the x and y of the last forward",
                        "dx = dout·y, dy = dout·x이고, x와 y는 마지막 forward의 것입니다"
                    )
                };
                return fail(tr!(
                    "the apple example's backward: (dapple, dapple_num, dtax) = ({dapple}, {dnum}, {dtax}), \
                     expected (2.2, 110.00000000000001, 200): {why}",
                    "사과 예의 backward: (dapple, dapple_num, dtax) = ({dapple}, {dnum}, {dtax})입니다. \
                     (2.2, 110.00000000000001, 200)이어야 합니다: {why}"
                ));
            }
            parts.push(tr!(
                "the apple example (220.00000000000003; 2.2 110.00000000000001 200)",
                "사과 예 (220.00000000000003; 2.2 110.00000000000001 200)"
            ));
        } else {
            let mut add = attempt("new", &make)?;
            let total = attempt("forward", || add.forward(200.0, 450.0))?;
            if total != 650.0 {
                return fail(tr!(
                    "forward(200, 450) = {total}, expected 650",
                    "forward(200, 450) = {total}입니다. 650이어야 합니다"
                ));
            }
            parts.push(tr!(
                "the apple-and-orange sum (650)",
                "사과와 귤의 합 (650)"
            ));
        }
        let mut r = seeded_rng(5);
        let (mut yours, mut reference) = (attempt("new", &make)?, make_ref());
        for _ in 0..20 {
            let (x, y, d): (f64, f64, f64) = (
                r.random_range(-3.0..3.0),
                r.random_range(-3.0..3.0),
                r.random_range(-3.0..3.0),
            );
            let out = attempt("forward", || yours.forward(x, y))?;
            let want = reference.forward(x, y);
            if out != want {
                return fail(tr!(
                    "forward({x}, {y}) = {out}, expected {want}",
                    "forward({x}, {y}) = {out}입니다. {want}이어야 합니다"
                ));
            }
            let g = attempt("backward", || yours.backward(d))?;
            let want = reference.backward(d);
            if g != want {
                return fail(tr!(
                    "backward({d}) after forward({x}, {y}) = {g:?}, expected {want:?}",
                    "forward({x}, {y}) 다음 backward({d}) = {g:?}입니다. {want:?}이어야 합니다"
                ));
            }
        }
        parts.push(tr!(
            "20 random forward/backward pairs",
            "무작위 forward/backward 20쌍"
        ));
        Ok(())
    })();
    report(exercise, parts, end)
}

/// Checks a ReLU layer (5.5.1) against the library's: the book's mask example, odd shapes,
/// exact zeros (the book's mask is x ≤ 0; inputs (3, 5) and (2, 3, 4) hold some), inference,
/// and a gradient check.
pub fn check_relu<L: Layer>(make: impl Fn() -> L) -> Report {
    let mut r = seeded_rng(11);
    let book = ndarray::array![[1.0, -0.5], [-2.0, 3.0]].into_dyn();
    let inputs = [
        book,
        awkward(&[1], 0, &mut r),
        awkward(&[3, 5], 4, &mut r),
        awkward(&[2, 3, 4], 5, &mut r),
    ];
    let known = Known::new(
        tr!("the mask", "마스크"),
        tr!(
            "self.mask = Some(mask) in forward",
            "forward에서 self.mask = Some(mask)"
        ),
    )
    .slip(Slip::backward(
        "dx",
        tr!(
            "your mask is x < 0 where the book's is x <= 0: the two differ only where x is exactly 0 \
             (forward gives 0 there either way), and there backward must pass no gradient",
            "마스크가 x < 0입니다. 책의 마스크는 x <= 0입니다. 둘은 x가 정확히 0인 곳에서만 다르고 \
             (forward는 어느 쪽이든 0을 냅니다), 그곳에서 backward는 기울기를 전하지 않아야 합니다"
        ),
        |x, dout| {
            Zip::from(dout)
                .and(x)
                .map_collect(|&d, &v| if v < 0.0 { 0.0 } else { d })
        },
    ));
    check_array_layer(
        "Relu",
        make,
        || Box::new(layers::Relu::new()),
        &inputs,
        12,
        &known,
    )
}

/// Checks a sigmoid layer (5.5.2) against the library's: forward, backward
/// dout·(1 − y)·y, inference, and a gradient check.
pub fn check_sigmoid<L: Layer>(make: impl Fn() -> L) -> Report {
    let mut r = seeded_rng(13);
    let inputs = [
        awkward(&[2, 3], 0, &mut r),
        awkward(&[1], 0, &mut r),
        awkward(&[3, 2, 2], 3, &mut r) * 4.0,
    ];
    let known = Known::new(
        tr!("its output out", "출력 out"),
        tr!(
            "self.out = Some(out.clone()) in forward",
            "forward에서 self.out = Some(out.clone())"
        ),
    )
    .slip(Slip::forward(
        tr!(
            "yours is 1/(1 − exp(x)): in Rust `-v.exp()` is −(exp(v)), as a method call binds \
             tighter than the minus; write `(-v).exp()` for exp(−x)",
            "계산한 것은 1/(1 − exp(x))입니다. Rust에서 메서드 호출은 부호 -보다 먼저 묶이므로 \
             `-v.exp()`는 −(exp(v))입니다. exp(−x)는 `(-v).exp()`로 쓰세요"
        ),
        |x| x.mapv(|v| 1.0 / (1.0 - v.exp())),
    ))
    .slip(Slip::forward(
        tr!(
            "yours is 1/(1 + exp(x)): the sigmoid is 1/(1 + exp(−x))",
            "계산한 것은 1/(1 + exp(x))입니다. 시그모이드는 1/(1 + exp(−x))입니다"
        ),
        |x| x.mapv(|v| 1.0 / (1.0 + v.exp())),
    ))
    .slip(Slip::backward(
        "dx",
        tr!(
            "backward uses the input x where the output belongs: dx = dout·(1 − y)·y with y \
                 the output of forward (keep out, not x)",
            "backward가 출력을 써야 할 곳에 입력 x를 씁니다. dx = dout·(1 − y)·y에서 y는 \
                 forward의 출력입니다 (x가 아니라 out을 보관하세요)"
        ),
        |x, dout| {
            Zip::from(dout)
                .and(x)
                .map_collect(|&d, &v| d * (1.0 - v) * v)
        },
    ));
    check_array_layer(
        "Sigmoid",
        make,
        || Box::new(layers::Sigmoid::new()),
        &inputs,
        14,
        &known,
    )
}

/// `x` as (N, D), one row per sample.
fn rows(x: &ArrayD<f64>) -> Array2<f64> {
    let n = x.shape()[0];
    x.to_shape((n, x.len() / n)).expect("N samples").to_owned()
}

/// Checks an affine layer (5.6.2), built by `make(W, b)`, against the library's: a batch,
/// a batch of one, and N-D input (2, 2, 3) flattened per sample; dx in x's own shape,
/// `dW`, `db` through `params()` (named `W` and `b`), and a gradient check of all three.
pub fn check_affine<L: Layer>(make: impl Fn(Array2<f64>, Array1<f64>) -> L) -> Report {
    let mut r = seeded_rng(15);
    let w = random(&[6, 4], &mut r)
        .into_dimensionality::<ndarray::Ix2>()
        .expect("2-D");
    let b = random(&[4], &mut r)
        .into_dimensionality::<ndarray::Ix1>()
        .expect("1-D");
    let inputs = [
        random(&[3, 6], &mut r),
        random(&[1, 6], &mut r),
        random(&[2, 2, 3], &mut r),
    ];
    let (w2, b2, w3) = (w.clone(), b.clone(), w.clone());
    let sum_db = tr!(
        "db sums dout over the batch, axis 0: one number per output, shape (M,)",
        "db는 dout을 배치 방향(axis 0)으로 더한 것입니다. 출력마다 수 하나, 형상 (M,)"
    );
    let mut known = Known::new(
        tr!("x (reshaped to (N, D))", "x ((N, D)로 바꾼 것)"),
        tr!(
            "self.x = Some(x2) in forward, beside x's original shape",
            "forward에서 self.x = Some(x2), 그리고 x의 원래 형상"
        ),
    )
    .slip(Slip::backward(
        "dx",
        tr!(
            "dx must have x's own shape: reshape dout·Wᵀ back to it (the book's \
             dx.reshape(*self.original_x_shape))",
            "dx는 x와 형상이 같아야 합니다. dout·Wᵀ를 그 형상으로 되돌리세요 (책의 \
             dx.reshape(*self.original_x_shape))"
        ),
        move |_, dout| super::mat(dout).dot(&w3.t()).into_dyn(),
    ))
    .slip(Slip::backward(
        "dW",
        tr!(
            "dW = xᵀ·dout, of W's shape (D, M); yours is doutᵀ·x",
            "dW = xᵀ·dout이고 형상은 W와 같은 (D, M)입니다. 계산한 것은 doutᵀ·x입니다"
        ),
        |x, dout| super::mat(dout).t().dot(&rows(x)).into_dyn(),
    ))
    .slip(Slip::backward(
        "db",
        tr!(
            "db is the sum of dout over the batch (axis 0), not its mean",
            "db는 dout의 배치 방향(axis 0) 합입니다. 평균이 아닙니다"
        ),
        |_, dout| dout.mean_axis(Axis(0)).expect("N > 0"),
    ))
    .slip(Slip::backward(
        "db",
        tr!(
            "{sum_db}; yours sums over axis 1",
            "{sum_db}. 계산한 것은 axis 1로 더했습니다"
        ),
        |_, dout| dout.sum_axis(Axis(1)),
    ))
    .slip(Slip::backward(
        "db",
        tr!(
            "{sum_db}; yours is dout itself",
            "{sum_db}. 계산한 것은 dout 그대로입니다"
        ),
        |_, dout| dout.clone(),
    ));
    known.nd_input = Some(tr!(
        "forward gets input of more than two axes here, like the images (N, C, H, W) of \
         chapter 7: reshape x to (N, −1) first (x.to_shape((n, x.len() / n))), and keep x's \
         shape for dx",
        "여기서 forward는 7장의 이미지 (N, C, H, W)처럼 축이 3개 이상인 입력을 받습니다. \
         먼저 x를 (N, −1)로 바꾸고 (x.to_shape((n, x.len() / n))), dx를 위해 x의 형상을 \
         보관하세요"
    ));
    check_array_layer(
        "Affine",
        move || make(w.clone(), b.clone()),
        move || Box::new(layers::Affine::new(w2.clone(), b2.clone())),
        &inputs,
        16,
        &known,
    )
}

/// Checks a softmax-with-loss layer (5.6.3) against the library's: the loss of a batch
/// (mean over the batch), of one sample, with one-hot and index labels, backward
/// (y − t) / N, and a gradient check of the loss.
pub fn check_softmax_with_loss<L: LossLayer>(make: impl Fn() -> L) -> Report {
    let mut parts = Vec::new();
    let keeps = Known::new(
        tr!("y and t", "y와 t"),
        tr!(
            "self.y = Some(y); self.t = Some(t.to_owned()) in forward",
            "forward에서 self.y = Some(y); self.t = Some(t.to_owned())"
        ),
    );
    let end = (|| {
        let mut r = seeded_rng(17);
        let one_hot = |labels: &[usize], c: usize| {
            ArrayD::from_shape_fn(IxDyn(&[labels.len(), c]), |i| {
                f64::from(u8::from(labels[i[0]] == i[1]))
            })
        };
        let cases = [
            (random(&[4, 3], &mut r) * 3.0, one_hot(&[0, 2, 1, 2], 3)),
            (random(&[1, 5], &mut r), one_hot(&[4], 5)),
            (
                random(&[3, 4], &mut r),
                ArrayD::from_shape_vec(IxDyn(&[3]), vec![3.0, 0.0, 1.0]).expect("3 labels"),
            ),
        ];
        for (x, t) in &cases {
            let (xs, ts) = (shape_str(x.shape()), shape_str(t.shape()));
            let mut yours = attempt("new", &make)?;
            let mut reference = layers::SoftmaxWithLoss::new();
            let loss = attempt("forward", || yours.forward(x, t))?;
            let want = LossLayer::forward(&mut reference, x, t);
            // the book's cross_entropy_error adds 1e-7 inside the log; the library's loss
            // (log-sum-exp) does not: either is right
            let book = crate::functions::cross_entropy_error(&crate::functions::softmax(x), t);
            let right = |v: f64| rel_error(v, want) < 1e-12 || rel_error(v, book) < 1e-12;
            if !right(loss) {
                let n = x.shape()[0] as f64;
                let hint = if right(loss / n) {
                    tr!(
                        " (your loss is the sum over the batch: divide by the batch size)",
                        " (손실을 배치 전체로 더했습니다. 배치 크기로 나누세요)"
                    )
                } else {
                    String::new()
                };
                return fail(tr!(
                    "forward on x of shape {xs} with labels of shape {ts}: loss {loss}, expected {want}{hint}",
                    "forward (x 형상 {xs}, 정답 레이블 형상 {ts}): 손실이 {loss}입니다. \
                     {want}이어야 합니다{hint}"
                ));
            }
            // labels as indices come last, after the one-hot cases passed
            let indices = if t.ndim() == 1 {
                tr!(
                    ": labels of shape {ts} are class indices, not one-hot rows: dx is y with 1 \
                     subtracted at each sample's label (dx[[i, t[i] as usize]] -= 1.0), then ÷ N",
                    ": 형상 {ts}의 정답 레이블은 원-핫 행이 아니라 클래스 번호입니다. dx는 y의 각 표본에서 \
                     정답 레이블 위치의 값에서 1을 빼고 (dx[[i, t[i] as usize]] -= 1.0) N으로 나눈 것입니다"
                )
            } else {
                String::new()
            };
            let with_indices = |stop| match stop {
                Stop::Failed(why) => Stop::Failed(format!("{why}{indices}")),
                stop => stop,
            };
            let dx = attempt_backward(&keeps, || yours.backward(1.0)).map_err(with_indices)?;
            let want_dx = LossLayer::backward(&mut reference, 1.0);
            let what = tr!(
                "backward on x of shape {xs} with labels of shape {ts}",
                "backward (x 형상 {xs}, 정답 레이블 형상 {ts})"
            );
            if let Err(Stop::Failed(why)) = compare(&what, &dx, &want_dx, 1e-12) {
                let n = x.shape()[0];
                let hint = if n > 1 && same(&dx, &(&want_dx * n as f64)) {
                    tr!(
                        ": your dx is N = {n} times the expected: the loss is the mean over the \
                         batch, so backward divides (y − t) by the batch size N",
                        ": dx가 기댓값의 N = {n}배입니다. 손실은 배치의 평균이므로 backward는 \
                         (y − t)를 배치 크기 N으로 나눕니다"
                    )
                } else if same(&dx, &-&want_dx) {
                    tr!(
                        ": your dx has the opposite sign: dx = (y − t)/N",
                        ": dx의 부호가 반대입니다. dx = (y − t)/N"
                    )
                } else {
                    indices.clone()
                };
                return fail(format!("{why}{hint}"));
            }
            parts.push(tr!(
                "loss and backward on x of shape {xs} with labels of shape {ts}",
                "손실과 backward (x 형상 {xs}, 정답 레이블 형상 {ts})"
            ));
        }
        let (x, t) = &cases[0];
        let mut yours = attempt("new", &make)?;
        attempt("forward", || yours.forward(x, t))?;
        let dx = attempt_backward(&keeps, || yours.backward(1.0))?;
        let num = attempt("forward", || numerical(x, |xx| yours.forward(xx, t)))?;
        let worst = grad_check("dx", &dx, &num)?;
        parts.push(tr!(
            "gradient check (rel. error {worst:.1e})",
            "기울기 확인 (상대 오차 {worst:.1e})"
        ));
        Ok(())
    })();
    report("SoftmaxWithLoss", parts, end)
}

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
                return fail(format!(
                    "the apple example: price {price}, expected 220.00000000000003 (100 · 2 · 1.1)"
                ));
            }
            let keeps = Known::new("x and y", "self.x = x; self.y = y in forward");
            let (dap, dtax) = attempt_backward(&keeps, || b.backward(1.0))?;
            let (dapple, dnum) = attempt_backward(&keeps, || a.backward(dap))?;
            let got = (dapple, dnum, dtax);
            if got != (2.2, 110.00000000000001, 200.0) {
                // without the swap: (dout·x, dout·y) = (200, 1.1), then 200·(100, 2)
                let why = if got == (20000.0, 400.0, 1.1) {
                    "backward swaps the inputs, dx = dout·y, dy = dout·x"
                } else if got == (0.0, 0.0, 0.0) {
                    "forward must keep x and y for backward (self.x = x; self.y = y)"
                } else {
                    "dx = dout·y, dy = dout·x, with the x and y of the last forward"
                };
                return fail(format!(
                    "the apple example's backward: (dapple, dapple_num, dtax) = ({dapple}, {dnum}, {dtax}), \
                     expected (2.2, 110.00000000000001, 200): {why}"
                ));
            }
            parts.push("the apple example (220.00000000000003; 2.2 110.00000000000001 200)".into());
        } else {
            let mut add = attempt("new", &make)?;
            let total = attempt("forward", || add.forward(200.0, 450.0))?;
            if total != 650.0 {
                return fail(format!("forward(200, 450) = {total}, expected 650"));
            }
            parts.push("the apple-and-orange sum (650)".into());
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
                return fail(format!("forward({x}, {y}) = {out}, expected {want}"));
            }
            let g = attempt("backward", || yours.backward(d))?;
            let want = reference.backward(d);
            if g != want {
                return fail(format!(
                    "backward({d}) after forward({x}, {y}) = {g:?}, expected {want:?}"
                ));
            }
        }
        parts.push("20 random forward/backward pairs".into());
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
    let known = Known::new("the mask", "self.mask = Some(mask) in forward").slip(Slip::backward(
        "dx",
        "your mask is x < 0 where the book's is x <= 0: the two differ only where x is exactly 0 \
         (forward gives 0 there either way), and there backward must pass no gradient",
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
    let known = Known::new("its output out", "self.out = Some(out.clone()) in forward")
        .slip(Slip::forward(
            "yours is 1/(1 − exp(x)): in Rust `-v.exp()` is −(exp(v)), as a method call binds \
             tighter than the minus; write `(-v).exp()` for exp(−x)",
            |x| x.mapv(|v| 1.0 / (1.0 - v.exp())),
        ))
        .slip(Slip::forward(
            "yours is 1/(1 + exp(x)): the sigmoid is 1/(1 + exp(−x))",
            |x| x.mapv(|v| 1.0 / (1.0 + v.exp())),
        ))
        .slip(Slip::backward(
            "dx",
            "backward uses the input x where the output belongs: dx = dout·(1 − y)·y with y \
             the output of forward (keep out, not x)",
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
    let sum_db = "db sums dout over the batch, axis 0: one number per output, shape (M,)";
    let mut known = Known::new(
        "x (reshaped to (N, D))",
        "self.x = Some(x2) in forward, beside x's original shape",
    )
    .slip(Slip::backward(
        "dx",
        "dx must have x's own shape: reshape dout·Wᵀ back to it (the book's \
         dx.reshape(*self.original_x_shape))",
        move |_, dout| super::mat(dout).dot(&w3.t()).into_dyn(),
    ))
    .slip(Slip::backward(
        "dW",
        "dW = xᵀ·dout, of W's shape (D, M); yours is doutᵀ·x",
        |x, dout| super::mat(dout).t().dot(&rows(x)).into_dyn(),
    ))
    .slip(Slip::backward(
        "db",
        "db is the sum of dout over the batch (axis 0), not its mean",
        |_, dout| dout.mean_axis(Axis(0)).expect("N > 0"),
    ))
    .slip(Slip::backward(
        "db",
        format!("{sum_db}; yours sums over axis 1"),
        |_, dout| dout.sum_axis(Axis(1)),
    ))
    .slip(Slip::backward(
        "db",
        format!("{sum_db}; yours is dout itself"),
        |_, dout| dout.clone(),
    ));
    known.nd_input = Some(
        "forward gets input of more than two axes here, like the images (N, C, H, W) of \
         chapter 7: reshape x to (N, −1) first (x.to_shape((n, x.len() / n))), and keep x's \
         shape for dx",
    );
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
        "y and t",
        "self.y = Some(y); self.t = Some(t.to_owned()) in forward",
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
            let on = format!(
                "on x of shape {} with labels of shape {}",
                shape_str(x.shape()),
                shape_str(t.shape())
            );
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
                    " (your loss is the sum over the batch: divide by the batch size)"
                } else {
                    ""
                };
                return fail(format!("forward {on}: loss {loss}, expected {want}{hint}"));
            }
            // labels as indices come last, after the one-hot cases passed
            let indices = if t.ndim() == 1 {
                format!(
                    ": labels of shape {} are class indices, not one-hot rows: dx is y with 1 \
                     subtracted at each sample's label (dx[[i, t[i] as usize]] -= 1.0), then ÷ N",
                    shape_str(t.shape())
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
            if let Err(Stop::Failed(why)) = compare(&format!("backward {on}"), &dx, &want_dx, 1e-12)
            {
                let n = x.shape()[0];
                let hint = if n > 1 && same(&dx, &(&want_dx * n as f64)) {
                    format!(
                        ": your dx is N = {n} times the expected: the loss is the mean over the \
                         batch, so backward divides (y − t) by the batch size N"
                    )
                } else if same(&dx, &-&want_dx) {
                    ": your dx has the opposite sign: dx = (y − t)/N".to_string()
                } else {
                    indices.clone()
                };
                return fail(format!("{why}{hint}"));
            }
            parts.push(format!("loss and backward {on}"));
        }
        let (x, t) = &cases[0];
        let mut yours = attempt("new", &make)?;
        attempt("forward", || yours.forward(x, t))?;
        let dx = attempt_backward(&keeps, || yours.backward(1.0))?;
        let num = attempt("forward", || numerical(x, |xx| yours.forward(xx, t)))?;
        let worst = grad_check("dx", &dx, &num)?;
        parts.push(format!("gradient check (rel. error {worst:.1e})"));
        Ok(())
    })();
    report("SoftmaxWithLoss", parts, end)
}

//! Chapter 5's checks: the computational-graph layers, the activation layers, Affine,
//! Softmax-with-Loss, and a two-layer net assembled from them.

use ndarray::{Array1, Array2, ArrayD, IxDyn};
use rand::Rng as _;

use super::{
    Report, attempt, awkward, check_array_layer, compare, fail, grad_check, numerical, random,
    rel_error, report, shape_str,
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
            let (dap, dtax) = attempt("backward", || b.backward(1.0))?;
            let (dapple, dnum) = attempt("backward", || a.backward(dap))?;
            if (dapple, dnum, dtax) != (2.2, 110.00000000000001, 200.0) {
                return fail(format!(
                    "the apple example's backward: (dapple, dapple_num, dtax) = ({dapple}, {dnum}, {dtax}), \
                     expected (2.2, 110.00000000000001, 200): backward swaps the inputs, dx = dout·y, dy = dout·x"
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
/// exact zeros (the book's mask is x ≤ 0), inference, and a gradient check.
pub fn check_relu<L: Layer>(make: impl Fn() -> L) -> Report {
    let mut r = seeded_rng(11);
    let book = ndarray::array![[1.0, -0.5], [-2.0, 3.0]].into_dyn();
    let inputs = [
        book,
        awkward(&[1], 0, &mut r),
        awkward(&[3, 5], 4, &mut r),
        awkward(&[2, 3, 4], 5, &mut r),
    ];
    check_array_layer("Relu", make, || Box::new(layers::Relu::new()), &inputs, 12)
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
    check_array_layer(
        "Sigmoid",
        make,
        || Box::new(layers::Sigmoid::new()),
        &inputs,
        14,
    )
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
    let (w2, b2) = (w.clone(), b.clone());
    check_array_layer(
        "Affine",
        move || make(w.clone(), b.clone()),
        move || Box::new(layers::Affine::new(w2.clone(), b2.clone())),
        &inputs,
        16,
    )
}

/// Checks a softmax-with-loss layer (5.6.3) against the library's: the loss of a batch
/// (mean over the batch), of one sample, with one-hot and index labels, backward
/// (y − t) / N, and a gradient check of the loss.
pub fn check_softmax_with_loss<L: LossLayer>(make: impl Fn() -> L) -> Report {
    let mut parts = Vec::new();
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
            let dx = attempt("backward", || yours.backward(1.0))?;
            let want_dx = LossLayer::backward(&mut reference, 1.0);
            compare(&format!("backward {on}"), &dx, &want_dx, 1e-12)?;
            parts.push(format!("loss and backward {on}"));
        }
        let (x, t) = &cases[0];
        let mut yours = attempt("new", &make)?;
        attempt("forward", || yours.forward(x, t))?;
        let dx = attempt("backward", || yours.backward(1.0))?;
        let num = attempt("forward", || numerical(x, |xx| yours.forward(xx, t)))?;
        let worst = grad_check("dx", &dx, &num)?;
        parts.push(format!("gradient check (rel. error {worst:.1e})"));
        Ok(())
    })();
    report("SoftmaxWithLoss", parts, end)
}

/// Checks a two-layer net (5.7) assembled from the learner's layers: `make(W1, b1, W2,
/// b2)` returns it; its loss and gradients must equal the library's
/// [`TwoLayerNet`](crate::nets::TwoLayerNet) with the same weights, and pass a numerical
/// gradient check.
pub fn check_two_layer_net(
    make: impl Fn(Array2<f64>, Array1<f64>, Array2<f64>, Array1<f64>) -> crate::nets::Sequential,
) -> Report {
    use crate::nets::TwoLayerNet;
    let mut parts = Vec::new();
    let end = (|| {
        let mut r = seeded_rng(19);
        let mut reference = TwoLayerNet::new(6, 5, 3, 0.5, &mut r);
        let p = reference.param_values();
        let as2 = |a: &ArrayD<f64>| {
            a.clone()
                .into_dimensionality::<ndarray::Ix2>()
                .expect("2-D")
        };
        let as1 = |a: &ArrayD<f64>| {
            a.clone()
                .into_dimensionality::<ndarray::Ix1>()
                .expect("1-D")
        };
        let mut yours = attempt("building the net", || {
            make(as2(&p["W1"]), as1(&p["b1"]), as2(&p["W2"]), as1(&p["b2"]))
        })?;
        let x = awkward(&[4, 6], 0, &mut r);
        let t = ArrayD::from_shape_vec(IxDyn(&[4]), vec![0.0, 2.0, 1.0, 2.0]).expect("4 labels");
        let g = attempt("gradient", || yours.gradient(&x, &t))?;
        let want = reference.gradient(&x, &t);
        let names: Vec<&str> = g.names().collect();
        if names != ["W1", "b1", "W2", "b2"] {
            return fail(format!(
                "your net's parameters are named {names:?}, expected [\"W1\", \"b1\", \"W2\", \"b2\"] \
                 (name the layers Affine1, Relu1, Affine2)"
            ));
        }
        let loss = attempt("loss", || yours.loss(&x, &t, true))?;
        let want_loss = reference.loss(&x, &t, true);
        // with the book's cross_entropy_error (1e-7 inside the log) or without: both right
        let scores = reference.predict(&x, true);
        let book = crate::functions::cross_entropy_error(&crate::functions::softmax(&scores), &t);
        if !(rel_error(loss, want_loss) < 1e-12 || rel_error(loss, book) < 1e-12) {
            return fail(format!("loss {loss}, expected {want_loss}"));
        }
        for (name, a) in g.iter() {
            compare(&format!("gradient of {name}"), a, &want[name], 1e-10)?;
        }
        parts.push("loss and gradients equal TwoLayerNet's".into());
        // The numerical check of your layers runs with the library's loss layer: the book's
        // cross_entropy_error (1e-7 inside the log) is not exactly the function whose
        // gradient is (y − t)/N, and differs from it by relative errors of ~1e-6.
        let yours_loss = std::mem::replace(
            &mut yours.last_layer,
            Box::new(layers::SoftmaxWithLoss::new()),
        );
        let checked = attempt("numerical gradient", || {
            (yours.gradient(&x, &t), yours.numerical_gradient(&x, &t))
        });
        yours.last_layer = yours_loss;
        let (g, num) = checked?;
        let mut worst = 0.0f64;
        for (name, a) in g.iter() {
            worst = worst.max(grad_check(name, a, &num[name])?);
        }
        parts.push(format!("gradient check (rel. error {worst:.1e})"));
        Ok(())
    })();
    report("TwoLayerNet", parts, end)
}

//! The check of 5.7: a two-layer net written by the learner over their own layers.

use ndarray::{Array1, Array2, ArrayD, IxDyn};

use super::{Report, attempt, awkward, compare, fail, grad_check, rel_error, report};
use crate::init::seeded_rng;
use crate::layers;

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

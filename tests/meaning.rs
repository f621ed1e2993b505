//! What each layer *means*, against numbers derived by hand or printed in the book: a
//! gradient check compares forward with backward, so a mistake made the same way in both
//! (a loss summed instead of averaged, dropout keeping p instead of 1 − p, weight decay
//! without its ½) passes it. These tests catch those.

use dlfs::functions::{cross_entropy_error, relu_grad, sigmoid, sigmoid_grad, softmax};
use dlfs::layers::{BatchNormalization, Dropout, Layer, SoftmaxWithLoss};
use dlfs::ndarray::{Array1, ArrayD, IxDyn, array};
use dlfs::prelude::*;

#[track_caller]
fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!((a - b).abs() <= tol, "{what}: {a} (want {b}, ±{tol:e})");
}

#[test]
fn softmax_of_the_books_example() {
    // the book's example: softmax([0.3, 2.9, 4.0]) ≈ [0.01821127, 0.24519181, 0.73659691]
    let y = softmax(&array![0.3, 2.9, 4.0]);
    for (v, want) in y.iter().zip([0.01821127, 0.24519181, 0.73659691]) {
        close(*v, want, 5e-9, "softmax");
    }
    close(y.sum(), 1.0, 1e-15, "softmax sums to 1");
}

#[test]
fn softmax_survives_scores_that_overflow_exp() {
    // the book's example of overflow: softmax([1010, 1000, 990]) computed naively is NaN;
    // subtracting the maximum gives [0.99995, 4.54e-5, 2.06e-9]
    let y = softmax(&array![1010.0, 1000.0, 990.0]);
    for (v, want) in y
        .iter()
        .zip([9.999_546_0e-1, 4.539_786_9e-5, 2.061_060_0e-9])
    {
        assert!(
            (v - want).abs() <= 1e-7 * want.max(1e-2),
            "softmax {v} (want {want})"
        );
    }
    let y = softmax(&array![[1000.0, 1000.0], [-1000.0, -1000.0]]);
    assert_eq!(y, array![[0.5, 0.5], [0.5, 0.5]]);
}

#[test]
fn the_derivatives_of_sigmoid_and_relu() {
    // σ'(x) = σ(x)(1 − σ(x)): 0.25 at 0, symmetric; ReLU' is 1 for x > 0, else 0
    let x = array![-2.0, 0.0, 2.0, 5.0];
    let g = sigmoid_grad(&x);
    let s = sigmoid(&x);
    close(g[1], 0.25, 1e-15, "σ'(0)");
    close(g[0], g[2], 1e-15, "σ'(−2) = σ'(2)");
    close(g[2], 0.104_993_585_403_507_4, 1e-15, "σ'(2)");
    for i in 0..4 {
        close(g[i], s[i] * (1.0 - s[i]), 1e-15, "σ' = σ(1 − σ)");
    }
    assert_eq!(
        relu_grad(&array![-1.0, 0.0, 1e-9, 3.0]),
        array![0.0, 0.0, 1.0, 1.0]
    );
}

#[test]
fn cross_entropy_of_the_books_examples() {
    // the book's two predictions for label 2: 0.6 on the right class gives −ln(0.6 + 1e-7),
    // 0.1 gives −ln(0.1 + 1e-7)
    let t = array![0., 0., 1., 0., 0., 0., 0., 0., 0., 0.].into_dyn();
    let y1 = array![0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0].into_dyn();
    let y2 = array![0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0].into_dyn();
    close(cross_entropy_error(&y1, &t), 0.510825457099338, 1e-12, "y1");
    close(cross_entropy_error(&y2, &t), 2.302584092994546, 1e-12, "y2");
    // index labels mean the same
    let k = array![2.0].into_dyn();
    close(
        cross_entropy_error(&y1, &k),
        0.510825457099338,
        1e-12,
        "y1, label index",
    );
    // a batch of both: the mean of the two
    let y = dlfs::ndarray::stack(dlfs::ndarray::Axis(0), &[y1.view(), y2.view()]).unwrap();
    let tt = array![2.0, 2.0].into_dyn();
    let mean = (0.510825457099338 + 2.302584092994546) / 2.0;
    close(
        cross_entropy_error(&y, &tt),
        mean,
        1e-12,
        "batch of two: the mean",
    );
}

#[test]
fn argmax_takes_the_first_of_equal_maxima_like_numpy() {
    use dlfs::functions::argmax;
    assert_eq!(argmax([1.0, 3.0, 3.0, 2.0]), 1);
    assert_eq!(argmax([-1.0, -1.0]), 0);
    assert_eq!(argmax([0.1, 0.2, 0.7]), 2);
}

#[test]
fn uniform_scores_give_ln_c_and_the_mean_over_the_batch() {
    // scores all equal: softmax is 1/C for every class, the loss ln C whatever the labels,
    // and ∂L/∂x = (1/C − t)/N (the mean over a batch of N)
    for (n, c) in [(1, 10), (4, 10), (5, 3)] {
        let x = ArrayD::from_elem(IxDyn(&[n, c]), 0.7);
        let labels: Vec<f64> = (0..n).map(|i| (i % c) as f64).collect();
        let t = Array1::from(labels.clone()).into_dyn();
        let mut layer = SoftmaxWithLoss::new();
        let loss = layer.forward(&x, &t);
        close(loss, (c as f64).ln(), 1e-6, &format!("N {n}, C {c}: loss"));
        // the probabilities it keeps for backward (and shows): 1/C each
        let y = layer.output().expect("forward keeps its softmax output");
        assert!(y.iter().all(|v| (v - 1.0 / c as f64).abs() < 1e-15), "{y}");
        let dx = layer.backward(1.0);
        for i in 0..n {
            for j in 0..c {
                let t_ij = if j == labels[i] as usize { 1.0 } else { 0.0 };
                let want = (1.0 / c as f64 - t_ij) / n as f64;
                close(
                    dx[[i, j]],
                    want,
                    1e-15,
                    &format!("N {n}, C {c}: dx[{i}, {j}]"),
                );
            }
        }
    }
}

#[test]
fn a_batch_loss_is_the_mean_of_the_samples_losses() {
    let mut r = seeded_rng(3);
    let x = randn(IxDyn(&[6, 4]), &mut r);
    let t = array![0.0, 3.0, 1.0, 1.0, 2.0, 0.0].into_dyn();
    let mut layer = SoftmaxWithLoss::new();
    let batch = layer.forward(&x, &t);
    let dx = layer.backward(1.0);
    let mut sum = 0.0;
    for i in 0..6 {
        let xi = x
            .slice(dlfs::ndarray::s![i..i + 1, ..])
            .to_owned()
            .into_dyn();
        let ti = t.slice(dlfs::ndarray::s![i..i + 1]).to_owned().into_dyn();
        let mut one = SoftmaxWithLoss::new();
        sum += one.forward(&xi, &ti);
        let dxi = one.backward(1.0);
        for j in 0..4 {
            close(
                dx[[i, j]],
                dxi[[0, j]] / 6.0,
                1e-16,
                "dx is the sample's / N",
            );
        }
    }
    close(
        batch,
        sum / 6.0,
        1e-12,
        "batch loss = mean of the samples' losses",
    );
}

#[test]
fn dropout_keeps_one_minus_p_scaled_by_its_inverse() {
    // inverted dropout, p = 0.3: a value is kept with probability 0.7 and then scaled by
    // 1/0.7; E[out] = x in training, and inference passes x through
    let (p, n) = (0.3, 100_000);
    let mut d = Dropout::new(p, 5);
    let x = ArrayD::from_shape_fn(IxDyn(&[100, 1000]), |i| 1.0 + (i[1] % 7) as f64);
    let y = d.forward(&x, true);
    let kept = y.iter().filter(|v| **v != 0.0).count() as f64 / n as f64;
    // binomial: sd = √(0.7·0.3/1e5) = 0.0014; ±0.005 is 3.5 sd (and the mask is seeded)
    close(kept, 1.0 - p, 0.005, "kept fraction");
    for (yv, xv) in y.iter().zip(x.iter()) {
        assert!(
            *yv == 0.0 || *yv == xv / (1.0 - p),
            "kept value {yv} of {xv}"
        );
    }
    close(
        y.mean().unwrap(),
        x.mean().unwrap(),
        0.02,
        "E[out] = E[x] in training",
    );
    assert_eq!(d.forward(&x, false), x, "inference is the identity");
    // and backward after an inference forward passes dout through
    let ones = ArrayD::ones(IxDyn(&[100, 1000]));
    assert_eq!(d.backward(&ones), ones, "backward after inference");
    // backward after the training forward: dout · mask / (1 − p)
    d.forward(&x, true);
    let mask_out = d.forward(&x, true);
    let dx = d.backward(&ArrayD::ones(IxDyn(&[100, 1000])));
    for ((g, yv), xv) in dx.iter().zip(mask_out.iter()).zip(x.iter()) {
        let want = if *yv == 0.0 { 0.0 } else { 1.0 / (1.0 - p) };
        assert_eq!(*g, want, "dx where out = {yv} (x = {xv})");
    }
}

#[test]
fn batch_norm_running_statistics_after_k_steps() {
    // the same batch k times, momentum 0.9, from the library's start (mean 0, var 1):
    // running_mean = (1 − 0.9^k)·μ and running_var = 0.9^k·1 + (1 − 0.9^k)·σ², with the
    // batch's μ and σ² (÷ N, not N − 1). Column 0 is [1, 2, 3, 6]: μ = 3, σ² = 3.5; column
    // 1 is [−2, 0, 0, 2]: μ = 0, σ² = 2.
    let x = array![[1.0, -2.0], [2.0, 0.0], [3.0, 0.0], [6.0, 2.0]].into_dyn();
    let mut bn = BatchNormalization::new(2);
    for k in 1..=4 {
        bn.forward(&x, true);
        let decay = 0.9f64.powi(k);
        for (c, (mu, var)) in [(3.0, 3.5), (0.0, 2.0)].into_iter().enumerate() {
            close(
                bn.running_mean[c],
                (1.0 - decay) * mu,
                1e-14,
                &format!("k {k}: mean {c}"),
            );
            close(
                bn.running_var[c],
                decay + (1.0 - decay) * var,
                1e-14,
                &format!("k {k}: var {c}"),
            );
        }
    }
    // an inference forward uses them and leaves them as they are
    let before = (bn.running_mean.clone(), bn.running_var.clone());
    let y = bn.forward(&x, false);
    let (m, v) = (bn.running_mean[0], bn.running_var[0]);
    // γ = 1, β = 0; ε is the book's 10e-7 (= 1e-6)
    assert_eq!(bn.eps, 1e-6);
    close(
        y[[3, 0]],
        (6.0 - m) / (v + 1e-6).sqrt(),
        1e-12,
        "inference output",
    );
    assert_eq!((bn.running_mean.clone(), bn.running_var.clone()), before);
}

#[test]
fn weight_decay_adds_half_lambda_w_squared_to_weights_only() {
    // MultiLayerNetExtend with batch norm: the penalty is ½λΣ‖W‖² over W1, W2, W3, never
    // over biases, gamma or beta; the gradient gains λW on the weights and nothing else
    let mut r = seeded_rng(9);
    let x = randn(IxDyn(&[5, 4]), &mut r);
    let t = array![0.0, 2.0, 1.0, 1.0, 0.0].into_dyn();
    let opts = |lambda| ExtendOptions {
        use_batchnorm: true,
        weight_decay_lambda: lambda,
        ..Default::default()
    };
    let lambda = 0.07;
    let mut plain = MultiLayerNetExtend::new(4, &[6, 5], 3, opts(0.0), &mut seeded_rng(10));
    let mut decayed = MultiLayerNetExtend::new(4, &[6, 5], 3, opts(lambda), &mut seeded_rng(10));
    let w = plain.param_values();
    let penalty: f64 = ["W1", "W2", "W3"]
        .iter()
        .map(|n| 0.5 * lambda * w[*n].mapv(|v| v * v).sum())
        .sum();
    let (l0, l1) = (plain.loss(&x, &t, true), decayed.loss(&x, &t, true));
    close(l1 - l0, penalty, 1e-12, "loss difference = ½λΣ‖W‖²");
    let (g0, g1) = (plain.gradient(&x, &t), decayed.gradient(&x, &t));
    for name in w.names() {
        let extra = &g1[name] - &g0[name];
        let want = if name.starts_with('W') {
            &w[name] * lambda
        } else {
            ArrayD::zeros(w[name].raw_dim())
        };
        let off = (&extra - &want).iter().fold(0.0f64, |m, d| m.max(d.abs()));
        assert!(
            off < 1e-12,
            "{name}: gradient gains λW on weights only (off by {off:e})"
        );
    }
}

#[test]
fn labels_as_indices_one_hot_or_a_single_number() {
    use dlfs::functions::label_indices;
    let one_hot = array![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]].into_dyn();
    assert_eq!(label_indices(&one_hot, 2, 3), [2, 0]);
    assert_eq!(label_indices(&array![2.0, 0.0].into_dyn(), 2, 3), [2, 0]);
    // one sample may carry its label as a 0-d array
    let scalar = dlfs::ndarray::arr0(1.0).into_dyn();
    assert_eq!(label_indices(&scalar, 1, 3), [1]);
    // but not for a batch of two
    let two = std::panic::catch_unwind(|| label_indices(&scalar, 2, 3));
    assert!(two.is_err(), "a 0-d label for a batch of 2 must be refused");
    // class indices run 0..C: C itself, negatives and fractions are refused
    for bad in [3.0, -1.0, 1.5] {
        let t = array![0.0, bad].into_dyn();
        let r = std::panic::catch_unwind(|| label_indices(&t, 2, 3));
        assert!(r.is_err(), "label {bad} with 3 classes must be refused");
    }
    assert_eq!(label_indices(&array![0.0, 2.0].into_dyn(), 2, 3), [0, 2]);
}

#[test]
fn the_gradient_checks_own_arithmetic() {
    use dlfs::gradient::{abs_diff, max_rel_error, rel_error};
    let a = array![1.0, 2.0, 3.0, -4.0].into_dyn();
    let b = array![1.0, 1.0, 5.0, -4.0].into_dyn();
    // |a − b| = 0, 1, 2, 0: the max and the mean (what the book prints)
    assert_eq!(abs_diff(&a, &b), (2.0, 0.75));
    // relative: 0, 1/2, 2/5, 0; the largest and its (first) index
    assert_eq!(max_rel_error(&a, &b), (0.5, 1));
    let tie = array![1.0, 1.0].into_dyn();
    assert_eq!(max_rel_error(&tie, &(&tie * 2.0)), (0.5, 0));
    // below the floor 1e-4 the difference is measured against the floor
    close(rel_error(3e-5, 1e-5), 0.2, 1e-15, "tiny numbers");
    let nan = array![1.0, f64::NAN, 2.0].into_dyn();
    let (e, at) = max_rel_error(&nan, &a.slice(dlfs::ndarray::s![..3]).to_owned().into_dyn());
    assert!(e.is_nan() && at == 1, "a NaN is reported, at its index");
}

/// A single sample as a vector (the book's `x = np.array([...])`): forward gives a vector,
/// backward takes one; dW = x ⊗ dout, db = dout, dx = W·dout.
#[test]
fn affine_on_one_sample_as_a_vector() {
    let w = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
    let mut a = dlfs::layers::Affine::new(w, array![0.5, -0.5]);
    let y = a.forward(&array![1.0, 0.0, -1.0].into_dyn(), true);
    assert_eq!(y, array![-3.5, -4.5].into_dyn());
    let dx = a.backward(&array![1.0, 2.0].into_dyn());
    assert_eq!(dx, array![5.0, 11.0, 17.0].into_dyn());
    assert_eq!(
        a.dW,
        array![[1.0, 2.0], [0.0, 0.0], [-1.0, -2.0]].into_dyn()
    );
    assert_eq!(a.db, array![1.0, 2.0].into_dyn());
}

/// A network's first layer computes its parameters' gradients only (`backward_params`):
/// Affine skips the ∂L/∂x product, and its own gradients are those of `backward`.
#[test]
fn affine_backward_params_keeps_the_gradients_of_backward() {
    let w = array![[1.0, 2.0], [3.0, 4.0]];
    let x = array![[1.0, -1.0], [0.5, 2.0]].into_dyn();
    let dout = array![[1.0, 0.0], [0.0, 1.0]].into_dyn();
    let mut full = dlfs::layers::Affine::new(w.clone(), array![0.0, 0.0]);
    let mut first = dlfs::layers::Affine::new(w, array![0.0, 0.0]);
    full.forward(&x, true);
    first.forward(&x, true);
    assert_eq!(full.backward(&dout).shape(), &[2, 2]);
    first.backward_params(&dout);
    assert_eq!(first.dW, full.dW);
    assert_eq!(first.db, full.db);
}

/// `Sequential::backprop` calls `backward_params` on its first layer only: a first layer
/// that counts its calls sees no `backward`, and the second layer sees `backward`.
#[test]
fn backprop_asks_the_first_layer_for_parameter_gradients_only() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static FULL: AtomicUsize = AtomicUsize::new(0);
    static PARAMS: AtomicUsize = AtomicUsize::new(0);
    struct Counting(dlfs::layers::Relu);
    impl Layer for Counting {
        fn forward(
            &mut self,
            x: &dlfs::ndarray::ArrayRef<f64, dlfs::ndarray::IxDyn>,
            train: bool,
        ) -> ArrayD<f64> {
            self.0.forward(x, train)
        }
        fn backward(
            &mut self,
            dout: &dlfs::ndarray::ArrayRef<f64, dlfs::ndarray::IxDyn>,
        ) -> ArrayD<f64> {
            FULL.fetch_add(1, Ordering::SeqCst);
            self.0.backward(dout)
        }
        fn backward_params(&mut self, _dout: &dlfs::ndarray::ArrayRef<f64, dlfs::ndarray::IxDyn>) {
            PARAMS.fetch_add(1, Ordering::SeqCst);
        }
    }
    let mut net = dlfs::nets::Sequential::new();
    net.push("Relu0", Counting(dlfs::layers::Relu::new()));
    net.push(
        "Affine1",
        dlfs::layers::Affine::new(array![[1.0, 0.0], [0.0, 1.0]], array![0.0, 0.0]),
    );
    net.backprop(&array![[1.0, -1.0]].into_dyn(), &array![1.0].into_dyn());
    assert_eq!(
        (FULL.load(Ordering::SeqCst), PARAMS.load(Ordering::SeqCst)),
        (0, 1)
    );
}

/// A learner may assign W a transposed array (numpy's `conv.W = w.transpose(...)`): the
/// layer computes with its values, not its memory order.
#[test]
fn convolution_with_a_transposed_w_computes_the_same() {
    let mut r = seeded_rng(5);
    let w: dlfs::ndarray::Array4<f64> = randn((2, 1, 3, 3), &mut r);
    let x = randn((1, 1, 5, 5), &mut r).into_dyn();
    let mut plain = dlfs::layers::Convolution::new(w.clone(), array![0.1, -0.2], 1, 1);
    let mut assigned = dlfs::layers::Convolution::new(w.clone(), array![0.1, -0.2], 1, 1);
    // the same values, stored with the last two axes swapped
    let swapped = w
        .permuted_axes([0, 1, 3, 2])
        .as_standard_layout()
        .into_owned();
    assigned.W = swapped.permuted_axes([0, 1, 3, 2]).into_dyn();
    assert!(
        assigned.W.as_slice().is_none(),
        "W is not in standard layout"
    );
    assert_eq!(assigned.forward(&x, true), plain.forward(&x, true));
}

/// The book's layer names and kinds, read through `Deref` (`&Sequential`): TwoLayerNet's
/// Affine1, Relu1, Affine2; MultiLayerNet
/// alternates `Affine{i}` and `Activation_function{i}` (ReLU or sigmoid as asked) and ends
/// with an Affine; MultiLayerNetExtend adds `BatchNorm{i}` before and `Dropout{i}` after
/// each activation.
#[test]
fn multi_layer_nets_are_named_as_in_the_book() {
    use dlfs::nets::{Activation, ExtendOptions, MultiLayerNetExtend, Sequential};
    let names = |s: &Sequential| format!("{s:?}");
    let two = TwoLayerNet::new(4, 3, 2, 0.01, &mut seeded_rng(1));
    assert_eq!(
        names(&two),
        "Sequential [Affine1 (Affine), Relu1 (Relu), Affine2 (Affine)]"
    );
    let relu = MultiLayerNet::new(4, &[3, 3], 2, "relu", "he", 0.0, &mut seeded_rng(1));
    assert_eq!(
        names(&relu),
        "Sequential [Affine1 (Affine), Activation_function1 (Relu), Affine2 (Affine), \
         Activation_function2 (Relu), Affine3 (Affine)]"
    );
    let sigmoid = MultiLayerNet::new(4, &[3], 2, "sigmoid", "xavier", 0.0, &mut seeded_rng(1));
    assert_eq!(
        names(&sigmoid),
        "Sequential [Affine1 (Affine), Activation_function1 (Sigmoid), Affine2 (Affine)]"
    );
    let options = ExtendOptions {
        use_batchnorm: true,
        use_dropout: true,
        activation: Activation::Sigmoid,
        ..Default::default()
    };
    let extend = MultiLayerNetExtend::new(4, &[3], 2, options, &mut seeded_rng(1));
    assert_eq!(
        names(&extend),
        "Sequential [Affine1 (Affine), BatchNorm1 (BatchNormalization), \
         Activation_function1 (Sigmoid), Dropout1 (Dropout), Affine2 (Affine)]"
    );
}

/// Activation names as the book writes them, in any case, and a clear refusal otherwise.
#[test]
fn activations_parse_from_the_books_names() {
    use dlfs::nets::Activation;
    assert_eq!("relu".parse::<Activation>(), Ok(Activation::Relu));
    assert_eq!(" Sigmoid".parse::<Activation>(), Ok(Activation::Sigmoid));
    assert_eq!(Activation::from("ReLU"), Activation::Relu);
    assert_eq!(Activation::from("sigmoid"), Activation::Sigmoid);
    assert_eq!(
        "tanh".parse::<Activation>(),
        Err("activation \"tanh\" is not \"relu\" or \"sigmoid\"".to_string())
    );
    let panic = std::panic::catch_unwind(|| Activation::from("tanh")).unwrap_err();
    assert_eq!(
        panic.downcast_ref::<String>().map(String::as_str),
        Some("activation \"tanh\" is not \"relu\" or \"sigmoid\"")
    );
}

/// A gradient check's summary: the largest absolute and relative differences over the
/// parameters (NaN wins), the parameters whose gradient is zero everywhere, lookup by name.
#[test]
fn a_gradient_checks_summary_of_its_entries() {
    use dlfs::nets::{GradCheck, GradCheckEntry};
    let entry = |name: &str, abs: f64, rel: f64, grad: f64| GradCheckEntry {
        name: name.to_string(),
        max_abs_diff: abs,
        mean_abs_diff: abs / 2.0,
        max_rel_error: rel,
        max_abs_grad: grad,
    };
    let check = GradCheck(vec![
        entry("W1", 2e-9, 3e-7, 0.5),
        entry("b1", 5e-9, 1e-8, 0.0),
        entry("W2", 1e-9, 4e-6, 2.0),
    ]);
    assert_eq!(check.max_abs_diff(), 5e-9);
    assert_eq!(check.max_rel_error(), 4e-6);
    assert_eq!(check.all_zero(), vec!["b1"]);
    assert_eq!(check.get("W2").map(|e| e.max_rel_error), Some(4e-6));
    assert_eq!(check.get("b2"), None);
    let mut with_nan = check.clone();
    with_nan.0[1].max_rel_error = f64::NAN;
    assert!(
        with_nan.max_rel_error().is_nan(),
        "a NaN error must not hide behind a max"
    );
    with_nan.0.swap(1, 2);
    assert!(with_nan.max_rel_error().is_nan(), "nor when it comes last");
    assert_eq!(GradCheck(vec![]).max_rel_error(), 0.0);
}

/// `numerical_gradient` leaves batch norm's running mean and variance as they were (each
/// restored into its own buffer).
#[test]
fn the_numerical_gradient_restores_the_running_statistics() {
    use dlfs::nets::{ExtendOptions, MultiLayerNetExtend};
    let options = ExtendOptions {
        use_batchnorm: true,
        ..Default::default()
    };
    let mut net = MultiLayerNetExtend::new(3, &[4], 2, options, &mut seeded_rng(2));
    let x = randn((5, 3), &mut seeded_rng(3)).into_dyn();
    let t = Array1::from_vec(vec![0.0, 1.0, 1.0, 0.0, 1.0]).into_dyn();
    net.loss(&x, &t, true); // running statistics move away from (0, 1)
    let before = net.buffer_values();
    assert_ne!(before["running_mean1"], ArrayD::zeros(IxDyn(&[4])));
    net.numerical_gradient(&x, &t);
    assert_eq!(net.buffer_values(), before);
}

/// Weight decay takes the weights by what they are (2 or more axes), whatever a layer
/// names them: a learner's layer calling its weight `w` is penalised like the book's `W`,
/// and its 1-D `bias` is not.
#[test]
fn weight_decay_takes_weights_by_kind_not_by_name() {
    #[derive(Debug)]
    struct Mine {
        w: ArrayD<f64>,
        bias: ArrayD<f64>,
        dw: ArrayD<f64>,
        dbias: ArrayD<f64>,
    }
    impl Layer for Mine {
        fn forward(&mut self, x: &dlfs::ndarray::ArrayRef<f64, IxDyn>, _: bool) -> ArrayD<f64> {
            x.to_owned()
        }
        fn backward(&mut self, dout: &dlfs::ndarray::ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
            self.dw.fill(0.0);
            self.dbias.fill(0.0);
            dout.to_owned()
        }
        fn params(&mut self) -> Vec<dlfs::layers::ParamRef<'_>> {
            vec![
                dlfs::layers::ParamRef::new("w", &mut self.w, &mut self.dw),
                dlfs::layers::ParamRef::new("bias", &mut self.bias, &mut self.dbias),
            ]
        }
    }
    let mine = Mine {
        w: array![[1.0, 2.0], [3.0, 4.0]].into_dyn(),
        bias: array![5.0, 6.0].into_dyn(),
        dw: ArrayD::zeros(IxDyn(&[2, 2])),
        dbias: ArrayD::zeros(IxDyn(&[2])),
    };
    let mut net = dlfs::nets::Sequential::new();
    net.push("Mine1", mine);
    net.weight_decay_lambda = 0.5;
    let (x, t) = (array![[0.0, 0.0]].into_dyn(), array![0.0].into_dyn());
    let plain = 2f64.ln(); // equal scores for 2 classes
    let loss = net.backprop(&x, &t);
    // ½λΣw² = ½·0.5·(1 + 4 + 9 + 16) = 7.5; the bias (25 + 36) is not in it
    assert!((loss - plain - 7.5).abs() < 1e-12, "loss {loss}");
    let p = net.params();
    assert_eq!(
        *p[0].grad,
        array![[0.5, 1.0], [1.5, 2.0]].into_dyn(),
        "λw added to w's gradient"
    );
    assert_eq!(
        *p[1].grad,
        array![0.0, 0.0].into_dyn(),
        "no decay on the 1-D bias"
    );
}

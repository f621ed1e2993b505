//! A diverged or empty run never passes for a plausible result: diverging training stops
//! with a message, NaN networks and empty sets give NaN accuracies, a batch of 0 has no
//! loss, and a bad label is named with its sample.

mod common;

use common::blobs;
use dlfs::prelude::*;

fn config() -> TrainerConfig {
    TrainerConfig {
        epochs: 5,
        mini_batch_size: 10,
        verbose: false,
        ..Default::default()
    }
}

#[test]
fn a_huge_learning_rate_stops_as_diverged() {
    // labels that no boundary separates: confident scores are then confidently wrong
    let (x, _) = blobs();
    let t = Array1::from_shape_fn(40, |i| ((i * 7 + i / 3) % 2) as f64).into_dyn();
    for (name, opt) in [
        ("SGD", Box::new(SGD::new(1e6)) as Box<dyn Optimizer>),
        ("Momentum", Box::new(Momentum::new(1e6))),
        ("Adam", Box::new(Adam::new(1e6))),
    ] {
        let mut net = TwoLayerNet::new(2, 8, 2, 0.5, &mut seeded_rng(1));
        let mut trainer = Trainer::new(&mut net, &x, &t, &x, &t, opt, config());
        let err = trainer.train().expect_err(name);
        let text = err.to_string();
        assert!(
            matches!(
                err,
                TrainError::Diverged { .. } | TrainError::NonFiniteLoss { .. }
            ),
            "{name}: {text}"
        );
        assert!(
            text.contains("learning rate is probably too large"),
            "{name}: {text}"
        );
        assert!(trainer.final_test_acc.is_none(), "{name}");
    }
}

#[test]
fn the_divergence_rule_names_the_loss_rise() {
    let (x, t) = blobs();
    let mut net = TwoLayerNet::new(2, 8, 2, 0.5, &mut seeded_rng(1));
    let mut trainer = Trainer::new(&mut net, &x, &t, &x, &t, Box::new(SGD::new(1e6)), config());
    let text = trainer.train().unwrap_err().to_string();
    assert!(
        text.starts_with("training diverged at iteration 2 (epoch 1): the loss"),
        "{text}"
    );
    assert!(text.contains("× the first step's loss"), "{text}");
}

/// An identity layer with one parameter whose gradient turns NaN (a stand-in for an
/// overflowing gradient).
struct NanGrad {
    w: ArrayD<f64>,
    dw: ArrayD<f64>,
}

impl Layer for NanGrad {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        x.to_owned()
    }
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        self.dw.fill(f64::NAN);
        dout.to_owned()
    }
    fn params(&mut self) -> Vec<ParamRef<'_>> {
        vec![ParamRef::new("w", &mut self.w, &mut self.dw)]
    }
}

#[test]
fn a_non_finite_gradient_stops_training_before_the_update() {
    let (x, t) = blobs();
    let mut net = Sequential::new();
    let w = Array2::from_shape_fn((2, 2), |(i, j)| (i + 2 * j) as f64 * 0.1);
    net.push("Affine1", Affine::new(w, Array1::zeros(2)));
    net.push(
        "Odd1",
        NanGrad {
            w: ArrayD::zeros(IxDyn(&[1])),
            dw: ArrayD::zeros(IxDyn(&[1])),
        },
    );
    let before = net.param_values();
    let mut trainer = Trainer::new(&mut net, &x, &t, &x, &t, Box::new(SGD::new(0.1)), config());
    let err = trainer.train().unwrap_err().to_string();
    assert!(
        err.starts_with("training diverged at iteration 1 (epoch 1): the gradient of w1 holds NaN"),
        "{err}"
    );
    drop(trainer);
    assert_eq!(net.param_values().0, before.0, "no update was applied");
}

#[test]
fn an_ordinary_run_is_not_called_diverged() {
    let (x, t) = blobs();
    let mut net = TwoLayerNet::new(2, 8, 2, 0.5, &mut seeded_rng(1));
    let mut trainer = Trainer::new(&mut net, &x, &t, &x, &t, Box::new(SGD::new(0.5)), config());
    trainer.train().unwrap();
    assert_eq!(trainer.final_test_acc, Some(1.0));
}

#[test]
fn nan_parameters_give_a_nan_accuracy_not_a_score() {
    let (x, _) = blobs();
    let mut net = TwoLayerNet::new(2, 8, 2, 0.5, &mut seeded_rng(1));
    for p in net.params() {
        p.value.fill(f64::NAN);
    }
    let zeros = ArrayD::zeros(IxDyn(&[40]));
    assert!(net.accuracy(&x, &zeros).is_nan(), "all-zero labels");
    let ones = ArrayD::ones(IxDyn(&[40]));
    assert!(net.accuracy(&x, &ones).is_nan(), "all-one labels");
}

#[test]
fn an_empty_set_has_no_accuracy() {
    let mut net = TwoLayerNet::new(2, 8, 2, 0.5, &mut seeded_rng(1));
    let x = ArrayD::zeros(IxDyn(&[0, 2]));
    let t = ArrayD::zeros(IxDyn(&[0]));
    assert!(net.accuracy(&x, &t).is_nan());
}

#[test]
fn a_trainer_refuses_an_empty_test_set() {
    let (x, t) = blobs();
    let (xe, te) = (ArrayD::zeros(IxDyn(&[0, 2])), ArrayD::zeros(IxDyn(&[0])));
    let mut net = TwoLayerNet::new(2, 8, 2, 0.5, &mut seeded_rng(1));
    let mut trainer = Trainer::new(
        &mut net,
        &x,
        &t,
        &xe,
        &te,
        Box::new(SGD::new(0.1)),
        config(),
    );
    let err = trainer.train().unwrap_err();
    assert!(matches!(err, TrainError::Config(_)), "{err}");
    assert!(err.to_string().contains("x_test holds no samples"), "{err}");
}

#[test]
fn a_trainer_names_the_first_bad_label() {
    let (x, mut t) = blobs();
    t[17] = 12.0;
    let mut net = TwoLayerNet::new(2, 8, 2, 0.5, &mut seeded_rng(1));
    let (xt, tt) = blobs();
    let mut trainer = Trainer::new(
        &mut net,
        &x,
        &t,
        &xt,
        &tt,
        Box::new(SGD::new(0.1)),
        config(),
    );
    let err = trainer.train().unwrap_err().to_string();
    assert!(err.contains("t_train[17] = 12"), "{err}");
    assert!(err.contains("2 outputs"), "{err}");
    let mut t2 = tt.clone();
    t2[3] = 0.5;
    let mut net = TwoLayerNet::new(2, 8, 2, 0.5, &mut seeded_rng(1));
    let mut trainer = Trainer::new(
        &mut net,
        &x,
        &tt,
        &xt,
        &t2,
        Box::new(SGD::new(0.1)),
        config(),
    );
    let err = trainer.train().unwrap_err().to_string();
    assert!(err.contains("t_test[3] = 0.5"), "{err}");
    let one_hot = ArrayD::zeros(IxDyn(&[40, 3]));
    let mut net = TwoLayerNet::new(2, 8, 2, 0.5, &mut seeded_rng(1));
    let mut trainer = Trainer::new(
        &mut net,
        &x,
        &one_hot,
        &xt,
        &tt,
        Box::new(SGD::new(0.1)),
        config(),
    );
    let err = trainer.train().unwrap_err().to_string();
    assert!(err.contains("one-hot labels of shape [40, 3]"), "{err}");
}

#[test]
fn a_bad_label_outside_a_trainer_names_its_sample() {
    let mut net = TwoLayerNet::new(2, 8, 2, 0.5, &mut seeded_rng(1));
    let (x, mut t) = blobs();
    t[5] = 7.0;
    let msg = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| net.loss(&x, &t, true)))
        .unwrap_err();
    let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("sample 5 has label 7"), "{msg}");
}

#[test]
fn a_batch_of_zero_has_no_loss() {
    let empty = ArrayD::<f64>::zeros(IxDyn(&[0, 3]));
    let labels = ArrayD::<f64>::zeros(IxDyn(&[0]));
    let msg = |f: &dyn Fn()| {
        let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_err();
        e.downcast_ref::<String>().cloned().unwrap_or_default()
    };
    let m = msg(&|| {
        SoftmaxWithLoss::new().forward(&empty, &labels);
    });
    assert!(
        m.contains("SoftmaxWithLoss.forward: a batch of 0 samples"),
        "{m}"
    );
    let m = msg(&|| {
        cross_entropy_error(&empty, &labels);
    });
    assert!(
        m.contains("cross_entropy_error: a batch of 0 samples"),
        "{m}"
    );
}

#[test]
fn relu_keeps_nan() {
    let y = relu(&array![f64::NAN, -1.0, 2.0]);
    assert!(y[0].is_nan());
    assert_eq!((y[1], y[2]), (0.0, 2.0));
    let mut layer = Relu::new();
    let y = layer.forward(&array![f64::NAN, -1.0].into_dyn(), false);
    assert!(y[0].is_nan());
}

#[test]
fn predicting_zero_rows_gives_zero_rows() {
    let mut r = seeded_rng(2);
    let mut two = TwoLayerNet::new(4, 5, 3, 0.1, &mut r);
    assert_eq!(
        two.predict_batched(&ArrayD::zeros(IxDyn(&[0, 4]))).shape(),
        &[0, 3]
    );
    let opts = ExtendOptions {
        use_batchnorm: true,
        use_dropout: true,
        ..Default::default()
    };
    let mut ext = MultiLayerNetExtend::new(4, &[5, 5], 3, opts, &mut r);
    assert_eq!(
        ext.predict_batched(&ArrayD::zeros(IxDyn(&[0, 4]))).shape(),
        &[0, 3]
    );
    let config = ConvNetConfig {
        input_dim: (1, 8, 8),
        filter_num: 2,
        hidden_size: 5,
        output_size: 3,
        ..Default::default()
    };
    let mut conv = SimpleConvNet::new(config, &mut r);
    let y = conv.predict_batched(&ArrayD::zeros(IxDyn(&[0, 1, 8, 8])));
    assert_eq!(y.shape(), &[0, 3]);
}

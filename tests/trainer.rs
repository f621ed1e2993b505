//! Trainer: learns a small separable problem deterministically; stops on a NaN loss.

use dlfs::prelude::*;
use dlfs::trainer::DIVERGED_LOSS_FACTOR;

/// Three Gaussian blobs in 2-D, well apart; labels 0, 1, 2.
fn blobs(n: usize, seed: u64) -> (ArrayD<f64>, ArrayD<f64>) {
    let mut r = seeded_rng(seed);
    let centers = [[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]];
    let labels = choice(3, n, &mut r);
    let noise = randn((n, 2), &mut r) * 0.4;
    let x = Array2::from_shape_fn((n, 2), |(i, j)| centers[labels[i]][j] + noise[[i, j]]);
    let t = Array1::from_iter(labels.iter().map(|&k| k as f64));
    (x.into_dyn(), t.into_dyn())
}

/// Six epochs of SGD on the blobs (10 steps each); what was printed and recorded.
fn blob_run(
    seed: u64,
    verbose: bool,
    print_loss_every: Option<usize>,
) -> (Vec<String>, TrainReport) {
    let (x_train, t_train) = blobs(300, 1);
    let (x_test, t_test) = blobs(100, 2);
    let mut net = TwoLayerNet::new(2, 10, 3, 0.01, &mut seeded_rng(3));
    let config = TrainerConfig {
        epochs: 6,
        mini_batch_size: 30,
        seed,
        verbose,
        print_loss_every,
        ..Default::default()
    };
    let mut trainer = Trainer::new(
        &mut net,
        &x_train,
        &t_train,
        &x_test,
        &t_test,
        Box::new(SGD::new(0.2)),
        config,
    );
    trainer.train().unwrap();
    let debug = format!("{trainer:?}");
    assert!(
        debug.starts_with("Trainer { network: Sequential [Affine1 (Affine), Relu1 (Relu)")
            && debug.contains("steps done: 60"),
        "{debug}"
    );
    (trainer.printed.clone(), trainer.report())
}

fn run(seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>, Option<f64>) {
    let r = blob_run(seed, true, Some(25)).1;
    (
        r.train_loss_list,
        r.train_acc_list,
        r.test_acc_list,
        r.final_test_acc,
    )
}

#[test]
fn learns_a_separable_problem_deterministically() {
    let (loss, train_acc, test_acc, final_acc) = run(7);
    assert_eq!(loss.len(), 6 * 10);
    assert_eq!(train_acc.len(), 6);
    assert_eq!(test_acc.len(), 6);
    let first: f64 = loss[..5].iter().sum::<f64>() / 5.0;
    let last: f64 = loss[55..].iter().sum::<f64>() / 5.0;
    println!("loss {first:.4} -> {last:.4}, train acc {train_acc:?}, test acc {test_acc:?}");
    assert!(first > 1.0 && last < 0.3, "loss {first} -> {last}");
    assert!(train_acc[5] > 0.95 && test_acc[5] > 0.95);
    assert_eq!(final_acc, Some(test_acc[5]));
    // same seed, same run
    assert_eq!(run(7).0, loss);
    // another seed draws other mini-batches
    assert_ne!(run(8).0, loss);
}

#[test]
fn a_nan_sample_is_named_before_training() {
    let (mut x, t) = blobs(100, 4);
    // one sample of NaN: named when training starts, whatever the learning rate (it used
    // to surface as a NaN loss "because the learning rate is too large")
    x[[37, 0]] = f64::NAN;
    let mut net = MultiLayerNet::new(2, &[20, 20], 3, "relu", "he", 0.0, &mut seeded_rng(5));
    let before = net.param_values();
    let config = TrainerConfig {
        epochs: 50,
        mini_batch_size: 10,
        verbose: false,
        ..Default::default()
    };
    let mut trainer = Trainer::new(&mut net, &x, &t, &x, &t, Box::new(SGD::new(1e-6)), config);
    let err = trainer.train().unwrap_err();
    assert_eq!(
        err.to_string(),
        "trainer: x_train holds NaN at index [37, 0] (sample 37): a NaN or infinite value \
         makes the loss NaN whatever the learning rate; clean or drop that sample"
    );
    assert!(trainer.train_loss_list.is_empty());
    assert_eq!(trainer.final_test_acc, None);
    drop(trainer);
    assert_eq!(net.param_values().0, before.0);
}

#[test]
fn mismatched_data_is_a_config_error() {
    let (x, t) = blobs(10, 6);
    let t_short = t.slice(s![..9]).to_owned().into_dyn();
    let mut net = TwoLayerNet::new(2, 4, 3, 0.1, &mut seeded_rng(0));
    let config = TrainerConfig {
        verbose: false,
        ..Default::default()
    };
    let mut trainer = Trainer::new(
        &mut net,
        &x,
        &t_short,
        &x,
        &t,
        Box::new(SGD::new(0.1)),
        config,
    );
    let err = trainer.train().unwrap_err();
    assert!(matches!(err, TrainError::Config(_)));
    assert!(
        err.to_string().contains("[10, 2]") && err.to_string().contains("[9]"),
        "{err}"
    );
}

/// `run` (one statement, optimizer by value) records what `train` + `report` record, and a
/// boxed optimizer trains the same as the unboxed one.
#[test]
fn run_by_value_and_boxed_match_train_and_report() {
    let (x_train, t_train) = blobs(300, 1);
    let (x_test, t_test) = blobs(100, 2);
    let config = || TrainerConfig {
        epochs: 3,
        mini_batch_size: 30,
        seed: 7,
        verbose: false,
        ..Default::default()
    };
    let net = || TwoLayerNet::new(2, 10, 3, 0.01, &mut seeded_rng(3));
    let (mut a, mut b) = (net(), net());
    let by_value = Trainer::new(
        &mut a,
        &x_train,
        &t_train,
        &x_test,
        &t_test,
        Momentum::new(0.1),
        config(),
    )
    .run()
    .unwrap();
    let boxed: Box<dyn Optimizer> = Box::new(Momentum::new(0.1));
    let mut trainer = Trainer::new(
        &mut b,
        &x_train,
        &t_train,
        &x_test,
        &t_test,
        boxed,
        config(),
    );
    trainer.train().unwrap();
    let report = trainer.report();
    drop(trainer);
    assert_eq!(by_value.train_loss_list.len(), 3 * 10);
    assert_eq!(by_value.train_loss_list, report.train_loss_list);
    assert_eq!(by_value.test_acc_list, report.test_acc_list);
    assert_eq!(by_value.final_test_acc, report.final_test_acc);
    assert_eq!(a.param_values(), b.param_values());
}

fn verbose_run(print_loss_every: Option<usize>, verbose: bool) -> (Vec<String>, TrainReport) {
    blob_run(TrainerConfig::default().seed, verbose, print_loss_every)
}

/// A verbose run prints the book's lines in the book's order, and keeps them in `printed`:
/// the loss at every `print_loss_every`-th step (25 and 50 of 60), each epoch's accuracies
/// (every 10 steps), then the final test accuracy. Not verbose, or every 0 steps: no loss lines.
#[test]
fn a_verbose_run_prints_the_books_lines_in_order() {
    let (printed, r) = verbose_run(Some(25), true);
    let epoch_line = |e: usize| {
        format!(
            "=== epoch:{}, train acc:{}, test acc:{} ===",
            e + 1,
            r.train_acc_list[e],
            r.test_acc_list[e]
        )
    };
    let mut expected = Vec::new();
    for step in 1..=60 {
        if step % 25 == 0 {
            expected.push(format!("train loss:{}", r.train_loss_list[step - 1]));
        }
        if step % 10 == 0 {
            expected.push(epoch_line(step / 10 - 1));
        }
    }
    expected.push("=============== Final Test Accuracy ===============".to_string());
    expected.push(format!("test acc:{}", r.final_test_acc.unwrap()));
    assert_eq!(printed, expected);

    let (printed, _) = verbose_run(Some(25), false);
    assert!(printed.is_empty(), "not verbose, yet printed {printed:?}");
    for every in [None, Some(0)] {
        let (printed, _) = verbose_run(every, true);
        assert_eq!(
            printed.len(),
            6 + 2,
            "print_loss_every {every:?}: {printed:?}"
        );
        assert!(printed.iter().all(|l| !l.starts_with("train loss")));
    }
}

/// One-hot labels as wide as the network's output train as the same labels given as
/// indices do.
#[test]
fn one_hot_labels_train_as_index_labels_do() {
    let (x, t) = blobs(60, 9);
    let one_hot =
        Array2::from_shape_fn((60, 3), |(i, k)| f64::from(t[[i]] as usize == k)).into_dyn();
    let run = |labels: &ArrayD<f64>| {
        let mut net = TwoLayerNet::new(2, 6, 3, 0.1, &mut seeded_rng(4));
        let config = TrainerConfig {
            epochs: 2,
            mini_batch_size: 20,
            verbose: false,
            ..Default::default()
        };
        Trainer::new(&mut net, &x, labels, &x, labels, SGD::new(0.1), config)
            .run()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let (a, b) = (run(&t), run(&one_hot));
    // the same run up to rounding (the loss picks the labels' scores another way)
    assert_eq!(a.train_loss_list.len(), 6);
    for (i, (p, q)) in a.train_loss_list.iter().zip(&b.train_loss_list).enumerate() {
        assert!(
            (p - q).abs() < 1e-12,
            "step {}: loss {p} with indices, {q} one-hot",
            i + 1
        );
    }
    assert_eq!(a.final_test_acc, b.final_test_acc);
}

/// A 0-d array for the data or the labels is a configuration error, not a panic.
#[test]
fn zero_dimensional_data_or_labels_are_config_errors() {
    let (x, t) = blobs(10, 6);
    let scalar = ArrayD::from_elem(IxDyn(&[]), 1.0);
    for (xs, ts, what) in [(&scalar, &t, "x_train"), (&x, &scalar, "t_train")] {
        let mut net = TwoLayerNet::new(2, 4, 3, 0.1, &mut seeded_rng(0));
        let config = TrainerConfig {
            verbose: false,
            ..Default::default()
        };
        let err = Trainer::new(&mut net, xs, ts, &x, &t, SGD::new(0.1), config)
            .train()
            .unwrap_err();
        assert!(
            matches!(err, TrainError::Config(_)) && err.to_string().contains("x_train has shape"),
            "{what} 0-d: {err}"
        );
    }
}

/// A loss layer that reports a scripted loss at each step and a zero gradient.
struct ScriptedLoss {
    losses: Vec<f64>,
    step: usize,
    shape: Vec<usize>,
}

impl dlfs::layers::LossLayer for ScriptedLoss {
    fn forward(
        &mut self,
        x: &dlfs::ndarray::ArrayRef<f64, IxDyn>,
        _t: &dlfs::ndarray::ArrayRef<f64, IxDyn>,
    ) -> f64 {
        self.shape = x.shape().to_vec();
        let loss = self.losses[self.step.min(self.losses.len() - 1)];
        self.step += 1;
        loss
    }
    fn backward(&mut self, _dout: f64) -> ArrayD<f64> {
        ArrayD::zeros(IxDyn(&self.shape))
    }
}

/// Divergence is a loss above DIVERGED_LOSS_FACTOR (100) × max(first loss, 1): with a first
/// loss of 2 the limit is 200 (not 102 or 50), with a first loss of 0.5 it is 100 (not 50).
#[test]
fn divergence_is_a_loss_above_100_times_the_first_or_100() {
    let (x, t) = blobs(40, 3);
    let train = |losses: Vec<f64>| {
        let mut net = TwoLayerNet::new(2, 4, 3, 0.1, &mut seeded_rng(0));
        net.last_layer = Box::new(ScriptedLoss {
            losses,
            step: 0,
            shape: vec![],
        });
        let config = TrainerConfig {
            epochs: 1,
            mini_batch_size: 10,
            verbose: false,
            ..Default::default()
        };
        let mut trainer = Trainer::new(&mut net, &x, &t, &x, &t, SGD::new(0.1), config);
        let result = trainer.train();
        (result, trainer.train_loss_list.len())
    };
    assert_eq!(DIVERGED_LOSS_FACTOR, 100.0);
    let (ok, steps) = train(vec![2.0, 150.0, 199.0, 3.0]);
    assert!(ok.is_ok() && steps == 4, "{ok:?} after {steps} steps");
    let (ok, steps) = train(vec![0.5, 80.0, 99.0, 1.0]);
    assert!(ok.is_ok() && steps == 4, "{ok:?} after {steps} steps");
    let (err, steps) = train(vec![2.0, 150.0, 201.0, 3.0]);
    let err = err.unwrap_err();
    assert_eq!(steps, 2, "stops before the third step's update: {err}");
    assert!(
        matches!(err, TrainError::Diverged { iteration: 3, .. })
            && err.to_string().contains("(limit 200.000)"),
        "{err}"
    );
    let (err, _) = train(vec![0.5, 101.0]);
    assert!(err.unwrap_err().to_string().contains("(limit 100.000)"));
}

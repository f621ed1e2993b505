//! Trainer: learns a small separable problem deterministically; stops on a NaN loss.

use dlfs::prelude::*;

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

fn run(seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>, Option<f64>) {
    let (x_train, t_train) = blobs(300, 1);
    let (x_test, t_test) = blobs(100, 2);
    let mut net = TwoLayerNet::new(2, 10, 3, 0.01, &mut seeded_rng(3));
    let config = TrainerConfig {
        epochs: 6,
        mini_batch_size: 30,
        seed,
        verbose: true,
        print_loss_every: Some(25),
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
    let r = trainer.report();
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
fn stops_when_the_loss_becomes_nan() {
    let (mut x, t) = blobs(100, 4);
    // one sample of NaN: the first mini-batch that draws it has a NaN loss (a huge learning
    // rate no longer gets this far: it stops as diverged, see tests/no_silent_failure.rs)
    x[[37, 0]] = f64::NAN;
    let mut net = MultiLayerNet::new(2, &[20, 20], 3, "relu", "he", 0.0, &mut seeded_rng(5));
    let config = TrainerConfig {
        epochs: 50,
        mini_batch_size: 10,
        verbose: false,
        ..Default::default()
    };
    let mut trainer = Trainer::new(&mut net, &x, &t, &x, &t, Box::new(SGD::new(0.1)), config);
    let err = trainer.train().unwrap_err();
    println!("{err}");
    let TrainError::NonFiniteLoss {
        iteration,
        epoch,
        loss,
    } = err.clone()
    else {
        panic!("{err:?}")
    };
    assert!(!loss.is_finite());
    assert_eq!(trainer.train_loss_list.len(), iteration - 1);
    assert!(trainer.train_loss_list.iter().all(|l| l.is_finite()));
    assert_eq!(epoch, (iteration - 1) / 10 + 1);
    assert!(iteration < 500, "stopped early, at {iteration}");
    assert!(err.to_string().contains(&format!(
        "at iteration {iteration} (epoch {epoch}): the learning rate is probably too large"
    )));
    assert_eq!(trainer.final_test_acc, None);
    // the network keeps the last finite parameters
    assert!(
        trainer
            .network
            .params()
            .iter()
            .all(|p| p.value.iter().all(|v| v.is_finite()))
    );
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

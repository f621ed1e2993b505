//! Trainer checkpoints: a run stopped in the middle of an epoch and started again goes on
//! after its last finished epoch and ends exactly where the uninterrupted run ends; another
//! run, an unreadable file or an optimizer without a carried state starts afresh and says so.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dlfs::layers::{Layer, ParamRef};
use dlfs::nets::{ExtendOptions, MultiLayerNetExtend};
use dlfs::prelude::*;

/// Three blobs in 4-D; labels 0, 1, 2.
fn blobs(n: usize, seed: u64) -> (ArrayD<f64>, ArrayD<f64>) {
    let mut r = seeded_rng(seed);
    let labels = choice(3, n, &mut r);
    let noise = randn((n, 4), &mut r) * 0.6;
    let x = Array2::from_shape_fn((n, 4), |(i, j)| {
        (if j == labels[i] { 1.5 } else { 0.0 }) + noise[[i, j]]
    });
    (
        x.into_dyn(),
        Array1::from_iter(labels.iter().map(|&k| k as f64)).into_dyn(),
    )
}

/// An identity layer that panics at its `trip_at`-th forward pass: the ■ of a test.
struct Tripwire {
    forwards: Arc<AtomicUsize>,
    trip_at: usize,
}

impl Layer for Tripwire {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        if self.forwards.fetch_add(1, Ordering::Relaxed) + 1 == self.trip_at {
            panic!("stopped in the middle of an epoch");
        }
        x.to_owned()
    }
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        dout.to_owned()
    }
}

/// A net with batch norm and dropout (their buffers and generator are part of the state).
fn net(trip_at: usize) -> MultiLayerNetExtend {
    let options = ExtendOptions {
        use_dropout: true,
        dropout_ratio: 0.2,
        use_batchnorm: true,
        ..Default::default()
    };
    let mut net = MultiLayerNetExtend::new(4, &[12, 12], 3, options, &mut seeded_rng(5));
    net.push(
        "Tripwire",
        Tripwire {
            forwards: Arc::new(AtomicUsize::new(0)),
            trip_at,
        },
    );
    net
}

fn config(path: Option<&Path>) -> TrainerConfig {
    TrainerConfig {
        epochs: 5,
        mini_batch_size: 20,
        seed: 11,
        checkpoint: path.map(Path::to_path_buf),
        ..Default::default()
    }
}

struct Run {
    report: TrainReport,
    printed: Vec<String>,
    notices: Vec<String>,
    params: Vec<(String, ArrayD<f64>)>,
}

/// Trains `net` with `optimizer`; a panic inside (the tripwire) comes back as Err.
fn train(
    net: &mut MultiLayerNetExtend,
    optimizer: impl Optimizer,
    config: TrainerConfig,
) -> Result<Run, String> {
    let (x_train, t_train) = blobs(200, 1);
    let (x_test, t_test) = blobs(60, 2);
    let mut trainer = Trainer::new(net, &x_train, &t_train, &x_test, &t_test, optimizer, config);
    catch_unwind(AssertUnwindSafe(|| trainer.train()))
        .map_err(|_| "panicked".to_string())?
        .map_err(|e| e.to_string())?;
    let (report, printed, notices) = (
        trainer.report(),
        trainer.printed.clone(),
        trainer.notices.clone(),
    );
    drop(trainer);
    let params = net
        .params()
        .into_iter()
        .map(|p| (p.name, p.value.clone()))
        .collect();
    Ok(Run {
        report,
        printed,
        notices,
        params,
    })
}

fn temp_path(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoints").join(name);
    (dir, path)
}

/// 200 samples, batches of 20: 10 steps an epoch; each step's forward and each epoch's two
/// accuracies (train, test) pass the tripwire once each: 12 forwards an epoch. The 30th is
/// step 6 of epoch 3.
const IN_EPOCH_3: usize = 30;

#[test]
fn a_resumed_run_is_the_uninterrupted_run_bit_for_bit() {
    let whole = train(&mut net(0), Adam::new(0.01), config(None)).unwrap();
    assert_eq!(whole.report.train_loss_list.len(), 50);

    let (_dir, path) = temp_path("run.npz");
    let stopped = train(&mut net(IN_EPOCH_3), Adam::new(0.01), config(Some(&path)));
    assert_eq!(stopped.err().as_deref(), Some("panicked"));
    assert!(path.exists(), "a checkpoint after epoch 2");

    let resumed = train(&mut net(0), Adam::new(0.01), config(Some(&path))).unwrap();
    assert_eq!(resumed.notices.len(), 1, "{:?}", resumed.notices);
    assert!(
        resumed.notices[0].contains("epochs 1–2 of 5 were done by an earlier run"),
        "{:?}",
        resumed.notices
    );
    // the same numbers, bit for bit (== on f64 is exact)
    assert_eq!(resumed.report, whole.report);
    assert_eq!(resumed.params, whole.params);
    assert_eq!(resumed.printed, whole.printed);
    assert!(!path.exists(), "a finished run removes its checkpoint");
}

/// Adam that claims a checkpoint carries its state but gives none: what a checkpoint of
/// parameters alone would be.
struct ForgetfulAdam(Adam);

impl Optimizer for ForgetfulAdam {
    fn update(&mut self, params: Vec<ParamRef<'_>>) {
        self.0.update(params)
    }
    fn name(&self) -> &'static str {
        "Adam"
    }
    fn settings(&self) -> String {
        self.0.settings()
    }
    fn checkpointable(&self) -> bool {
        true
    }
}

#[test]
fn without_the_optimizers_state_the_resumed_run_differs() {
    // the bit-for-bit test above can fail: a checkpoint that leaves Adam's m, v and step
    // count behind resumes into other losses
    let whole = train(&mut net(0), Adam::new(0.01), config(None)).unwrap();
    let (_dir, path) = temp_path("run.npz");
    let _ = train(
        &mut net(IN_EPOCH_3),
        ForgetfulAdam(Adam::new(0.01)),
        config(Some(&path)),
    );
    let resumed = train(
        &mut net(0),
        ForgetfulAdam(Adam::new(0.01)),
        config(Some(&path)),
    )
    .unwrap();
    assert!(
        resumed.notices[0].contains("epochs 1–2 of 5"),
        "{:?}",
        resumed.notices
    );
    assert_eq!(
        resumed.report.train_loss_list[..20],
        whole.report.train_loss_list[..20]
    );
    assert_ne!(
        resumed.report.train_loss_list[20..],
        whole.report.train_loss_list[20..]
    );
}

#[test]
fn another_run_starts_afresh_and_says_what_differs() {
    let (_dir, path) = temp_path("run.npz");
    let _ = train(&mut net(IN_EPOCH_3), Adam::new(0.01), config(Some(&path)));
    assert!(path.exists());
    let fresh = train(&mut net(0), Adam::new(0.02), config(None)).unwrap();
    let other = train(&mut net(0), Adam::new(0.02), config(Some(&path))).unwrap();
    assert_eq!(other.report, fresh.report);
    let said = other.notices.join("\n");
    assert!(
        said.contains("made by another run (what differs: optimizer); starting afresh")
            && said.contains("then: optimizer: Adam lr=0.01")
            && said.contains("now:  optimizer: Adam lr=0.02"),
        "{said}"
    );
}

#[test]
fn a_changed_seed_or_data_starts_afresh() {
    let (_dir, path) = temp_path("run.npz");
    let _ = train(&mut net(IN_EPOCH_3), Adam::new(0.01), config(Some(&path)));
    let other = train(
        &mut net(0),
        Adam::new(0.01),
        TrainerConfig {
            seed: 12,
            ..config(Some(&path))
        },
    )
    .unwrap();
    assert!(
        other.notices.join("\n").contains("what differs: settings"),
        "{:?}",
        other.notices
    );
}

#[test]
fn an_unreadable_checkpoint_is_named_and_the_run_starts_afresh() {
    let (_dir, path) = temp_path("run.npz");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"not an npz").unwrap();
    let fresh = train(&mut net(0), Adam::new(0.01), config(None)).unwrap();
    let run = train(&mut net(0), Adam::new(0.01), config(Some(&path))).unwrap();
    assert_eq!(run.report, fresh.report);
    assert!(
        run.notices[0].starts_with(&format!("checkpoint {}: unreadable (", path.display()))
            && run.notices[0].ends_with("); starting afresh"),
        "{:?}",
        run.notices
    );
}

/// An optimizer of one's own: SGD with a counter the trait's state does not carry.
struct Counting {
    steps: usize,
}

impl Optimizer for Counting {
    fn update(&mut self, params: Vec<ParamRef<'_>>) {
        self.steps += 1;
        for p in params {
            p.value.scaled_add(-0.1, p.grad);
        }
    }
    fn name(&self) -> &'static str {
        "Counting"
    }
}

#[test]
fn an_optimizer_whose_state_is_not_carried_gets_no_checkpoint_and_is_told() {
    let (_dir, path) = temp_path("run.npz");
    let r = train(
        &mut net(IN_EPOCH_3),
        Counting { steps: 0 },
        config(Some(&path)),
    );
    assert_eq!(r.err().as_deref(), Some("panicked"));
    assert!(
        !path.exists(),
        "no checkpoint for an optimizer whose state it cannot carry"
    );
    let run = train(&mut net(0), Counting { steps: 0 }, config(Some(&path))).unwrap();
    assert!(
        run.notices[0]
            .contains("Counting does not say that state() and set_state() carry all it keeps"),
        "{:?}",
        run.notices
    );
}

#[test]
fn every_library_optimizer_carries_its_state() {
    let makers: [fn() -> Box<dyn Optimizer>; 6] = [
        || Box::new(SGD::new(0.1)),
        || Box::new(Momentum::new(0.1)),
        || Box::new(Nesterov::new(0.1)),
        || Box::new(AdaGrad::new(0.1)),
        || Box::new(RMSprop::new(0.01)),
        || Box::new(Adam::new(0.01)),
    ];
    for make in makers {
        let whole = train(&mut net(0), make(), config(None)).unwrap();
        let (_dir, path) = temp_path("run.npz");
        let _ = train(&mut net(IN_EPOCH_3), make(), config(Some(&path)));
        let resumed = train(&mut net(0), make(), config(Some(&path))).unwrap();
        assert_eq!(resumed.report, whole.report, "{}", make().name());
        assert_eq!(resumed.params, whole.params, "{}", make().name());
    }
}

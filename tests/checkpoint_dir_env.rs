//! `DLFS_CHECKPOINT_DIR` keeps a run's checkpoint in that folder (the notebook runner's own),
//! so the file at the configured path — what a learner's stopped run left — is neither read
//! nor overwritten nor removed. One test in its own binary: it changes the process's
//! environment, which other tests running at the same time would see.

#![allow(unsafe_code)] // std::env::set_var, below

use std::panic::{AssertUnwindSafe, catch_unwind};

use dlfs::layers::Layer;
use dlfs::nets::{ExtendOptions, MultiLayerNetExtend};
use dlfs::prelude::*;

/// Panics at its `stop_at`-th forward pass (0: never): the ■ of this test.
struct StopAt(usize, usize);

impl Layer for StopAt {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        self.1 += 1;
        assert!(self.1 != self.0, "stopped");
        x.to_owned()
    }
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        dout.to_owned()
    }
}

/// Three epochs of 5 steps on 50 samples; returns the trainer's notices, or None when it
/// was stopped.
fn run(stop_at: usize, path: &std::path::Path) -> Option<Vec<String>> {
    let mut r = seeded_rng(3);
    let x = randn((50, 4), &mut r).into_dyn();
    let t = Array1::from_iter(choice(3, 50, &mut r).iter().map(|&k| k as f64)).into_dyn();
    let mut net = MultiLayerNetExtend::new(4, &[6], 3, ExtendOptions::default(), &mut r);
    net.push("StopAt", StopAt(stop_at, 0));
    let config = TrainerConfig {
        epochs: 3,
        mini_batch_size: 10,
        verbose: false,
        checkpoint: Some(path.to_path_buf()),
        ..Default::default()
    };
    let mut trainer = Trainer::new(&mut net, &x, &t, &x, &t, SGD::new(0.1), config);
    catch_unwind(AssertUnwindSafe(|| trainer.train().unwrap())).ok()?;
    Some(trainer.notices.clone())
}

#[test]
fn the_checkpoint_goes_to_dlfs_checkpoint_dir_and_the_configured_file_is_left_alone() {
    let learner = tempfile::tempdir().unwrap();
    let runner = tempfile::tempdir().unwrap();
    let learners_file = learner.path().join("run.npz");
    std::fs::write(&learners_file, b"a learner's stopped run").unwrap();
    // SAFETY: the only test of this binary, before it starts any thread
    unsafe { std::env::set_var("DLFS_CHECKPOINT_DIR", runner.path()) };
    let runners_file = runner.path().join("run.npz");

    // 7 forwards an epoch (5 steps, 2 accuracies): the 10th is in epoch 2
    assert_eq!(
        run(10, &learners_file),
        None,
        "the run should have been stopped"
    );
    assert!(
        runners_file.exists(),
        "no checkpoint after epoch 1 in DLFS_CHECKPOINT_DIR"
    );
    let notices = run(0, &learners_file).expect("the second run finishes");
    assert!(
        notices.len() == 1 && notices[0].contains("epochs 1–1 of 3 were done by an earlier run"),
        "the second run should go on from the runner's checkpoint: {notices:?}"
    );
    assert!(
        !runners_file.exists(),
        "a finished run removes its checkpoint"
    );
    assert_eq!(
        std::fs::read(&learners_file).unwrap(),
        b"a learner's stopped run",
        "the learner's file was overwritten"
    );
}

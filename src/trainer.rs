//! The book's `common/trainer.py`: mini-batch training with per-epoch evaluation.

use ndarray::{ArrayD, ArrayRef, Axis, IxDyn, Slice};
use std::fmt;
use std::path::{Path, PathBuf};

mod checkpoint;
use checkpoint::{Checkpoint, digest, rng_bytes, rng_from_bytes};

pub use crate::error::TrainError;
use crate::init::{Rng, choice, seeded_rng};
use crate::nets::Sequential;
use crate::optimizer::Optimizer;
use crate::progress::ProgressMeter;

pub use crate::nets::DIVERGED_LOSS_FACTOR;

/// Hyperparameters of a [`Trainer`]; `Default` is the book's (20 epochs, batch 100,
/// evaluate on all samples, verbose) with seed 0.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainerConfig {
    /// Number of epochs.
    pub epochs: usize,
    /// Samples per step.
    pub mini_batch_size: usize,
    /// Evaluate accuracy each epoch on the first this many train and test samples
    /// (`None`: all of them).
    pub evaluate_sample_num_per_epoch: Option<usize>,
    /// Seed of the mini-batch sampling.
    pub seed: u64,
    /// Print one line per epoch and the final test accuracy.
    pub verbose: bool,
    /// When verbose, also print the loss every this many steps (`None`: never).
    pub print_loss_every: Option<usize>,
    /// Save a checkpoint here after each epoch (`None`: never), so that the same run
    /// started again — the cell run again after ■ or a restart — goes on after the last
    /// finished epoch, bit for bit as if it had not stopped. See [`Trainer`].
    pub checkpoint: Option<PathBuf>,
}

impl Default for TrainerConfig {
    fn default() -> Self {
        Self {
            epochs: 20,
            mini_batch_size: 100,
            evaluate_sample_num_per_epoch: None,
            seed: 0,
            verbose: true,
            print_loss_every: None,
            checkpoint: None,
        }
    }
}

/// What a training run recorded, free of borrows (keep it across notebook cells).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainReport {
    /// Loss of every step.
    pub train_loss_list: Vec<f64>,
    /// Train accuracy after each epoch.
    pub train_acc_list: Vec<f64>,
    /// Test accuracy after each epoch.
    pub test_acc_list: Vec<f64>,
    /// Accuracy on the whole test set after training (`None` if training stopped early).
    pub final_test_acc: Option<f64>,
}

/// Trains a network with an optimizer on mini-batches, like the book's `Trainer`.
///
/// Each step draws `mini_batch_size` indices with replacement (the book's
/// `np.random.choice`) from a seeded RNG, gathers them into preallocated arrays, runs
/// forward and backward and updates the parameters. An epoch is
/// max(train_size / mini_batch_size, 1) steps. After each epoch the accuracy on (the first
/// `evaluate_sample_num_per_epoch` of) the train and test data is recorded and, if
/// verbose, printed as `=== epoch:1, train acc:0.93, test acc:0.92 ===`; at the end the
/// accuracy on the whole test set.
///
/// Where we differ from the book: it evaluates after the first step and then every
/// `iter_per_epoch` steps; we evaluate after each complete epoch. A run that diverges
/// stops before that step's update, instead of going on with garbage:
/// - the loss is NaN or infinite: [`TrainError::NonFiniteLoss`];
/// - a gradient holds a NaN or infinite value, or the loss exceeds
///   [`DIVERGED_LOSS_FACTOR`] × max(first step's loss, 1): [`TrainError::Diverged`].
///   (The loss is computed with log-sum-exp, so it stays finite however large the scores
///   grow: a learning rate of 10⁶ gives losses of 10²¹, never NaN. The book's learner sees
///   NaN instead; the rise is the same sign.)
///
/// A refused step leaves every parameter and every buffer (batch norm's running
/// statistics, which its forward pass moves) as it was.
///
/// The data is checked once at the start, each problem a [`TrainError::Config`] naming the
/// array and the sample: no NaN or infinite value in `x_train`, `t_train`, `x_test`,
/// `t_test` (one would make every loss NaN, and a test set with NaN an accuracy of NaN);
/// labels are class indices (N,) of the network's output, or one-hot rows (N, C) as wide
/// as it whose entries are ≥ 0 and sum to 1 (an all-zero row has no class: its loss would
/// be 0). `evaluate_sample_num_per_epoch: Some(0)` is refused too (an accuracy of no
/// samples is NaN).
///
/// **Checkpoints.** With `checkpoint: Some(path)` the trainer writes, after each epoch, the
/// parameters, the buffers, the optimizer's state, the states of the random number
/// generators (mini-batch sampling, dropout), the recorded lists and printed lines to
/// `path` (an .npz, written atomically: a stop in the middle of a save leaves the previous
/// one). The next run with a checkpoint there starts by reading it: if it was made by the
/// same run — the same layers and initial parameters, the same data, the same settings and
/// optimizer — it prints the finished epochs' lines again and goes on after them, and its
/// losses and parameters are those of an uninterrupted run, bit for bit; otherwise it says
/// what differs and starts afresh. A finished run removes its checkpoint (the next run
/// trains again). An optimizer of your own whose state a checkpoint cannot carry
/// ([`Optimizer::checkpointable`]) gets no checkpoint, and the trainer says so. With
/// `DLFS_CHECKPOINT_DIR` set, the checkpoint is kept in that folder under the same file name
/// (the notebook runner's own folder: its runs leave a learner's checkpoints alone).
///
/// The trainer borrows the network and the data; in evcxr, build it, train and take
/// [`report`](Self::report) in one cell.
///
/// ```
/// use dlfs::prelude::*;
/// // two separable blobs
/// let x = Array2::from_shape_fn((40, 2), |(i, j)| (if (i % 2 == 0) == (j == 0) { 1.0 } else { -1.0 }) + 0.01 * i as f64).into_dyn();
/// let t = Array1::from_shape_fn(40, |i| (i % 2) as f64).into_dyn();
/// let mut net = TwoLayerNet::new(2, 8, 2, 0.5, &mut seeded_rng(1));
/// let config = TrainerConfig { epochs: 5, mini_batch_size: 10, verbose: false, ..Default::default() };
/// let report = Trainer::new(&mut net, &x, &t, &x, &t, SGD::new(0.5), config).run().unwrap();
/// assert_eq!(report.train_loss_list.len(), 5 * 4);
/// assert_eq!(report.final_test_acc, Some(1.0));
/// ```
pub struct Trainer<'a> {
    /// The network being trained.
    pub network: &'a mut Sequential,
    /// The optimizer.
    pub optimizer: Box<dyn Optimizer + 'a>,
    /// Hyperparameters.
    pub config: TrainerConfig,
    x_train: &'a ArrayRef<f64, IxDyn>,
    t_train: &'a ArrayRef<f64, IxDyn>,
    x_test: &'a ArrayRef<f64, IxDyn>,
    t_test: &'a ArrayRef<f64, IxDyn>,
    rng: Rng,
    /// Loss of every step.
    pub train_loss_list: Vec<f64>,
    /// Train accuracy after each epoch.
    pub train_acc_list: Vec<f64>,
    /// Test accuracy after each epoch.
    pub test_acc_list: Vec<f64>,
    /// Accuracy on the whole test set after training.
    pub final_test_acc: Option<f64>,
    /// The lines a verbose run printed, in order: the book's `train loss:…` every
    /// `print_loss_every` steps, `=== epoch:…, train acc:…, test acc:… ===` after each epoch
    /// and the final test accuracy (empty when not verbose).
    pub printed: Vec<String>,
    /// What the trainer said about its checkpoint (resumed, started afresh and why, not
    /// saved), also printed.
    pub notices: Vec<String>,
}

impl fmt::Debug for Trainer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trainer")
            .field("network", &self.network)
            .field("config", &self.config)
            .field("steps done", &self.train_loss_list.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Trainer<'a> {
    /// A trainer for `network` (a `&mut` to any net: `&mut net` coerces) with `optimizer`
    /// (any optimizer by value: `Adam::new(0.001)`; a `Box<dyn Optimizer>` works too).
    /// Labels are indices (N,) or one-hot (N, C).
    pub fn new(
        network: &'a mut Sequential,
        x_train: &'a ArrayRef<f64, IxDyn>,
        t_train: &'a ArrayRef<f64, IxDyn>,
        x_test: &'a ArrayRef<f64, IxDyn>,
        t_test: &'a ArrayRef<f64, IxDyn>,
        optimizer: impl Optimizer + 'a,
        config: TrainerConfig,
    ) -> Self {
        let seed = config.seed;
        Self {
            network,
            optimizer: Box::new(optimizer),
            config,
            x_train,
            t_train,
            x_test,
            t_test,
            rng: seeded_rng(seed),
            train_loss_list: Vec::new(),
            train_acc_list: Vec::new(),
            test_acc_list: Vec::new(),
            final_test_acc: None,
            printed: Vec::new(),
            notices: Vec::new(),
        }
    }

    /// Trains all epochs and hands back what was recorded, ending the trainer's borrow of
    /// the network and the data: `let report = Trainer::new(…).run()?;` in one statement.
    ///
    /// # Errors
    /// As [`train`](Self::train) (the lists recorded up to the error are dropped; use
    /// `train` and [`report`](Self::report) to keep them).
    pub fn run(mut self) -> Result<TrainReport, TrainError> {
        self.train()?;
        Ok(self.into_report())
    }

    /// The recorded lists and the final accuracy, without copying them.
    pub fn into_report(self) -> TrainReport {
        TrainReport {
            train_loss_list: self.train_loss_list,
            train_acc_list: self.train_acc_list,
            test_acc_list: self.test_acc_list,
            final_test_acc: self.final_test_acc,
        }
    }

    /// Copies of the recorded lists and the final accuracy.
    pub fn report(&self) -> TrainReport {
        TrainReport {
            train_loss_list: self.train_loss_list.clone(),
            train_acc_list: self.train_acc_list.clone(),
            test_acc_list: self.test_acc_list.clone(),
            final_test_acc: self.final_test_acc,
        }
    }

    /// Steps per epoch: max(train_size / mini_batch_size, 1).
    pub fn iter_per_epoch(&self) -> usize {
        (self.x_train.shape().first().copied().unwrap_or(0) / self.config.mini_batch_size.max(1))
            .max(1)
    }

    fn check(&self) -> Result<(), TrainError> {
        let bad = |m: String| Err(TrainError::Config(m));
        let c = &self.config;
        if c.mini_batch_size == 0 {
            return bad("mini_batch_size must be at least 1".into());
        }
        if c.evaluate_sample_num_per_epoch == Some(0) {
            return bad(
                "evaluate_sample_num_per_epoch is Some(0): an accuracy of no samples \
                 means nothing; use None for all samples or Some(k) with k ≥ 1"
                    .into(),
            );
        }
        for (what, x, t) in [
            ("train", self.x_train, self.t_train),
            ("test", self.x_test, self.t_test),
        ] {
            if x.ndim() == 0 || t.ndim() == 0 || x.shape()[0] != t.shape()[0] {
                return bad(format!(
                    "x_{what} has shape {:?} and t_{what} {:?}: they need the same number of samples (axis 0)",
                    x.shape(),
                    t.shape()
                ));
            }
        }
        if self.x_train.shape()[0] == 0 {
            return bad("x_train holds no samples".into());
        }
        if self.x_test.shape()[0] == 0 {
            return bad(
                "x_test holds no samples (its accuracy would mean nothing): pass at least one"
                    .into(),
            );
        }
        if self.x_train.shape()[1..] != self.x_test.shape()[1..] {
            return bad(format!(
                "x_train {:?} and x_test {:?} differ in sample shape",
                self.x_train.shape(),
                self.x_test.shape()
            ));
        }
        Ok(())
    }

    /// No NaN or infinite value in any of the four arrays: one would make every loss NaN,
    /// whatever the learning rate. The error names the array, the sample and the index.
    fn check_finite(&self) -> Result<(), TrainError> {
        for (what, a) in [
            ("x_train", self.x_train),
            ("t_train", self.t_train),
            ("x_test", self.x_test),
            ("t_test", self.t_test),
        ] {
            if let Some((index, v)) = first_non_finite(a) {
                return Err(TrainError::Config(format!(
                    "{what} holds {v} at index {index:?} (sample {}): a NaN or infinite value \
                     makes the loss NaN whatever the learning rate; clean or drop that sample",
                    index[0]
                )));
            }
        }
        Ok(())
    }

    /// Index labels within the network's classes and one-hot labels of its width whose
    /// rows are probabilities (≥ 0, summing to 1), for both data sets (the class count from
    /// one forward pass of the first sample).
    fn check_labels(&mut self) -> Result<(), TrainError> {
        let first = self.x_train.slice_axis(Axis(0), Slice::from(0..1));
        let scores = self.network.predict(&first, false);
        let classes = scores.shape().get(1).copied().unwrap_or(0);
        let bad = |m: String| Err(TrainError::Config(m));
        for (what, t) in [("t_train", self.t_train), ("t_test", self.t_test)] {
            if t.ndim() == 1 {
                if let Some((i, v)) = crate::functions::first_bad_label(t, classes) {
                    return bad(format!(
                        "{what}[{i}] = {v} is not a class index of a network with {classes} outputs (0..{classes})"
                    ));
                }
            } else if t.ndim() != 2 {
                return bad(format!(
                    "{what} has shape {:?}: labels are class indices (N,) or one-hot rows (N, {classes})",
                    t.shape()
                ));
            } else if t.shape()[1] != classes {
                return bad(format!(
                    "{what} has one-hot labels of shape {:?}, but the network has {classes} outputs",
                    t.shape()
                ));
            } else if let Some((i, row)) = t
                .outer_iter()
                .enumerate()
                .find(|(_, r)| r.iter().any(|&v| v < 0.0) || (r.sum() - 1.0).abs() > 1e-6)
            {
                return bad(format!(
                    "{what}[{i}] is not a one-hot label: its entries sum to {} (min {}); a \
                     one-hot row holds a single 1 (probabilities: ≥ 0, summing to 1)",
                    row.sum(),
                    row.fold(f64::INFINITY, |m, &v| m.min(v))
                ));
            }
        }
        Ok(())
    }

    /// Stops before the update if the step went wrong (see the [type docs](Trainer)).
    fn check_step(&mut self, loss: f64, iteration: usize, epoch: usize) -> Result<(), TrainError> {
        if !loss.is_finite() {
            return Err(TrainError::NonFiniteLoss {
                iteration,
                epoch,
                loss,
            });
        }
        let diverged = |reason: String| {
            Err(TrainError::Diverged {
                iteration,
                epoch,
                reason,
            })
        };
        let first = *self.train_loss_list.first().unwrap_or(&loss);
        let limit = DIVERGED_LOSS_FACTOR * first.max(1.0);
        if loss > limit {
            return diverged(format!(
                "the loss {loss:.3e} is more than {DIVERGED_LOSS_FACTOR}× the first step's \
                 loss {first:.3} (limit {limit:.3})"
            ));
        }
        if let Some(p) = self
            .network
            .params()
            .into_iter()
            .find(|p| !p.grad.iter().all(|g| g.is_finite()))
        {
            return diverged(format!(
                "the gradient of {} holds NaN or infinite values",
                p.name
            ));
        }
        Ok(())
    }

    /// Runs all epochs. On error the lists hold what was recorded up to then and the
    /// network keeps the parameters that gave the bad loss (its gradient is not applied).
    ///
    /// # Errors
    /// [`TrainError::NonFiniteLoss`] when a loss is NaN or infinite;
    /// [`TrainError::Diverged`] when a gradient is not finite or the loss rose far above
    /// its start (see the [type docs](Trainer));
    /// [`TrainError::Config`] when data, labels and batch size do not fit together, or
    /// the data holds a NaN or infinite value (see the [type docs](Trainer)).
    pub fn train(&mut self) -> Result<(), TrainError> {
        self.check()?;
        self.check_finite()?;
        self.check_labels()?;
        let n = self.x_train.shape()[0];
        let bs = self.config.mini_batch_size;
        let iter_per_epoch = self.iter_per_epoch();
        let max_iter = self.config.epochs * iter_per_epoch;

        let mut x_shape = self.x_train.shape().to_vec();
        x_shape[0] = bs;
        let mut t_shape = self.t_train.shape().to_vec();
        t_shape[0] = bs;
        let mut x_batch = ArrayD::<f64>::zeros(IxDyn(&x_shape));
        let mut t_batch = ArrayD::<f64>::zeros(IxDyn(&t_shape));

        // epoch k of n, time so far and left, after each epoch line (see `crate::progress`)
        let record = self.record();
        let mut checkpoint = self.config.checkpoint.as_deref().map(checkpoint::relocated);
        if checkpoint.is_some() && !self.optimizer.checkpointable() {
            self.notice(format!(
                "checkpoint: none for this run ({} does not say that state() and set_state() \
                 carry all it keeps: implement them and checkpointable() to have one)",
                self.optimizer.name()
            ));
            checkpoint = None;
        }
        let epochs_done = match &checkpoint {
            Some(path) => self.resume(path, &record),
            None => 0,
        };
        let progress = ProgressMeter::resumed("epoch", epochs_done, self.config.epochs);
        for i in epochs_done * iter_per_epoch..max_iter {
            let epoch = i / iter_per_epoch + 1;
            let idx = choice(n, bs, &mut self.rng);
            gather(self.x_train, &idx, &mut x_batch);
            gather(self.t_train, &idx, &mut t_batch);

            // the forward pass moves batch norm's running statistics: a refused step puts
            // them back, so it leaves every parameter and every buffer as it was
            let buffers = self.network.buffer_values();
            let loss = self.network.backprop_unwarned(&x_batch, &t_batch);
            if let Err(e) = self.check_step(loss, i + 1, epoch) {
                for ((_, b), (_, old)) in self.network.buffers().into_iter().zip(buffers.0) {
                    *b = old;
                }
                return Err(e);
            }
            self.optimizer.update(self.network.params());
            self.train_loss_list.push(loss);
            let every = self.config.print_loss_every.unwrap_or(0);
            if self.config.verbose && every > 0 && (i + 1) % every == 0 {
                self.say(format!("train loss:{loss}"));
            }

            if (i + 1) % iter_per_epoch == 0 {
                let k = self.config.evaluate_sample_num_per_epoch;
                let train_acc = self
                    .network
                    .accuracy(&head(self.x_train, k), &head(self.t_train, k));
                let test_acc = self
                    .network
                    .accuracy(&head(self.x_test, k), &head(self.t_test, k));
                self.train_acc_list.push(train_acc);
                self.test_acc_list.push(test_acc);
                if self.config.verbose {
                    self.say(format!(
                        "=== epoch:{epoch}, train acc:{train_acc}, test acc:{test_acc} ==="
                    ));
                    progress.tick();
                }
                if let Some(path) = &checkpoint
                    && let Err(e) = self.snapshot(epoch, &record).save(path)
                {
                    self.notice(format!(
                        "checkpoint: not saved ({e}); training goes on without one"
                    ));
                    checkpoint = None;
                }
            }
        }
        if let Some(path) = &checkpoint {
            // the run is complete: the next one trains afresh
            let _ = std::fs::remove_file(path);
        }
        let test_acc = self.network.accuracy(self.x_test, self.t_test);
        self.final_test_acc = Some(test_acc);
        if self.config.verbose {
            self.say("=============== Final Test Accuracy ===============".into());
            self.say(format!("test acc:{test_acc}"));
        }
        Ok(())
    }

    /// What this run is, for its checkpoint: the network's layers and initial parameters,
    /// the data, the settings and the optimizer.
    fn record(&mut self) -> Vec<String> {
        let net = &mut *self.network;
        let layers: Vec<&str> = net.layer_names();
        let layers = layers.join(" ");
        let lambda = net.weight_decay_lambda;
        let mut values = String::new();
        for p in net.params() {
            values += &format!(" {}{:?}:{:016x}", p.name, p.value.shape(), digest(p.value));
        }
        for (name, b) in net.buffers() {
            values += &format!(" {name}{:?}:{:016x}", b.shape(), digest(b));
        }
        let data: Vec<String> = [
            ("x_train", self.x_train),
            ("t_train", self.t_train),
            ("x_test", self.x_test),
            ("t_test", self.t_test),
        ]
        .iter()
        .map(|(name, a)| format!("{name}{:?}:{:016x}", a.shape(), digest(a)))
        .collect();
        let c = &self.config;
        vec![
            format!("network: {layers}, weight decay λ = {lambda}"),
            format!("initial parameters:{values}"),
            format!("data: {}", data.join(" ")),
            format!(
                "settings: epochs {}, mini_batch_size {}, evaluate_sample_num_per_epoch {:?}, seed {}",
                c.epochs, c.mini_batch_size, c.evaluate_sample_num_per_epoch, c.seed
            ),
            format!(
                "optimizer: {} {}",
                self.optimizer.name(),
                self.optimizer.settings()
            ),
        ]
    }

    /// The run after `epochs_done` epochs.
    fn snapshot(&mut self, epochs_done: usize, record: &[String]) -> Checkpoint {
        let mut rngs = vec![("trainer".to_string(), rng_bytes(&self.rng))];
        rngs.extend(
            self.network
                .rngs()
                .into_iter()
                .map(|(name, r)| (name, rng_bytes(r))),
        );
        Checkpoint {
            record: record.to_vec(),
            epochs_done,
            params: self
                .network
                .params()
                .into_iter()
                .map(|p| (p.name, p.value.clone()))
                .collect(),
            buffers: self
                .network
                .buffers()
                .into_iter()
                .map(|(n, b)| (n, b.clone()))
                .collect(),
            optimizer: self.optimizer.state(),
            rngs,
            train_loss_list: self.train_loss_list.clone(),
            train_acc_list: self.train_acc_list.clone(),
            test_acc_list: self.test_acc_list.clone(),
            printed: self.printed.clone(),
        }
    }

    /// Reads the checkpoint at `path` and, if it is this run's, puts its state back and
    /// prints the finished epochs' lines; returns the number of epochs done (0: afresh,
    /// with the reason printed, unless there was no checkpoint).
    fn resume(&mut self, path: &Path, record: &[String]) -> usize {
        if !path.exists() {
            return 0;
        }
        let shown = path.display();
        let cp = match Checkpoint::load(path) {
            Ok(cp) => cp,
            Err(why) => {
                self.notice(format!(
                    "checkpoint {shown}: unreadable ({why}); starting afresh"
                ));
                return 0;
            }
        };
        if let Some((then, now)) = cp
            .record
            .iter()
            .zip(record)
            .find(|(a, b)| a != b)
            .or_else(|| (cp.record.len() != record.len()).then_some((&cp.record[0], &record[0])))
        {
            let what = now.split(':').next().unwrap_or("the run");
            self.notice(format!(
                "checkpoint {shown}: made by another run (what differs: {what}); starting afresh\n  then: {then}\n  now:  {now}"
            ));
            return 0;
        }
        if cp.epochs_done == 0 || cp.epochs_done >= self.config.epochs {
            self.notice(format!(
                "checkpoint {shown}: no epoch to go on from; starting afresh"
            ));
            return 0;
        }
        if let Err(why) = self.restore(&cp) {
            self.notice(format!(
                "checkpoint {shown}: does not fit this network ({why}); starting afresh"
            ));
            return 0;
        }
        self.notice(format!(
            "checkpoint {shown}: epochs 1–{} of {} were done by an earlier run of this cell, \
             which stopped; going on from there (their lines first):",
            cp.epochs_done, self.config.epochs
        ));
        for line in self.printed.clone() {
            println!("{line}");
        }
        cp.epochs_done
    }

    /// Puts a checkpoint's state into the network, optimizer, generators and lists; on a
    /// mismatch (a name or shape) nothing is changed.
    fn restore(&mut self, cp: &Checkpoint) -> Result<(), String> {
        let fits = |mine: Vec<(String, Vec<usize>)>, theirs: &[(String, ArrayD<f64>)]| {
            let theirs: Vec<(String, Vec<usize>)> = theirs
                .iter()
                .map(|(n, a)| (n.clone(), a.shape().to_vec()))
                .collect();
            if mine == theirs {
                Ok(())
            } else {
                Err(format!("has {theirs:?}, the network {mine:?}"))
            }
        };
        let params = self
            .network
            .params()
            .into_iter()
            .map(|p| (p.name, p.value.shape().to_vec()))
            .collect();
        fits(params, &cp.params)?;
        let buffers = self
            .network
            .buffers()
            .into_iter()
            .map(|(n, b)| (n, b.shape().to_vec()))
            .collect();
        fits(buffers, &cp.buffers)?;
        let mut rngs = Vec::new();
        for (name, bytes) in &cp.rngs {
            rngs.push((
                name.clone(),
                rng_from_bytes(bytes).ok_or("a generator's state")?,
            ));
        }
        let names: Vec<String> = self.network.rngs().into_iter().map(|(n, _)| n).collect();
        let saved: Vec<&str> = rngs.iter().skip(1).map(|(n, _)| n.as_str()).collect();
        if rngs.first().map(|(n, _)| n.as_str()) != Some("trainer") || names != saved {
            return Err(format!("generators {saved:?}, the network's {names:?}"));
        }
        for (p, (_, v)) in self.network.params().into_iter().zip(&cp.params) {
            p.value.assign(v);
        }
        for ((_, b), (_, v)) in self.network.buffers().into_iter().zip(&cp.buffers) {
            b.assign(v);
        }
        let mut rngs = rngs.into_iter();
        self.rng = rngs.next().expect("checked above").1;
        for ((_, r), (_, saved)) in self.network.rngs().into_iter().zip(rngs) {
            *r = saved;
        }
        self.optimizer.set_state(cp.optimizer.clone());
        self.train_loss_list = cp.train_loss_list.clone();
        self.train_acc_list = cp.train_acc_list.clone();
        self.test_acc_list = cp.test_acc_list.clone();
        self.printed = cp.printed.clone();
        Ok(())
    }

    /// Prints a line about the checkpoint and keeps it in [`notices`](Self::notices).
    fn notice(&mut self, line: String) {
        println!("{line}");
        self.notices.push(line);
    }

    /// Prints a line and keeps it in [`printed`](Self::printed).
    fn say(&mut self, line: String) {
        println!("{line}");
        self.printed.push(line);
    }
}

/// The index and value of the first NaN or infinite entry of `a` (in row-major order).
fn first_non_finite(a: &ArrayRef<f64, IxDyn>) -> Option<(Vec<usize>, f64)> {
    if let Some(flat) = a.as_slice() {
        // whole chunks without early exit (vectorised: MNIST's 55 M values in tens of ms),
        // then the position within the first bad chunk
        const CHUNK: usize = 4096;
        let bad = |c: &[f64]| c.iter().fold(false, |b, v| b | !v.is_finite());
        let c = flat.chunks(CHUNK).position(bad)?;
        let k = c * CHUNK + flat[c * CHUNK..].iter().position(|v| !v.is_finite())?;
        let mut index = vec![0; a.ndim()];
        let mut rest = k;
        for (i, &d) in index.iter_mut().zip(a.shape()).rev() {
            (*i, rest) = (rest % d, rest / d);
        }
        return Some((index, flat[k]));
    }
    a.indexed_iter()
        .find(|(_, v)| !v.is_finite())
        .map(|(i, &v)| (ndarray::Dimension::slice(&i).to_vec(), v))
}

/// The first `k` samples of `a` (all if `None`).
fn head(a: &ArrayRef<f64, IxDyn>, k: Option<usize>) -> ndarray::ArrayViewD<'_, f64> {
    let n = a.shape()[0];
    a.slice_axis(Axis(0), Slice::from(0..k.unwrap_or(n).min(n)))
}

/// Copies samples `idx` of `src` into the rows of `dst`.
fn gather(src: &ArrayRef<f64, IxDyn>, idx: &[usize], dst: &mut ArrayD<f64>) {
    for (mut row, &k) in dst.axis_iter_mut(Axis(0)).zip(idx) {
        row.assign(&src.index_axis(Axis(0), k));
    }
}

//! Errors of I/O and training (maths errors panic instead; see the layers' `# Panics`).

use std::path::PathBuf;

/// Saving or loading a network's parameters failed. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    /// The file could not be created, written, renamed or opened.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a readable .npz of f64 arrays (e.g. truncated).
    #[error("{path}: not a readable .npz of f64 arrays: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What the reader reported.
        message: String,
    },
    /// Writing the .npz failed.
    #[error("{path}: writing .npz failed: {message}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What the writer reported.
        message: String,
    },
    /// The network has an array the file lacks.
    #[error("{path}: no array {name:?} in the file (it holds {found:?})")]
    Missing {
        /// The file.
        path: PathBuf,
        /// The network's name for the array.
        name: String,
        /// The names in the file.
        found: Vec<String>,
    },
    /// The file has an array the network lacks.
    #[error("{path}: array {name:?} is not in the network (it has {expected:?})")]
    Unexpected {
        /// The file.
        path: PathBuf,
        /// The name in the file.
        name: String,
        /// The network's names.
        expected: Vec<String>,
    },
    /// An array's shape differs from the network's.
    #[error("{path}: array {name:?} has shape {found:?}, the network expects {expected:?}")]
    Shape {
        /// The file.
        path: PathBuf,
        /// The array's name.
        name: String,
        /// The network's shape.
        expected: Vec<usize>,
        /// The file's shape.
        found: Vec<usize>,
    },
}

/// Training stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// The loss became NaN or infinite; that step's gradient was not applied (and the
    /// running statistics of batch norm are as they were before it). The data was checked
    /// to be finite when training started, so the message blames the learning rate after
    /// an update and the data's scale or the initial weights at the first step.
    #[error("loss became {loss} at iteration {iteration} (epoch {epoch}): {}", blame(.iteration))]
    NonFiniteLoss {
        /// 1-based step number.
        iteration: usize,
        /// 1-based epoch number.
        epoch: usize,
        /// The loss (NaN or ±inf).
        loss: f64,
    },
    /// The run diverged although the loss is still a number (the rule is in
    /// [`Trainer`](crate::trainer::Trainer)'s docs); that step's gradient was not applied.
    #[error("training diverged at iteration {iteration} (epoch {epoch}): {reason}; {}", blame(.iteration))]
    Diverged {
        /// 1-based step number.
        iteration: usize,
        /// 1-based epoch number.
        epoch: usize,
        /// What showed it: a non-finite gradient, or how far the loss rose.
        reason: String,
    },
    /// Data or hyperparameters do not fit together.
    #[error("trainer: {0}")]
    Config(String),
}

/// Who is to blame for a step that went wrong: after an update, the learning rate; at the
/// first step, before any update, the data or the initial weights (the data holds no NaN
/// or inf: the trainer checks that when it starts).
fn blame(iteration: &usize) -> &'static str {
    if *iteration > 1 {
        "the learning rate is probably too large"
    } else {
        "this is the first step, before any update, so not the learning rate: look at the \
         scale of the data (it holds no NaN or inf) and of the initial weights"
    }
}

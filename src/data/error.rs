//! Errors of data loading: each names the file (or URL) and what is wrong, with a fix.

use std::path::PathBuf;

use super::idx::IdxError;

/// How to get data when nothing was found.
pub const HOW_TO_GET_DATA: &str = "to fix: connect to the network so dlfs can download MNIST into its cache, \
or put the four MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, \
t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) in a directory and set DLFS_DATA_DIR to it, \
or install Fashion-MNIST with `apt-get install dataset-fashion-mnist`";

/// An error while finding, downloading or reading MNIST-style data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Some of the four files are not in a directory that was asked for.
    #[error("{dir}: missing {missing:?} (looked for each name with and without .gz); {hint}")]
    Missing {
        dir: PathBuf,
        missing: Vec<String>,
        hint: String,
    },
    /// No source had the data; `tried` says what was tried and why it failed.
    #[error("no {dataset} data found. Tried:\n  - {}\n{hint}", tried.join("\n  - "))]
    NotFound {
        dataset: String,
        tried: Vec<String>,
        hint: String,
    },
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file is not a valid IDX file (wrong magic, truncated, corrupt gzip, ...).
    #[error("{path}: {source}{}", if *.from_cache { "; delete it so dlfs downloads it again" } else { "" })]
    Idx {
        path: PathBuf,
        #[source]
        source: IdxError,
        /// The file is in dlfs's download cache (deleting it makes dlfs fetch it again).
        from_cache: bool,
    },
    /// An image file does not have the shape (N, 28, 28), or a label file is not (N,).
    #[error("{path}: {what} file has shape {dims:?}, expected {expected}")]
    WrongShape {
        path: PathBuf,
        what: &'static str,
        dims: Vec<usize>,
        expected: String,
    },
    /// An image file and its label file disagree on the number of examples.
    #[error("{images} has {n_images} images but {labels} has {n_labels} labels")]
    CountMismatch {
        images: PathBuf,
        n_images: usize,
        labels: PathBuf,
        n_labels: usize,
    },
    /// A label is not a class index 0..=9.
    #[error("{path}: label #{index} is {value}, not a class 0..=9")]
    BadLabel {
        path: PathBuf,
        index: usize,
        value: u8,
    },
    /// The files are a known data set, but not the one asked for.
    #[error(
        "{dir}: asked for {requested}, but these files are {found} (by their first training labels)"
    )]
    WrongDataset {
        dir: PathBuf,
        requested: String,
        found: String,
    },
    /// `DLFS_DATA_DIR` names no usable directory (it does not exist, is a plain file, or
    /// holds a directory where a data file should be). Nothing is downloaded while it is set.
    #[error("DLFS_DATA_DIR={dir}: {problem}")]
    EnvDir { dir: PathBuf, problem: String },
    /// An environment variable has a value dlfs does not understand.
    #[error("environment variable {var}={value:?} is not understood: {expected}")]
    BadEnv {
        var: &'static str,
        value: String,
        expected: &'static str,
    },
    /// A downloaded file failed verification; it was not kept.
    #[error("download of {url} failed verification ({reason}); the bad file was not kept")]
    Verification { url: String, reason: String },
    /// The server closed the connection before the whole file arrived; nothing was kept.
    #[error(
        "download of {url} was cut off after {received} of {expected} bytes; the partial file was not kept"
    )]
    Interrupted {
        url: String,
        received: u64,
        expected: String,
    },
    /// No mirror could be reached.
    #[error("no network: could not reach any MNIST mirror ({details})")]
    NoNetwork { details: String },
    /// Every mirror failed for one file; each attempt is listed.
    #[error("could not download {file}:\n  - {}", attempts.join("\n  - "))]
    DownloadFailed { file: String, attempts: Vec<String> },
    /// Downloading is not possible (disabled, or built without the `download` feature).
    #[error("downloading is off: {reason}")]
    DownloadDisabled { reason: String },
}

impl DataError {
    /// True for errors that mean "the network is not there" (as opposed to bad data).
    pub fn is_network(&self) -> bool {
        matches!(self, DataError::NoNetwork { .. })
    }
}

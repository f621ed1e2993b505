//! MNIST and Fashion-MNIST loading: the book's `load_mnist(normalize, flatten, one_hot_label)`.
//!
//! ```no_run
//! use dlfs::data::{load_mnist, LoadOptions};
//! let data = load_mnist(LoadOptions { one_hot: true, ..Default::default() })?;
//! // prints e.g. "MNIST from cache /root/.cache/dlfs/mnist: 60000 train + 10000 test images, ..."
//! assert_eq!(data.x_train.shape(), &[60000, 784]);
//! # Ok::<(), dlfs::data::DataError>(())
//! ```
//!
//! # Where the data comes from
//! The first of these that has the four IDX files (gzip or raw) is used:
//! 1. [`LoadOptions::dir`];
//! 2. the directory in `DLFS_DATA_DIR` (the files directly in it, or in its `mnist/` or
//!    `fashion-mnist/` subdirectory);
//! 3. the per-user cache, `$XDG_CACHE_HOME/dlfs/<data set>` (usually `~/.cache/dlfs/mnist`);
//! 4. for MNIST, a download into that cache from public mirrors tried in turn, each file
//!    verified before it is kept (see [`download`]); skipped when `DLFS_OFFLINE=1` or
//!    [`LoadOptions::download`] is false;
//! 5. when MNIST was not asked for explicitly and could not be had, Fashion-MNIST from
//!    Debian's package `dataset-fashion-mnist` (`/usr/share/datasets/fashion-mnist/`), with a
//!    note on stdout saying why. Same format and sizes, different pictures and numbers.
//!
//! `DLFS_DATASET=mnist|fashion-mnist` (or [`LoadOptions::dataset`]) picks one data set and
//! turns off the fallback. Files in a directory are recognised as MNIST or Fashion-MNIST by
//! their first ten training labels; asking for one and getting the other is an error.
//! Whatever is loaded is printed in one line ([`Dataset::describe`]) unless
//! [`LoadOptions::quiet`].
//!
//! # Environment variables
//! | variable | effect |
//! |---|---|
//! | `DLFS_DATA_DIR` | directory with the four files (step 2) |
//! | `DLFS_DATASET` | `mnist` or `fashion-mnist`: load only that one |
//! | `DLFS_OFFLINE` | `1`/`true`/`yes`: never download |
//! | `DLFS_MNIST_MIRRORS` | comma-separated base URLs replacing the built-in mirrors (checked structurally) |
//! | `XDG_CACHE_HOME` | where the cache lives (standard) |
//!
//! # Files
//! `locate.rs` walks the steps above in order (each says in the error why it found
//! nothing); `read.rs` reads and checks the four files of the directory found; `idx.rs`
//! decodes the IDX format, `download.rs` fetches and verifies MNIST, `error.rs` holds the
//! messages.
//!
//! # Differences from the book
//! The book's loader pickles the arrays once; here the gzip files are decoded on every call
//! (all 70,000 images: ~0.7 CPU-seconds in a release build, `examples/data_load.rs`).
//! Labels are `f64` so that they can be fed to a loss as an `ArrayD<f64>` directly.

pub mod error;
pub mod idx;

pub mod download;
mod locate;

mod read;

use locate::{Env, load_with_env};
use read::read_set;
#[cfg(feature = "download")]
pub(crate) use read::write_atomic;

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ndarray::ArrayD;

pub use error::{DataError, HOW_TO_GET_DATA};
pub use idx::{Idx, IdxError, decode_idx, encode_idx, parse_idx};

pub use download::{Mirror, default_mirrors, download_mnist};

/// The four IDX file names (without `.gz`): train images, train labels, test images, test labels.
pub const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// Where Debian's `dataset-fashion-mnist` package puts the files.
pub const DEBIAN_FASHION_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// MNIST's classes: the digits.
pub const MNIST_CLASSES: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// Fashion-MNIST's classes, by label index.
pub const FASHION_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// Side of an image in pixels (images are 28x28).
pub const IMAGE_SIDE: usize = 28;

/// The first ten training labels, which tell the two data sets apart.
const MNIST_TRAIN_HEAD: [u8; 10] = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4];
const FASHION_TRAIN_HEAD: [u8; 10] = [9, 0, 0, 3, 0, 2, 7, 2, 5, 5];

/// Which data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatasetKind {
    /// Handwritten digits (LeCun, Cortes, Burges), the book's data set.
    Mnist,
    /// Zalando's Fashion-MNIST: clothing pictures in MNIST's format and sizes.
    FashionMnist,
}

impl DatasetKind {
    /// Display name: `"MNIST"` or `"Fashion-MNIST"`.
    pub fn name(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "MNIST",
            DatasetKind::FashionMnist => "Fashion-MNIST",
        }
    }

    /// Directory name under the cache or `DLFS_DATA_DIR`: `"mnist"` or `"fashion-mnist"`.
    pub fn dir_name(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "mnist",
            DatasetKind::FashionMnist => "fashion-mnist",
        }
    }

    /// The class names, indexed by label.
    pub fn class_names(self) -> &'static [&'static str; 10] {
        match self {
            DatasetKind::Mnist => &MNIST_CLASSES,
            DatasetKind::FashionMnist => &FASHION_CLASSES,
        }
    }

    /// Recognises a data set from its first ten training labels.
    fn identify(train_labels: &[u8]) -> Option<DatasetKind> {
        match train_labels.get(..10)? {
            h if h == MNIST_TRAIN_HEAD => Some(DatasetKind::Mnist),
            h if h == FASHION_TRAIN_HEAD => Some(DatasetKind::FashionMnist),
            _ => None,
        }
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DatasetKind {
    type Err = String;
    /// Accepts `mnist`, `fashion-mnist`, `fashion_mnist`, `fashion` (any case).
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mnist" => Ok(DatasetKind::Mnist),
            "fashion-mnist" | "fashion_mnist" | "fashionmnist" | "fashion" => {
                Ok(DatasetKind::FashionMnist)
            }
            other => Err(format!(
                "unknown data set {other:?}; use mnist or fashion-mnist"
            )),
        }
    }
}

/// Where the loaded files came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// [`LoadOptions::dir`].
    Dir(PathBuf),
    /// The `DLFS_DATA_DIR` environment variable.
    EnvDir(PathBuf),
    /// The per-user cache, filled by an earlier download or by hand.
    Cache(PathBuf),
    /// Downloaded just now into `dir` from `mirrors`.
    Downloaded { dir: PathBuf, mirrors: Vec<String> },
    /// Debian's `dataset-fashion-mnist` package.
    Debian(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Dir(p) => write!(f, "directory {}", p.display()),
            Source::EnvDir(p) => write!(f, "DLFS_DATA_DIR={}", p.display()),
            Source::Cache(p) => write!(f, "cache {}", p.display()),
            Source::Downloaded { dir, mirrors } => {
                write!(
                    f,
                    "download from {} into {}",
                    mirrors.join(" and "),
                    dir.display()
                )
            }
            Source::Debian(p) => {
                write!(f, "Debian package dataset-fashion-mnist ({})", p.display())
            }
        }
    }
}

/// Options of [`load_mnist`]; `Default` is the book's default (normalize, flatten, index labels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Divide pixel values by 255 (to `[0, 1]`); otherwise `0.0..=255.0`.
    pub normalize: bool,
    /// Images as rows of 784 values `(N, 784)`; otherwise `(N, 1, 28, 28)`.
    pub flatten: bool,
    /// Labels one-hot `(N, 10)`; otherwise class indices as `f64`, shape `(N,)`.
    pub one_hot: bool,
    /// Read the four files from this directory and nowhere else.
    pub dir: Option<PathBuf>,
    /// Load only this data set (overrides `DLFS_DATASET`; turns off the fallback).
    pub dataset: Option<DatasetKind>,
    /// Allow downloading MNIST when it is not found locally (`DLFS_OFFLINE=1` also forbids it).
    pub download: bool,
    /// Cache root (default `$XDG_CACHE_HOME/dlfs`, usually `~/.cache/dlfs`).
    pub cache_dir: Option<PathBuf>,
    /// Mirrors to try (default: `DLFS_MNIST_MIRRORS`, else [`default_mirrors`]).
    pub mirrors: Option<Vec<Mirror>>,
    /// Fashion-MNIST fallback directory (default [`DEBIAN_FASHION_DIR`]).
    pub fallback_dir: Option<PathBuf>,
    /// Read `DLFS_*` environment variables (tests turn this off).
    pub use_env: bool,
    /// Print nothing (no description line, no download progress, no fallback note).
    pub quiet: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            normalize: true,
            flatten: true,
            one_hot: false,
            dir: None,
            dataset: None,
            download: true,
            cache_dir: None,
            mirrors: None,
            fallback_dir: None,
            use_env: true,
            quiet: false,
        }
    }
}

/// A loaded data set: the book's `(x_train, t_train), (x_test, t_test)` plus where it came from.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Training images, `(N, 784)` or `(N, 1, 28, 28)`, `f64`.
    pub x_train: ArrayD<f64>,
    /// Training labels: class indices `(N,)` or one-hot `(N, 10)`, `f64`.
    pub t_train: ArrayD<f64>,
    /// Test images, like `x_train`.
    pub x_test: ArrayD<f64>,
    /// Test labels, like `t_train`.
    pub t_test: ArrayD<f64>,
    /// Which data set the files are.
    pub kind: DatasetKind,
    /// Where they came from.
    pub source: Source,
    /// False when the files matched neither data set's first training labels (e.g. a
    /// subset): `kind` is then what was asked for, or MNIST.
    pub identified: bool,
    /// Set when Fashion-MNIST was loaded because MNIST could not be had: why.
    pub fallback_reason: Option<String>,
    /// The options used (for `describe`).
    pub options: LoadOptions,
}

impl Dataset {
    /// Number of training examples.
    pub fn n_train(&self) -> usize {
        self.x_train.shape()[0]
    }

    /// Number of test examples.
    pub fn n_test(&self) -> usize {
        self.x_test.shape()[0]
    }

    /// Class names for titles and legends, indexed by label.
    pub fn class_names(&self) -> &'static [&'static str; 10] {
        self.kind.class_names()
    }

    /// Name of class `label`, or `"?"` when out of range.
    pub fn class_name(&self, label: usize) -> &'static str {
        self.class_names().get(label).copied().unwrap_or("?")
    }

    /// The first ten test labels (from indices or one-hot rows).
    fn test_head(&self) -> Vec<u8> {
        let t = &self.t_test;
        let n = t.shape().first().map_or(0, |&n| n.min(10));
        (0..n)
            .map(|i| {
                let row = t.index_axis(ndarray::Axis(0), i);
                match row.ndim() {
                    0 => row.iter().next().copied().unwrap_or(0.0) as u8,
                    _ => crate::functions::argmax(row.iter().copied()) as u8,
                }
            })
            .collect()
    }

    /// One line saying which data set, from where, and the sizes and encodings.
    pub fn describe(&self) -> String {
        let range = if self.options.normalize {
            "[0, 1]"
        } else {
            "[0, 255]"
        };
        let labels = if self.options.one_hot {
            "one-hot"
        } else {
            "class indices"
        };
        let shape = |s: &[usize]| match s {
            [n] => format!("({n},)"),
            _ => format!(
                "({})",
                s.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let mut s = format!(
            "{} from {}: {} train + {} test images; x {} in {range}; t {} {labels}",
            self.kind,
            self.source,
            self.n_train(),
            self.n_test(),
            shape(self.x_train.shape()),
            shape(self.t_train.shape()),
        );
        if !self.identified {
            s.push_str(" (files not recognised as MNIST or Fashion-MNIST");
            if let Some(k) = DatasetKind::identify(&self.test_head()) {
                s.push_str(&format!(
                    "; the test labels begin as {k}'s training labels: train and test files swapped?"
                ));
            }
            s.push(')');
        }
        if let Some(r) = &self.fallback_reason {
            s.push_str(&format!(
                " — instead of MNIST ({r}); results differ from the book's"
            ));
        }
        s
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Loads MNIST (or Fashion-MNIST, see the module docs) and prints one line saying what was
/// loaded from where, unless `opts.quiet`.
///
/// # Errors
/// A [`DataError`] naming the file and what is wrong with it, or, when nothing was found,
/// [`DataError::NotFound`] listing every place tried and how to get the data.
pub fn load_mnist(opts: LoadOptions) -> Result<Dataset, DataError> {
    let env = if opts.use_env {
        Env::from_process()
    } else {
        Env::default()
    };
    let data = load_with_env(opts, &env)?;
    if !data.options.quiet {
        println!("{}", data.describe());
        let _ = std::io::stdout().flush();
    }
    Ok(data)
}

/// Loads the four files from `dir` (nothing else is tried). Prints nothing.
///
/// # Errors
/// [`DataError::Missing`] when a file is absent, other variants for bad files.
pub fn load_dir(dir: impl AsRef<Path>, opts: &LoadOptions) -> Result<Dataset, DataError> {
    let dir = dir.as_ref();
    read_set(
        dir,
        opts,
        opts.dataset,
        Source::Dir(dir.to_path_buf()),
        false,
    )
}

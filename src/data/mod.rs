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
//! # Differences from the book
//! The book's loader pickles the arrays once; here the gzip files are decoded on every call
//! (all 70,000 images: ~0.7 CPU-seconds in a release build, `examples/data_load.rs`).
//! Labels are `f64` so that they can be fed to a loss as an `ArrayD<f64>` directly.

pub mod error;
pub mod idx;

pub mod download;

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ndarray::{Array1, Array2, ArrayD, IxDyn};

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
            s.push_str(" (files not recognised as MNIST or Fashion-MNIST)");
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

/// The environment variables that steer loading.
#[derive(Debug, Clone, Default)]
struct Env {
    data_dir: Option<String>,
    dataset: Option<String>,
    offline: Option<String>,
    mirrors: Option<String>,
}

impl Env {
    fn from_process() -> Env {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Env {
            data_dir: get("DLFS_DATA_DIR"),
            dataset: get("DLFS_DATASET"),
            offline: get("DLFS_OFFLINE"),
            mirrors: get("DLFS_MNIST_MIRRORS"),
        }
    }

    fn dataset(&self) -> Result<Option<DatasetKind>, DataError> {
        self.dataset
            .as_deref()
            .map(|v| {
                v.parse().map_err(|_| DataError::BadEnv {
                    var: "DLFS_DATASET",
                    value: v.into(),
                    expected: "mnist or fashion-mnist",
                })
            })
            .transpose()
    }

    fn offline(&self) -> Result<bool, DataError> {
        match self
            .offline
            .as_deref()
            .map(|v| v.trim().to_ascii_lowercase())
        {
            None => Ok(false),
            Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
            Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => Ok(false),
            Some(v) => Err(DataError::BadEnv {
                var: "DLFS_OFFLINE",
                value: v,
                expected: "1 or 0",
            }),
        }
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

fn default_cache_root() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("dlfs"))
}

fn load_with_env(opts: LoadOptions, env: &Env) -> Result<Dataset, DataError> {
    let requested = match opts.dataset {
        Some(k) => Some(k),
        None => env.dataset()?,
    };
    let offline = env.offline()?;
    if let Some(dir) = &opts.dir {
        return read_set(dir, &opts, requested, Source::Dir(dir.clone()), false);
    }
    if let Some(root) = &env.data_dir {
        let root = PathBuf::from(root);
        check_env_dir(&root)?;
        let mut candidates = vec![root.clone()];
        match requested {
            Some(k) => candidates.push(root.join(k.dir_name())),
            None => candidates.extend(
                [DatasetKind::Mnist, DatasetKind::FashionMnist].map(|k| root.join(k.dir_name())),
            ),
        }
        let dir = candidates
            .iter()
            .find(|d| missing_files(d).is_empty())
            .unwrap_or(&root)
            .clone();
        if let Some(blocking) = candidates
            .iter()
            .find_map(|d| directory_in_place_of_a_file(d))
        {
            return Err(DataError::EnvDir {
                dir: root.clone(),
                problem: format!(
                    "{} is a directory, not a data file: put the IDX file itself there",
                    blocking.display()
                ),
            });
        }
        return read_set(&dir, &opts, requested, Source::EnvDir(dir.clone()), false).map_err(|e| {
            match e {
                DataError::Missing { dir, missing, .. } => DataError::Missing {
                    dir,
                    missing,
                    hint: ENV_DIR_HINT.into(),
                },
                e => e,
            }
        });
    }

    let kind = requested.unwrap_or(DatasetKind::Mnist);
    let cache_root = opts.cache_dir.clone().or_else(default_cache_root);
    let fallback_dir = opts
        .fallback_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEBIAN_FASHION_DIR));
    let mut tried: Vec<String> = Vec::new();

    let cache_of = |k: DatasetKind| cache_root.as_ref().map(|r| r.join(k.dir_name()));
    let try_cache = |k: DatasetKind, tried: &mut Vec<String>| -> Option<PathBuf> {
        match cache_of(k) {
            Some(dir) => {
                let missing = missing_files(&dir);
                if missing.is_empty() {
                    return Some(dir);
                }
                tried.push(format!(
                    "{k} cache {}: missing {}",
                    dir.display(),
                    missing.join(", ")
                ));
                None
            }
            None => {
                tried.push(
                    "cache: no cache directory (neither XDG_CACHE_HOME nor HOME is set)".into(),
                );
                None
            }
        }
    };
    let debian = |tried: &mut Vec<String>| -> bool {
        let missing = missing_files(&fallback_dir);
        if missing.is_empty() {
            return true;
        }
        tried.push(format!(
            "Fashion-MNIST {}: missing {} (apt-get install dataset-fashion-mnist)",
            fallback_dir.display(),
            missing.join(", ")
        ));
        false
    };

    if let Some(dir) = try_cache(kind, &mut tried) {
        return read_set(&dir, &opts, requested, Source::Cache(dir.clone()), true);
    }

    match kind {
        DatasetKind::Mnist => {
            // (full reason, short reason for the fallback note)
            let (why, short) = if offline {
                let s = "downloading is off (DLFS_OFFLINE)".to_string();
                (s.clone(), s)
            } else if !opts.download {
                let s = "downloading is off (LoadOptions::download is false)".to_string();
                (s.clone(), s)
            } else {
                match cache_of(DatasetKind::Mnist) {
                    Some(dir) => {
                        match download_mnist(&dir, &mirrors_for(&opts, env), !opts.quiet) {
                            Ok(mirrors) => {
                                let src = Source::Downloaded {
                                    dir: dir.clone(),
                                    mirrors,
                                };
                                return read_set(&dir, &opts, requested, src, true);
                            }
                            Err(e) if e.is_network() => (
                                e.to_string(),
                                "no network, MNIST mirrors unreachable".into(),
                            ),
                            Err(e) => {
                                let full = e.to_string();
                                let first = full.lines().next().unwrap_or_default();
                                let short: String = first.chars().take(160).collect();
                                (full, format!("download failed: {short}"))
                            }
                        }
                    }
                    None => {
                        let s = "no cache directory to download into".to_string();
                        (s.clone(), s)
                    }
                }
            };
            tried.push(format!("download of MNIST: {why}"));
            if requested.is_none() {
                let reason = short;
                let note = |src: &Source| {
                    if !opts.quiet {
                        println!(
                            "dlfs: MNIST could not be had ({reason}); using Fashion-MNIST from {src} instead"
                        );
                    }
                };
                let fallback = if let Some(dir) = try_cache(DatasetKind::FashionMnist, &mut tried) {
                    Some(Source::Cache(dir))
                } else if debian(&mut tried) {
                    Some(Source::Debian(fallback_dir.clone()))
                } else {
                    None
                };
                if let Some(src) = fallback {
                    note(&src);
                    let (dir, cached) = match &src {
                        Source::Cache(d) => (d.clone(), true),
                        _ => (fallback_dir.clone(), false),
                    };
                    let mut data =
                        read_set(&dir, &opts, Some(DatasetKind::FashionMnist), src, cached)?;
                    data.fallback_reason = Some(reason);
                    return Ok(data);
                }
            }
        }
        DatasetKind::FashionMnist => {
            if debian(&mut tried) {
                let src = Source::Debian(fallback_dir.clone());
                return read_set(&fallback_dir, &opts, requested, src, false);
            }
        }
    }
    Err(DataError::NotFound {
        dataset: kind.name().into(),
        tried,
        hint: HOW_TO_GET_DATA.into(),
    })
}

/// The mirrors to try: `LoadOptions::mirrors`, else `DLFS_MNIST_MIRRORS`, else the built-in ones.
fn mirrors_for(opts: &LoadOptions, env: &Env) -> Vec<Mirror> {
    match (&opts.mirrors, &env.mirrors) {
        (Some(m), _) => m.clone(),
        (None, Some(list)) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Mirror::structural)
            .collect(),
        (None, None) => default_mirrors(),
    }
}

/// Path of `name` in `dir`: `name.gz` if present, else `name`.
fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    let gz = dir.join(format!("{name}.gz"));
    if gz.is_file() {
        return Some(gz);
    }
    let raw = dir.join(name);
    raw.is_file().then_some(raw)
}

/// What to do about a missing file when `DLFS_DATA_DIR` is set (no download happens then).
const ENV_DIR_HINT: &str = "DLFS_DATA_DIR is set, so dlfs neither downloads nor looks \
elsewhere: put the four files in that directory (or in its mnist/ or fashion-mnist/ \
subdirectory), or unset DLFS_DATA_DIR";

/// `DLFS_DATA_DIR` must name an existing directory.
fn check_env_dir(root: &Path) -> Result<(), DataError> {
    let problem = if root.is_dir() {
        return Ok(());
    } else if root.exists() {
        "is a file, not a directory: set DLFS_DATA_DIR to the directory that holds the four \
         data files"
    } else {
        "does not exist: set DLFS_DATA_DIR to the directory that holds the four data files, \
         or unset it to let dlfs find (or download) them"
    };
    Err(DataError::EnvDir {
        dir: root.to_path_buf(),
        problem: problem.into(),
    })
}

/// A data file's name (with or without .gz) in `dir` that is a directory instead.
fn directory_in_place_of_a_file(dir: &Path) -> Option<PathBuf> {
    MNIST_FILES.iter().find_map(|n| {
        [dir.join(format!("{n}.gz")), dir.join(n)]
            .into_iter()
            .find(|p| p.is_dir())
    })
}

fn missing_files(dir: &Path) -> Vec<String> {
    MNIST_FILES
        .iter()
        .filter(|n| find_file(dir, n).is_none())
        .map(|n| n.to_string())
        .collect()
}

/// Writes `bytes` to `path` through a temporary file of its own in the same directory
/// (removed if anything fails) and a rename.
#[cfg_attr(not(feature = "download"), allow(dead_code))]
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let result = (|| {
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map(drop).map_err(|e| e.error)
    })();
    result.map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// One decoded IDX file with its path.
struct Loaded {
    path: PathBuf,
    dims: Vec<usize>,
    data: Vec<u8>,
}

fn read_idx_file(path: &Path, from_cache: bool) -> Result<Loaded, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let Idx { dims, data } = decode_idx(&bytes).map_err(|source| DataError::Idx {
        path: path.to_path_buf(),
        source,
        from_cache,
    })?;
    Ok(Loaded {
        path: path.to_path_buf(),
        dims,
        data,
    })
}

/// Pixels to `f64` (divided by 255 when `normalize`), split over two threads: most of the
/// time goes into first-touching the large output, which two cores do faster than one.
fn pixels_to_f64(data: &[u8], normalize: bool) -> Vec<f64> {
    let lut: [f64; 256] = std::array::from_fn(|i| {
        if normalize {
            i as f64 / 255.0
        } else {
            i as f64
        }
    });
    let convert = |src: &[u8]| -> Vec<f64> { src.iter().map(|&b| lut[b as usize]).collect() };
    if data.len() < 1 << 20 {
        return convert(data);
    }
    let (a, b) = data.split_at(data.len() / 2);
    let mut out = vec![0.0f64; data.len()];
    let (out_a, out_b) = out.split_at_mut(a.len());
    let fill = |src: &[u8], dst: &mut [f64]| {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = lut[s as usize];
        }
    };
    std::thread::scope(|s| {
        s.spawn(|| fill(b, out_b));
        fill(a, out_a);
    });
    out
}

fn check_images(l: &Loaded) -> Result<usize, DataError> {
    match l.dims.as_slice() {
        &[n, IMAGE_SIDE, IMAGE_SIDE] => Ok(n),
        dims => Err(DataError::WrongShape {
            path: l.path.clone(),
            what: "image",
            dims: dims.to_vec(),
            expected: "(N, 28, 28)".into(),
        }),
    }
}

fn check_labels(l: &Loaded) -> Result<usize, DataError> {
    let n = match l.dims.as_slice() {
        &[n] => n,
        dims => {
            return Err(DataError::WrongShape {
                path: l.path.clone(),
                what: "label",
                dims: dims.to_vec(),
                expected: "(N,)".into(),
            });
        }
    };
    if let Some((index, &value)) = l.data.iter().enumerate().find(|(_, v)| **v > 9) {
        return Err(DataError::BadLabel {
            path: l.path.clone(),
            index,
            value,
        });
    }
    Ok(n)
}

fn images_array(l: Loaded, n: usize, opts: &LoadOptions) -> ArrayD<f64> {
    let values = pixels_to_f64(&l.data, opts.normalize);
    let shape: Vec<usize> = if opts.flatten {
        vec![n, IMAGE_SIDE * IMAGE_SIDE]
    } else {
        vec![n, 1, IMAGE_SIDE, IMAGE_SIDE]
    };
    ArrayD::from_shape_vec(IxDyn(&shape), values).expect("length checked against the IDX header")
}

fn labels_array(labels: &[u8], one_hot: bool) -> ArrayD<f64> {
    if one_hot {
        let mut t = Array2::<f64>::zeros((labels.len(), 10));
        for (i, &c) in labels.iter().enumerate() {
            t[[i, c as usize]] = 1.0;
        }
        t.into_dyn()
    } else {
        Array1::from_iter(labels.iter().map(|&c| f64::from(c))).into_dyn()
    }
}

/// Reads and checks the four files in `dir`.
fn read_set(
    dir: &Path,
    opts: &LoadOptions,
    requested: Option<DatasetKind>,
    source: Source,
    from_cache: bool,
) -> Result<Dataset, DataError> {
    let missing = missing_files(dir);
    if !missing.is_empty() {
        return Err(DataError::Missing {
            dir: dir.to_path_buf(),
            missing,
            hint: HOW_TO_GET_DATA.into(),
        });
    }
    let paths: Vec<PathBuf> = MNIST_FILES
        .iter()
        .filter_map(|n| find_file(dir, n))
        .collect();
    // Decode the big training-image file on its own thread while the rest is read here.
    let (train_images, rest) = std::thread::scope(|s| {
        let big = s.spawn(|| read_idx_file(&paths[0], from_cache));
        let rest = (|| {
            let train_labels = read_idx_file(&paths[1], from_cache)?;
            let test_images = read_idx_file(&paths[2], from_cache)?;
            let test_labels = read_idx_file(&paths[3], from_cache)?;
            Ok::<_, DataError>((train_labels, test_images, test_labels))
        })();
        (
            big.join()
                .unwrap_or_else(|_| unreachable!("IDX decoding does not panic")),
            rest,
        )
    });
    let train_images = train_images?;
    let (train_labels, test_images, test_labels) = rest?;
    let n_train = check_images(&train_images)?;
    let n_test = check_images(&test_images)?;
    for (images, n_images, labels) in [
        (&train_images, n_train, &train_labels),
        (&test_images, n_test, &test_labels),
    ] {
        let n_labels = check_labels(labels)?;
        if n_labels != n_images {
            return Err(DataError::CountMismatch {
                images: images.path.clone(),
                n_images,
                labels: labels.path.clone(),
                n_labels,
            });
        }
    }
    let identified = DatasetKind::identify(&train_labels.data);
    if let (Some(r), Some(found)) = (requested, identified)
        && r != found
    {
        return Err(DataError::WrongDataset {
            dir: dir.to_path_buf(),
            requested: r.name().into(),
            found: found.name().into(),
        });
    }
    let kind = identified.or(requested).unwrap_or(DatasetKind::Mnist);
    let t_train = labels_array(&train_labels.data, opts.one_hot);
    let t_test = labels_array(&test_labels.data, opts.one_hot);
    let x_train = images_array(train_images, n_train, opts);
    let x_test = images_array(test_images, n_test, opts);
    Ok(Dataset {
        x_train,
        t_train,
        x_test,
        t_test,
        kind,
        source,
        identified: identified.is_some(),
        fallback_reason: None,
        options: opts.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_tiny_set(dir: &Path, head: &[u8]) {
        std::fs::create_dir_all(dir).unwrap();
        let labels: Vec<u8> = (0..10).map(|i| head.get(i).copied().unwrap_or(0)).collect();
        let files = [
            encode_idx(&[10, 28, 28], &[0u8; 7840]).unwrap(),
            encode_idx(&[10], &labels).unwrap(),
            encode_idx(&[2, 28, 28], &[255u8; 1568]).unwrap(),
            encode_idx(&[2], &[1, 2]).unwrap(),
        ];
        for (name, bytes) in MNIST_FILES.iter().zip(files) {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }

    fn opts(tmp: &Path) -> LoadOptions {
        LoadOptions {
            quiet: true,
            download: false,
            cache_dir: Some(tmp.join("cache")),
            fallback_dir: Some(tmp.join("none")),
            ..Default::default()
        }
    }

    #[test]
    fn env_values_are_parsed_or_rejected() {
        let env = |dataset: &str, offline: &str| Env {
            dataset: Some(dataset.into()),
            offline: Some(offline.into()),
            ..Env::default()
        };
        assert_eq!(
            env("Fashion-MNIST", "1").dataset().unwrap(),
            Some(DatasetKind::FashionMnist)
        );
        assert_eq!(
            env("mnist", "1").dataset().unwrap(),
            Some(DatasetKind::Mnist)
        );
        assert!(env("mnist", "yes").offline().unwrap());
        assert!(!env("mnist", "0").offline().unwrap());
        let e = env("cifar", "0").dataset().unwrap_err().to_string();
        assert!(e.contains("DLFS_DATASET=\"cifar\""), "{e}");
        let e = env("mnist", "maybe").offline().unwrap_err().to_string();
        assert!(e.contains("DLFS_OFFLINE"), "{e}");
    }

    #[test]
    fn data_dir_env_finds_files_directly_or_in_a_subdirectory() {
        let tmp = tempfile::tempdir().unwrap();
        let fashion = tmp.path().join("data/fashion-mnist");
        write_tiny_set(&fashion, &FASHION_TRAIN_HEAD);
        let env = Env {
            data_dir: Some(tmp.path().join("data").display().to_string()),
            ..Env::default()
        };
        let d = load_with_env(opts(tmp.path()), &env).unwrap();
        assert_eq!(d.source, Source::EnvDir(fashion.clone()));
        assert_eq!(d.kind, DatasetKind::FashionMnist);
        assert_eq!(d.x_test[[1, 5]], 1.0);
        // DLFS_DATASET=mnist with only Fashion-MNIST there: the error says what is missing.
        let env = Env {
            dataset: Some("mnist".into()),
            ..env
        };
        let e = load_with_env(opts(tmp.path()), &env).unwrap_err();
        assert!(matches!(e, DataError::Missing { .. }), "{e}");
        assert!(e.to_string().contains("DLFS_DATA_DIR is set"), "{e}");
        assert!(!e.to_string().contains("connect to the network"), "{e}");
    }

    #[test]
    fn data_dir_env_says_what_is_wrong_with_it() {
        let tmp = tempfile::tempdir().unwrap();
        let env = |p: &Path| Env {
            data_dir: Some(p.display().to_string()),
            ..Env::default()
        };
        let gone = tmp.path().join("nowhere");
        let e = load_with_env(opts(tmp.path()), &env(&gone))
            .unwrap_err()
            .to_string();
        assert!(e.contains("nowhere: does not exist"), "{e}");
        let file = tmp.path().join("plain");
        std::fs::write(&file, b"x").unwrap();
        let e = load_with_env(opts(tmp.path()), &env(&file))
            .unwrap_err()
            .to_string();
        assert!(e.contains("plain: is a file, not a directory"), "{e}");
        let odd = tmp.path().join("odd");
        std::fs::create_dir_all(odd.join("train-images-idx3-ubyte.gz")).unwrap();
        let e = load_with_env(opts(tmp.path()), &env(&odd))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("train-images-idx3-ubyte.gz is a directory, not a data file"),
            "{e}"
        );
    }

    #[test]
    fn offline_env_skips_the_download() {
        let tmp = tempfile::tempdir().unwrap();
        let fallback = tmp.path().join("fb");
        write_tiny_set(&fallback, &FASHION_TRAIN_HEAD);
        let o = LoadOptions {
            download: true,
            mirrors: Some(vec![Mirror::structural("http://127.0.0.1:1/")]),
            fallback_dir: Some(fallback),
            ..opts(tmp.path())
        };
        let env = Env {
            offline: Some("1".into()),
            ..Env::default()
        };
        let d = load_with_env(o, &env).unwrap();
        assert_eq!(
            d.fallback_reason.as_deref(),
            Some("downloading is off (DLFS_OFFLINE)")
        );
        assert_eq!(d.class_name(0), "T-shirt/top");
    }

    #[test]
    fn cached_files_come_first() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = tmp.path().join("cache/mnist");
        write_tiny_set(&cache, &MNIST_TRAIN_HEAD);
        let d = load_with_env(opts(tmp.path()), &Env::default()).unwrap();
        assert_eq!(d.source, Source::Cache(cache));
        assert_eq!((d.kind, d.identified), (DatasetKind::Mnist, true));
        assert!(
            d.describe().starts_with("MNIST from cache "),
            "{}",
            d.describe()
        );
    }
}

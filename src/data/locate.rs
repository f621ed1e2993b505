//! Where the data comes from: the steps of the module docs, tried in order, each either
//! finding the four files or saying in `tried` why it did not.

use std::path::{Path, PathBuf};

use super::download::{Mirror, default_mirrors, download_mnist};
use super::{
    DEBIAN_FASHION_DIR, DataError, Dataset, DatasetKind, HOW_TO_GET_DATA, LoadOptions, MNIST_FILES,
    Source, read_set,
};

/// The environment variables that steer loading.
#[derive(Debug, Clone, Default)]
pub(super) struct Env {
    data_dir: Option<String>,
    dataset: Option<String>,
    offline: Option<String>,
    mirrors: Option<String>,
}

impl Env {
    pub(super) fn from_process() -> Env {
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

/// Finds the data and reads it: the steps of the module docs, in order.
pub(super) fn load_with_env(opts: LoadOptions, env: &Env) -> Result<Dataset, DataError> {
    let requested = match opts.dataset {
        Some(k) => Some(k),
        None => env.dataset()?,
    };
    let offline = env.offline()?;

    // 1. the directory the caller named
    if let Some(dir) = &opts.dir {
        return read_set(dir, &opts, requested, Source::Dir(dir.clone()), false);
    }
    // 2. DLFS_DATA_DIR: that directory (or its data-set subdirectory) and nothing else
    if let Some(root) = &env.data_dir {
        return from_env_dir(Path::new(root), &opts, requested);
    }
    let kind = requested.unwrap_or(DatasetKind::Mnist);
    let mut search = Search::new(&opts);
    // 3. the per-user cache
    if let Some(dir) = search.cache(kind) {
        return read_set(&dir, &opts, requested, Source::Cache(dir.clone()), true);
    }
    // 4. Fashion-MNIST asked for: Debian's package
    if kind == DatasetKind::FashionMnist {
        if search.debian() {
            let dir = search.fallback_dir.clone();
            return read_set(&dir, &opts, requested, Source::Debian(dir.clone()), false);
        }
        return Err(search.not_found(kind));
    }
    // 4. MNIST: a download into the cache
    let reason = match search.download(&opts, env, offline) {
        Ok((dir, mirrors)) => {
            let source = Source::Downloaded {
                dir: dir.clone(),
                mirrors,
            };
            return read_set(&dir, &opts, requested, source, true);
        }
        Err(reason) => reason,
    };
    // 5. MNIST was not asked for by name: Fashion-MNIST, from the cache or Debian's package
    if requested.is_none()
        && let Some(data) = search.fallback(&opts, reason)?
    {
        return Ok(data);
    }
    Err(search.not_found(kind))
}

/// Step 2: the files directly in `DLFS_DATA_DIR`, or in its `mnist/` or `fashion-mnist/`.
fn from_env_dir(
    root: &Path,
    opts: &LoadOptions,
    requested: Option<DatasetKind>,
) -> Result<Dataset, DataError> {
    check_env_dir(root)?;
    let mut candidates = vec![root.to_path_buf()];
    match requested {
        Some(k) => candidates.push(root.join(k.dir_name())),
        None => candidates.extend(
            [DatasetKind::Mnist, DatasetKind::FashionMnist].map(|k| root.join(k.dir_name())),
        ),
    }
    if let Some(blocking) = candidates
        .iter()
        .find_map(|d| directory_in_place_of_a_file(d))
    {
        return Err(DataError::EnvDir {
            dir: root.to_path_buf(),
            problem: format!(
                "{} is a directory, not a data file: put the IDX file itself there",
                blocking.display()
            ),
        });
    }
    let dir = candidates
        .iter()
        .find(|d| missing_files(d).is_empty())
        .unwrap_or(&candidates[0])
        .clone();
    read_set(&dir, opts, requested, Source::EnvDir(dir.clone()), false).map_err(|e| match e {
        DataError::Missing { dir, missing, .. } => DataError::Missing {
            dir,
            missing,
            hint: ENV_DIR_HINT.into(),
        },
        e => e,
    })
}

/// Steps 3 to 5: the places outside the caller's control, and why each one failed.
struct Search {
    cache_root: Option<PathBuf>,
    fallback_dir: PathBuf,
    tried: Vec<String>,
}

impl Search {
    fn new(opts: &LoadOptions) -> Self {
        Search {
            cache_root: opts.cache_dir.clone().or_else(default_cache_root),
            fallback_dir: opts
                .fallback_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEBIAN_FASHION_DIR)),
            tried: Vec::new(),
        }
    }

    fn cache_dir(&self, kind: DatasetKind) -> Option<PathBuf> {
        self.cache_root.as_ref().map(|r| r.join(kind.dir_name()))
    }

    /// The cache directory of `kind`, if it holds the four files.
    fn cache(&mut self, kind: DatasetKind) -> Option<PathBuf> {
        let Some(dir) = self.cache_dir(kind) else {
            self.tried
                .push("cache: no cache directory (neither XDG_CACHE_HOME nor HOME is set)".into());
            return None;
        };
        let missing = missing_files(&dir);
        if missing.is_empty() {
            return Some(dir);
        }
        self.tried.push(format!(
            "{kind} cache {}: missing {}",
            dir.display(),
            missing.join(", ")
        ));
        None
    }

    /// Whether Debian's Fashion-MNIST directory holds the four files.
    fn debian(&mut self) -> bool {
        let missing = missing_files(&self.fallback_dir);
        if missing.is_empty() {
            return true;
        }
        self.tried.push(format!(
            "Fashion-MNIST {}: missing {} (apt-get install dataset-fashion-mnist)",
            self.fallback_dir.display(),
            missing.join(", ")
        ));
        false
    }

    /// MNIST downloaded into its cache directory (with the mirrors used), or the short
    /// reason why not for the fallback note (the full one goes into `tried`).
    fn download(
        &mut self,
        opts: &LoadOptions,
        env: &Env,
        offline: bool,
    ) -> Result<(PathBuf, Vec<String>), String> {
        let (why, short) = if offline {
            let s = "downloading is off (DLFS_OFFLINE)".to_string();
            (s.clone(), s)
        } else if !opts.download {
            let s = "downloading is off (LoadOptions::download is false)".to_string();
            (s.clone(), s)
        } else if let Some(dir) = self.cache_dir(DatasetKind::Mnist) {
            match download_mnist(&dir, &mirrors_for(opts, env), !opts.quiet) {
                Ok(mirrors) => return Ok((dir, mirrors)),
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
        } else {
            let s = "no cache directory to download into".to_string();
            (s.clone(), s)
        };
        self.tried.push(format!("download of MNIST: {why}"));
        Err(short)
    }

    /// Fashion-MNIST in place of MNIST, from its cache or Debian's package, with a note on
    /// stdout saying why (`reason`); `None` when neither has it.
    fn fallback(
        &mut self,
        opts: &LoadOptions,
        reason: String,
    ) -> Result<Option<Dataset>, DataError> {
        let (dir, source, cached) = if let Some(dir) = self.cache(DatasetKind::FashionMnist) {
            (dir.clone(), Source::Cache(dir), true)
        } else if self.debian() {
            let dir = self.fallback_dir.clone();
            (dir.clone(), Source::Debian(dir), false)
        } else {
            return Ok(None);
        };
        if !opts.quiet {
            println!(
                "dlfs: MNIST could not be had ({reason}); using Fashion-MNIST from {source} instead"
            );
        }
        let mut data = read_set(&dir, opts, Some(DatasetKind::FashionMnist), source, cached)?;
        data.fallback_reason = Some(reason);
        Ok(Some(data))
    }

    /// Nothing found: every place tried, and how to get the data.
    fn not_found(self, kind: DatasetKind) -> DataError {
        DataError::NotFound {
            dataset: kind.name().into(),
            tried: self.tried,
            hint: HOW_TO_GET_DATA.into(),
        }
    }
}

fn default_cache_root() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("dlfs"))
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
pub(super) fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
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

pub(super) fn missing_files(dir: &Path) -> Vec<String> {
    MNIST_FILES
        .iter()
        .filter(|n| find_file(dir, n).is_none())
        .map(|n| n.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{FASHION_TRAIN_HEAD, MNIST_TRAIN_HEAD, encode_idx};

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

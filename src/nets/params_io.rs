//! `save_params` / `load_params` of a [`Sequential`] as .npz (numpy's `np.load` reads it).

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use ndarray::{ArrayD, IxDyn, OwnedRepr};
use ndarray_npy::{NpzReader, NpzWriter};

use super::Sequential;
use crate::error::ParamsError;

/// A temporary save file left unlocked for this long is stale: its writer is gone (a
/// writer locks its file right after creating it).
pub const STALE_TMP_SECS: u64 = 2;

const TMP_SUFFIX: &str = ".tmp";

/// Removes the temporary files `prefix*.tmp` in `dir` that no writer holds and that are
/// older than [`STALE_TMP_SECS`]. Best effort: what cannot be read or locked is left.
fn remove_stale_tmp(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(prefix) && name.ends_with(TMP_SUFFIX)) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() >= STALE_TMP_SECS);
        if !old {
            continue;
        }
        if let Ok(file) = File::open(entry.path())
            && file.try_lock().is_ok()
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// `path`, or the file at the end of its chain of symbolic links (at most 40, as the
/// kernel allows; a link to a file not yet there gives that file's path).
fn follow_links(path: &Path) -> PathBuf {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        let Ok(target) = std::fs::read_link(&p) else {
            break;
        };
        // a relative target is relative to the link's directory
        p = p.parent().map_or(target.clone(), |d| d.join(&target));
    }
    p
}

/// Writes a file at `path` the way [`Sequential::save_params`] does (its documentation says
/// how): `write` fills a temporary file in the same directory, which is then synced by
/// `write` and renamed over `path`, so `path` holds one complete file, never half of one.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut File) -> Result<(), ParamsError>,
) -> Result<(), ParamsError> {
    let io = |source| ParamsError::Io {
        path: path.to_path_buf(),
        source,
    };
    // through a symbolic link: replace the file it points to, the link stays
    let target = follow_links(path);
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = target
        .file_name()
        .ok_or_else(|| io(std::io::Error::other("the path names no file")))?
        .to_string_lossy()
        .into_owned();
    let prefix = format!(".{file_name}.");
    remove_stale_tmp(&dir, &prefix);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(TMP_SUFFIX);
    #[cfg(unix)]
    {
        // a new file gets the mode of any new file (0666 less the umask), not 0600
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(&dir).map_err(io)?;
    // held until the file is closed: a cleaner of another save sees it is in use
    tmp.as_file().lock().map_err(io)?;
    // a file saved over keeps its permissions
    if let Ok(old) = std::fs::metadata(&target) {
        tmp.as_file()
            .set_permissions(old.permissions())
            .map_err(io)?;
    }
    write(tmp.as_file_mut())?;
    // on error the temporary file is removed when `tmp` is dropped
    tmp.persist(&target).map_err(|e| io(e.error))?;
    Ok(())
}

impl Sequential {
    /// Saves every parameter (`W1`, `b1`, `gamma1`, …) and buffer (`running_mean1`, …) by
    /// name to an .npz file at `path` (the book pickles a dict; `np.load(path)["W1"]`
    /// reads ours).
    ///
    /// The file is written to a temporary file of its own in the same directory
    /// (`.NAME.XXXXXX.tmp`, unique even for saves from several threads or processes at
    /// once), synced, and renamed over `path`: `path` always holds one complete save, never
    /// a half-written or mixed file. A file saved over keeps its permissions (a new one
    /// gets the usual 0666 less the umask); if `path` is a symbolic link, the file it points
    /// to is replaced (atomically, in its own directory) and the link stays. The temporary file is locked while it is written; a
    /// save first removes the temporary files of earlier saves to the same `path` that
    /// no one holds any more and that are older than [`STALE_TMP_SECS`] (left by a
    /// process that was killed mid-save).
    ///
    /// # Errors
    /// [`ParamsError::Io`] or [`ParamsError::Write`] naming the file.
    pub fn save_params(&mut self, path: impl AsRef<Path>) -> Result<(), ParamsError> {
        let path = path.as_ref();
        write_atomically(path, |file| self.write_npz(file, path))
    }

    fn write_npz(&mut self, file: &mut File, path: &Path) -> Result<(), ParamsError> {
        let write_err = |e: &dyn std::fmt::Display| ParamsError::Write {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let mut npz = NpzWriter::new(BufWriter::new(&mut *file));
        for p in self.params() {
            npz.add_array(p.name, &*p.value)
                .map_err(|e| write_err(&e))?;
        }
        for (name, b) in self.buffers() {
            npz.add_array(name, &*b).map_err(|e| write_err(&e))?;
        }
        let mut w = npz.finish().map_err(|e| write_err(&e))?;
        w.flush().map_err(|e| write_err(&e))?;
        drop(w);
        file.sync_all().map_err(|e| write_err(&e))
    }

    /// Loads parameters and buffers saved by [`save_params`](Self::save_params).
    ///
    /// The whole file is read and checked first: every name of the network must be in the
    /// file with the network's shape, and the file must hold no other names. Only then are
    /// the values assigned, so on any error the network is unchanged.
    ///
    /// # Errors
    /// [`ParamsError`] naming the file and the problem (unreadable, missing or extra name,
    /// wrong shape).
    pub fn load_params(&mut self, path: impl AsRef<Path>) -> Result<(), ParamsError> {
        let path = path.as_ref();
        let format = |e: &dyn std::fmt::Display| ParamsError::Format {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        if path.is_dir() {
            return Err(ParamsError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other(
                    "is a directory, not a params file: give the path of the .npz that save_params wrote",
                ),
            });
        }
        let file = File::open(path).map_err(|source| ParamsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut npz = NpzReader::new(BufReader::new(file)).map_err(|e| format(&e))?;
        let names = npz.names().map_err(|e| format(&e))?;
        let mut loaded: Vec<(String, ArrayD<f64>)> = Vec::with_capacity(names.len());
        for name in &names {
            let a = npz
                .by_name::<OwnedRepr<f64>, IxDyn>(name)
                .map_err(|e| format(&format!("array {name:?}: {e}")))?;
            loaded.push((name.clone(), a));
        }

        let mut expected: Vec<(String, Vec<usize>)> = self
            .params()
            .into_iter()
            .map(|p| (p.name, p.value.shape().to_vec()))
            .collect();
        expected.extend(
            self.buffers()
                .into_iter()
                .map(|(n, b)| (n, b.shape().to_vec())),
        );
        for (name, shape) in &expected {
            let Some((_, a)) = loaded.iter().find(|(n, _)| n == name) else {
                return Err(ParamsError::Missing {
                    path: path.to_path_buf(),
                    name: name.clone(),
                    found: names.clone(),
                });
            };
            if a.shape() != shape.as_slice() {
                return Err(ParamsError::Shape {
                    path: path.to_path_buf(),
                    name: name.clone(),
                    expected: shape.clone(),
                    found: a.shape().to_vec(),
                });
            }
        }
        if let Some((name, _)) = loaded
            .iter()
            .find(|(n, _)| !expected.iter().any(|(e, _)| e == n))
        {
            return Err(ParamsError::Unexpected {
                path: path.to_path_buf(),
                name: name.clone(),
                expected: expected.into_iter().map(|(n, _)| n).collect(),
            });
        }

        let mut take = |name: &str| {
            let i = loaded
                .iter()
                .position(|(n, _)| n == name)
                .expect("validated above");
            loaded.swap_remove(i).1
        };
        for p in self.params() {
            *p.value = take(&p.name);
        }
        for (name, b) in self.buffers() {
            *b = take(&name);
        }
        Ok(())
    }
}

//! A training run's checkpoint: everything a [`Trainer`](super::Trainer) needs to go on
//! after its last finished epoch as if it had never stopped — the parameters, the buffers
//! (batch norm's running statistics), the optimizer's state, the random number generators'
//! states (the mini-batch sampling and dropout), the recorded lists and printed lines —
//! with a record of the run it belongs to (network, initial parameters, data, settings),
//! in one .npz file written atomically.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use ndarray::{Array1, ArrayD, ArrayRef, IxDyn, OwnedRepr};
use ndarray_npy::{NpzReader, NpzWriter};
use rand::SeedableRng;

use crate::error::ParamsError;
use crate::init::Rng;

/// Changes when the layout of the file changes: an older file is then not read.
const FORMAT: &str = "dlfs training checkpoint 1";

/// The state of a run after `epochs_done` epochs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Checkpoint {
    /// What the run is, a line per part ("network: …", "data: …", …): a run with other
    /// lines does not continue from this checkpoint.
    pub record: Vec<String>,
    pub epochs_done: usize,
    pub params: Vec<(String, ArrayD<f64>)>,
    pub buffers: Vec<(String, ArrayD<f64>)>,
    pub optimizer: Vec<(String, ArrayD<f64>)>,
    /// "trainer" (the mini-batch sampling) and each layer with a generator of its own.
    pub rngs: Vec<(String, Vec<u8>)>,
    pub train_loss_list: Vec<f64>,
    pub train_acc_list: Vec<f64>,
    pub test_acc_list: Vec<f64>,
    pub printed: Vec<String>,
}

/// Where a checkpoint configured at `path` is kept: in `DLFS_CHECKPOINT_DIR`, when that is
/// set (and not empty), under the same file name. The notebook runner sets it to a folder of
/// its own, so that running the notebooks neither goes on from nor removes a checkpoint that
/// a learner's stopped run left under `target/checkpoints/`.
pub(crate) fn relocated(path: &Path) -> PathBuf {
    match (std::env::var_os("DLFS_CHECKPOINT_DIR"), path.file_name()) {
        (Some(dir), Some(name)) if !dir.is_empty() => Path::new(&dir).join(name),
        _ => path.to_path_buf(),
    }
}

/// A generator's whole state as bytes: its seed, stream and position.
pub(crate) fn rng_bytes(r: &Rng) -> Vec<u8> {
    let mut out = r.get_seed().to_vec();
    out.extend(r.get_stream().to_le_bytes());
    out.extend(r.get_word_pos().to_le_bytes());
    out
}

/// The generator whose state [`rng_bytes`] gave, or None if `b` is not such a state.
pub(crate) fn rng_from_bytes(b: &[u8]) -> Option<Rng> {
    if b.len() != 32 + 8 + 16 {
        return None;
    }
    let mut r = Rng::from_seed(b[..32].try_into().ok()?);
    r.set_stream(u64::from_le_bytes(b[32..40].try_into().ok()?));
    r.set_word_pos(u128::from_le_bytes(b[40..56].try_into().ok()?));
    Some(r)
}

/// A 64-bit digest of an array's shape and values (bit patterns, in logical order): equal
/// arrays give equal digests; a changed value almost surely another.
pub(crate) fn digest(a: &ArrayRef<f64, IxDyn>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |v: u64| h = (h ^ v).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(5);
    for &d in a.shape() {
        mix(d as u64);
    }
    match a.as_slice() {
        Some(s) => s.iter().for_each(|v| mix(v.to_bits())),
        None => a.iter().for_each(|v| mix(v.to_bits())),
    }
    h
}

fn text(lines: &[String]) -> Array1<u8> {
    Array1::from(lines.join("\n").into_bytes())
}

fn lines(a: &ArrayD<u8>) -> Result<Vec<String>, String> {
    let s = String::from_utf8(a.iter().copied().collect()).map_err(|e| e.to_string())?;
    Ok(if s.is_empty() {
        Vec::new()
    } else {
        s.split('\n').map(str::to_string).collect()
    })
}

impl Checkpoint {
    /// Writes the checkpoint to `path` atomically (creating its folder).
    pub fn save(&self, path: &Path) -> Result<(), ParamsError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| ParamsError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        crate::nets::write_atomically(path, |file| self.write(file, path))
    }

    fn write(&self, file: &mut File, path: &Path) -> Result<(), ParamsError> {
        let err = |e: &dyn std::fmt::Display| ParamsError::Write {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let mut npz = NpzWriter::new(BufWriter::new(&mut *file));
        npz.add_array("meta/format", &text(&[FORMAT.into()]))
            .map_err(|e| err(&e))?;
        npz.add_array("meta/record", &text(&self.record))
            .map_err(|e| err(&e))?;
        npz.add_array("meta/printed", &text(&self.printed))
            .map_err(|e| err(&e))?;
        npz.add_array(
            "meta/epochs_done",
            &Array1::from(vec![self.epochs_done as u64]),
        )
        .map_err(|e| err(&e))?;
        for (group, entries) in [
            ("param", &self.params),
            ("buffer", &self.buffers),
            ("optimizer", &self.optimizer),
        ] {
            for (name, a) in entries {
                npz.add_array(format!("{group}/{name}"), a)
                    .map_err(|e| err(&e))?;
            }
        }
        for (name, b) in &self.rngs {
            npz.add_array(format!("rng/{name}"), &Array1::from(b.clone()))
                .map_err(|e| err(&e))?;
        }
        for (name, list) in [
            ("train_loss", &self.train_loss_list),
            ("train_acc", &self.train_acc_list),
            ("test_acc", &self.test_acc_list),
        ] {
            npz.add_array(format!("history/{name}"), &Array1::from(list.clone()))
                .map_err(|e| err(&e))?;
        }
        let mut w = npz.finish().map_err(|e| err(&e))?;
        w.flush().map_err(|e| err(&e))?;
        drop(w);
        file.sync_all().map_err(|e| err(&e))
    }

    /// Reads a checkpoint written by [`save`](Self::save); the error says what is wrong
    /// with the file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let mut npz = NpzReader::new(BufReader::new(file)).map_err(|e| e.to_string())?;
        let names = npz.names().map_err(|e| e.to_string())?;
        let bytes = |npz: &mut NpzReader<_>, name: &str| {
            npz.by_name::<OwnedRepr<u8>, IxDyn>(name)
                .map_err(|e| format!("{name}: {e}"))
        };
        let format = lines(&bytes(&mut npz, "meta/format")?)?;
        if format != [FORMAT] {
            return Err(format!("made by another version ({format:?})"));
        }
        let record = lines(&bytes(&mut npz, "meta/record")?)?;
        let printed = lines(&bytes(&mut npz, "meta/printed")?)?;
        let epochs_done = npz
            .by_name::<OwnedRepr<u64>, IxDyn>("meta/epochs_done")
            .map_err(|e| format!("meta/epochs_done: {e}"))?
            .iter()
            .next()
            .copied()
            .ok_or("meta/epochs_done is empty")? as usize;
        let mut cp = Checkpoint {
            record,
            epochs_done,
            params: Vec::new(),
            buffers: Vec::new(),
            optimizer: Vec::new(),
            rngs: Vec::new(),
            train_loss_list: Vec::new(),
            train_acc_list: Vec::new(),
            test_acc_list: Vec::new(),
            printed,
        };
        for name in &names {
            let name = name.strip_suffix(".npy").unwrap_or(name);
            let Some((group, rest)) = name.split_once('/') else {
                return Err(format!("unexpected array {name:?}"));
            };
            let floats = |npz: &mut NpzReader<_>| {
                npz.by_name::<OwnedRepr<f64>, IxDyn>(name)
                    .map_err(|e| format!("{name}: {e}"))
            };
            match group {
                "meta" => {}
                "param" => cp.params.push((rest.into(), floats(&mut npz)?)),
                "buffer" => cp.buffers.push((rest.into(), floats(&mut npz)?)),
                "optimizer" => cp.optimizer.push((rest.into(), floats(&mut npz)?)),
                "rng" => cp.rngs.push((
                    rest.into(),
                    bytes(&mut npz, name)?.iter().copied().collect(),
                )),
                "history" => {
                    let v: Vec<f64> = floats(&mut npz)?.iter().copied().collect();
                    match rest {
                        "train_loss" => cp.train_loss_list = v,
                        "train_acc" => cp.train_acc_list = v,
                        "test_acc" => cp.test_acc_list = v,
                        _ => return Err(format!("unexpected array {name:?}")),
                    }
                }
                _ => return Err(format!("unexpected array {name:?}")),
            }
        }
        Ok(cp)
    }
}

//! Reading the four IDX files of a directory into a [`Dataset`]: decoding, checking that
//! images and labels fit together, and converting to the book's arrays.

use std::io::Write;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayD, IxDyn};

use super::locate::{find_file, missing_files};
use super::{
    DataError, Dataset, DatasetKind, HOW_TO_GET_DATA, IMAGE_SIDE, Idx, LoadOptions, MNIST_FILES,
    Source, decode_idx,
};

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
pub(crate) fn read_set(
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

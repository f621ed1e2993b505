//! Data loading: tiny IDX files made here, every bad input, downloads from a local server,
//! and (when Debian's dataset-fashion-mnist is installed) the full Fashion-MNIST.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dlfs::data::{
    DataError, DatasetKind, IdxError, LoadOptions, MNIST_FILES, Mirror, Source, encode_idx,
    load_dir, load_mnist,
};

const MNIST_HEAD: [u8; 10] = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4];
const FASHION_HEAD: [u8; 10] = [9, 0, 0, 3, 0, 2, 7, 2, 5, 5];

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Pixel `p` of image `i`: a pattern that differs between images and positions.
fn pixel(i: usize, p: usize) -> u8 {
    ((i * 31 + p * 7) % 256) as u8
}

fn images(n: usize) -> Vec<u8> {
    encode_idx(
        &[n, 28, 28],
        &(0..n * 784)
            .map(|k| pixel(k / 784, k % 784))
            .collect::<Vec<_>>(),
    )
    .unwrap()
}

fn labels(n: usize, head: &[u8]) -> Vec<u8> {
    let l: Vec<u8> = (0..n)
        .map(|i| head.get(i).copied().unwrap_or((i % 10) as u8))
        .collect();
    encode_idx(&[n], &l).unwrap()
}

/// The four files' bytes (raw IDX) in `MNIST_FILES` order.
fn set(n_train: usize, n_test: usize, head: &[u8]) -> [Vec<u8>; 4] {
    [
        images(n_train),
        labels(n_train, head),
        images(n_test),
        labels(n_test, &[]),
    ]
}

fn write_set(dir: &Path, files: &[Vec<u8>; 4], gz: bool) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, bytes) in MNIST_FILES.iter().zip(files) {
        if gz {
            std::fs::write(dir.join(format!("{name}.gz")), gzip(bytes)).unwrap();
        } else {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
}

/// Options that ignore the environment, the real cache, the real fallback and the network.
fn isolated(tmp: &Path) -> LoadOptions {
    LoadOptions {
        use_env: false,
        quiet: true,
        download: false,
        cache_dir: Some(tmp.join("cache")),
        fallback_dir: Some(tmp.join("no-fallback")),
        ..Default::default()
    }
}

#[test]
fn tiny_files_read_back_raw_and_gzip() {
    for gz in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        write_set(tmp.path(), &set(12, 5, &MNIST_HEAD), gz);
        let d = load_dir(tmp.path(), &isolated(tmp.path())).unwrap();
        assert_eq!(d.x_train.shape(), &[12, 784]);
        assert_eq!(d.x_test.shape(), &[5, 784]);
        assert_eq!(d.t_train.shape(), &[12]);
        assert_eq!(d.kind, DatasetKind::Mnist);
        assert!(d.identified, "the first ten training labels are MNIST's");
        for (i, p) in [(0, 0), (3, 100), (11, 783)] {
            assert_eq!(d.x_train[[i, p]], pixel(i, p) as f64 / 255.0);
        }
        assert_eq!(d.t_train[[0]], 5.0);
        assert_eq!(d.t_train[[11]], 1.0);
        assert_eq!(d.t_test[[4]], 4.0);
    }
    // Labels that match neither data set: labelled as MNIST, and the line says so.
    let tmp = tempfile::tempdir().unwrap();
    write_set(tmp.path(), &set(12, 5, &[]), true);
    let d = load_dir(tmp.path(), &isolated(tmp.path())).unwrap();
    assert!(!d.identified);
    assert!(
        d.describe()
            .contains("not recognised as MNIST or Fashion-MNIST"),
        "{}",
        d.describe()
    );
    assert!(!d.describe().contains("swapped"), "{}", d.describe());
}

/// Train and test files swapped: the line names the likely mistake (docs/bad-input.md).
#[test]
fn swapped_train_and_test_files_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let [train_x, train_t, test_x, test_t] = set(12, 5, &MNIST_HEAD);
    write_set(tmp.path(), &[test_x, test_t, train_x, train_t], false);
    for one_hot in [false, true] {
        let opts = LoadOptions {
            one_hot,
            ..isolated(tmp.path())
        };
        let d = load_dir(tmp.path(), &opts).unwrap();
        assert!(!d.identified);
        assert!(
            d.describe().ends_with(
                "(files not recognised as MNIST or Fashion-MNIST; the test labels begin as \
                 MNIST's training labels: train and test files swapped?)"
            ),
            "{}",
            d.describe()
        );
    }
}

#[test]
fn options_shape_scale_and_one_hot() {
    let tmp = tempfile::tempdir().unwrap();
    write_set(tmp.path(), &set(10, 3, &FASHION_HEAD), true);
    let opts = LoadOptions {
        normalize: false,
        flatten: false,
        one_hot: true,
        ..isolated(tmp.path())
    };
    let d = load_dir(tmp.path(), &opts).unwrap();
    assert_eq!(d.x_train.shape(), &[10, 1, 28, 28]);
    assert_eq!(d.x_train[[2, 0, 1, 3]], pixel(2, 28 + 3) as f64);
    assert_eq!(d.t_train.shape(), &[10, 10]);
    assert_eq!(d.t_test.shape(), &[3, 10]);
    for (i, &c) in FASHION_HEAD.iter().enumerate() {
        let row = d.t_train.index_axis(ndarray::Axis(0), i);
        assert_eq!(row.sum(), 1.0);
        assert_eq!(row[[c as usize]], 1.0);
    }
    // Ten labels equal to Fashion-MNIST's first ten: recognised as Fashion-MNIST.
    assert_eq!(d.kind, DatasetKind::FashionMnist);
    assert!(d.identified);
    assert_eq!(d.class_name(9), "Ankle boot");
    let line = d.describe();
    assert!(line.starts_with("Fashion-MNIST from directory "), "{line}");
    assert!(
        line.contains("x (10, 1, 28, 28) in [0, 255]; t (10, 10) one-hot")
            && line.contains("one-hot"),
        "{line}"
    );
}

#[test]
fn explicit_dir_via_load_mnist_and_wrong_data_set() {
    let tmp = tempfile::tempdir().unwrap();
    write_set(tmp.path(), &set(10, 2, &FASHION_HEAD), false);
    let base = LoadOptions {
        dir: Some(tmp.path().into()),
        ..isolated(tmp.path())
    };
    let d = load_mnist(base.clone()).unwrap();
    assert_eq!(d.source, Source::Dir(tmp.path().into()));
    let err = load_mnist(LoadOptions {
        dataset: Some(DatasetKind::Mnist),
        ..base
    })
    .unwrap_err();
    assert!(matches!(err, DataError::WrongDataset { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("asked for MNIST, but these files are Fashion-MNIST"),
        "{err}"
    );
}

#[test]
fn missing_file_names_it_and_says_how_to_get_data() {
    let tmp = tempfile::tempdir().unwrap();
    write_set(tmp.path(), &set(3, 2, &[]), true);
    std::fs::remove_file(tmp.path().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let err = load_dir(tmp.path(), &isolated(tmp.path())).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, DataError::Missing { ref missing, .. } if missing == &["t10k-labels-idx1-ubyte"])
    );
    assert!(
        msg.contains("t10k-labels-idx1-ubyte")
            && msg.contains("apt-get install dataset-fashion-mnist"),
        "{msg}"
    );
    assert!(msg.contains("DLFS_DATA_DIR"), "{msg}");
}

/// Writes a good set, replaces `file` with `bytes`, and returns the error of loading it.
fn load_with_bad(file: &str, bytes: Vec<u8>) -> DataError {
    let tmp = tempfile::tempdir().unwrap();
    write_set(tmp.path(), &set(4, 3, &[]), false);
    std::fs::write(tmp.path().join(file), bytes).unwrap();
    let err = load_dir(tmp.path(), &isolated(tmp.path())).unwrap_err();
    assert!(
        err.to_string().contains(file),
        "error must name the file: {err}"
    );
    err
}

#[test]
fn wrong_magic() {
    let mut b = images(3);
    b[0] = 0x42;
    let err = load_with_bad("t10k-images-idx3-ubyte", b);
    assert!(
        matches!(
            err,
            DataError::Idx {
                source: IdxError::BadMagic { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("wrong magic number 0x42000803"),
        "{err}"
    );
}

#[test]
fn truncated_raw_file() {
    let b = images(4);
    let err = load_with_bad("train-images-idx3-ubyte", b[..b.len() - 100].to_vec());
    assert!(
        matches!(
            err,
            DataError::Idx {
                source: IdxError::Truncated {
                    expected: 3136,
                    found: 3036,
                    ..
                },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn truncated_gzip_file() {
    let tmp = tempfile::tempdir().unwrap();
    write_set(tmp.path(), &set(4, 3, &[]), true);
    let gz = gzip(&images(4));
    let p = tmp.path().join("train-images-idx3-ubyte.gz");
    std::fs::write(&p, &gz[..gz.len() / 2]).unwrap();
    let err = load_dir(tmp.path(), &isolated(tmp.path())).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Idx {
                source: IdxError::Gzip(_) | IdxError::Truncated { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("train-images-idx3-ubyte.gz"),
        "{err}"
    );
}

#[test]
fn image_and_label_counts_disagree() {
    let err = load_with_bad("train-labels-idx1-ubyte", labels(5, &[]));
    assert!(
        matches!(
            err,
            DataError::CountMismatch {
                n_images: 4,
                n_labels: 5,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("train-images-idx3-ubyte has 4 images but"),
        "{err}"
    );
}

#[test]
fn wrong_image_size() {
    let b = encode_idx(&[3, 32, 32], &vec![0u8; 3 * 32 * 32]).unwrap();
    let err = load_with_bad("t10k-images-idx3-ubyte", b);
    assert!(
        matches!(err, DataError::WrongShape { ref dims, .. } if dims == &[3, 32, 32]),
        "{err}"
    );
    assert!(err.to_string().contains("(N, 28, 28)"), "{err}");
}

#[test]
fn label_out_of_range_and_labels_in_place_of_images() {
    let err = load_with_bad(
        "t10k-labels-idx1-ubyte",
        encode_idx(&[3], &[1, 10, 2]).unwrap(),
    );
    assert!(
        matches!(
            err,
            DataError::BadLabel {
                index: 1,
                value: 10,
                ..
            }
        ),
        "{err}"
    );
    let err = load_with_bad("train-images-idx3-ubyte", labels(4, &[]));
    assert!(
        matches!(err, DataError::WrongShape { what: "image", .. }),
        "{err}"
    );
}

// ---------------------------------------------------------------- downloads from 127.0.0.1

#[derive(Clone)]
enum Reply {
    /// 200 with the whole body.
    Full(Vec<u8>),
    /// 200 announcing the whole length, sending half, then closing.
    Cut(Vec<u8>),
}

/// Serves `routes` (path -> reply, 404 otherwise) on 127.0.0.1 and returns the base URL.
/// The server stops by itself after 60 s or 200 connections.
fn serve(routes: HashMap<String, Reply>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut served = 0;
        while start.elapsed() < Duration::from_secs(60) && served < 200 {
            match listener.accept() {
                Ok((mut stream, _)) => {
                    served += 1;
                    let routes = routes.clone();
                    std::thread::spawn(move || {
                        stream.set_nonblocking(false).ok();
                        stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
                        let mut req = Vec::new();
                        let mut buf = [0u8; 1024];
                        while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                            match stream.read(&mut buf) {
                                Ok(0) | Err(_) => return, // e.g. the reachability probe
                                Ok(n) => req.extend_from_slice(&buf[..n]),
                            }
                        }
                        let text = String::from_utf8_lossy(&req);
                        let path = text.split_whitespace().nth(1).unwrap_or("").to_string();
                        let head = |len: usize| {
                            format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
                            )
                        };
                        match routes.get(&path) {
                            Some(Reply::Full(body)) => {
                                let _ = stream.write_all(head(body.len()).as_bytes());
                                let _ = stream.write_all(body);
                            }
                            Some(Reply::Cut(body)) => {
                                let _ = stream.write_all(head(body.len()).as_bytes());
                                let _ = stream.write_all(&body[..body.len() / 2]);
                                let _ = stream.flush();
                            }
                            None => {
                                let _ = stream.write_all(
                                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                                );
                            }
                        }
                    });
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    format!("http://{addr}")
}

/// Routes for a good gzip set under `/prefix/`, with `change` applied to some files.
fn routes(
    prefix: &str,
    files: &[Vec<u8>; 4],
    change: impl Fn(&str, Vec<u8>) -> Reply,
) -> HashMap<String, Reply> {
    MNIST_FILES
        .iter()
        .zip(files)
        .map(|(name, raw)| {
            let gz_name = format!("{name}.gz");
            (format!("/{prefix}/{gz_name}"), change(&gz_name, gzip(raw)))
        })
        .collect()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn online(tmp: &Path, mirrors: Vec<Mirror>) -> LoadOptions {
    LoadOptions {
        download: true,
        mirrors: Some(mirrors),
        ..isolated(tmp)
    }
}

#[test]
fn download_good_files_then_use_cache() {
    let files = set(20, 6, &MNIST_HEAD);
    let mut r = routes("good", &files, |_, gz| Reply::Full(gz));
    r.extend(routes("bad", &files, |_, _| {
        Reply::Full(b"not a gzip file at all".to_vec())
    }));
    let base = serve(r);
    let tmp = tempfile::tempdir().unwrap();
    // The first mirror serves junk for every file, the second good files.
    let mirrors = vec![
        Mirror::structural(format!("{base}/bad")),
        Mirror::structural(format!("{base}/good/")),
    ];
    let d = load_mnist(online(tmp.path(), mirrors)).unwrap();
    let cache = tmp.path().join("cache/mnist");
    assert_eq!(
        d.source,
        Source::Downloaded {
            dir: cache.clone(),
            mirrors: vec![format!("{base}/good/")]
        }
    );
    assert_eq!(d.x_train.shape(), &[20, 784]);
    assert_eq!(d.t_test.shape(), &[6]);
    let mut want: Vec<String> = MNIST_FILES.iter().map(|n| format!("{n}.gz")).collect();
    want.sort();
    assert_eq!(
        entries(&cache),
        want,
        "exactly the four files, no temporary files"
    );
    // Second load: from the cache, no network needed.
    let d2 = load_mnist(isolated(tmp.path())).unwrap();
    assert_eq!(d2.source, Source::Cache(cache));
    assert_eq!(d2.x_train, d.x_train);
}

#[test]
fn download_failing_verification_keeps_nothing() {
    let files = set(5, 5, &[]);
    let base = serve(routes("corrupt", &files, |name, mut gz| {
        if name.starts_with("train-images") {
            let n = gz.len();
            gz[n / 2] ^= 0x55; // a flipped byte inside the deflate stream
            gz[n - 7] ^= 0x55; // and in the CRC
        }
        Reply::Full(gz)
    }));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dl");
    let err = dlfs::data::download_mnist(
        &dir,
        &[Mirror::structural(format!("{base}/corrupt/"))],
        false,
    )
    .unwrap_err();
    assert!(matches!(err, DataError::Verification { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("train-images-idx3-ubyte.gz") && msg.contains("not kept"),
        "{msg}"
    );
    assert!(
        entries(&dir).is_empty(),
        "nothing kept: {:?}",
        entries(&dir)
    );
}

#[test]
fn download_with_wrong_checksum_is_rejected() {
    let files = set(5, 5, &[]);
    let base = serve(routes("md5", &files, |_, gz| Reply::Full(gz)));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dl");
    let mirror = Mirror {
        md5: true,
        ..Mirror::structural(format!("{base}/md5/"))
    };
    let err = dlfs::data::download_mnist(&dir, &[mirror], false).unwrap_err();
    assert!(
        err.to_string()
            .contains("differs from the published f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        "{err}"
    );
    assert!(entries(&dir).is_empty());
    // The published sizes are enforced for full-size mirrors.
    let mirror = Mirror {
        full_size: true,
        ..Mirror::structural(format!("{base}/md5/"))
    };
    let err = dlfs::data::download_mnist(&dir, &[mirror], false).unwrap_err();
    assert!(
        err.to_string()
            .contains("5 examples, the published file has 60000"),
        "{err}"
    );
}

#[test]
fn connection_cut_halfway_keeps_no_partial_file() {
    let files = set(30, 5, &[]);
    let base = serve(routes("cut", &files, |name, gz| {
        if name.starts_with("t10k-images") {
            Reply::Cut(gz)
        } else {
            Reply::Full(gz)
        }
    }));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dl");
    let err =
        dlfs::data::download_mnist(&dir, &[Mirror::structural(format!("{base}/cut/"))], false)
            .unwrap_err();
    assert!(matches!(err, DataError::Interrupted { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("t10k-images-idx3-ubyte.gz was cut off"),
        "{err}"
    );
    // The two files before it were complete and verified; the cut one is not there.
    assert_eq!(
        entries(&dir),
        vec!["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    );
}

#[test]
fn missing_on_mirror_is_reported() {
    let base = serve(HashMap::new());
    let tmp = tempfile::tempdir().unwrap();
    let err = dlfs::data::download_mnist(
        &tmp.path().join("dl"),
        &[Mirror::structural(format!("{base}/none/"))],
        false,
    )
    .unwrap_err();
    assert!(err.to_string().contains("HTTP 404"), "{err}");
}

#[test]
fn no_network_falls_back_to_fashion_mnist() {
    let tmp = tempfile::tempdir().unwrap();
    // Nothing listens on port 1: connection refused, like a machine without network.
    let mirrors = vec![Mirror::structural("http://127.0.0.1:1/mnist/")];
    let err = dlfs::data::download_mnist(&tmp.path().join("dl"), &mirrors, false).unwrap_err();
    assert!(
        err.is_network() && err.to_string().starts_with("no network"),
        "{err}"
    );

    let fashion = tmp.path().join("fashion");
    write_set(&fashion, &set(10, 4, &FASHION_HEAD), true);
    let opts = LoadOptions {
        fallback_dir: Some(fashion.clone()),
        ..online(tmp.path(), mirrors.clone())
    };
    let d = load_mnist(opts.clone()).unwrap();
    assert_eq!(d.kind, DatasetKind::FashionMnist);
    assert_eq!(d.source, Source::Debian(fashion));
    let reason = d.fallback_reason.clone().unwrap();
    assert!(reason.contains("no network"), "{reason}");
    assert!(
        d.describe().contains("instead of MNIST (no network"),
        "{}",
        d.describe()
    );

    // Asking for MNIST explicitly: no fallback, an error listing what was tried.
    let err = load_mnist(LoadOptions {
        dataset: Some(DatasetKind::Mnist),
        ..opts
    })
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DataError::NotFound { .. }), "{msg}");
    assert!(
        msg.contains("no network") && msg.contains("apt-get install dataset-fashion-mnist"),
        "{msg}"
    );
}

#[test]
fn nothing_anywhere_lists_every_place_tried() {
    let tmp = tempfile::tempdir().unwrap();
    let err = load_mnist(isolated(tmp.path())).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("MNIST cache") && msg.contains("downloading is off"),
        "{msg}"
    );
    assert!(
        msg.contains("no-fallback") && msg.contains("DLFS_DATA_DIR"),
        "{msg}"
    );
}

// ---------------------------------------------------------------- the real Fashion-MNIST

#[test]
fn full_fashion_mnist_from_debian_package() {
    let dir = PathBuf::from(dlfs::data::DEBIAN_FASHION_DIR);
    if !dir.join("train-images-idx3-ubyte.gz").exists() {
        // On CI, scripts/setup installs it: its absence there is a failed install step.
        assert!(
            std::env::var_os("CI").is_none(),
            "{} absent on CI: scripts/setup should have installed dataset-fashion-mnist",
            dir.display()
        );
        println!(
            "SKIPPED: {} absent (apt-get install dataset-fashion-mnist)",
            dir.display()
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let opts = LoadOptions {
        dataset: Some(DatasetKind::FashionMnist),
        fallback_dir: None,
        ..isolated(tmp.path())
    };
    let d = load_mnist(opts).unwrap();
    assert_eq!(d.source, Source::Debian(dir));
    assert_eq!((d.kind, d.identified), (DatasetKind::FashionMnist, true));
    assert_eq!(d.x_train.shape(), &[60000, 784]);
    assert_eq!(d.x_test.shape(), &[10000, 784]);
    for x in [&d.x_train, &d.x_test] {
        let (lo, hi) = x
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        assert_eq!((lo, hi), (0.0, 1.0));
    }
    for (t, per_class) in [(&d.t_train, 6000), (&d.t_test, 1000)] {
        let mut counts = [0usize; 10];
        for &c in t.iter() {
            counts[c as usize] += 1;
        }
        assert_eq!(counts, [per_class; 10]);
    }
}

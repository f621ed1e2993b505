//! save_params / load_params: round trip, and errors that leave the network unchanged.

use std::path::PathBuf;

use dlfs::prelude::*;

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dlfs-params-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn bn_net(seed: u64) -> MultiLayerNetExtend {
    let opts = ExtendOptions {
        use_batchnorm: true,
        ..Default::default()
    };
    MultiLayerNetExtend::new(4, &[5], 3, opts, &mut seeded_rng(seed))
}

fn snapshot(net: &mut Sequential) -> (NamedArrays, NamedArrays) {
    (net.param_values(), net.buffer_values())
}

#[test]
fn round_trip_with_buffers() {
    let dir = tmp_dir("round");
    let path = dir.join("params.npz");
    let mut a = bn_net(1);
    // move the running statistics away from their initial values
    let x = randn(IxDyn(&[8, 4]), &mut seeded_rng(2));
    a.predict(&x, true);
    a.save_params(&path).unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["params.npz"], "no temporary file left behind");

    let mut b = bn_net(99);
    assert_ne!(snapshot(&mut a), snapshot(&mut b));
    b.load_params(&path).unwrap();
    assert_eq!(snapshot(&mut a), snapshot(&mut b));
    assert_eq!(
        b.buffer_values().names().collect::<Vec<_>>(),
        ["running_mean1", "running_var1"]
    );
    assert_eq!(a.predict(&x, false), b.predict(&x, false));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn truncated_file_is_an_error_and_leaves_the_network_unchanged() {
    let dir = tmp_dir("trunc");
    let path = dir.join("params.npz");
    bn_net(1).save_params(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let mut b = bn_net(2);
    let before = snapshot(&mut b);
    let err = b.load_params(&path).unwrap_err();
    println!("{err}");
    assert!(matches!(err, ParamsError::Format { .. }), "{err:?}");
    assert!(err.to_string().contains("params.npz"));
    assert_eq!(snapshot(&mut b), before);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missing_file_is_an_io_error() {
    let err = bn_net(1)
        .load_params("/nonexistent/dir/params.npz")
        .unwrap_err();
    assert!(matches!(err, ParamsError::Io { .. }));
    assert!(
        err.to_string().starts_with("/nonexistent/dir/params.npz: "),
        "{err}"
    );
}

#[test]
fn wrong_shape_is_an_error_and_leaves_the_network_unchanged() {
    let dir = tmp_dir("shape");
    let path = dir.join("params.npz");
    // hidden size 6 instead of 5
    let opts = ExtendOptions {
        use_batchnorm: true,
        ..Default::default()
    };
    MultiLayerNetExtend::new(4, &[6], 3, opts, &mut seeded_rng(1))
        .save_params(&path)
        .unwrap();
    let mut b = bn_net(2);
    let before = snapshot(&mut b);
    let err = b.load_params(&path).unwrap_err();
    println!("{err}");
    match &err {
        ParamsError::Shape {
            name,
            expected,
            found,
            ..
        } => {
            assert_eq!(
                (name.as_str(), expected.as_slice(), found.as_slice()),
                ("W1", &[4, 5][..], &[4, 6][..])
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .contains("\"W1\" has shape [4, 6], the network expects [4, 5]")
    );
    assert_eq!(snapshot(&mut b), before);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn wrong_names_are_errors_and_leave_the_network_unchanged() {
    let dir = tmp_dir("names");
    let path = dir.join("params.npz");
    // a net without batch norm lacks gamma1 …
    MultiLayerNet::new(4, &[5], 3, "relu", "he", 0.0, &mut seeded_rng(1))
        .save_params(&path)
        .unwrap();
    let mut b = bn_net(2);
    let before = snapshot(&mut b);
    let err = b.load_params(&path).unwrap_err();
    println!("{err}");
    assert!(
        matches!(&err, ParamsError::Missing { name, .. } if name == "gamma1"),
        "{err:?}"
    );
    assert_eq!(snapshot(&mut b), before);

    // … and a net without batch norm finds extra arrays in a batch-norm file
    bn_net(3).save_params(&path).unwrap();
    let mut plain = MultiLayerNet::new(4, &[5], 3, "relu", "he", 0.0, &mut seeded_rng(4));
    let before = plain.param_values();
    let err = plain.load_params(&path).unwrap_err();
    println!("{err}");
    assert!(
        matches!(&err, ParamsError::Unexpected { name, .. } if name == "gamma1"),
        "{err:?}"
    );
    assert_eq!(plain.param_values(), before);
    std::fs::remove_dir_all(dir).unwrap();
}

/// A save removes a stale temporary file of its own name left in the file's folder (by a
/// save that was killed), and a bare file name saves into the current folder.
#[test]
fn saves_beside_the_file_and_sweeps_its_stale_temporaries() {
    use std::time::{Duration, SystemTime};
    let dir = tmp_dir("sweep");
    let stale = |name: &str| {
        let path = dir.join(name);
        std::fs::write(&path, b"left by a killed save").unwrap();
        let f = std::fs::File::options().write(true).open(&path).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
        path
    };
    let (left, left_bare) = (
        stale(".params.npz.killed.tmp"),
        stale(".bare.npz.killed.tmp"),
    );
    let mut net = bn_net(1);
    net.save_params(dir.join("params.npz")).unwrap();
    assert!(!left.exists(), "the stale {} was left", left.display());
    // every other test here uses absolute paths, so changing the folder is safe
    std::env::set_current_dir(&dir).unwrap();
    net.save_params("bare.npz").unwrap();
    assert!(dir.join("bare.npz").exists());
    assert!(
        !left_bare.exists(),
        "a bare name's save left the stale {}",
        left_bare.display()
    );
    std::fs::remove_dir_all(&dir).ok();
}

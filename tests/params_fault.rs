//! Saves to one path from several threads and several processes at once, processes killed
//! (SIGKILL) in the middle of their saves, while other threads load: every load gives one
//! complete version, and a later save leaves no temporary file behind.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use dlfs::nets::{MultiLayerNet, STALE_TMP_SECS, Sequential};
use dlfs::prelude::seeded_rng;

const CHILD: &str = "DLFS_PARAMS_FAULT_CHILD";

/// A 784-300-10 net (about 1.9 MB of parameters) with every value set to `k`.
fn net(k: f64) -> MultiLayerNet {
    let mut net = MultiLayerNet::new(784, &[300], 10, "relu", "he", 0.0, &mut seeded_rng(0));
    for p in net.params() {
        p.value.fill(k);
    }
    net
}

/// The one value every parameter holds, if they agree.
fn uniform(net: &mut Sequential) -> Option<f64> {
    let first = net.params()[0].value[[0, 0]];
    net.params()
        .iter()
        .all(|p| p.value.iter().all(|&v| v == first))
        .then_some(first)
}

fn tmp_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count()
}

/// Not a test of its own: the saver process the fault test starts (and kills). Without
/// the environment variable it returns at once.
#[test]
fn child_saver() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let (path, k) = spec.rsplit_once('|').expect("path|version");
    let mut net = net(k.parse().expect("a version number"));
    loop {
        net.save_params(path).expect("a child's save");
    }
}

#[test]
fn concurrent_saves_and_killed_savers_leave_one_complete_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.npz");
    net(0.0).save_params(&path).unwrap();
    let stop = AtomicBool::new(false);
    let (loads, saves) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let mut kills = 0;
    let mut orphans_seen = 0;
    std::thread::scope(|s| {
        // three threads save versions 1, 2, 3
        let savers: Vec<_> = (1..=3)
            .map(|k| {
                let (path, saves) = (&path, &saves);
                s.spawn(move || {
                    let mut net = net(f64::from(k));
                    for _ in 0..12 {
                        net.save_params(path).unwrap();
                        saves.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        // two threads load all the while: each load must be one whole version
        for _ in 0..2 {
            let (path, stop, loads) = (&path, &stop, &loads);
            s.spawn(move || {
                let mut into = net(-1.0);
                while !stop.load(Ordering::Relaxed) {
                    into.load_params(path)
                        .expect("every load finds a complete file");
                    let v = uniform(&mut into).expect("a load mixes no two versions");
                    assert!(v == 0.0 || (1.0..=3.0).contains(&v) || v >= 10.0, "{v}");
                    loads.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        // processes save versions 10, 11, …, each killed after 40–240 ms, two at a time
        let exe = std::env::current_exe().unwrap();
        for round in 0..8 {
            let children: Vec<_> = (0..2)
                .map(|j| {
                    Command::new(&exe)
                        .args(["--exact", "child_saver", "--test-threads", "1"])
                        .env(CHILD, format!("{}|{}", path.display(), 10 + 2 * round + j))
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()
                        .unwrap()
                })
                .collect();
            std::thread::sleep(Duration::from_millis(40 + 25 * round as u64));
            for mut child in children {
                child.kill().unwrap();
                child.wait().unwrap();
                kills += 1;
            }
            orphans_seen = orphans_seen.max(tmp_files(dir.path()));
        }
        for t in savers {
            t.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
    });
    let orphans = tmp_files(dir.path());
    // a later save removes what the killed savers left, once it is stale, and nothing else:
    // not another program's temporary file, not a file of ours that is not temporary
    let foreign = [
        dir.path().join("notes.tmp"),
        dir.path().join(".net.npz.keep"),
    ];
    for f in &foreign {
        std::fs::write(f, b"not the saver's").unwrap();
    }
    std::thread::sleep(Duration::from_secs(STALE_TMP_SECS + 1));
    net(5.0).save_params(&path).unwrap();
    for f in &foreign {
        assert!(f.exists(), "the clean-up removed {}", f.display());
    }
    std::fs::remove_file(&foreign[0]).unwrap();
    let mut into = net(-1.0);
    into.load_params(&path).unwrap();
    assert_eq!(uniform(&mut into), Some(5.0));
    assert_eq!(
        tmp_files(dir.path()),
        0,
        "temporary files left after the clean-up"
    );
    let loads = loads.load(Ordering::Relaxed);
    eprintln!(
        "params fault test: {} thread saves, {kills} saver processes killed, {loads} loads all \
         complete; {orphans} temporary files left by the killed savers at the end (at most \
         {orphans_seen} at a time), 0 after the next save",
        saves.load(Ordering::Relaxed)
    );
    assert!(loads > 0 && kills == 16);
}

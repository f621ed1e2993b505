//! Times loading all 70,000 images (`cargo run --release --example data_load`).
//!
//! Uses whatever `load_mnist` finds (set `DLFS_OFFLINE=1` to skip the download attempt).
//! The target is under one second per load in a release build.

use std::time::Instant;

use dlfs::data::{LoadOptions, load_mnist};

fn main() -> Result<(), dlfs::data::DataError> {
    let first = load_mnist(LoadOptions::default())?;
    let total = first.n_train() + first.n_test();
    drop(first);
    let runs = 5;
    let mut secs = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let d = load_mnist(LoadOptions {
            quiet: true,
            ..Default::default()
        })?;
        secs.push(start.elapsed().as_secs_f64());
        assert_eq!(d.n_train() + d.n_test(), total);
    }
    secs.sort_by(f64::total_cmp);
    println!(
        "loaded {total} images {runs} times: min {:.3} s, median {:.3} s, max {:.3} s",
        secs[0],
        secs[runs / 2],
        secs[runs - 1]
    );
    Ok(())
}

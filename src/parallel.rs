//! Independent experiments side by side, one per core: the helper behind ch06's
//! comparisons (four optimizers, three initial weights, sixteen weight scales, a hundred
//! hyperparameter trials).
//!
//! ```
//! use dlfs::parallel::in_parallel;
//! // item k gets its index k, so each experiment can take its own seed
//! let squares = in_parallel([3.0, 4.0, 5.0], |k, x: f64| (k, x * x));
//! assert_eq!(squares, vec![(0, 9.0), (1, 16.0), (2, 25.0)]);
//! // `&mut` items: each network trains on its own thread
//! let mut totals = vec![0.0; 3];
//! in_parallel(&mut totals, |k, t| *t += k as f64);
//! assert_eq!(totals, vec![0.0, 1.0, 2.0]);
//! ```

use crate::progress::ProgressMeter;
use rayon::prelude::*;

/// Runs `experiment(k, item)` for every item, as many at a time as there are threads
/// (`DLFS_THREADS`), and returns the results in the items' order, so the output does not
/// depend on the number of cores or on which experiment finished first. Items may be
/// values, `&` or `&mut` references (`&mut nets` trains each network in place).
///
/// As each experiment finishes, a progress line says how many are done, the time so far and
/// an estimate of what is left (every tenth above 20; `DLFS_PROGRESS=0` turns them off, see
/// [`crate::progress`]).
pub fn in_parallel<I, R, F>(items: I, experiment: F) -> Vec<R>
where
    I: IntoIterator,
    I::Item: Send,
    R: Send,
    F: Fn(usize, I::Item) -> R + Sync + Send,
{
    crate::kernels::threads(); // sizes the pool from DLFS_THREADS before its first use
    let items: Vec<I::Item> = items.into_iter().collect();
    let progress = ProgressMeter::new("experiment", items.len());
    items
        .into_par_iter()
        .enumerate()
        .map(|(k, item)| {
            let result = experiment(k, item);
            progress.tick();
            result
        })
        .collect()
}

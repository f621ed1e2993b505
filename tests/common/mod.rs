//! What the tests share: a gradient check that is relative and means something, and the
//! exercise reports (✗ naming the mistake, or ✓).
#![allow(dead_code)] // each test file uses some of these

use dlfs::exercise::{Outcome, Report};
use dlfs::gradient::{GRAD_REL_TOL, abs_diff, check_gradient};
use dlfs::ndarray::ArrayD;
use dlfs::nets::GradCheck;

/// `backprop` passes the library's gradient check against `numerical`
/// ([`dlfs::gradient::check_gradient`]: every element's relative error below
/// [`GRAD_REL_TOL`], whose doc says why 1e-5) and is not zero everywhere (a zero gradient
/// agrees with a numerical zero and says nothing). Prints the errors; returns the largest
/// relative error.
#[track_caller]
pub fn assert_grad(label: &str, backprop: &ArrayD<f64>, numerical: &ArrayD<f64>) -> f64 {
    let rel = check_gradient(label, backprop, numerical).unwrap_or_else(|why| panic!("{why}"));
    let (abs, _) = abs_diff(backprop, numerical);
    println!("{label}: max rel. error {rel:.2e}, max |num − backprop| {abs:.2e}");
    assert!(
        backprop.iter().any(|v| *v != 0.0),
        "{label}: the gradient is zero everywhere, so the check says nothing"
    );
    rel
}

/// Every parameter of a network's gradient check: relative error below the library's
/// [`GRAD_REL_TOL`] and a gradient that is not all zero.
#[track_caller]
pub fn assert_grad_check(label: &str, check: &GradCheck) {
    for e in &check.0 {
        println!(
            "{label} {}: max rel. error {:.2e}, max |num − backprop| {:.2e}, max |grad| {:.2e}",
            e.name, e.max_rel_error, e.max_abs_diff, e.max_abs_grad
        );
        assert!(
            e.max_rel_error < GRAD_REL_TOL,
            "{label} {}: relative error {:.2e}, tolerance {GRAD_REL_TOL:.0e}",
            e.name,
            e.max_rel_error
        );
    }
    assert!(
        check.all_zero().is_empty(),
        "{label}: zero gradients {:?}: the check says nothing about them",
        check.all_zero()
    );
}

/// `r` is a failure (✗) whose text mentions every needle.
#[track_caller]
pub fn assert_failed(r: &Report, needles: &[&str]) {
    let text = r.to_string();
    assert!(
        matches!(r.outcome, Outcome::Failed(_)),
        "expected ✗, got: {text}"
    );
    assert!(text.starts_with("✗ "), "{text}");
    for n in needles {
        assert!(text.contains(n), "report should mention {n:?}: {text}");
    }
}

/// `r` passed (✓).
#[track_caller]
pub fn assert_passed(r: &Report) {
    assert!(r.passed(), "expected ✓, got: {r}");
    assert!(r.to_string().starts_with("✓ "), "{r}");
}

/// A rayon pool of one thread, to compare against the global pool (which must have more:
/// asserted here, since on a one-core machine such a comparison would prove nothing).
pub fn one_thread_pool() -> rayon::ThreadPool {
    assert!(
        rayon::current_num_threads() > 1,
        "needs 2+ threads in the global pool to compare one thread with several"
    );
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
}

/// Two separable blobs: 40 samples of 2 features, labels 0/1 (the no-silent-failure and
/// bad-input tests train on them).
pub fn blobs() -> (ArrayD<f64>, ArrayD<f64>) {
    use dlfs::ndarray::{Array1, Array2};
    let x = Array2::from_shape_fn((40, 2), |(i, j)| {
        (if (i % 2 == 0) == (j == 0) { 1.0 } else { -1.0 }) + 0.01 * i as f64
    })
    .into_dyn();
    let t = Array1::from_shape_fn(40, |i| (i % 2) as f64).into_dyn();
    (x, t)
}

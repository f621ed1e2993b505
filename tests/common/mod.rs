//! What the exercise-check tests share: a report must be ✗ and mention the mistake, or ✓.

use dlfs::exercise::{Outcome, Report};

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

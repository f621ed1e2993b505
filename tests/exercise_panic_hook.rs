//! The exercise checks keep the panics of the learner's code off stderr while they run, and
//! only those: checks running side by side (cargo test's threads, `in_parallel`) must not
//! silence a panic elsewhere, nor leave the process without its panic hook. One test in its
//! own binary, since the panic hook belongs to the whole process.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};

use dlfs::exercise::{Outcome, check_relu};
use dlfs::layers::Layer;
use dlfs::ndarray::{ArrayD, ArrayRef, IxDyn};

/// Panics that reached the hook: ours outside the checks, and the learner's inside them.
static OUTSIDE: AtomicUsize = AtomicUsize::new(0);
static INSIDE: AtomicUsize = AtomicUsize::new(0);

struct PanicsInForward;
impl Layer for PanicsInForward {
    fn forward(&mut self, _x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        panic!("inside a check")
    }
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        dout.to_owned()
    }
}

fn panic_outside() {
    let r = catch_unwind(AssertUnwindSafe(|| panic!("outside the checks")));
    assert!(r.is_err());
}

#[test]
fn checks_on_many_threads_keep_the_hook_and_every_other_panic() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info.payload().downcast_ref::<&str>().copied().unwrap_or("");
        match msg {
            "outside the checks" => OUTSIDE.fetch_add(1, Ordering::SeqCst),
            _ => INSIDE.fetch_add(1, Ordering::SeqCst),
        };
    }));
    let (threads, rounds) = (8, 60);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..rounds {
                    let r = check_relu(|| PanicsInForward);
                    assert_eq!(
                        r.outcome,
                        Outcome::Failed("forward panicked: inside a check".into())
                    );
                    panic_outside();
                }
            });
        }
    });
    assert_eq!(
        OUTSIDE.load(Ordering::SeqCst),
        threads * rounds,
        "a panic outside the checks went unreported while checks ran on other threads"
    );
    assert_eq!(
        INSIDE.load(Ordering::SeqCst),
        0,
        "a panic inside a check reached the hook"
    );
    // afterwards the hook is still ours, not a silent one left behind
    panic_outside();
    assert_eq!(OUTSIDE.load(Ordering::SeqCst), threads * rounds + 1);
    // and a check on this thread is still quiet
    check_relu(|| PanicsInForward);
    assert_eq!(INSIDE.load(Ordering::SeqCst), 0);
}

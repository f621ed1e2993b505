//! Property tests over layer configurations (proptest, a fixed seed so a run repeats): for
//! batch sizes 0–3, 1–2 channels, sizes 1–8 (odd ones included), filters 1–5, stride 1–3
//! and pad 0 to filter + 1, every valid configuration runs without a panic, gives the
//! book's output size and passes a numerical gradient check; every invalid one panics with
//! a message that names the layer and the numbers. Each test prints how many cases it ran.

use std::cell::Cell;

use dlfs::exercise::{catch_quietly, rel_error};
use dlfs::gradient::numerical_gradient;
use dlfs::layers::{Convolution, Layer, Pooling};
use dlfs::ndarray::{Array1, Array4, ArrayD, IxDyn};
use dlfs::prelude::seeded_rng;
use dlfs::rand::Rng as _;
use dlfs::rand::seq::SliceRandom;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const CASES: u32 = 160;

fn runner() -> TestRunner {
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// Distinct values, at least 0.01 apart (so that no two entries of a pooling window are
/// within the numerical gradient's ±h of each other), in a seeded random order.
fn distinct(shape: &[usize], seed: u64) -> ArrayD<f64> {
    let n: usize = shape.iter().product();
    let mut v: Vec<f64> = (0..n).map(|k| k as f64 * 0.01 - n as f64 * 0.005).collect();
    v.shuffle(&mut seeded_rng(seed));
    ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
}

fn out(size: usize, filter: usize, stride: usize, pad: usize) -> usize {
    (size + 2 * pad - filter) / stride + 1
}

/// The message of `f`'s panic, if it panics, kept off stderr (safely beside tests on other
/// threads: `catch_quietly` leaves their panics reported).
fn panic_message(f: impl FnOnce()) -> Option<String> {
    catch_quietly(f).err()
}

/// f = Σ layer(x)·w: backward(w) against central differences for x and each parameter;
/// the largest relative error.
fn grad_check(layer: &mut dyn Layer, x: &ArrayD<f64>, seed: u64) -> f64 {
    let y = layer.forward(x, true);
    let mut r = seeded_rng(seed);
    let w = ArrayD::from_shape_simple_fn(y.raw_dim(), || r.random_range(-1.0..1.0));
    let dx = layer.backward(&w);
    let grads: Vec<ArrayD<f64>> = layer.params().iter().map(|p| p.grad.clone()).collect();
    let f = |l: &mut dyn Layer, x: &ArrayD<f64>| (l.forward(x, true) * &w).sum();
    let num = numerical_gradient(|xx| f(layer, xx), &mut x.clone());
    let worst = |a: &ArrayD<f64>, b: &ArrayD<f64>| {
        a.iter()
            .zip(b)
            .map(|(&u, &v)| rel_error(u, v))
            .fold(0.0, f64::max)
    };
    let mut e = worst(&dx, &num);
    for (k, g) in grads.iter().enumerate() {
        let mut value = layer.params()[k].value.clone();
        let num = numerical_gradient(
            |v| {
                layer.params()[k].value.assign(v);
                f(layer, x)
            },
            &mut value.clone(),
        );
        layer.params()[k].value.assign(&value);
        value.fill(0.0);
        e = e.max(worst(g, &num));
    }
    e
}

#[test]
fn convolution_over_configurations() {
    let strategy = (
        (0usize..4, 1usize..3, 1usize..9, 1usize..9),
        (1usize..4, 1usize..6, 1usize..6, 1usize..4, 0usize..7),
        any::<u64>(),
    );
    let (valid, invalid) = (Cell::new(0), Cell::new(0));
    runner()
        .run(&strategy, |((n, c, h, w), (fnum, fh, fw, s, p), seed)| {
            prop_assume!(p <= fh.max(fw) + 1);
            let x = distinct(&[n, c, h, w], seed);
            let weights = distinct(&[fnum, c, fh, fw], seed ^ 1)
                .into_dimensionality()
                .unwrap()
                * 0.1;
            let b = Array1::from_shape_fn(fnum, |k| k as f64 * 0.1);
            let mut conv = Convolution::new(weights, b, s, p);
            if fh > h + 2 * p || fw > w + 2 * p {
                invalid.set(invalid.get() + 1);
                let msg = panic_message(|| {
                    conv.forward(&x, true);
                })
                .expect("an invalid configuration must panic");
                prop_assert!(msg.starts_with("Convolution.forward: got shape"), "{}", msg);
                prop_assert!(msg.contains(&format!("{:?}", [n, c, h, w])), "{}", msg);
                prop_assert!(msg.contains(&format!("≥ {fh}")), "{}", msg);
                return Ok(());
            }
            valid.set(valid.get() + 1);
            let y = conv.forward(&x, true);
            prop_assert_eq!(y.shape(), &[n, fnum, out(h, fh, s, p), out(w, fw, s, p)]);
            let dx = conv.backward(&ArrayD::ones(y.raw_dim()));
            prop_assert_eq!(dx.shape(), x.shape());
            if n > 0 {
                let mut conv = Convolution::new(
                    distinct(&[fnum, c, fh, fw], seed ^ 2)
                        .into_dimensionality()
                        .unwrap(),
                    Array1::zeros(fnum),
                    s,
                    p,
                );
                let e = grad_check(&mut conv, &x, seed);
                prop_assert!(e < 1e-6, "relative error {:.1e}", e);
            }
            Ok(())
        })
        .unwrap();
    let (valid, invalid) = (valid.get(), invalid.get());
    eprintln!("convolution: {valid} valid and {invalid} invalid configurations checked");
    assert!(
        valid > 50 && invalid > 5,
        "{valid} valid, {invalid} invalid"
    );
}

#[test]
fn pooling_over_configurations() {
    let strategy = (
        (0usize..4, 1usize..3, 1usize..9, 1usize..9),
        (1usize..5, 1usize..5, 1usize..4, 0usize..3),
        any::<u64>(),
    );
    let (valid, invalid) = (Cell::new(0), Cell::new(0));
    runner()
        .run(&strategy, |((n, c, h, w), (ph, pw, s, p), seed)| {
            prop_assume!(p <= ph.max(pw) + 1);
            let x = distinct(&[n, c, h, w], seed);
            if p >= ph || p >= pw {
                invalid.set(invalid.get() + 1);
                let msg = panic_message(|| {
                    Pooling::new(ph, pw, s, p);
                })
                .expect("pad ≥ window must panic");
                prop_assert!(
                    msg.contains(&format!(
                        "Pooling.new: pad {p} must be smaller than the {ph}×{pw} window"
                    )),
                    "{}",
                    msg
                );
                return Ok(());
            }
            let mut pool = Pooling::new(ph, pw, s, p);
            if ph > h + 2 * p || pw > w + 2 * p {
                invalid.set(invalid.get() + 1);
                let msg = panic_message(|| {
                    pool.forward(&x, true);
                })
                .expect("a window larger than the padded input must panic");
                prop_assert!(msg.starts_with("Pooling.forward: got shape"), "{}", msg);
                prop_assert!(msg.contains(&format!("{:?}", [n, c, h, w])), "{}", msg);
                return Ok(());
            }
            valid.set(valid.get() + 1);
            let y = pool.forward(&x, true);
            prop_assert_eq!(y.shape(), &[n, c, out(h, ph, s, p), out(w, pw, s, p)]);
            let dx = pool.backward(&ArrayD::ones(y.raw_dim()));
            prop_assert_eq!(dx.shape(), x.shape());
            if n > 0 {
                let e = grad_check(&mut pool, &x, seed);
                prop_assert!(e < 1e-6, "relative error {:.1e}", e);
            }
            Ok(())
        })
        .unwrap();
    let (valid, invalid) = (valid.get(), invalid.get());
    eprintln!("pooling: {valid} valid and {invalid} invalid configurations checked");
    assert!(
        valid > 50 && invalid > 5,
        "{valid} valid, {invalid} invalid"
    );
}

#[test]
fn im2col_and_col2im_are_adjoint_over_configurations() {
    // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩: col2im is exactly the transpose of im2col
    let strategy = (
        (1usize..4, 1usize..3, 1usize..9, 1usize..9),
        (1usize..6, 1usize..6, 1usize..4, 0usize..7),
        any::<u64>(),
    );
    let checked = Cell::new(0);
    runner()
        .run(&strategy, |((n, c, h, w), (fh, fw, s, p), seed)| {
            prop_assume!(fh <= h + 2 * p && fw <= w + 2 * p);
            let x = distinct(&[n, c, h, w], seed);
            let col = dlfs::im2col::im2col(&x, fh, fw, s, p);
            let rows = n * out(h, fh, s, p) * out(w, fw, s, p);
            prop_assert_eq!(col.dim(), (rows, c * fh * fw));
            let cv = distinct(&[rows, c * fh * fw], seed ^ 3)
                .into_dimensionality::<dlfs::ndarray::Ix2>()
                .unwrap();
            let back: Array4<f64> = dlfs::im2col::col2im(&cv, &[n, c, h, w], fh, fw, s, p);
            let lhs = (&col * &cv).sum();
            let rhs = (&x.into_dimensionality::<dlfs::ndarray::Ix4>().unwrap() * &back).sum();
            prop_assert!(rel_error(lhs, rhs) < 1e-12, "{} vs {}", lhs, rhs);
            checked.set(checked.get() + 1);
            Ok(())
        })
        .unwrap();
    let checked = checked.get();
    eprintln!("im2col/col2im: {checked} configurations checked");
    assert!(checked > 50);
}

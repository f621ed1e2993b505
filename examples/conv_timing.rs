//! Rough timings of the chapter-7 hot paths (release build):
//! `cargo run --release --example conv_timing`. Random MNIST-shaped data, seeded.
//! Reports wall-clock (best of n) and process CPU time per call (robust when the machine
//! is shared), plus a reference GEMM rate.

use std::time::Instant;

use dlfs::im2col::{col2im, im2col};
use dlfs::ndarray::{Array1, Array2, Array4, ArrayD, IxDyn};
use dlfs::nets::{ConvNetConfig, SimpleConvNet};
use dlfs::optimizer::{Adam, Optimizer};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// CPU seconds (user + system) used by this process so far, from /proc.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// (best wall ms, CPU ms per call) of `f` over `reps` calls, after one warm-up call.
fn time(reps: usize, mut f: impl FnMut()) -> (f64, f64) {
    f();
    let c0 = cpu_s();
    let best = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min);
    (best, (cpu_s() - c0) * 1e3 / reps as f64)
}

fn report(name: &str, (wall, cpu): (f64, f64)) {
    println!("{name:<58} wall {wall:8.2} ms   cpu {cpu:8.2} ms");
}

fn main() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let a = Array2::from_shape_simple_fn((512, 512), || rng.random_range(-1.0..1.0));
    let r = time(10, || {
        std::hint::black_box(a.dot(&a));
    });
    report("GEMM 512x512x512 (reference)", r);
    println!("  = {:.2} GFLOP/s (wall)", 2.0 * 512f64.powi(3) / r.0 / 1e6);

    let x = Array4::from_shape_simple_fn((100, 1, 28, 28), || rng.random_range(0.0..1.0));
    report(
        "im2col + col2im (100,1,28,28) 5x5",
        time(30, || {
            let col = im2col(&x, 5, 5, 1, 0);
            std::hint::black_box(col2im(&col, x.shape(), 5, 5, 1, 0));
        }),
    );
    report(
        "  im2col alone",
        time(30, || {
            std::hint::black_box(im2col(&x, 5, 5, 1, 0));
        }),
    );

    let mut net = SimpleConvNet::new(ConvNetConfig::default(), &mut rng);
    let t = Array1::from_shape_simple_fn(100, || rng.random_range(0..10) as f64).into_dyn();
    let xd = x.clone().into_dyn();
    let mut opt = Adam::default();
    report(
        "SimpleConvNet train step (fwd+bwd+Adam), batch 100",
        time(20, || {
            net.backprop(&xd, &t);
            opt.update(net.params());
        }),
    );
    report(
        "  backprop only (loss + backward)",
        time(20, || {
            net.backprop(&xd, &t);
        }),
    );
    report(
        "  predict(train=true) only",
        time(20, || {
            std::hint::black_box(net.predict(&xd, true));
        }),
    );
    report(
        "  Adam update only",
        time(20, || {
            opt.update(net.params());
        }),
    );
    // per layer
    let mut acts = vec![xd.clone()];
    for l in net.layers.iter_mut() {
        let input = acts.last().unwrap().clone();
        let name = format!("  forward {}", l.name);
        report(
            &name,
            time(20, || {
                std::hint::black_box(l.layer.forward(&input, true));
            }),
        );
        acts.push(l.layer.forward(&input, true));
    }
    let mut douts = vec![ArrayD::ones(acts.last().unwrap().raw_dim())];
    for (i, l) in net.layers.iter_mut().enumerate().rev() {
        l.layer.forward(&acts[i], true);
        let d = douts.last().unwrap().clone();
        let name = format!("  backward {}", l.name);
        report(
            &name,
            time(20, || {
                std::hint::black_box(l.layer.backward(&d));
            }),
        );
        douts.push(l.layer.backward(&d));
    }

    let x1000 =
        ArrayD::from_shape_simple_fn(IxDyn(&[1000, 1, 28, 28]), || rng.random_range(0.0..1.0));
    for bs in [1000, 100, 50] {
        net.eval_batch_size = bs;
        report(
            &format!("SimpleConvNet prediction on 1000 images, {bs} at a time"),
            time(5, || {
                std::hint::black_box(net.predict_batched(&x1000));
            }),
        );
    }
}

//! How the notebook's ch05 training loop compares with the benchmark's fixed-batch step.
//!
//! Times, in one process and interleaved, per step: (a) `backprop` + SGD on one fixed
//! batch (what `two_layer_train_step` of the benchmark measures); (b) the notebook's loop
//! body: `choice`, two `select`s of the batch rows, `backprop`, SGD; and the select alone.
//! Evaluation (accuracy once per epoch) is left out of both.
//!
//! `DLFS_THREADS=1 cargo run --release --example ch05_loop_timing [-- --steps 2000 --rounds 5]`

mod common;

use dlfs::prelude::*;
use std::time::Instant;

const USAGE: &str = "ch05_loop_timing [--steps N (2000)] [--rounds N (5)]";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = common::Args::parse(USAGE);
    let steps: usize = args.get("steps", 2000);
    let rounds: usize = args.get("rounds", 5);
    let data = load_mnist(LoadOptions {
        normalize: true,
        one_hot: true,
        quiet: true,
        ..Default::default()
    })?;
    let mut rng = seeded_rng(7);
    let mut net = TwoLayerNet::new(784, 50, 10, 0.01, &mut rng);
    let train_size = data.x_train.shape()[0];
    let sgd = |net: &mut TwoLayerNet| {
        for p in net.params() {
            p.value.scaled_add(-0.1, p.grad);
        }
    };
    let mask = choice(train_size, 100, &mut rng);
    let (xb, tb) = (
        data.x_train.select(Axis(0), &mask),
        data.t_train.select(Axis(0), &mask),
    );
    let (mut fixed, mut lp, mut sel) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t0 = Instant::now();
        for _ in 0..steps {
            net.backprop(&xb, &tb);
            sgd(&mut net);
        }
        fixed.push(t0.elapsed().as_secs_f64() / steps as f64);
        let (t0, mut s) = (Instant::now(), 0.0);
        for _ in 0..steps {
            let ts = Instant::now();
            let mask = choice(train_size, 100, &mut rng);
            let x_batch = data.x_train.select(Axis(0), &mask);
            let t_batch = data.t_train.select(Axis(0), &mask);
            s += ts.elapsed().as_secs_f64();
            net.backprop(&x_batch, &t_batch);
            sgd(&mut net);
        }
        lp.push(t0.elapsed().as_secs_f64() / steps as f64);
        sel.push(s / steps as f64);
    }
    let (f, l, s) = (median(fixed), median(lp), median(sel));
    println!(
        "threads {}: fixed-batch step {:.3} ms, notebook loop step {:.3} ms ({:.2}×), of which \
         choice + select {:.3} ms; loop without it {:.2}× the fixed step (medians of {rounds} rounds of {steps})",
        dlfs::kernels::threads(),
        f * 1e3,
        l * 1e3,
        l / f,
        s * 1e3,
        (l - s) / f
    );
    Ok(())
}

//! Chapter 5.7.3, the book's `gradient_check.py`: TwoLayerNet 784-50-10 on the first three
//! training samples; mean |numerical − backprop| per parameter.
//!
//! `cargo run --release --example ch05_gradient_check [-- --samples 3 --seed 42]`

mod common;

use dlfs::prelude::*;

const USAGE: &str = "ch05_gradient_check [--samples N (3)] [--seed S (42)]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = common::Args::parse(USAGE);
    let n: usize = args.get("samples", 3);
    let seed: u64 = args.get("seed", 42);

    let data = load_mnist(LoadOptions {
        normalize: true,
        one_hot: true,
        ..Default::default()
    })?;
    let mut rng = seeded_rng(seed);
    let mut network = TwoLayerNet::new(784, 50, 10, 0.01, &mut rng);
    let x_batch = data.x_train.slice(s![..n, ..]).to_owned().into_dyn();
    let t_batch = data.t_train.slice(s![..n, ..]).to_owned().into_dyn();

    let grad_numerical = network.numerical_gradient(&x_batch, &t_batch);
    let grad_backprop = network.gradient(&x_batch, &t_batch);
    for (key, g) in grad_numerical.iter() {
        let (_max, mean) = abs_diff(g, &grad_backprop[key]);
        println!("{key}:{mean:e}");
    }
    Ok(())
}

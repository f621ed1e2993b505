//! Chapter 6.1.8, the book's `optimizer_compare_mnist.py`: MultiLayerNet 784-100×4-10 (ReLU,
//! He init), mini-batch 128, 2000 iterations, with SGD, Momentum, AdaGrad and Adam (default
//! learning rates); losses every 100 iterations; smoothed loss chart.
//!
//! `cargo run --release --example ch06_optimizer_compare_mnist [-- --iters 2000 --batch 128 --seed 0]`

mod common;

use dlfs::prelude::*;

const USAGE: &str =
    "ch06_optimizer_compare_mnist [--iters N (2000)] [--batch N (128)] [--seed S (0)]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = common::Args::parse(USAGE);
    let max_iterations: usize = args.get("iters", 2000);
    let batch_size: usize = args.get("batch", 128);
    let seed: u64 = args.get("seed", 0);
    let dir = common::out_dir("ch06_optimizer_compare_mnist");

    let data = load_mnist(LoadOptions::default())?;
    let train_size = data.x_train.shape()[0];
    let mut rng = seeded_rng(seed);
    let mut opts: Vec<Box<dyn Optimizer>> = vec![
        Box::new(SGD::default()),
        Box::new(Momentum::default()),
        Box::new(AdaGrad::default()),
        Box::new(Adam::default()),
    ];
    let mut nets: Vec<MultiLayerNet> = opts
        .iter()
        .map(|_| MultiLayerNet::new(784, &[100, 100, 100, 100], 10, "relu", "he", 0.0, &mut rng))
        .collect();
    let mut losses = vec![Vec::new(); opts.len()];

    for i in 0..max_iterations {
        let batch_mask = choice(train_size, batch_size, &mut rng);
        let x_batch = data.x_train.select(Axis(0), &batch_mask);
        let t_batch = data.t_train.select(Axis(0), &batch_mask);
        for (k, opt) in opts.iter_mut().enumerate() {
            let loss = nets[k].backprop(&x_batch, &t_batch);
            opt.update(nets[k].params());
            losses[k].push(loss);
        }
        if i % 100 == 0 {
            println!("===========iteration:{i}===========");
            for (opt, loss) in opts.iter().zip(&losses) {
                println!("{}:{}", opt.name(), loss[i]);
            }
        }
    }

    let mut chart = LineChart::new("Optimizers on MNIST: training loss (smoothed)")
        .labels("iterations", "loss")
        .y_range(0.0, 1.0)
        .smooth(true);
    for (opt, loss) in opts.iter().zip(&losses) {
        chart = chart.series(opt.name(), loss);
    }
    common::save(chart.build(), &dir, "loss");
    Ok(())
}

//! Chapter 6.2.4, the book's `weight_init_compare.py`: a 5-layer ReLU net (784-100×4-10) with
//! weight std 0.01, Xavier and He initial weights; SGD lr 0.01, mini-batch 128, 2000
//! iterations; losses every 100 iterations; smoothed loss chart.
//!
//! `cargo run --release --example ch06_weight_init_compare [-- --iters 2000 --batch 128 --lr 0.01 --seed 1]`

mod common;

use dlfs::prelude::*;

const USAGE: &str =
    "ch06_weight_init_compare [--iters N (2000)] [--batch N (128)] [--lr F (0.01)] [--seed S (1)]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = common::Args::parse(USAGE);
    let max_iterations: usize = args.get("iters", 2000);
    let batch_size: usize = args.get("batch", 128);
    let lr: f64 = args.get("lr", 0.01);
    let seed: u64 = args.get("seed", 1);
    let dir = common::out_dir("ch06_weight_init_compare");

    let data = load_mnist(LoadOptions::default())?;
    let train_size = data.x_train.shape()[0];
    let inits = [
        ("std=0.01", WeightInit::Std(0.01)),
        ("Xavier", WeightInit::Xavier),
        ("He", WeightInit::He),
    ];
    let mut rng = seeded_rng(seed);
    let mut nets: Vec<MultiLayerNet> = inits
        .iter()
        .map(|(_, init)| {
            MultiLayerNet::new(784, &[100, 100, 100, 100], 10, "relu", *init, 0.0, &mut rng)
        })
        .collect();
    let mut sgd = SGD::new(lr);
    let mut losses = vec![Vec::new(); inits.len()];

    for i in 0..max_iterations {
        let batch_mask = choice(train_size, batch_size, &mut rng);
        let x_batch = data.x_train.select(Axis(0), &batch_mask);
        let t_batch = data.t_train.select(Axis(0), &batch_mask);
        for (net, loss) in nets.iter_mut().zip(losses.iter_mut()) {
            loss.push(net.backprop(&x_batch, &t_batch));
            sgd.update(net.params());
        }
        if i % 100 == 0 {
            println!("===========iteration:{i}===========");
            for ((name, _), loss) in inits.iter().zip(&losses) {
                println!("{name}:{}", loss[i]);
            }
        }
    }

    let mut chart = LineChart::new("Initial weights on MNIST: training loss (smoothed)")
        .labels("iterations", "loss")
        .y_range(0.0, 2.5)
        .smooth(true);
    for ((name, _), loss) in inits.iter().zip(&losses) {
        chart = chart.series(name, loss);
    }
    common::save(chart.build(), &dir, "loss");
    Ok(())
}

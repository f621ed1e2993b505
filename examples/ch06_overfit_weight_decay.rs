//! Chapter 6.4.1, the book's `overfit_weight_decay.py`: 300 training samples, a 784-100×6-10
//! ReLU net with weight decay λ = 0.1, SGD lr 0.01, mini-batch 100, 201 epochs; train and
//! test accuracy per epoch (chart).
//!
//! `cargo run --release --example ch06_overfit_weight_decay [-- --epochs 201 --lambda 0.1 --samples 300 --seed 0]`

mod common;

use dlfs::prelude::*;

const USAGE: &str = "ch06_overfit_weight_decay [--epochs N (201)] [--lambda F (0.1)] [--samples N (300)] [--lr F (0.01)] [--seed S (0)]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = common::Args::parse(USAGE);
    let max_epochs: usize = args.get("epochs", 201);
    let lambda: f64 = args.get("lambda", 0.1);
    let n: usize = args.get("samples", 300);
    let lr: f64 = args.get("lr", 0.01);
    let seed: u64 = args.get("seed", 0);
    let batch_size = 100.min(n);
    let dir = common::out_dir("ch06_overfit_weight_decay");

    let data = load_mnist(LoadOptions::default())?;
    let x_train = data.x_train.slice(s![..n, ..]).to_owned().into_dyn();
    let t_train = data.t_train.slice(s![..n]).to_owned().into_dyn();
    let mut rng = seeded_rng(seed);
    let mut network =
        MultiLayerNet::new(784, &[100; 6], 10, "relu", WeightInit::He, lambda, &mut rng);
    let mut optimizer = SGD::new(lr);
    let iter_per_epoch = (n / batch_size).max(1);
    let (mut train_acc_list, mut test_acc_list) = (Vec::new(), Vec::new());

    for epoch in 0..max_epochs {
        let train_acc = network.accuracy(&x_train, &t_train);
        let test_acc = network.accuracy(&data.x_test, &data.t_test);
        train_acc_list.push(train_acc);
        test_acc_list.push(test_acc);
        println!("epoch:{epoch}, train acc:{train_acc}, test acc:{test_acc}");
        for _ in 0..iter_per_epoch {
            let m = choice(n, batch_size, &mut rng);
            network.backprop(&x_train.select(Axis(0), &m), &t_train.select(Axis(0), &m));
            optimizer.update(network.params());
        }
    }

    let fig = LineChart::new(&format!(
        "Weight decay λ = {lambda} ({n} samples, 7 layers)"
    ))
    .labels("epochs", "accuracy")
    .y_range(0.0, 1.0)
    .series("train", &train_acc_list)
    .series_dashed("test", &test_acc_list)
    .build();
    common::save(fig, &dir, "accuracy");
    Ok(())
}

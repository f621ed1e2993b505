//! Chapter 5.7.4, the book's `train_neuralnet.py`: TwoLayerNet 784-50-10, mini-batch 100,
//! SGD lr 0.1, 10,000 iterations; train/test accuracy each epoch; accuracy and loss charts.
//!
//! `cargo run --release --example ch05_train_neuralnet [-- --iters 10000 --batch 100 --lr 0.1 --seed 7]`

mod common;

use dlfs::prelude::*;

const USAGE: &str =
    "ch05_train_neuralnet [--iters N (10000)] [--batch N (100)] [--lr F (0.1)] [--seed S (7)]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = common::Args::parse(USAGE);
    let iters_num: usize = args.get("iters", 10_000);
    let batch_size: usize = args.get("batch", 100);
    let learning_rate: f64 = args.get("lr", 0.1);
    let seed: u64 = args.get("seed", 7);
    let dir = common::out_dir("ch05_train_neuralnet");

    let data = load_mnist(LoadOptions {
        normalize: true,
        one_hot: true,
        ..Default::default()
    })?;
    let mut rng = seeded_rng(seed);
    let mut network = TwoLayerNet::new(784, 50, 10, 0.01, &mut rng);
    let train_size = data.x_train.shape()[0];
    let iter_per_epoch = (train_size / batch_size).max(1);
    let mut train_loss_list = Vec::new();
    let mut train_acc_list = Vec::new();
    let mut test_acc_list = Vec::new();

    for i in 0..iters_num {
        let batch_mask = choice(train_size, batch_size, &mut rng);
        let x_batch = data.x_train.select(Axis(0), &batch_mask);
        let t_batch = data.t_train.select(Axis(0), &batch_mask);
        let loss = network.backprop(&x_batch, &t_batch);
        for p in network.params() {
            p.value.scaled_add(-learning_rate, p.grad);
        }
        train_loss_list.push(loss);

        if i % iter_per_epoch == 0 {
            let train_acc = network.accuracy(&data.x_train, &data.t_train);
            let test_acc = network.accuracy(&data.x_test, &data.t_test);
            train_acc_list.push(train_acc);
            test_acc_list.push(test_acc);
            println!("{train_acc} {test_acc}");
        }
    }

    let fig = LineChart::new("TwoLayerNet accuracy per epoch")
        .labels("epochs", "accuracy")
        .y_range(0.0, 1.0)
        .series("train acc", &train_acc_list)
        .series_dashed("test acc", &test_acc_list)
        .build();
    common::save(fig, &dir, "accuracy");
    let fig = LineChart::new("TwoLayerNet training loss per iteration")
        .labels("iterations", "loss")
        .series("loss", &train_loss_list)
        .build();
    common::save(fig, &dir, "loss");
    Ok(())
}

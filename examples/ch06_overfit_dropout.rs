//! Chapter 6.4.3, the book's `overfit_dropout.py`: 300 training samples, a 784-100×6-10 ReLU
//! net with dropout ratio 0.2, trained by the `Trainer` (SGD lr 0.01, mini-batch 100, 201
//! epochs); train and test accuracy per epoch (chart).
//!
//! `cargo run --release --example ch06_overfit_dropout [-- --epochs 201 --dropout 0.2 --samples 300 --seed 0]`

mod common;

use dlfs::prelude::*;

const USAGE: &str = "ch06_overfit_dropout [--epochs N (201)] [--dropout F (0.2)] [--samples N (300)] [--lr F (0.01)] [--seed S (0)]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = common::Args::parse(USAGE);
    let epochs: usize = args.get("epochs", 201);
    let dropout_ratio: f64 = args.get("dropout", 0.2);
    let n: usize = args.get("samples", 300);
    let lr: f64 = args.get("lr", 0.01);
    let seed: u64 = args.get("seed", 0);
    let dir = common::out_dir("ch06_overfit_dropout");

    let data = load_mnist(LoadOptions::default())?;
    let x_train = data.x_train.slice(s![..n, ..]).to_owned().into_dyn();
    let t_train = data.t_train.slice(s![..n]).to_owned().into_dyn();
    let mut rng = seeded_rng(seed);
    let mut network = MultiLayerNetExtend::new(
        784,
        &[100; 6],
        10,
        ExtendOptions {
            use_dropout: true,
            dropout_ratio,
            ..Default::default()
        },
        &mut rng,
    );
    let report = Trainer::new(
        &mut network,
        &x_train,
        &t_train,
        &data.x_test,
        &data.t_test,
        SGD::new(lr),
        TrainerConfig {
            epochs,
            mini_batch_size: 100.min(n),
            seed,
            ..Default::default()
        },
    )
    .run()?;

    let fig = LineChart::new(&format!(
        "Dropout, ratio {dropout_ratio} ({n} samples, 7 layers)"
    ))
    .labels("epochs", "accuracy")
    .y_range(0.0, 1.0)
    .series("train", &report.train_acc_list)
    .series_dashed("test", &report.test_acc_list)
    .build();
    common::save(fig, &dir, "accuracy");
    Ok(())
}

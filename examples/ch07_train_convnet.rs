//! Chapter 7.5, the book's `train_convnet.py`: SimpleConvNet (conv 30×5×5 – ReLU – pool –
//! affine 100 – ReLU – affine 10) trained with Adam lr 0.001, mini-batch 100, 20 epochs,
//! accuracy on 1000 samples per epoch, final test accuracy on all; saves the parameters to
//! `target/examples/ch07_train_convnet/params.npz` and an accuracy chart.
//!
//! `cargo run --release --example ch07_train_convnet [-- --epochs 20 --train-size 60000 --lr 0.001 --seed 7 --fused 0]`
//! (`--fused 1`: the fused Conv → ReLU → Pool option, `ConvNetConfig::fuse_conv_relu_pool`)

mod common;

use dlfs::prelude::*;

const USAGE: &str = "ch07_train_convnet [--epochs N (20)] [--train-size N (all)] [--batch N (100)] [--lr F (0.001)] [--eval N (1000)] [--seed S (7)] [--fused 0|1 (0)]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = common::Args::parse(USAGE);
    let max_epochs: usize = args.get("epochs", 20);
    let train_size: usize = args.get("train-size", usize::MAX);
    let batch_size: usize = args.get("batch", 100);
    let lr: f64 = args.get("lr", 0.001);
    let eval: usize = args.get("eval", 1000);
    let seed: u64 = args.get("seed", 7);
    let fused: u8 = args.get("fused", 0);
    let dir = common::out_dir("ch07_train_convnet");

    let data = load_mnist(LoadOptions {
        flatten: false,
        ..Default::default()
    })?;
    let n = train_size.min(data.n_train());
    let x_train = data
        .x_train
        .slice(s![..n, .., .., ..])
        .to_owned()
        .into_dyn();
    let t_train = data.t_train.slice(s![..n]).to_owned().into_dyn();

    let mut rng = seeded_rng(seed);
    let config = ConvNetConfig {
        fuse_conv_relu_pool: fused == 1,
        ..Default::default()
    };
    let mut network = SimpleConvNet::new(config, &mut rng);
    let report = Trainer::new(
        &mut network,
        &x_train,
        &t_train,
        &data.x_test,
        &data.t_test,
        Adam::new(lr),
        TrainerConfig {
            epochs: max_epochs,
            mini_batch_size: batch_size,
            evaluate_sample_num_per_epoch: Some(eval),
            seed,
            ..Default::default()
        },
    )
    .run()?;

    let params = dir.join("params.npz");
    network.save_params(&params)?;
    println!("Saved Network Parameters! ({})", params.display());

    let fig = LineChart::new(&format!(
        "SimpleConvNet accuracy per epoch ({eval} samples each)"
    ))
    .labels("epochs", "accuracy")
    .y_range(0.0, 1.0)
    .markers(true)
    .series("train", &report.train_acc_list)
    .series_dashed("test", &report.test_acc_list)
    .build();
    common::save(fig, &dir, "accuracy");
    Ok(())
}

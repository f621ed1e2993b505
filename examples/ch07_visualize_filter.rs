//! Chapter 7.6.1, the book's `visualize_filter.py`: the 30 first-layer filters (5×5) of
//! SimpleConvNet before and after training. The trained parameters come from
//! `target/examples/ch07_train_convnet/params.npz` (written by `ch07_train_convnet`) when
//! present; otherwise this example trains one epoch itself (Adam lr 0.001, mini-batch 100).
//!
//! `cargo run --release --example ch07_visualize_filter [-- --params PATH --train-size N --seed 7]`

mod common;

use std::path::PathBuf;

use dlfs::plot::Colormap;
use dlfs::prelude::*;

const USAGE: &str = "ch07_visualize_filter [--params PATH (target/examples/ch07_train_convnet/params.npz)] [--train-size N (all, when training)] [--seed S (7)]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = common::Args::parse(USAGE);
    let params: PathBuf = args.get(
        "params",
        common::out_dir("ch07_train_convnet").join("params.npz"),
    );
    let train_size: usize = args.get("train-size", usize::MAX);
    let seed: u64 = args.get("seed", 7);
    let dir = common::out_dir("ch07_visualize_filter");

    let mut rng = seeded_rng(seed);
    let mut network = SimpleConvNet::new(ConvNetConfig::default(), &mut rng);
    let filters_before = network.param_values()["W1"].clone();

    if params.exists() {
        network.load_params(&params)?;
        println!("loaded trained parameters from {}", params.display());
    } else {
        println!(
            "{} not found (run ch07_train_convnet first); training 1 epoch here",
            params.display()
        );
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
        Trainer::new(
            &mut network,
            &x_train,
            &t_train,
            &data.x_test,
            &data.t_test,
            Adam::new(0.001),
            TrainerConfig {
                epochs: 1,
                mini_batch_size: 100.min(n),
                evaluate_sample_num_per_epoch: Some(1000),
                seed,
                ..Default::default()
            },
        )
        .run()?;
    }
    let filters_after = network.param_values()["W1"].clone();

    let fig = ImageGrid::new("Conv1: the 30 filters before training")
        .columns(10)
        .colormap(Colormap::GrayR)
        .stack(&filters_before)
        .build();
    common::save(fig, &dir, "filters_before");
    let fig = ImageGrid::new("Conv1: the 30 filters after training")
        .columns(10)
        .colormap(Colormap::GrayR)
        .stack(&filters_after)
        .build();
    common::save(fig, &dir, "filters_after");
    Ok(())
}

//! Chapter 6.3.2, the book's `batch_norm_test.py`: 1000 training samples, a 784-100×5-10 net
//! with and without batch normalization, for 16 initial weight scales logspace(0, −4, 16);
//! SGD lr 0.01, mini-batch 100, 20 epochs; training accuracy per epoch in a 4×4 grid.
//!
//! `cargo run --release --example ch06_batch_norm_test [-- --epochs 20 --samples 1000 --scales 16 --seed 100]`

mod common;

use dlfs::prelude::*;

const USAGE: &str = "ch06_batch_norm_test [--epochs N (20)] [--samples N (1000)] [--scales N (16)] [--lr F (0.01)] [--seed S (100)]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = common::Args::parse(USAGE);
    let max_epochs: usize = args.get("epochs", 20);
    let n_small: usize = args.get("samples", 1000);
    let n_scales: usize = args.get("scales", 16);
    let lr: f64 = args.get("lr", 0.01);
    let seed: u64 = args.get("seed", 100);
    let batch_size = 100.min(n_small);
    let dir = common::out_dir("ch06_batch_norm_test");

    let data = load_mnist(LoadOptions::default())?;
    let x_train = data.x_train.slice(s![..n_small, ..]).to_owned().into_dyn();
    let t_train = data.t_train.slice(s![..n_small]).to_owned().into_dyn();
    let iter_per_epoch = (n_small / batch_size).max(1);
    // np.logspace(0, -4, n_scales)
    let steps = n_scales.saturating_sub(1).max(1) as f64;
    let weight_scales: Vec<f64> = (0..n_scales)
        .map(|i| 10f64.powf(-4.0 * i as f64 / steps))
        .collect();

    let mut grid = ChartGrid::new(&format!(
        "Training accuracy with and without batch normalization ({n_small} samples, {max_epochs} epochs)"
    ))
    .columns(4)
    .y_range(0.0, 1.0);
    for (i, &w) in weight_scales.iter().enumerate() {
        println!("============== {}/{n_scales} ==============", i + 1);
        let mut rng = seeded_rng(seed + i as u64);
        let opts = |use_batchnorm| ExtendOptions {
            weight_init_std: WeightInit::Std(w),
            use_batchnorm,
            ..Default::default()
        };
        let mut bn_network = MultiLayerNetExtend::new(784, &[100; 5], 10, opts(true), &mut rng);
        let mut network = MultiLayerNetExtend::new(784, &[100; 5], 10, opts(false), &mut rng);
        let mut optimizer = SGD::new(lr);
        let (mut bn_acc, mut acc) = (Vec::new(), Vec::new());
        for it in 0..max_epochs * iter_per_epoch {
            if it % iter_per_epoch == 0 {
                let a = network.accuracy(&x_train, &t_train);
                let bn_a = bn_network.accuracy(&x_train, &t_train);
                println!("epoch:{} | {a} - {bn_a}", it / iter_per_epoch);
                acc.push(a);
                bn_acc.push(bn_a);
            }
            let batch_mask = choice(n_small, batch_size, &mut rng);
            let x_batch = x_train.select(Axis(0), &batch_mask);
            let t_batch = t_train.select(Axis(0), &batch_mask);
            for net in [&mut bn_network, &mut network] {
                net.backprop(&x_batch, &t_batch);
                optimizer.update(net.params());
            }
        }
        grid = grid.chart(
            LineChart::new(&format!("W: {w:.4}"))
                .series("Batch Normalization", &bn_acc)
                .series_dashed("Normal (without BatchNorm)", &acc),
        );
    }
    common::save(grid.build(), &dir, "accuracy_grid");
    Ok(())
}

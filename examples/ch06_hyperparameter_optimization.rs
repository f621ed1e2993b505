//! Chapter 6.5.3, the book's `hyperparameter_optimization.py`: random search over the
//! learning rate 10^−6..10^−2 and weight decay 10^−8..10^−4 on 500 training samples (20 % held
//! out for validation), 100 trials of 50 epochs with a 784-100×6-10 ReLU net; prints every
//! trial and the best 20; 4×5 grid of their accuracy curves.
//!
//! `cargo run --release --example ch06_hyperparameter_optimization [-- --trials 100 --epochs 50 --samples 500 --seed 2024]`

mod common;

use dlfs::prelude::*;

const USAGE: &str = "ch06_hyperparameter_optimization [--trials N (100)] [--epochs N (50)] [--samples N (500)] [--best N (20)] [--seed S (2024)]";

struct Trial {
    val_acc: f64,
    lr: f64,
    weight_decay: f64,
    val_acc_list: Vec<f64>,
    train_acc_list: Vec<f64>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = common::Args::parse(USAGE);
    let trials: u64 = args.get("trials", 100);
    let epochs: usize = args.get("epochs", 50);
    let n: usize = args.get("samples", 500);
    let best: usize = args.get("best", 20);
    let seed: u64 = args.get("seed", 2024);
    let dir = common::out_dir("ch06_hyperparameter_optimization");

    let data = load_mnist(LoadOptions::default())?;
    let mut rng = seeded_rng(seed);
    let perm = permutation(n, &mut rng);
    let x_all = data.x_train.slice(s![..n, ..]).select(Axis(0), &perm);
    let t_all = data.t_train.slice(s![..n]).select(Axis(0), &perm);
    let validation_num = (n as f64 * 0.2) as usize;
    let x_val = x_all.slice(s![..validation_num, ..]).to_owned().into_dyn();
    let t_val = t_all.slice(s![..validation_num]).to_owned().into_dyn();
    let x_tr = x_all.slice(s![validation_num.., ..]).to_owned().into_dyn();
    let t_tr = t_all.slice(s![validation_num..]).to_owned().into_dyn();

    let mut results = Vec::new();
    for trial in 0..trials {
        // the search ranges, on a log scale
        let weight_decay = 10f64.powf(rng.random_range(-8.0..-4.0));
        let lr = 10f64.powf(rng.random_range(-6.0..-2.0));
        let mut network =
            MultiLayerNet::new(784, &[100; 6], 10, "relu", "he", weight_decay, &mut rng);
        let report = Trainer::new(
            &mut network,
            &x_tr,
            &t_tr,
            &x_val,
            &t_val,
            SGD::new(lr),
            TrainerConfig {
                epochs,
                mini_batch_size: 100,
                verbose: false,
                seed: seed + 1 + trial,
                ..Default::default()
            },
        )
        .run()?;
        let val_acc = report.test_acc_list.last().copied().unwrap_or(0.0);
        println!("val acc:{val_acc} | lr:{lr:e}, weight decay:{weight_decay:e}");
        results.push(Trial {
            val_acc,
            lr,
            weight_decay,
            val_acc_list: report.test_acc_list,
            train_acc_list: report.train_acc_list,
        });
    }

    results.sort_by(|a, b| b.val_acc.total_cmp(&a.val_acc));
    println!("=========== Hyper-Parameter Optimization Result ===========");
    let mut grid = ChartGrid::new(&format!(
        "Random search: the {} best of {trials} trials (validation solid, train dashed)",
        best.min(results.len())
    ))
    .columns(5)
    .y_range(0.0, 1.0);
    for (i, r) in results.iter().take(best).enumerate() {
        println!(
            "Best-{}(val acc:{}) | lr:{:e}, weight decay:{:e}",
            i + 1,
            r.val_acc,
            r.lr,
            r.weight_decay
        );
        grid = grid.chart(
            LineChart::new(&format!("Best-{} ({:.2})", i + 1, r.val_acc))
                .series("validation", &r.val_acc_list)
                .series_dashed("train", &r.train_acc_list),
        );
    }
    common::save(grid.build(), &dir, "best_trials");
    Ok(())
}

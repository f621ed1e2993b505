//! Chapter 6.2, the book's `weight_init_activation_histogram.py`: 1000 random samples of 100
//! features through 5 layers of 100 units; histograms of each layer's activations for sigmoid
//! with weight std 1, 0.01 and Xavier, and ReLU with std 0.01, Xavier and He.
//!
//! `cargo run --release --example ch06_weight_init_activation_histogram [-- --samples 1000 --layers 5 --seed 0]`

mod common;

use dlfs::prelude::*;

const USAGE: &str = "ch06_weight_init_activation_histogram [--samples N (1000)] [--nodes N (100)] [--layers N (5)] [--seed S (0)]";

struct Setup {
    samples: usize,
    nodes: usize,
    layers: usize,
    seed: u64,
}

fn activation_histograms(s: &Setup, title: &str, activation: &str, init: WeightInit) -> Figure {
    let mut rng = seeded_rng(s.seed);
    let mut x: Array2<f64> = randn((s.samples, s.nodes), &mut rng);
    let mut grid = HistogramGrid::new(title)
        .range(0.0, 1.0)
        .bins(30)
        .columns(s.layers.min(5));
    for layer in 0..s.layers {
        let w = init.weights(s.nodes, s.nodes, &mut rng);
        let a = x.dot(&w);
        x = if activation == "relu" {
            relu(&a)
        } else {
            sigmoid(&a)
        };
        let mean = x.mean().unwrap_or(0.0);
        let std = x.std(0.0);
        println!("{title}, layer {}: mean {mean:.4}, std {std:.4}", layer + 1);
        grid = grid.panel(&format!("{}-layer", layer + 1), &x);
    }
    grid.build()
}

fn main() {
    let args = common::Args::parse(USAGE);
    let setup = Setup {
        samples: args.get("samples", 1000),
        nodes: args.get("nodes", 100),
        layers: args.get("layers", 5),
        seed: args.get("seed", 0),
    };
    let dir = common::out_dir("ch06_weight_init_activation_histogram");
    let runs = [
        (
            "sigmoid_std1",
            "Sigmoid, weights with std 1",
            "sigmoid",
            WeightInit::Std(1.0),
        ),
        (
            "sigmoid_std0.01",
            "Sigmoid, weights with std 0.01",
            "sigmoid",
            WeightInit::Std(0.01),
        ),
        (
            "sigmoid_xavier",
            "Sigmoid, Xavier initial weights",
            "sigmoid",
            WeightInit::Xavier,
        ),
        (
            "relu_std0.01",
            "ReLU, weights with std 0.01",
            "relu",
            WeightInit::Std(0.01),
        ),
        (
            "relu_xavier",
            "ReLU, Xavier initial weights",
            "relu",
            WeightInit::Xavier,
        ),
        (
            "relu_he",
            "ReLU, He initial weights",
            "relu",
            WeightInit::He,
        ),
    ];
    for (file, title, activation, init) in runs {
        let fig = activation_histograms(&setup, title, activation, init);
        common::save(fig, &dir, file);
    }
}

//! Chapter 6.1.7, the book's `optimizer_compare_naive.py`: SGD, Momentum, AdaGrad and Adam
//! on f(x, y) = x²/20 + y², 30 steps from (−7, 2); contour panels (SVG) and an animation (GIF).
//!
//! `cargo run --release --example ch06_optimizer_compare_naive [-- --steps 30]`

mod common;

use dlfs::prelude::*;

const USAGE: &str = "ch06_optimizer_compare_naive [--steps N (30)] [--delay-ms MS (150)]";

fn f(x: f64, y: f64) -> f64 {
    x * x / 20.0 + y * y
}

fn df(x: f64, y: f64) -> (f64, f64) {
    (x / 10.0, 2.0 * y)
}

fn trajectory(optimizer: &mut dyn Optimizer, steps: usize) -> Vec<(f64, f64)> {
    let mut xy = (-7.0, 2.0);
    let mut path = vec![xy];
    for _ in 0..steps {
        xy = optimizer.update_xy(xy, df(xy.0, xy.1));
        path.push(xy);
    }
    path
}

fn main() {
    let args = common::Args::parse(USAGE);
    let steps: usize = args.get("steps", 30);
    let delay: u32 = args.get("delay-ms", 150);
    let dir = common::out_dir("ch06_optimizer_compare_naive");

    let mut optimizers: Vec<Box<dyn Optimizer>> = vec![
        Box::new(SGD::new(0.95)),
        Box::new(Momentum::new(0.1)),
        Box::new(AdaGrad::new(1.5)),
        Box::new(Adam::new(0.3)),
    ];
    let paths: Vec<(&str, Vec<(f64, f64)>)> = optimizers
        .iter_mut()
        .map(|opt| (opt.name(), trajectory(opt.as_mut(), steps)))
        .collect();
    for (name, path) in &paths {
        let (x, y) = path.last().unwrap();
        println!(
            "{name:>8}: after {steps} steps at ({x:+.4}, {y:+.4}), f = {:.2e}",
            f(*x, *y)
        );
    }

    let mut contour = ContourPlot::new(
        &format!("Optimizers on f(x, y) = x²/20 + y², {steps} steps from (−7, 2)"),
        f,
        (-10.0, 10.0),
        (-5.0, 5.0),
    )
    .minimum(0.0, 0.0)
    .columns(2)
    .frame_delay_ms(delay);
    for (name, path) in &paths {
        contour = contour.trajectory(name, path);
    }
    common::save(contour.build(), &dir, "optimizers");
    common::save(contour.animate(), &dir, "optimizers_animation");
}

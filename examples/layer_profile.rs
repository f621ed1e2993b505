//! Where the time of a training step goes, layer by layer (release build):
//! `cargo run --release --example layer_profile`. Random MNIST-shaped data, seeded.
//! Set `DLFS_THREADS=1` to time one thread. The per-layer lines run the layers one by one;
//! SimpleConvNet runs the book's Convolution → Relu → Pooling, each calling its kernels.

use std::time::Instant;

use dlfs::init::{choice, rand_uniform, seeded_rng};
use dlfs::ndarray::{Array1, ArrayD, IxDyn};
use dlfs::prelude::*;

fn profile(title: &str, net: &mut Sequential, x: &ArrayD<f64>, t: &ArrayD<f64>, reps: usize) {
    let names: Vec<String> = net.layers.iter().map(|l| l.name.clone()).collect();
    let mut fwd = vec![0.0; names.len()];
    let mut bwd = vec![0.0; names.len()];
    let (mut last_f, mut total) = (0.0, 0.0);
    for rep in 0..reps + 1 {
        let t_all = Instant::now();
        let mut y = x.clone();
        let mut f_times = vec![0.0; names.len()];
        for (i, l) in net.layers.iter_mut().enumerate() {
            let t0 = Instant::now();
            y = l.layer.forward(&y, true);
            f_times[i] = t0.elapsed().as_secs_f64();
        }
        let t0 = Instant::now();
        net.last_layer.forward(&y, t);
        let mut dout = net.last_layer.backward(1.0);
        let lf = t0.elapsed().as_secs_f64();
        let mut b_times = vec![0.0; names.len()];
        for (i, l) in net.layers.iter_mut().enumerate().rev() {
            let t0 = Instant::now();
            dout = l.layer.backward(&dout);
            b_times[i] = t0.elapsed().as_secs_f64();
        }
        let el = t_all.elapsed().as_secs_f64();
        if rep > 0 {
            for i in 0..names.len() {
                fwd[i] += f_times[i];
                bwd[i] += b_times[i];
            }
            last_f += lf;
            total += el;
        }
    }
    let r = reps as f64 * 1e-3;
    println!("{title}: {:.2} ms per forward+backward", total / r);
    for (i, n) in names.iter().enumerate() {
        println!(
            "  {n:<12} forward {:7.3} ms   backward {:7.3} ms",
            fwd[i] / r,
            bwd[i] / r
        );
    }
    println!("  {:<12} both    {:7.3} ms", "SoftmaxLoss", last_f / r);
}

fn main() {
    let mut r = seeded_rng(0);
    let labels = |n: usize, r: &mut Rng| {
        Array1::from_iter(choice(10, n, r).into_iter().map(|k| k as f64)).into_dyn()
    };
    let x = rand_uniform(IxDyn(&[100, 1, 28, 28]), 0.0, 1.0, &mut r);
    let t = labels(100, &mut r);
    let mut conv = SimpleConvNet::new(ConvNetConfig::default(), &mut r);
    profile("SimpleConvNet batch 100", &mut conv, &x, &t, 50);
    // what training runs: Sequential::backprop (the first layer without ∂L/∂x)
    conv.backprop(&x, &t);
    let t0 = Instant::now();
    for _ in 0..50 {
        conv.backprop(&x, &t);
    }
    println!(
        "SimpleConvNet batch 100 through backprop: {:.2} ms",
        t0.elapsed().as_secs_f64() * 1e3 / 50.0
    );

    let xm = rand_uniform(IxDyn(&[128, 784]), 0.0, 1.0, &mut r);
    let tm = labels(128, &mut r);
    let mut multi = MultiLayerNet::new(784, &[100, 100, 100, 100], 10, "relu", "he", 0.0, &mut r);
    profile("MultiLayerNet batch 128", &mut multi, &xm, &tm, 500);

    let xt = rand_uniform(IxDyn(&[100, 784]), 0.0, 1.0, &mut r);
    let tt = labels(100, &mut r);
    let mut two = TwoLayerNet::new(784, 50, 10, 0.01, &mut r);
    profile("TwoLayerNet batch 100", &mut two, &xt, &tt, 1000);

    let xa = rand_uniform(IxDyn(&[10000, 784]), 0.0, 1.0, &mut r);
    two.eval_batch_size = 10000;
    let t0 = Instant::now();
    for _ in 0..5 {
        std::hint::black_box(two.predict_batched(&xa));
    }
    println!(
        "TwoLayerNet predict 10k: {:.2} ms",
        t0.elapsed().as_secs_f64() * 200.0
    );
}

//! The Rust side of `scripts/bench-vs-numpy`: the same workloads as
//! `scripts/bench_numpy.py`, on random data shaped like MNIST, printed as one JSON object
//! `{"workloads": {name: {"seconds", "flop"}}, "gemm_2000_gflops", …}`: each workload's
//! median time over repeated runs and the floating-point operations of its matrix products
//! (counted by `dlfs::kernels::flop_count` over one run), and the GEMM rate of the same run.
//! `--quick` shortens the slow ones.

use std::time::Instant;

use dlfs::init::{choice, rand_uniform, randn, seeded_rng};
use dlfs::kernels::{flop_count, matmul};
use dlfs::ndarray::{Array1, Array2, ArrayD, Axis, IxDyn};
use dlfs::prelude::*;

/// (median seconds, matrix-product FLOPs of one call): the warm-up call is the one counted.
fn median_time(mut f: impl FnMut(), min_secs: f64, min_reps: usize, max_reps: usize) -> (f64, u64) {
    let before = flop_count();
    f(); // warm up
    let flop = flop_count() - before;
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < min_reps
        || (start.elapsed().as_secs_f64() < min_secs && times.len() < max_reps)
    {
        let t0 = Instant::now();
        f();
        times.push(t0.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (times[times.len() / 2], flop)
}

fn labels(n: usize, r: &mut Rng) -> ArrayD<f64> {
    let idx = choice(10, n, r);
    Array1::from_iter(idx.into_iter().map(|k| k as f64)).into_dyn()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let mut r = seeded_rng(0);
    let x_train = rand_uniform(IxDyn(&[60000, 784]), 0.0, 1.0, &mut r);
    let t_train = labels(60000, &mut r);
    let x_test = rand_uniform(IxDyn(&[10000, 784]), 0.0, 1.0, &mut r);
    let t_test = labels(10000, &mut r);
    let mut out: Vec<(&str, (f64, u64))> = Vec::new();

    // TwoLayerNet 784-50-10, batch 100, forward + backward + SGD
    let mut two = TwoLayerNet::new(784, 50, 10, 0.01, &mut r);
    let xb = x_train.slice_axis(Axis(0), (0..100).into()).to_owned();
    let tb = t_train.slice_axis(Axis(0), (0..100).into()).to_owned();
    let mut sgd = SGD::new(0.1);
    out.push((
        "two_layer_train_step",
        median_time(
            || {
                two.backprop(&xb, &tb);
                sgd.update(two.params());
            },
            1.0,
            3,
            10_000,
        ),
    ));
    two.eval_batch_size = 10_000;
    out.push((
        "two_layer_accuracy_70k",
        median_time(
            || {
                std::hint::black_box(two.accuracy(&x_train, &t_train));
                std::hint::black_box(two.accuracy(&x_test, &t_test));
            },
            if quick { 0.5 } else { 2.0 },
            if quick { 1 } else { 3 },
            50,
        ),
    ));

    // MultiLayerNet 784-100x4-10, batch 128
    let mut multi = MultiLayerNet::new(784, &[100, 100, 100, 100], 10, "relu", "he", 0.0, &mut r);
    let xm = x_train.slice_axis(Axis(0), (0..128).into()).to_owned();
    let tm = t_train.slice_axis(Axis(0), (0..128).into()).to_owned();
    let mut sgd = SGD::new(0.01);
    out.push((
        "multi_layer_train_step",
        median_time(
            || {
                multi.backprop(&xm, &tm);
                sgd.update(multi.params());
            },
            1.0,
            3,
            10_000,
        ),
    ));

    // SimpleConvNet, batch 100, forward + backward + Adam
    let img_train = x_train
        .slice_axis(Axis(0), (0..1000).into())
        .to_owned()
        .into_shape_with_order(IxDyn(&[1000, 1, 28, 28]))
        .unwrap();
    let img_test = x_test
        .clone()
        .into_shape_with_order(IxDyn(&[10000, 1, 28, 28]))
        .unwrap();
    let mut conv = SimpleConvNet::new(ConvNetConfig::default(), &mut r);
    let xc = img_train.slice_axis(Axis(0), (0..100).into()).to_owned();
    let tc = t_train.slice_axis(Axis(0), (0..100).into()).to_owned();
    let mut adam = Adam::new(0.001);
    let conv_step = median_time(
        || {
            conv.backprop(&xc, &tc);
            adam.update(conv.params());
        },
        if quick { 1.0 } else { 3.0 },
        3,
        10_000,
    );
    out.push(("conv_train_step", conv_step));
    let n_pred = if quick { 2000 } else { 10000 };
    let xp = img_test.slice_axis(Axis(0), (0..n_pred).into()).to_owned();
    let tp = t_test.slice_axis(Axis(0), (0..n_pred).into()).to_owned();
    conv.eval_batch_size = 100;
    let (pred, pred_flop) = median_time(
        || {
            std::hint::black_box(conv.accuracy(&xp, &tp));
        },
        0.0,
        if quick { 1 } else { 2 },
        10,
    );
    let scale = 10000.0 / n_pred as f64;
    out.push((
        "conv_predict_10k",
        (pred * scale, (pred_flop as f64 * scale) as u64),
    ));

    // The same two with the fused Conv → ReLU → Pool layer (SimpleConvNet's option), from
    // the same initial weights
    let mut fused = SimpleConvNet::new(
        ConvNetConfig {
            fuse_conv_relu_pool: true,
            ..Default::default()
        },
        &mut seeded_rng(1),
    );
    let mut adam = Adam::new(0.001);
    out.push((
        "conv_train_step_fused",
        median_time(
            || {
                fused.backprop(&xc, &tc);
                adam.update(fused.params());
            },
            if quick { 1.0 } else { 3.0 },
            3,
            10_000,
        ),
    ));
    fused.eval_batch_size = 100;
    let (pred, pred_flop) = median_time(
        || {
            std::hint::black_box(fused.accuracy(&xp, &tp));
        },
        0.0,
        if quick { 1 } else { 2 },
        10,
    );
    out.push((
        "conv_predict_10k_fused",
        (pred * scale, (pred_flop as f64 * scale) as u64),
    ));

    // im2col + col2im on (100, 1, 28, 28), 5x5
    let xi = xc.clone();
    out.push((
        "im2col_col2im",
        median_time(
            || {
                let col = im2col(&xi, 5, 5, 1, 0);
                std::hint::black_box(col2im(&col, xi.shape(), 5, 5, 1, 0));
            },
            1.0,
            3,
            10_000,
        ),
    ));

    // The machine's f64 GEMM peak with our backend (and ndarray's own `dot`, for the
    // choice of backend): one large square product.
    let a: Array2<f64> = randn((2000, 2000), &mut r);
    let b: Array2<f64> = randn((2000, 2000), &mut r);
    let (gemm, _) = median_time(
        || {
            std::hint::black_box(matmul(&a, &b));
        },
        1.0,
        3,
        100,
    );
    let gemm_gflops = 2.0 * 2000f64.powi(3) / gemm / 1e9;
    let (gemm, _) = median_time(
        || {
            std::hint::black_box(a.dot(&b));
        },
        1.0,
        3,
        100,
    );
    let ndarray_gflops = 2.0 * 2000f64.powi(3) / gemm / 1e9;

    let body: Vec<String> = out
        .iter()
        .map(|(k, (secs, flop))| format!("\"{k}\": {{\"seconds\": {secs:e}, \"flop\": {flop}}}"))
        .collect();
    println!(
        "{{\"workloads\": {{{}}}, \"gemm_2000_gflops\": {gemm_gflops:e}, \"gemm_2000_ndarray_gflops\": {ndarray_gflops:e}, \"threads\": {}}}",
        body.join(", "),
        dlfs::kernels::threads()
    );
}

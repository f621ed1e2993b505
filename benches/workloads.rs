//! Criterion benchmarks of the workloads of `scripts/bench-vs-numpy` (Rust side only):
//! `cargo bench` (a few minutes; `DLFS_THREADS=1 cargo bench` for one thread).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dlfs::init::{choice, rand_uniform, randn, seeded_rng};
use dlfs::kernels::matmul;
use dlfs::ndarray::{Array1, Array2, ArrayD, Axis, IxDyn};
use dlfs::prelude::*;

fn labels(n: usize, r: &mut Rng) -> ArrayD<f64> {
    Array1::from_iter(choice(10, n, r).into_iter().map(|k| k as f64)).into_dyn()
}

/// One training step (forward, backward, update) of `net` on a fixed batch, as `name`.
fn bench_step(
    c: &mut Criterion,
    name: &str,
    net: &mut Sequential,
    opt: &mut dyn Optimizer,
    (x, t): (&ArrayD<f64>, &ArrayD<f64>),
) {
    c.bench_function(name, |b| {
        b.iter(|| {
            net.backprop(x, t);
            opt.update(net.params());
        })
    });
}

fn workloads(c: &mut Criterion) {
    let mut r = seeded_rng(0);
    let x = rand_uniform(IxDyn(&[10000, 784]), 0.0, 1.0, &mut r);
    let t = labels(10000, &mut r);
    let rows = |n: usize| x.slice_axis(Axis(0), (0..n).into()).to_owned();
    let labs = |n: usize| t.slice_axis(Axis(0), (0..n).into()).to_owned();

    let mut two = TwoLayerNet::new(784, 50, 10, 0.01, &mut r);
    let (xb, tb) = (rows(100), labs(100));
    bench_step(
        c,
        "two_layer_train_step",
        &mut two,
        &mut SGD::new(0.1),
        (&xb, &tb),
    );
    two.eval_batch_size = 10_000;
    c.bench_function("two_layer_accuracy_10k", |b| {
        b.iter(|| black_box(two.accuracy(&x, &t)))
    });

    let mut multi = MultiLayerNet::new(784, &[100, 100, 100, 100], 10, "relu", "he", 0.0, &mut r);
    let (xm, tm) = (rows(128), labs(128));
    bench_step(
        c,
        "multi_layer_train_step",
        &mut multi,
        &mut SGD::new(0.01),
        (&xm, &tm),
    );

    let img = |n: usize| {
        rows(n)
            .into_shape_with_order(IxDyn(&[n, 1, 28, 28]))
            .expect("784 = 28·28")
    };
    let mut conv = SimpleConvNet::new(ConvNetConfig::default(), &mut r);
    let (xc, tc) = (img(100), labs(100));
    bench_step(
        c,
        "conv_train_step",
        &mut conv,
        &mut Adam::new(0.001),
        (&xc, &tc),
    );
    let (xp, tp) = (img(1000), labs(1000));
    c.bench_function("conv_predict_1k", |b| {
        b.iter(|| black_box(conv.accuracy(&xp, &tp)))
    });

    c.bench_function("im2col_col2im", |b| {
        b.iter(|| {
            let col = im2col(&xc, 5, 5, 1, 0);
            black_box(col2im(&col, xc.shape(), 5, 5, 1, 0))
        })
    });

    let a: Array2<f64> = randn((1000, 1000), &mut r);
    let bm: Array2<f64> = randn((1000, 1000), &mut r);
    c.bench_function("gemm_1000", |b| b.iter(|| black_box(matmul(&a, &bm))));
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = workloads
}
criterion_main!(benches);

//! Writes one of each figure kind to a folder (default `target/figures/`), from synthetic
//! data computed here: `cargo run --example figures [outdir]`.

use dlfs::ndarray::{Array2, Array4, array};
use dlfs::plot::{
    ChartGrid, Colormap, CompGraph, ContourPlot, ConvDiagram, Figure, FunctionPlot, GradientField,
    HistogramGrid, Im2colDiagram, ImageGrid, LayerDiagram, LineChart, Plot, PoolDiagram,
    SurfacePlot,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use std::path::{Path, PathBuf};

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// f(x, y) = x²/20 + y² and its gradient (6.1).
fn f(x: f64, y: f64) -> f64 {
    x * x / 20.0 + y * y
}
fn grad(x: f64, y: f64) -> (f64, f64) {
    (x / 10.0, 2.0 * y)
}

/// 30 steps of an optimizer from (−7, 2), written out inline (the library's optimizers are
/// elsewhere; this keeps the example independent).
fn trajectory(name: &str) -> Vec<(f64, f64)> {
    let mut p = [-7.0f64, 2.0];
    let mut path = vec![(p[0], p[1])];
    let (mut v, mut h, mut m) = ([0.0f64; 2], [0.0f64; 2], [0.0f64; 2]);
    for t in 1..=30 {
        let (gx, gy) = grad(p[0], p[1]);
        let g = [gx, gy];
        for i in 0..2 {
            match name {
                "SGD" => p[i] -= 0.95 * g[i],
                "Momentum" => {
                    v[i] = 0.9 * v[i] - 0.1 * g[i];
                    p[i] += v[i];
                }
                "AdaGrad" => {
                    h[i] += g[i] * g[i];
                    p[i] -= 1.5 * g[i] / (h[i].sqrt() + 1e-7);
                }
                _ => {
                    // Adam, lr 0.3, beta1 0.9, beta2 0.999
                    let lr_t = 0.3 * (1.0 - 0.999f64.powi(t)).sqrt() / (1.0 - 0.9f64.powi(t));
                    m[i] += (1.0 - 0.9) * (g[i] - m[i]);
                    h[i] += (1.0 - 0.999) * (g[i] * g[i] - h[i]);
                    p[i] -= lr_t * m[i] / (h[i].sqrt() + 1e-7);
                }
            }
        }
        path.push((p[0], p[1]));
    }
    path
}

fn save(dir: &Path, name: &str, fig: &Figure) {
    let path = dir.join(name);
    match fig.save(&path) {
        Ok(()) => println!("{} ({:?})", path.display(), fig),
        Err(e) => eprintln!("{e}"),
    }
}

fn main() {
    let dir: PathBuf = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/figures"));
    let mut rng = ChaCha8Rng::seed_from_u64(42);

    // 5.5 activation functions and their derivatives
    let fig = FunctionPlot::new("Sigmoid and its derivative", -6.0, 6.0)
        .function("sigmoid", sigmoid)
        .function("d sigmoid / dx", |x| sigmoid(x) * (1.0 - sigmoid(x)))
        .build();
    save(&dir, "function_sigmoid.svg", &fig);
    let fig = FunctionPlot::new("ReLU and its derivative", -3.0, 3.0)
        .function("ReLU", |x| x.max(0.0))
        .function("d ReLU / dx", |x| if x > 0.0 { 1.0 } else { 0.0 })
        .y_range(-0.5, 3.0)
        .build();
    save(&dir, "function_relu.svg", &fig);

    // 6.1.8-like loss curves: noisy exponential decays, smoothed
    let noise = Normal::new(0.0, 0.15).expect("valid normal");
    let mut chart = LineChart::new("Loss per iteration (smoothed)")
        .labels("iterations", "loss")
        .smooth(true)
        .y_range(0.0, 1.0);
    for (name, rate) in [
        ("SGD", 0.001),
        ("Momentum", 0.004),
        ("AdaGrad", 0.006),
        ("Adam", 0.005),
    ] {
        let loss: Vec<f64> = (0..2000)
            .map(|i| 2.3 * (-rate * i as f64).exp() + 0.05 + noise.sample(&mut rng) * 0.3)
            .collect();
        chart = chart.series(name, &loss);
    }
    save(&dir, "line_loss.svg", &chart.build());

    // 5.7.4 accuracy per epoch
    let train: Vec<f64> = (0..17)
        .map(|e| 0.97 - 0.87 * (-0.5 * e as f64).exp())
        .collect();
    let test: Vec<f64> = (0..17)
        .map(|e| 0.96 - 0.86 * (-0.5 * e as f64).exp())
        .collect();
    let fig = LineChart::new("Accuracy per epoch")
        .labels("epochs", "accuracy")
        .series("train acc", &train)
        .series_dashed("test acc", &test)
        .y_range(0.0, 1.0)
        .build();
    save(&dir, "line_accuracy.svg", &fig);

    // a diverging run: NaN from step 40 on
    let diverging: Vec<f64> = (0..60)
        .map(|i| {
            if i < 40 {
                2.3 / (1.0 + i as f64)
            } else {
                f64::NAN
            }
        })
        .collect();
    let fig = LineChart::new("Diverging run")
        .labels("iterations", "loss")
        .series("lr = 10", &diverging)
        .build();
    save(&dir, "line_nan.svg", &fig);

    // 6.1.3 gradient field
    let fig = GradientField::new(
        "−∇f for f(x, y) = x²/20 + y²",
        grad,
        (-10.0, 10.0),
        (-5.0, 5.0),
    )
    .minimum(0.0, 0.0)
    .build();
    save(&dir, "gradient_field.svg", &fig);

    // 6.1.7 optimizer trajectories
    let mut contour = ContourPlot::new(
        "Optimizers on f(x, y) = x²/20 + y²",
        f,
        (-10.0, 10.0),
        (-5.0, 5.0),
    )
    .minimum(0.0, 0.0);
    for name in ["SGD", "Momentum", "AdaGrad", "Adam"] {
        contour = contour.trajectory(name, trajectory(name));
    }
    save(&dir, "contour_optimizers.svg", &contour.build());
    save(&dir, "contour_optimizers.gif", &contour.animate());

    // 6.2.2 activation histograms: 5 sigmoid layers of 100 units, weights std 1
    let std_normal = Normal::new(0.0, 1.0).expect("valid normal");
    let mut x = Array2::from_shape_fn((1000, 100), |_| std_normal.sample(&mut rng));
    let mut hist = HistogramGrid::new("Sigmoid activations, weights N(0, 1)").range(0.0, 1.0);
    for layer in 0..5 {
        let w = Array2::from_shape_fn((100, 100), |_| std_normal.sample(&mut rng));
        x = x.dot(&w).mapv(sigmoid);
        hist = hist.panel(&format!("{}-layer", layer + 1), &x);
    }
    save(&dir, "histograms.svg", &hist.build());

    // 6.3 a 4×4 grid of accuracy curves, with vs without BN
    let mut grid =
        ChartGrid::new("Training accuracy: with vs without Batch Normalization").y_range(0.0, 1.0);
    for k in 0..16 {
        let scale = 10f64.powf(-4.0 * k as f64 / 15.0);
        let bn: Vec<f64> = (0..20)
            .map(|e| 0.9 - 0.8 * (-0.3 * e as f64).exp() + 0.02 * rng.random::<f64>())
            .collect();
        let speed = 0.25 * (1.0 - ((k as f64 - 7.5) / 8.0).powi(2));
        let plain: Vec<f64> = (0..20)
            .map(|e| 0.1 + 0.7 * (1.0 - (-speed * e as f64).exp()) + 0.02 * rng.random::<f64>())
            .collect();
        grid = grid.chart(
            LineChart::new(&format!("W:{scale:.4}"))
                .series("Batch Normalization", &bn)
                .series_dashed("Normal (without BN)", &plain),
        );
    }
    save(&dir, "grid_bn.svg", &grid.build());

    // 6.5 4×5 grid of validation/train accuracy
    let mut grid = ChartGrid::new("Random search: best 20")
        .columns(5)
        .y_range(0.0, 1.0);
    for k in 0..20 {
        let top = 0.85 - 0.03 * k as f64;
        let val: Vec<f64> = (0..50)
            .map(|e| top * (1.0 - (-0.1 * e as f64).exp()))
            .collect();
        let tr: Vec<f64> = (0..50)
            .map(|e| (top + 0.05) * (1.0 - (-0.1 * e as f64).exp()))
            .collect();
        grid = grid.chart(
            LineChart::new(&format!("Best-{} (val acc {:.2})", k + 1, val[49]))
                .series("val", &val)
                .series_dashed("train", &tr),
        );
    }
    save(&dir, "grid_search.svg", &grid.build());

    // 7.6 thirty 5×5 filters (random, like before training) and a few digit-like images
    let w = Array4::from_shape_fn((30, 1, 5, 5), |_| 0.01 * std_normal.sample(&mut rng));
    let fig = ImageGrid::new("conv1 filters (random init)")
        .stack(&w)
        .columns(10)
        .colormap(Colormap::GrayR)
        .build();
    save(&dir, "filters.png", &fig);
    let mut digits = ImageGrid::new("Rings of growing radius");
    for k in 0..6 {
        let r = 3.0 + 2.0 * k as f64;
        let img = Array2::from_shape_fn((28, 28), |(i, j)| {
            let d = ((i as f64 - 13.5).hypot(j as f64 - 13.5) - r).abs();
            (1.0 - d / 2.0).max(0.0)
        });
        digits = digits.image_titled(&format!("r = {r}"), &img);
    }
    save(&dir, "images.png", &digits.build());

    // 5.1 the apple example
    let fig = CompGraph::new("Buying 2 apples at 100 each with 10% tax")
        .value("apple", "apple", (0.0, 0.0))
        .value("n", "apple count", (1.0, 1.0))
        .op("mul1", "×", (1.0, 0.0))
        .value("tax", "tax", (2.0, 1.0))
        .op("mul2", "×", (2.0, 0.0))
        .value("out", "price", (3.0, 0.0))
        .edge("apple", "mul1", "100", "2.2")
        .edge("n", "mul1", "2", "110")
        .edge("mul1", "mul2", "200", "1.1")
        .edge("tax", "mul2", "1.1", "200")
        .edge("mul2", "out", "220", "1")
        .build();
    save(&dir, "graph_apple.svg", &fig);

    // 5.4 apples and oranges
    let fig = CompGraph::new("2 apples and 3 oranges with 10% tax")
        .value("n_apple", "apple count", (1.0, 0.0))
        .value("apple", "apple", (0.0, 1.0))
        .op("mul_apple", "×", (1.0, 1.0))
        .value("orange", "orange", (0.0, 2.0))
        .op("mul_orange", "×", (1.0, 2.0))
        .value("n_orange", "orange count", (1.0, 3.0))
        .op("add", "+", (2.0, 1.5))
        .op("mul_tax", "×", (3.0, 1.5))
        .value("tax", "tax", (3.0, 2.5))
        .value("price", "price", (4.0, 1.5))
        .edge("apple", "mul_apple", "100", "2.2")
        .edge("n_apple", "mul_apple", "2", "110")
        .edge("orange", "mul_orange", "150", "3.3")
        .edge("n_orange", "mul_orange", "3", "165")
        .edge("mul_apple", "add", "200", "1.1")
        .edge("mul_orange", "add", "450", "1.1")
        .edge("add", "mul_tax", "650", "1.1")
        .edge("tax", "mul_tax", "1.1", "650")
        .edge("mul_tax", "price", "715", "1")
        .build();
    save(&dir, "graph_apple_orange.svg", &fig);

    chapter_5_graphs(&dir);
    chapter_6_surface(&dir);
    chapter_7_diagrams(&dir);
}

/// A number as the figures print it: 3 decimals at most, "−" for minus.
fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.replace('-', "−")
}

/// 5.5.2 sigmoid, 5.6.1 Affine (batch), 5.6.3 Softmax-with-Loss (simplified).
fn chapter_5_graphs(dir: &Path) {
    // forward at x = 1, backward from ∂L/∂y = 1, node by node as the book's figure 5-20
    let x = 1.0f64;
    let neg = -x;
    let e = neg.exp();
    let den = 1.0 + e;
    let y = 1.0 / den;
    let d_den = -1.0 / (den * den); // "/" node: −1/den² = −y²
    let d_e = d_den; // "+" passes the gradient on
    let d_neg = d_e * e; // "exp": times exp(−x)
    let d_x = -d_neg; // "× −1"
    let fig = CompGraph::new("Sigmoid at x = 1: forward above, backward (from ∂L/∂y = 1) below")
        .unit(225.0, 100.0)
        .value("x", "x", (0.0, 0.0))
        .op("mul", "×", (1.0, 0.0))
        .value("m1", "−1", (1.0, 1.0))
        .op("exp", "exp", (2.0, 0.0))
        .op("add", "+", (3.0, 0.0))
        .value("one", "1", (3.0, 1.0))
        .op("div", "/", (4.0, 0.0))
        .value("y", "y", (5.0, 0.0))
        .edge(
            "x",
            "mul",
            &format!("x = {}", num(x)),
            &format!("y(1−y) = {}", num(d_x)),
        )
        .edge("m1", "mul", "", "")
        .edge(
            "mul",
            "exp",
            &format!("−x = {}", num(neg)),
            &format!("−y²exp(−x) = {}", num(d_neg)),
        )
        .edge(
            "exp",
            "add",
            &format!("exp(−x) = {}", num(e)),
            &format!("−y² = {}", num(d_e)),
        )
        .edge("one", "add", "", "")
        .edge(
            "add",
            "div",
            &format!("1+exp(−x) = {}", num(den)),
            &format!("−y² = {}", num(d_den)),
        )
        .edge("div", "y", &format!("y = {}", num(y)), "1")
        .build();
    save(dir, "graph_sigmoid.svg", &fig);

    let fig = CompGraph::new("Affine layer, batch of N (shapes on the edges)")
        .unit(210.0, 120.0)
        .value("X", "X", (0.0, 0.0))
        .op("dot", "dot", (1.0, 0.0))
        .value("W", "W", (1.0, 1.0))
        .op("add", "+", (2.0, 0.0))
        .value("B", "B", (2.0, 1.0))
        .value("Y", "Y", (3.0, 0.0))
        .edge("X", "dot", "X (N,2)", "∂L/∂Y·Wᵀ (N,2)")
        .edge("W", "dot", "W (2,3)", "Xᵀ·∂L/∂Y (2,3)")
        .edge("dot", "add", "X·W (N,3)", "∂L/∂Y (N,3)")
        .edge("B", "add", "B (3,)", "Σ∂L/∂Y (3,)")
        .edge("add", "Y", "Y (N,3)", "∂L/∂Y (N,3)")
        .build();
    save(dir, "graph_affine.svg", &fig);

    let mut g = CompGraph::new("Softmax-with-Loss (simplified)")
        .unit(160.0, 80.0)
        .block("softmax", "Softmax", (1.0, 1.0), 3.0)
        .block("cee", "Cross Entropy Error", (3.3, 1.0), 3.0)
        .value("L", "L", (4.6, 1.0))
        .edge("cee", "L", "", "1");
    for k in 1..=3 {
        let (a, y, t) = (format!("a{k}"), format!("y{k}"), format!("t{k}"));
        let row = (k - 1) as f64;
        g = g
            .value(&a, &a, (0.0, row))
            .value(&y, &y, (2.0, row))
            .value(&t, &t, (3.3 + 0.45 * (k as f64 - 2.0), 3.4))
            .edge(&a, "softmax", "", &format!("y{k} − t{k}"))
            .edge("softmax", &y, "", "")
            .edge(&y, "cee", "", &format!("−t{k}/y{k}"))
            .edge(&t, "cee", "", "");
    }
    save(dir, "graph_softmax_with_loss.svg", &g.build());
}

/// 6.1.2 the surface of f(x, y) = x²/20 + y² beside its contours.
fn chapter_6_surface(dir: &Path) {
    let fig = SurfacePlot::new("f(x, y) = x²/20 + y²", f, (-10.0, 10.0), (-10.0, 10.0))
        .beside(
            ContourPlot::new("contours of f", f, (-10.0, 10.0), (-10.0, 10.0))
                .levels(&[0.5, 2.0, 5.0, 10.0, 20.0, 40.0, 70.0])
                .minimum(0.0, 0.0),
        )
        .build();
    save(dir, "surface.svg", &fig);
}

/// 7.2.2 convolution and bias, 7.2.3 padding, 7.2.4 stride, 7.3 pooling, 7.4.2 im2col,
/// 7.5 SimpleConvNet and 5.7 TwoLayerNet as layer diagrams.
fn chapter_7_diagrams(dir: &Path) {
    let x = array![
        [1., 2., 3., 0.],
        [0., 1., 2., 3.],
        [3., 0., 1., 2.],
        [2., 3., 0., 1.]
    ];
    let w = array![[2., 0., 1.], [0., 1., 2.], [1., 0., 2.]];
    let conv = ConvDiagram::new("Convolution (7.2.2)", &x, &w);
    save(dir, "conv.svg", &conv.build());
    let steps = ConvDiagram::new("Convolution step by step", &x, &w)
        .windows(4)
        .steps(true);
    save(dir, "conv_steps.svg", &steps.build());
    save(dir, "conv_bias.svg", &conv.clone().bias(3.0).build());
    let padded = ConvDiagram::new("Padding 1 (7.2.3)", &x, &w).pad(1);
    save(dir, "conv_padding.svg", &padded.build());
    let x7 = Array2::from_shape_fn((7, 7), |(i, j)| ((i * 7 + j) % 5) as f64);
    let stride = ConvDiagram::new("Stride 2 (7.2.4)", &x7, &w)
        .stride(2)
        .windows(2);
    save(dir, "conv_stride.svg", &stride.build());
    let xp = array![
        [1., 2., 1., 0.],
        [0., 1., 2., 3.],
        [3., 0., 1., 2.],
        [2., 4., 0., 1.]
    ];
    save(
        dir,
        "pooling.svg",
        &PoolDiagram::new("Max pooling, 2×2, stride 2 (7.3)", &xp).build(),
    );
    let im = Im2colDiagram::new("im2col: each window becomes one row (7.4.2)", &x);
    save(dir, "im2col.svg", &im.build());
    let xi = Array2::from_shape_fn((4, 4), |(i, j)| (4 * i + j + 1) as f64);
    let im = Im2colDiagram::new("im2col, window by window", &xi).steps(true);
    save(dir, "im2col_steps.svg", &im.build());

    let fig = LayerDiagram::new("SimpleConvNet (7.5)")
        .input("(N,1,28,28)")
        .layer("Conv", "30×5×5")
        .layer("ReLU", "")
        .shape("(N,30,24,24)")
        .layer("Pooling", "2×2")
        .shape("(N,30,12,12)")
        .layer("Affine", "100")
        .layer("ReLU", "")
        .shape("(N,100)")
        .layer("Affine", "10")
        .shape("(N,10)")
        .layer("Softmax", "")
        .build();
    save(dir, "layers_simple_conv_net.svg", &fig);
    let fig = LayerDiagram::new("TwoLayerNet (5.7)")
        .input("(N,784)")
        .layer("Affine", "W1 (784,50)")
        .layer("ReLU", "")
        .shape("(N,50)")
        .layer("Affine", "W2 (50,10)")
        .shape("(N,10)")
        .layer("SoftmaxWithLoss", "")
        .build();
    save(dir, "layers_two_layer_net.svg", &fig);
}

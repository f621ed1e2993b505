//! [`Convolution`] (whose kernels read the input without writing im2col, 8 samples at a
//! time in backward) against the book's convolution written with the plain loops of
//! `dlfs::kernels::reference` (im2col, the product by its definition, col2im), each
//! followed by ReLU and pooling: the same loss, gradients, input gradient and scores, to
//! rounding (the kernels sum in another order), over geometries with padding, strides,
//! overlapping and tiling windows, ties, and batches of several chunks.

use dlfs::init::{rand_uniform, randn, seeded_rng};
use dlfs::kernels::reference;
use dlfs::layers::{Affine, Convolution, Layer, ParamRef, Pooling, Relu};
use dlfs::ndarray::{Array1, Array2, Array4, ArrayD, ArrayRef, Axis, Ix4, IxDyn};
use dlfs::nets::{ConvReluPool, Sequential};

/// The book's `Convolution` line by line, on the plain loops: col = im2col(x),
/// out = col·W₂ᵀ + b; backward dW₂ = doutᵀ·col, db = Σ dout, dx = col2im(dout·W₂).
#[derive(Debug)]
struct BookConv {
    w: ArrayD<f64>,
    b: ArrayD<f64>,
    dw: ArrayD<f64>,
    db: ArrayD<f64>,
    stride: usize,
    pad: usize,
    col: Option<Array2<f64>>,
    x_shape: (usize, usize, usize, usize),
}

impl BookConv {
    fn new(conv: &Convolution) -> Self {
        Self {
            w: conv.W.clone(),
            b: conv.b.clone(),
            dw: conv.W.clone() * 0.0,
            db: conv.b.clone() * 0.0,
            stride: conv.stride,
            pad: conv.pad,
            col: None,
            x_shape: (0, 0, 0, 0),
        }
    }

    fn w2(&self) -> Array2<f64> {
        let fnum = self.w.shape()[0];
        self.w
            .clone()
            .into_shape_with_order((fnum, self.w.len() / fnum))
            .unwrap()
    }
}

impl Layer for BookConv {
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, _train: bool) -> ArrayD<f64> {
        let x = x.view().into_dimensionality::<Ix4>().unwrap();
        let (fh, fw) = (self.w.shape()[2], self.w.shape()[3]);
        let col = reference::im2col(&x, fh, fw, self.stride, self.pad);
        let (n, _, h, w) = x.dim();
        let oh = (h + 2 * self.pad - fh) / self.stride + 1;
        let ow = (w + 2 * self.pad - fw) / self.stride + 1;
        let w2t = self.w2().reversed_axes();
        let b = self
            .b
            .view()
            .into_dimensionality::<dlfs::ndarray::Ix1>()
            .unwrap();
        let out = reference::matmul(&col.view(), &w2t.view()) + b;
        self.col = Some(col);
        self.x_shape = x.dim();
        let fnum = self.w.shape()[0];
        out.into_shape_with_order((n, oh, ow, fnum))
            .unwrap()
            .permuted_axes([0, 3, 1, 2])
            .as_standard_layout()
            .into_owned()
            .into_dyn()
    }

    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let fnum = self.w.shape()[0];
        let dout = dout
            .view()
            .permuted_axes(IxDyn(&[0, 2, 3, 1]))
            .as_standard_layout()
            .into_owned();
        let rows = dout.len() / fnum;
        let dout = dout.into_shape_with_order((rows, fnum)).unwrap();
        let col = self.col.as_ref().unwrap();
        self.db = dout.sum_axis(Axis(0)).into_dyn();
        self.dw = reference::matmul(&dout.t(), &col.view())
            .into_shape_with_order(self.w.raw_dim())
            .unwrap();
        let dcol = reference::matmul(&dout.view(), &self.w2().view());
        let (fh, fw) = (self.w.shape()[2], self.w.shape()[3]);
        let dx: Array4<f64> =
            reference::col2im(&dcol.view(), self.x_shape, fh, fw, self.stride, self.pad);
        dx.into_dyn()
    }

    fn params(&mut self) -> Vec<ParamRef<'_>> {
        vec![
            ParamRef::new("W", &mut self.w, &mut self.dw),
            ParamRef::new("b", &mut self.b, &mut self.db),
        ]
    }
}

mod common;

/// `lead` an optional ReLU before the convolution (so the convolution is not the first
/// layer and must compute ∂L/∂x); conv with `c` channels, `filters` filters of `fs`×`fs`, `pad`;
/// then ReLU, pooling (`pool`: window, stride, pad), Affine to 10.
struct Spec {
    lead: bool,
    c: usize,
    filters: usize,
    hw: usize,
    fs: usize,
    conv_pad: usize,
    conv_stride: usize,
    pool: (usize, usize, usize),
}

/// Which first layers [`build`] stacks.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Stack {
    /// [`BookConv`], Relu, Pooling
    Book,
    /// the library's Convolution, Relu, Pooling
    Layers,
    /// the fused ConvReluPool
    Fused,
}

/// The stack of `kind`, after an optional ReLU (`spec.lead`), then Affine to 10.
fn build(spec: &Spec, seed: u64, kind: Stack) -> Sequential {
    let mut r = seeded_rng(seed);
    let conv = Convolution::new(
        randn((spec.filters, spec.c, spec.fs, spec.fs), &mut r) * 0.3,
        randn(spec.filters, &mut r) * 0.1,
        spec.conv_stride,
        spec.conv_pad,
    );
    let oh = (spec.hw + 2 * spec.conv_pad - spec.fs) / spec.conv_stride + 1;
    let (ph, ps, pp) = spec.pool;
    let poh = (oh + 2 * pp - ph) / ps + 1;
    let pool = Pooling::new(ph, ph, ps, pp);
    let mut net = Sequential::new();
    if spec.lead {
        net.push("Relu0", Relu::new());
    }
    match kind {
        Stack::Book => net.push("Conv1", BookConv::new(&conv)),
        Stack::Layers => net.push("Conv1", conv),
        Stack::Fused => net.push_with_suffix(
            "Conv1+Relu1+Pool1",
            "1",
            ConvReluPool::new(conv, pool.clone()),
        ),
    };
    if kind != Stack::Fused {
        net.push("Relu1", Relu::new()).push("Pool1", pool);
    }
    net.push_with_suffix(
        "Affine1",
        "2",
        Affine::new(
            randn((spec.filters * poh * poh, 10), &mut r) * 0.1,
            Array1::zeros(10),
        ),
    );
    net
}

fn data(spec: &Spec, n: usize, seed: u64) -> (ArrayD<f64>, ArrayD<f64>) {
    let mut r = seeded_rng(seed);
    // values around 0, so ReLU masks and pooling ties both happen
    let x = (rand_uniform((n, spec.c, spec.hw, spec.hw), -1.0, 1.0, &mut r) * 4.0)
        .mapv(f64::round)
        .into_dyn();
    let t = ArrayD::from_shape_fn(IxDyn(&[n]), |i| ((i[0] * 7) % 10) as f64);
    (x, t)
}

/// Loss and ∂L/∂x of the whole stack, each layer's forward and backward by hand.
fn by_hand(net: &mut Sequential, x: &ArrayD<f64>, t: &ArrayD<f64>) -> (f64, ArrayD<f64>) {
    let mut y = x.clone();
    for l in net.layers.iter_mut() {
        y = l.layer.forward(&y, true);
    }
    let loss = net.last_layer.forward(&y, t);
    let mut d = net.last_layer.backward(1.0);
    for l in net.layers.iter_mut().rev() {
        d = l.layer.backward(&d);
    }
    (loss, d)
}

#[track_caller]
fn close(a: &ArrayD<f64>, b: &ArrayD<f64>, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes");
    let scale = a.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    let diff = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    assert!(
        diff <= 1e-12 * scale,
        "{what}: max |kernels − book| = {diff:e}"
    );
}

fn check(spec: Spec) {
    check_batch(spec, 5)
}

/// As [`check`] with a batch of `n` samples (backward takes them 8 at a time).
fn check_batch(spec: Spec, n: usize) {
    let (x, t) = data(&spec, n, 3);
    let (mut book, mut ours) = (build(&spec, 1, Stack::Book), build(&spec, 1, Stack::Layers));
    let mut fused = build(&spec, 1, Stack::Fused);
    for step in 0..2 {
        let (loss_book, dx_book) = by_hand(&mut book, &x, &t);
        let (loss_ours, dx_ours) = by_hand(&mut ours, &x, &t);
        // the fused layer: the three layers' own numbers, bit for bit
        let (loss_fused, dx_fused) = by_hand(&mut fused, &x, &t);
        assert_eq!(
            loss_fused.to_bits(),
            loss_ours.to_bits(),
            "fused loss, step {step}"
        );
        assert!(dx_fused == dx_ours, "fused ∂L/∂x differs, step {step}");
        for (p, f) in ours.params().iter().zip(&fused.params()) {
            assert!(
                p.grad == f.grad,
                "fused gradient of {} differs, step {step}",
                p.name
            );
        }
        assert!(
            ours.predict(&x, false) == fused.predict(&x, false),
            "fused scores, step {step}"
        );
        assert!((loss_book - loss_ours).abs() < 1e-12, "loss, step {step}");
        let (pp, pf) = (book.params(), ours.params());
        assert_eq!(pp.len(), pf.len());
        for (p, f) in pp.iter().zip(&pf) {
            assert_eq!(p.name, f.name);
            assert!(
                p.grad.iter().any(|v| *v != 0.0),
                "{} has a gradient",
                p.name
            );
            close(
                p.grad,
                f.grad,
                &format!("gradient of {}, step {step}", p.name),
            );
        }
        if spec.lead {
            assert!(dx_book.iter().any(|v| *v != 0.0));
            close(&dx_book, &dx_ours, "∂L/∂x");
        }
        close(
            &book.predict(&x, false),
            &ours.predict(&x, false),
            "inference scores",
        );
        // a step of book SGD on both, so the second round starts elsewhere
        for net in [&mut book, &mut ours, &mut fused] {
            for p in net.params() {
                p.value.scaled_add(-0.5, p.grad);
            }
        }
    }
}

#[test]
fn simple_conv_net_shape_first_layer() {
    check(mnist_like(false));
}

/// SimpleConvNet's first layer on a 12×12 image: one channel, 5×5 filters, a 2×2 pool.
fn mnist_like(lead: bool) -> Spec {
    Spec {
        lead,
        c: 1,
        filters: 4,
        hw: 12,
        fs: 5,
        conv_pad: 0,
        conv_stride: 1,
        pool: (2, 2, 0),
    }
}

#[test]
fn conv_after_another_layer_computes_input_gradient() {
    check(Spec {
        lead: true,
        c: 3,
        filters: 4,
        hw: 9,
        fs: 3,
        conv_pad: 1,
        conv_stride: 1,
        pool: (2, 2, 0),
    });
}

/// Where the fast kernels step aside, one at a time: 40 filters are more than the direct
/// dW kernel's 32 lanes (backward through im2col and the product, forward still by the
/// small-K kernel); 3 channels of 5×5 (K = 75) are more than the small-K forward takes
/// (forward through im2col and the product, backward still direct).
#[test]
fn more_filters_than_the_direct_dw_kernel_takes() {
    check(five_by_five_on_ten(1, 40));
}

#[test]
fn a_longer_filter_than_the_small_k_forward_takes() {
    check(five_by_five_on_ten(3, 4));
}

/// `filters` filters of `c`×5×5 over a padded 10×10 input, after a ReLU, then a 2×2 pool.
fn five_by_five_on_ten(c: usize, filters: usize) -> Spec {
    Spec {
        lead: true,
        c,
        filters,
        hw: 10,
        fs: 5,
        conv_pad: 1,
        conv_stride: 1,
        pool: (2, 2, 0),
    }
}

/// SimpleConvNet's first layer at full size (28×28, 5×5 filters): 12 pooled outputs a row,
/// so the AVX-512 pooling kernel runs (it takes rows of 8 or more).
#[test]
fn simple_conv_net_first_layer_full_size() {
    check(Spec {
        hw: 28,
        ..mnist_like(false)
    });
}

/// 3×3 windows at stride 3 that tile the 9×9 activation exactly
/// (`conv_after_another_layer_computes_input_gradient` has 2×2 windows at stride 2 that
/// leave its last row and column out).
#[test]
fn tiling_three_by_three_windows() {
    check(Spec {
        lead: true,
        c: 2,
        filters: 4,
        hw: 9,
        fs: 3,
        conv_pad: 1,
        conv_stride: 1,
        pool: (3, 3, 0),
    });
}

#[test]
fn overlapping_padded_pooling_and_strided_conv() {
    check(Spec {
        lead: true,
        c: 2,
        filters: 4,
        hw: 11,
        fs: 3,
        conv_pad: 1,
        conv_stride: 2,
        pool: (3, 2, 1),
    });
}

/// An empty batch goes through with the right shapes.
#[test]
fn empty_batch() {
    let spec = Spec {
        lead: false,
        c: 1,
        filters: 4,
        hw: 6,
        fs: 3,
        conv_pad: 0,
        conv_stride: 1,
        pool: (2, 2, 0),
    };
    let mut net = build(&spec, 1, Stack::Layers);
    let x = ArrayD::zeros(IxDyn(&[0, 1, 6, 6]));
    assert_eq!(net.predict(&x, true).shape(), &[0, 10]);
}

/// A batch of several chunks (backward computes 8 samples per product) and a last
/// one that is not full: every sample's place in its chunk, and the chunks' gradient sums.
#[test]
fn batches_of_several_chunks_and_a_partial_one() {
    for n in [8, 9, 19] {
        check_batch(
            Spec {
                lead: true,
                c: 2,
                filters: 4,
                hw: 8,
                fs: 3,
                conv_pad: 1,
                conv_stride: 1,
                pool: (2, 2, 0),
            },
            n,
        );
    }
}

/// The chunks run on all threads and their gradients are summed in chunk order: the
/// loss, every gradient and ∂L/∂x are the same bits on one thread as on several.
#[test]
fn the_same_bits_on_one_thread_and_on_several() {
    let one = common::one_thread_pool();
    let spec = mnist_like(true);
    let (x, t) = data(&spec, 37, 4);
    let run = |kind| {
        let mut net = build(&spec, 2, kind);
        let (loss, dx) = by_hand(&mut net, &x, &t);
        let grads: Vec<ArrayD<f64>> = net.params().iter().map(|p| p.grad.clone()).collect();
        (loss, dx, grads, net.predict(&x, false))
    };
    for kind in [Stack::Layers, Stack::Fused] {
        let (a, b) = (one.install(|| run(kind)), run(kind));
        assert!(a.0.to_bits() == b.0.to_bits(), "loss: {} vs {}", a.0, b.0);
        assert!(a.1 == b.1, "∂L/∂x differs between 1 thread and several");
        for (i, (ga, gb)) in a.2.iter().zip(&b.2).enumerate() {
            assert!(
                ga == gb,
                "gradient {i} differs between 1 thread and several"
            );
        }
        assert!(a.3 == b.3, "scores differ between 1 thread and several");
    }
}

/// Pooling whose window does not fit the convolution's output: the fused layer says so,
/// naming itself and the convolution output's shape.
#[test]
#[should_panic(expected = "ConvReluPool.forward: got shape [1, 2, 2, 2]")]
fn pooling_too_large_is_reported() {
    let mut r = seeded_rng(0);
    let conv = Convolution::new(randn((2, 1, 3, 3), &mut r), Array1::zeros(2), 1, 0);
    let mut layer = ConvReluPool::new(conv, Pooling::new(4, 4, 1, 0));
    let x = randn((1, 1, 4, 4), &mut r).into_dyn();
    layer.forward(&x, true);
}

/// The pooling window must fit the convolution's (padded) output in each direction on its
/// own: on a 2×2 output, 2×2 fits exactly, 3×3 with pad 1 fits (2 + 2·1 ≥ 3), 4×1, 1×4 and
/// 5×5 with pad 1 (5 > 2 + 2·1) do not.
#[test]
fn the_pooling_window_must_fit_each_side_of_the_padded_output() {
    let mut r = seeded_rng(0);
    let conv = Convolution::new(randn((2, 1, 3, 3), &mut r), Array1::zeros(2), 1, 0);
    let x = randn((1, 1, 4, 4), &mut r).into_dyn();
    for ((h, w, pad), fits) in [
        ((2, 2, 0), true),
        ((3, 3, 1), true),
        ((4, 1, 0), false),
        ((1, 4, 0), false),
        ((5, 5, 1), false),
    ] {
        let mut layer = ConvReluPool::new(conv.clone(), Pooling::new(h, w, 1, pad));
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            layer.forward(&x, true).shape().to_vec()
        }));
        match (run, fits) {
            (Ok(shape), true) => assert_eq!(shape[..2], [1, 2], "{h}×{w} pad {pad}"),
            (Err(e), false) => {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                assert!(
                    msg.contains("ConvReluPool.forward: got shape [1, 2, 2, 2]"),
                    "{h}×{w} pad {pad}: {msg}"
                );
            }
            (Ok(shape), false) => panic!("{h}×{w} pad {pad} cannot fit, yet gave {shape:?}"),
            (Err(_), true) => panic!("{h}×{w} pad {pad} fits, yet was refused"),
        }
    }
}

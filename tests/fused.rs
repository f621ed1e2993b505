//! `Sequential` runs a Convolution → Relu → Pooling sequence fused, one sample at a time.
//! These tests run the same networks layer by layer (each layer's own `forward_owned` /
//! `backward_owned`, as `Sequential` did before) and demand the same bits: outputs, loss,
//! every gradient, the input gradient, and the state left in the three layers.

use dlfs::init::{rand_uniform, randn, rng};
use dlfs::layers::{Affine, Convolution, Pooling, Relu};
use dlfs::ndarray::{Array1, ArrayD, IxDyn};
use dlfs::nets::Sequential;

/// `lead` an optional ReLU before the convolution (so the convolution is not the first
/// layer and must compute ∂L/∂x); conv with `c` channels, 4 filters of `fs`×`fs`, `pad`;
/// then ReLU, pooling (`pool`, stride, pad), Affine to 10.
struct Spec {
    lead: bool,
    c: usize,
    hw: usize,
    fs: usize,
    conv_pad: usize,
    conv_stride: usize,
    pool: (usize, usize, usize),
}

fn build(spec: &Spec, seed: u64) -> Sequential {
    let mut r = rng(seed);
    let conv = Convolution::new(
        randn((4, spec.c, spec.fs, spec.fs), &mut r) * 0.3,
        randn(4, &mut r) * 0.1,
        spec.conv_stride,
        spec.conv_pad,
    );
    let oh = (spec.hw + 2 * spec.conv_pad - spec.fs) / spec.conv_stride + 1;
    let (ph, ps, pp) = spec.pool;
    let poh = (oh + 2 * pp - ph) / ps + 1;
    let mut net = Sequential::new();
    if spec.lead {
        net.push("Relu0", Relu::new());
    }
    net.push("Conv1", conv)
        .push("Relu1", Relu::new())
        .push("Pool1", Pooling::new(ph, ph, ps, pp))
        .push(
            "Affine1",
            Affine::new(randn((4 * poh * poh, 10), &mut r) * 0.1, Array1::zeros(10)),
        );
    net
}

fn data(spec: &Spec, n: usize, seed: u64) -> (ArrayD<f64>, ArrayD<f64>) {
    let mut r = rng(seed);
    // values around 0, so ReLU masks and pooling ties both happen
    let x = (rand_uniform((n, spec.c, spec.hw, spec.hw), -1.0, 1.0, &mut r) * 4.0)
        .mapv(f64::round)
        .into_dyn();
    let t = ArrayD::from_shape_fn(IxDyn(&[n]), |i| ((i[0] * 7) % 10) as f64);
    (x, t)
}

/// Loss and ∂L/∂x of the first layer, layer by layer.
fn one_by_one(net: &mut Sequential, x: &ArrayD<f64>, t: &ArrayD<f64>) -> (f64, ArrayD<f64>) {
    let mut y = x.clone();
    for l in net.layers.iter_mut() {
        y = l.layer.forward_owned(y, true);
    }
    let loss = net.last_layer.forward(&y, t);
    let mut d = net.last_layer.backward(1.0);
    for l in net.layers.iter_mut().rev() {
        d = l.layer.backward_owned(d);
    }
    (loss, d)
}

fn layer_state(net: &mut Sequential, at: usize) -> (Option<ArrayD<bool>>, Vec<usize>, Vec<usize>) {
    let relu = net.layers[at + 1].layer.as_any_mut().unwrap();
    let mask = relu.downcast_ref::<Relu>().unwrap().mask.clone();
    let pool = net.layers[at + 2].layer.as_any_mut().unwrap();
    let pool = pool.downcast_ref::<Pooling>().unwrap();
    (mask, pool.arg_max.clone(), pool.x_shape.clone())
}

fn check(spec: Spec) {
    let (x, t) = data(&spec, 5, 3);
    let at = usize::from(spec.lead);
    for step in 0..2 {
        let (mut plain, mut fused) = (build(&spec, 1), build(&spec, 1));
        let (loss_plain, _) = one_by_one(&mut plain, &x, &t);
        let loss_fused = fused.backprop(&x, &t);
        assert_eq!(
            loss_plain.to_bits(),
            loss_fused.to_bits(),
            "loss, step {step}"
        );
        for (p, f) in plain.params().into_iter().zip(fused.params()) {
            assert_eq!(p.name, f.name);
            assert_eq!(p.grad, f.grad, "gradient of {}", p.name);
        }
        assert_eq!(layer_state(&mut plain, at), layer_state(&mut fused, at));
        // inference: same scores, no mask kept
        let (yp, yf) = (plain.predict(&x, false), fused.predict(&x, false));
        let mut y = x.clone();
        for l in build(&spec, 1).layers.iter_mut() {
            y = l.layer.forward_owned(y, false);
        }
        assert_eq!(y, yf);
        assert_eq!(yp, yf);
        assert!(layer_state(&mut fused, at).0.is_none());
    }
    if spec.lead {
        // the convolution is not first: its ∂L/∂x must come out the same, by hand after a
        // fused forward (the layers keep the state a one-by-one forward leaves)
        let (mut plain, mut fused) = (build(&spec, 2), build(&spec, 2));
        let (_, dx_plain) = one_by_one(&mut plain, &x, &t);
        let y = fused.predict(&x, true);
        fused.last_layer.forward(&y, &t);
        let mut d = fused.last_layer.backward(1.0);
        for l in fused.layers.iter_mut().rev() {
            d = l.layer.backward_owned(d);
        }
        assert_eq!(dx_plain, d);
        assert!(dx_plain.iter().any(|v| *v != 0.0));
        // and through backprop (fused backward) as well: compare the conv's gradients
        let mut again = build(&spec, 2);
        again.backprop(&x, &t);
        for (p, f) in plain.params().into_iter().zip(again.params()) {
            assert_eq!(p.grad, f.grad, "gradient of {} (conv not first)", p.name);
        }
    }
}

#[test]
fn simple_conv_net_shape_first_layer() {
    check(Spec {
        lead: false,
        c: 1,
        hw: 12,
        fs: 5,
        conv_pad: 0,
        conv_stride: 1,
        pool: (2, 2, 0),
    });
}

#[test]
fn conv_after_another_layer_computes_input_gradient() {
    check(Spec {
        lead: true,
        c: 3,
        hw: 9,
        fs: 3,
        conv_pad: 1,
        conv_stride: 1,
        pool: (2, 2, 0),
    });
}

/// 3×3 windows at stride 3 that tile the 9×9 activation exactly (the test above has 2×2
/// windows at stride 2 that leave its last row and column out).
#[test]
fn tiling_three_by_three_windows() {
    check(Spec {
        lead: true,
        c: 2,
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
        hw: 11,
        fs: 3,
        conv_pad: 1,
        conv_stride: 2,
        pool: (3, 2, 1),
    });
}

/// Pooling whose window does not fit the convolution's output: the fused path steps
/// aside and the layers report the problem themselves, naming the layer and the shapes.
#[test]
#[should_panic(expected = "Pooling.forward")]
fn pooling_too_large_is_reported_by_the_pooling_layer() {
    let mut r = rng(0);
    let mut net = Sequential::new();
    net.push(
        "Conv1",
        Convolution::new(randn((2, 1, 3, 3), &mut r), Array1::zeros(2), 1, 0),
    )
    .push("Relu1", Relu::new())
    .push("Pool1", Pooling::new(4, 4, 1, 0));
    let x = randn((1, 1, 4, 4), &mut r).into_dyn();
    net.predict(&x, true);
}

//! Convolution and Pooling: numerical gradient checks (central difference, h = 1e-4) of
//! L = Σ out ⊙ r for a fixed random r, plus values and shape-mismatch messages.

use dlfs::gradient::numerical_gradient;
use dlfs::layers::{Convolution, Layer, Pooling};
use dlfs::ndarray::{Array1, Array4, ArrayD, IxDyn};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod common;
use common::assert_grad;

fn random(rng: &mut ChaCha8Rng, shape: &[usize]) -> ArrayD<f64> {
    ArrayD::from_shape_simple_fn(IxDyn(shape), || rng.random_range(-1.0..1.0))
}

fn conv(w: &ArrayD<f64>, b: &ArrayD<f64>, stride: usize, pad: usize) -> Convolution {
    Convolution::new(
        w.clone().into_dimensionality().unwrap(),
        b.clone().into_dimensionality().unwrap(),
        stride,
        pad,
    )
}

fn check_conv(x_shape: &[usize], w_shape: &[usize], stride: usize, pad: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut x = random(&mut rng, x_shape);
    let mut w = random(&mut rng, w_shape);
    let mut b = random(&mut rng, &w_shape[..1]);
    let mut layer = conv(&w, &b, stride, pad);
    let out = layer.forward(&x, true);
    let r = random(&mut rng, out.shape());
    let dx = layer.backward(&r);
    let loss = |x: &ArrayD<f64>, w: &ArrayD<f64>, b: &ArrayD<f64>| {
        (conv(w, b, stride, pad).forward(x, true) * &r).sum()
    };
    let (wc, bc) = (w.clone(), b.clone());
    let nx = numerical_gradient(|x| loss(x, &wc, &bc), &mut x);
    let xc = x.clone();
    let nw = numerical_gradient(|w| loss(&xc, w, &bc), &mut w);
    let wc = w.clone();
    let nb = numerical_gradient(|b| loss(&xc, &wc, b), &mut b);
    let label = format!("Convolution x{x_shape:?} W{w_shape:?} stride {stride} pad {pad}");
    assert_grad(&format!("{label} x"), &dx, &nx);
    assert_grad(&format!("{label} W"), &layer.dW.clone().into_dyn(), &nw);
    assert_grad(&format!("{label} b"), &layer.db.clone().into_dyn(), &nb);

    // Skipping ∂L/∂x (a network's first layer) changes nothing else.
    let mut first = conv(&w, &b, stride, pad);
    first.forward(&x, true);
    first.backward_params(&r);
    assert_eq!(first.dW, layer.dW);
    assert_eq!(first.db, layer.db);
}

#[test]
fn convolution_gradient_stride1_pad0() {
    check_conv(&[2, 3, 7, 7], &[4, 3, 3, 3], 1, 0);
}

#[test]
fn convolution_gradient_stride2_pad1() {
    check_conv(&[2, 2, 7, 6], &[3, 2, 3, 3], 2, 1);
}

#[test]
fn convolution_gradient_stride2_pad2_uneven() {
    // (8 + 4 − 3) / 2 = 4.5: floors to 5 outputs, the last input row is not reached
    check_conv(&[1, 2, 8, 5], &[2, 2, 3, 2], 2, 2);
}

#[test]
fn convolution_matches_direct_sum() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (x, w, b) = (
        random(&mut rng, &[2, 2, 5, 6]),
        random(&mut rng, &[3, 2, 3, 2]),
        random(&mut rng, &[3]),
    );
    let (s, p) = (2, 1);
    let y = conv(&w, &b, s, p).forward(&x, false);
    assert_eq!(y.shape(), &[2, 3, 3, 4]);
    for n in 0..2 {
        for f in 0..3 {
            for oh in 0..3 {
                for ow in 0..4 {
                    let mut sum = b[[f]];
                    for c in 0..2 {
                        for i in 0..3 {
                            for j in 0..2 {
                                let (h, v) = ((oh * s + i) as isize - 1, (ow * s + j) as isize - 1);
                                if h >= 0 && v >= 0 && h < 5 && v < 6 {
                                    sum += w[[f, c, i, j]] * x[[n, c, h as usize, v as usize]];
                                }
                            }
                        }
                    }
                    assert!((y[[n, f, oh, ow]] - sum).abs() < 1e-12);
                }
            }
        }
    }
}

#[test]
#[should_panic(expected = "Convolution.forward: got shape [2, 3, 7, 7], expected (N, 1, H, W)")]
fn convolution_wrong_channels_panics() {
    let mut layer = Convolution::new(Array4::zeros((30, 1, 5, 5)), Array1::zeros(30), 1, 0);
    layer.forward(&ArrayD::zeros(IxDyn(&[2, 3, 7, 7])), true);
}

#[test]
#[should_panic(
    expected = "Convolution.backward: got shape [2, 30, 3, 4], expected dout of shape [2, 30, 3, 3]"
)]
fn convolution_wrong_dout_panics() {
    let mut layer = Convolution::new(Array4::zeros((30, 1, 5, 5)), Array1::zeros(30), 1, 0);
    layer.forward(&ArrayD::zeros(IxDyn(&[2, 1, 7, 7])), true);
    layer.backward(&ArrayD::zeros(IxDyn(&[2, 30, 3, 4])));
}

#[test]
#[should_panic(
    expected = "Convolution.new: got shape [3], expected b of shape (30,) for W of shape [30, 1, 5, 5]"
)]
fn convolution_wrong_bias_panics() {
    Convolution::new(Array4::zeros((30, 1, 5, 5)), Array1::zeros(3), 1, 0);
}

fn check_pool(x_shape: &[usize], ph: usize, pw: usize, stride: usize, pad: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    // all negative (padding must not win the max) and 0.003 apart: no two values of a
    // window within the central difference's ±h of each other
    let n: usize = x_shape.iter().product();
    let mut values: Vec<f64> = (0..n).map(|k| -1.01 - 0.003 * k as f64).collect();
    values.shuffle(&mut rng);
    let mut x = ArrayD::from_shape_vec(IxDyn(x_shape), values).unwrap();
    let mut pool = Pooling::new(ph, pw, stride, pad);
    let out = pool.forward(&x, true);
    assert!(out.iter().all(|&v| v < -1.0), "a padded zero won the max");
    let r = random(&mut rng, out.shape());
    let dx = pool.backward(&r);
    let nx = numerical_gradient(
        |x| (Pooling::new(ph, pw, stride, pad).forward(x, true) * &r).sum(),
        &mut x,
    );
    assert_grad(
        &format!("Pooling x{x_shape:?} {ph}x{pw} stride {stride} pad {pad} x"),
        &dx,
        &nx,
    );
}

#[test]
fn convolution_gradient_every_filter_width_stride_and_pad() {
    // widths 1…7 (the kernels unroll some widths and loop over the others), square and
    // 3 × w filters, strides 1…3 (some leave a border the windows never reach), pad 0…2
    let mut cases = 0;
    for fw in 1..=7 {
        for fh in [fw, 3] {
            for stride in 1..=3 {
                for pad in 0..=2 {
                    if fh > 8 + 2 * pad || fw > 9 + 2 * pad {
                        continue;
                    }
                    check_conv(&[2, 2, 8, 9], &[2, 2, fh, fw], stride, pad);
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, 7 * 2 * 3 * 3);
}

#[test]
fn pooling_gradient_every_window_stride_and_pad() {
    for pw in 1..=7 {
        for ph in [pw, 2] {
            for stride in 1..=3 {
                for pad in 0..pw.min(ph).min(3) {
                    check_pool(&[2, 2, 9, 10], ph, pw, stride, pad);
                }
            }
        }
    }
}

#[test]
fn pooling_gradient_book_config() {
    check_pool(&[2, 3, 8, 8], 2, 2, 2, 0);
}

#[test]
fn pooling_gradient_pad1_negative_inputs() {
    check_pool(&[2, 2, 5, 6], 2, 2, 2, 1);
    check_pool(&[1, 2, 5, 5], 3, 3, 2, 1);
}

#[test]
fn pooling_gradient_overlapping_windows_odd_size() {
    check_pool(&[2, 2, 7, 7], 3, 3, 1, 0);
    check_pool(&[2, 1, 7, 7], 2, 2, 2, 0);
}

#[test]
fn pooling_matches_direct_max() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let x = random(&mut rng, &[2, 3, 7, 6]);
    let (ph, pw, s, p) = (3, 2, 2, 1);
    let y = Pooling::new(ph, pw, s, p).forward(&x, false);
    let (oh, ow) = ((7 + 2 - 3) / 2 + 1, (6 + 2 - 2) / 2 + 1);
    assert_eq!(y.shape(), &[2, 3, oh, ow]);
    for n in 0..2 {
        for c in 0..3 {
            for i in 0..oh {
                for j in 0..ow {
                    let mut m = f64::NEG_INFINITY;
                    for a in 0..ph {
                        for bb in 0..pw {
                            let (h, w) = ((i * s + a) as isize - 1, (j * s + bb) as isize - 1);
                            if h >= 0 && w >= 0 && h < 7 && w < 6 {
                                m = m.max(x[[n, c, h as usize, w as usize]]);
                            }
                        }
                    }
                    assert_eq!(y[[n, c, i, j]], m);
                }
            }
        }
    }
}

#[test]
#[should_panic(
    expected = "Pooling.backward: got shape [1, 1, 3, 3], expected dout of shape [1, 1, 2, 2]"
)]
fn pooling_wrong_dout_panics() {
    let mut pool = Pooling::new(2, 2, 2, 0);
    pool.forward(&ArrayD::zeros(IxDyn(&[1, 1, 5, 5])), true);
    pool.backward(&ArrayD::zeros(IxDyn(&[1, 1, 3, 3])));
}

#[test]
#[should_panic(expected = "Pooling.forward: got shape [28, 28], expected (N, C, H, W)")]
fn pooling_needs_4d() {
    Pooling::new(2, 2, 2, 0).forward(&ArrayD::zeros(IxDyn(&[28, 28])), true);
}

#[test]
#[should_panic(expected = "Pooling.new: pad 2 must be smaller than the 2×2 window")]
fn pooling_pad_too_large_panics() {
    Pooling::new(2, 2, 2, 2);
}

#[test]
fn convolution_accepts_non_contiguous_input() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let x = random(&mut rng, &[2, 2, 6, 5]);
    let (w, b) = (random(&mut rng, &[3, 2, 3, 3]), random(&mut rng, &[3]));
    // same values, transposed memory layout
    let xt = x
        .clone()
        .permuted_axes(IxDyn(&[0, 1, 3, 2]))
        .as_standard_layout()
        .into_owned()
        .permuted_axes(IxDyn(&[0, 1, 3, 2]));
    assert!(xt.as_slice().is_none());
    let y = conv(&w, &b, 1, 1).forward(&x, true);
    let yt = conv(&w, &b, 1, 1).forward(&xt, true);
    assert_eq!(y, yt);
    let mut p = Pooling::new(2, 2, 2, 1);
    assert_eq!(
        p.forward(&x, true),
        Pooling::new(2, 2, 2, 1).forward(&xt, true)
    );
}

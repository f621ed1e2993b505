//! `forward_owned` / `backward_owned` (what networks call between layers) must give exactly
//! what `forward` / `backward` give, for every layer, including the parameter gradients
//! and a second step that reuses the buffers of the first.

use dlfs::layers::{Affine, Convolution, Layer, Pooling, Relu, Sigmoid};
use dlfs::ndarray::{Array1, Array2, Array4, ArrayD, IxDyn};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random(rng: &mut ChaCha8Rng, shape: &[usize]) -> ArrayD<f64> {
    ArrayD::from_shape_simple_fn(IxDyn(shape), || rng.random_range(-1.0..1.0))
}

/// Runs two training steps through `a` with the borrowing calls and through `b` with the
/// owning ones, and compares outputs, input gradients and parameter gradients bit for bit.
fn same(mut a: impl Layer, mut b: impl Layer, x_shape: &[usize]) {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for step in 0..2 {
        let x = random(&mut rng, x_shape);
        let ya = a.forward(&x, true);
        let yb = b.forward_owned(x.clone(), true);
        assert_eq!(ya, yb, "{} forward, step {step}", a.kind());
        let dout = random(&mut rng, ya.shape());
        let da = a.backward(&dout);
        let db = b.backward_owned(dout.clone());
        assert_eq!(da, db, "{} backward, step {step}", a.kind());
        let kind = a.kind();
        let (pa, pb) = (a.params(), b.params());
        for (p, q) in pa.iter().zip(&pb) {
            assert_eq!(p.grad, q.grad, "{kind} d{}, step {step}", p.name);
        }
        // inference passes too
        let x = random(&mut rng, x_shape);
        assert_eq!(a.forward(&x, false), b.forward_owned(x.clone(), false));
    }
}

#[test]
fn owned_calls_match_borrowing_calls() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    same(Relu::new(), Relu::new(), &[4, 3, 5, 5]);
    same(Sigmoid::new(), Sigmoid::new(), &[6, 7]);
    let w: Array2<f64> = random(&mut rng, &[75, 8]).into_dimensionality().unwrap();
    let b: Array1<f64> = random(&mut rng, &[8]).into_dimensionality().unwrap();
    // 4-D input flattened by Affine, as after a pooling layer
    same(
        Affine::new(w.clone(), b.clone()),
        Affine::new(w, b),
        &[4, 3, 5, 5],
    );
    let w: Array4<f64> = random(&mut rng, &[5, 3, 3, 3])
        .into_dimensionality()
        .unwrap();
    let b: Array1<f64> = random(&mut rng, &[5]).into_dimensionality().unwrap();
    same(
        Convolution::new(w.clone(), b.clone(), 1, 1),
        Convolution::new(w, b, 1, 1),
        &[4, 3, 6, 6],
    );
    same(
        Pooling::new(2, 2, 2, 0),
        Pooling::new(2, 2, 2, 0),
        &[4, 3, 6, 6],
    );
}

#[test]
fn relu_owned_keeps_nan_and_zeroes_negatives() {
    let mut relu = Relu::new();
    let x = ArrayD::from_shape_vec(IxDyn(&[4]), vec![-1.0, 0.0, 2.0, f64::NAN]).unwrap();
    let y = relu.forward_owned(x, true);
    assert_eq!(&y.as_slice().unwrap()[..3], &[0.0, 0.0, 2.0]);
    assert!(y[3].is_nan(), "NaN passes through, as in forward");
    let dx = relu.backward_owned(ArrayD::from_elem(IxDyn(&[4]), 5.0));
    assert_eq!(dx.as_slice().unwrap(), &[0.0, 0.0, 5.0, 5.0]);
}

//! Numerical gradients by central difference (chapter 4), the reference for every
//! backpropagation check in this crate.

use ndarray::{ArrayD, Dimension};

/// Step used by the central difference, as in the book.
pub const H: f64 = 1e-4;

/// ∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / 2h for every element of `x`, any shape.
///
/// `f` is called with the perturbed `x`; each element is restored exactly afterwards.
///
/// ```
/// use dlfs::ndarray::array;
/// let mut x = array![3.0, 4.0].into_dyn();
/// let g = dlfs::gradient::numerical_gradient(|x| x.iter().map(|v| v * v).sum(), &mut x);
/// assert!((g[0] - 6.0).abs() < 1e-6 && (g[1] - 8.0).abs() < 1e-6);
/// assert_eq!(x, array![3.0, 4.0].into_dyn());
/// ```
pub fn numerical_gradient<D: Dimension>(
    mut f: impl FnMut(&ndarray::Array<f64, D>) -> f64,
    x: &mut ndarray::Array<f64, D>,
) -> ndarray::Array<f64, D> {
    let mut grad = ndarray::Array::zeros(x.raw_dim());
    for i in 0..x.len() {
        let old = flat_get(x, i);
        flat_set(x, i, old + H);
        let fxh1 = f(x);
        flat_set(x, i, old - H);
        let fxh2 = f(x);
        flat_set(x, i, old);
        flat_set(&mut grad, i, (fxh1 - fxh2) / (2.0 * H));
    }
    grad
}

/// Element `i` of `a` in logical (row-major) order.
pub(crate) fn flat_get<D: Dimension>(a: &ndarray::Array<f64, D>, i: usize) -> f64 {
    match a.as_slice() {
        Some(s) => s[i],
        None => *a.iter().nth(i).expect("index in range"),
    }
}

/// Sets element `i` of `a` in logical (row-major) order.
pub(crate) fn flat_set<D: Dimension>(a: &mut ndarray::Array<f64, D>, i: usize, v: f64) {
    match a.as_slice_mut() {
        Some(s) => s[i] = v,
        None => *a.iter_mut().nth(i).expect("index in range") = v,
    }
}

/// Largest and mean |a − b| over all elements (the book prints the mean).
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn abs_diff(a: &ArrayD<f64>, b: &ArrayD<f64>) -> (f64, f64) {
    assert_eq!(
        a.shape(),
        b.shape(),
        "abs_diff: shapes {:?} and {:?} differ",
        a.shape(),
        b.shape()
    );
    let mut max = 0.0f64;
    let mut sum = 0.0;
    for (x, y) in a.iter().zip(b) {
        let d = (x - y).abs();
        max = max.max(d);
        sum += d;
    }
    (max, sum / a.len().max(1) as f64)
}

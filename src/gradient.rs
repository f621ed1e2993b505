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
    let values = central_difference(x.len(), |i, delta| {
        let old = flat_get(x, i);
        flat_set(x, i, old + delta);
        let y = f(x);
        flat_set(x, i, old);
        y
    });
    for (i, v) in values.into_iter().enumerate() {
        flat_set(&mut grad, i, v);
    }
    grad
}

/// The central difference itself, for `n` numbers that live wherever the caller keeps
/// them: `f_shifted(i, δ)` must return f with number `i` moved by δ (and put it back).
/// Returns (f(+h) − f(−h)) / 2h for each `i`. [`numerical_gradient`] and
/// `Sequential::numerical_gradient` are both this loop.
pub fn central_difference(n: usize, mut f_shifted: impl FnMut(usize, f64) -> f64) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let fxh1 = f_shifted(i, H);
            let fxh2 = f_shifted(i, -H);
            (fxh1 - fxh2) / (2.0 * H)
        })
        .collect()
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

/// Below this size a number counts as zero in [`rel_error`]. The central difference carries
/// an error of its own, 1e-12 to 1e-9 in absolute terms (rounding: ε·L/h; truncation:
/// h²·f‴/6), so the relative error of a gradient element much smaller than that says
/// nothing (a bias in front of batch norm has a true gradient of 0: backprop gives 1e-18,
/// the difference 1e-12). Under the floor, the error is |a − b| / 1e-4: at a tolerance of
/// 1e-5 a tiny element must agree to 1e-9, a thousand times stricter than the old absolute
/// check, while correct code measures at most 2.6e-7 in the tests.
pub const REL_FLOOR: f64 = 1e-4;

/// Relative error of two numbers in the CS231n form, |a − b| / max(|a|, |b|, [`REL_FLOOR`]).
///
/// ```
/// use dlfs::gradient::rel_error;
/// assert_eq!(rel_error(2.0, 1.0), 0.5);
/// assert_eq!(rel_error(0.0, 0.0), 0.0);
/// assert!(rel_error(1e-12, 0.0) < 1e-5); // both below the floor: tiny, not 100%
/// assert!(rel_error(1.0, f64::NAN).is_nan());
/// ```
pub fn rel_error(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(REL_FLOOR)
}

/// The largest [`rel_error`] over all elements and its flat index (NaN wins: a NaN anywhere
/// is reported, not hidden by `max`).
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn max_rel_error(a: &ArrayD<f64>, b: &ArrayD<f64>) -> (f64, usize) {
    assert_eq!(
        a.shape(),
        b.shape(),
        "max_rel_error: shapes {:?} and {:?} differ",
        a.shape(),
        b.shape()
    );
    let mut worst = (0.0f64, 0usize);
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        let e = rel_error(x, y);
        if e.is_nan() {
            return (e, i);
        }
        if e > worst.0 {
            worst = (e, i);
        }
    }
    worst
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

/// The tolerance of every numerical gradient check in the crate (its tests, the exercise
/// checks): backpropagation agrees with the central difference when every element's
/// [`rel_error`] is below this.
///
/// Why 1e-5: correct code measures 1e-12 to 1e-9 on most layers and at most 3e-7 in the
/// crate's tests (2.9e-7 on W1 of a net with batch norm and dropout): the central
/// difference's own error, rounding and truncation (see [`REL_FLOOR`]). A learner's
/// SoftmaxWithLoss built on the book's `cross_entropy_error` measures 1.2e-6 in its exercise
/// check, because the book adds 1e-7 inside the log and its backward, (y − t)/N, ignores it
/// (a relative difference of about 1e-7 / y). A wrong term measures 1e-3 and more: a bias
/// gradient off by half at size 1e-7 measures 9.7e-4 against [`REL_FLOOR`]. 1e-5 lies
/// between the two, eight times above the largest correct value.
pub const GRAD_REL_TOL: f64 = 1e-5;

/// The gradient check: `backprop` against `numerical`, element by element, every
/// [`rel_error`] below [`GRAD_REL_TOL`] (a NaN fails). Returns the largest relative error,
/// or a message naming `what`, the shapes if they differ, or the worst element with both
/// values.
///
/// ```
/// use dlfs::gradient::check_gradient;
/// use dlfs::ndarray::array;
/// let num = array![2.0, -1e-10].into_dyn(); // 0 against -1e-10: below the floor, fine
/// assert!(check_gradient("db", &array![2.0 + 1e-9, 0.0].into_dyn(), &num).is_ok());
/// let err = check_gradient("db", &array![1.0, 0.0].into_dyn(), &num).unwrap_err();
/// assert!(err.starts_with("db: numerical gradient check failed: relative error 5.0e-1 at flat index 0"));
/// ```
pub fn check_gradient(
    what: &str,
    backprop: &ArrayD<f64>,
    numerical: &ArrayD<f64>,
) -> Result<f64, String> {
    if backprop.shape() != numerical.shape() {
        let (yours, expected) = (
            crate::arrays::np_shape(backprop.shape()),
            crate::arrays::np_shape(numerical.shape()),
        );
        return Err(tr!(
            "{what}: your gradient has shape {yours}, expected {expected}",
            "{what}: 기울기의 형상이 {yours}입니다. {expected}이어야 합니다"
        ));
    }
    let (worst, i) = max_rel_error(backprop, numerical);
    if worst < GRAD_REL_TOL {
        return Ok(worst);
    }
    let (bp, num) = (flat_get(backprop, i), flat_get(numerical, i));
    Err(tr!(
        "{what}: numerical gradient check failed: relative error {worst:.1e} at flat index {i} \
         (backprop {bp}, numerical {num}; tolerance {GRAD_REL_TOL:.0e})",
        "{what}: 수치 미분 기울기 확인 실패: 평탄화 인덱스 {i}에서 상대 오차 {worst:.1e} \
         (역전파 {bp}, 수치 미분 {num}; 허용 오차 {GRAD_REL_TOL:.0e})"
    ))
}

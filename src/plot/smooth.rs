//! The book's `smooth_curve` (a Kaiser-window moving average), for the loss curves of 6.1.8
//! and 6.2.4.

/// Modified Bessel function of the first kind, order 0 (power series).
fn bessel_i0(x: f64) -> f64 {
    let q = x * x / 4.0;
    let (mut term, mut sum) = (1.0, 1.0);
    for k in 1..60 {
        term *= q / (k as f64 * k as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// The Kaiser window of length `m`: `w[n] = I0(β·sqrt(1 − (2n/(m−1) − 1)²)) / I0(β)`
/// (numpy's `np.kaiser`).
pub fn kaiser(m: usize, beta: f64) -> Vec<f64> {
    if m == 1 {
        return vec![1.0];
    }
    let denom = bessel_i0(beta);
    (0..m)
        .map(|n| {
            let r = 2.0 * n as f64 / (m - 1) as f64 - 1.0;
            bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / denom
        })
        .collect()
}

/// The book's `smooth_curve` for loss curves: reflect 10 values at each end, convolve with a
/// normalised Kaiser window (length 11, β = 2), keep the middle, so the output has the
/// input's length.
///
/// Like the book, the start is reflected around `x[0]` (`x[10] … x[1]`) and the end
/// repeats the last value (`x[n−1] … x[n−10]`). Differs from the book: inputs shorter
/// than 11 values come back unchanged instead of failing.
pub fn smooth_curve(x: &[f64]) -> Vec<f64> {
    const WIN: usize = 11;
    let n = x.len();
    if n < WIN {
        return x.to_vec();
    }
    let w = kaiser(WIN, 2.0);
    let total: f64 = w.iter().sum();
    // s = x[10..=1 reversed] ++ x ++ x[n-1 down to n-10]
    let mut s = Vec::with_capacity(n + 2 * (WIN - 1));
    s.extend((1..WIN).rev().map(|i| x[i]));
    s.extend_from_slice(x);
    s.extend((0..WIN - 1).map(|k| x[n - 1 - k]));
    // 'valid' convolution has n + 10 values; the book keeps [5, n + 5).
    (0..n)
        .map(|i| {
            let j = i + (WIN - 1) / 2;
            (0..WIN).map(|k| w[k] * s[j + k]).sum::<f64>() / total
        })
        .collect()
}

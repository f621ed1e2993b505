//! The kernels against plain versions: `gemm` and `matmul` against ndarray's own `dot` for
//! every operand layout the layers use (transposed, column-major and reversed views, large
//! enough to be split over threads); matmul, im2col/col2im and max pooling against
//! `kernels::reference` over many geometries.

use dlfs::kernels::{gemm, matmul};
use dlfs::ndarray::{Array2, ArrayView2, ShapeBuilder, s};
use dlfs::rayon;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod common;

fn random(rng: &mut ChaCha8Rng, r: usize, c: usize) -> Array2<f64> {
    Array2::from_shape_simple_fn((r, c), || rng.random_range(-1.0..1.0))
}

fn close(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    (a - b).iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

#[test]
fn gemm_matches_dot_for_every_layout() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for &(m, k, n) in &[(3, 4, 5), (1, 7, 1), (30, 25, 576), (130, 90, 110)] {
        let a = random(&mut rng, m, k);
        let b = random(&mut rng, k, n);
        let at = random(&mut rng, k, m); // used transposed
        let bt = random(&mut rng, n, k);
        let a_rev = a.slice(s![..;-1, ..;-1]).to_owned(); // a = rev(a_rev)
        let cases: Vec<(ArrayView2<f64>, ArrayView2<f64>)> = vec![
            (a.view(), b.view()),
            (at.t(), b.view()),
            (a.view(), bt.t()),
            (at.t(), bt.t()),
            (a_rev.slice(s![..;-1, ..;-1]), b.slice(s![.., ..])),
        ];
        for (i, (x, y)) in cases.iter().enumerate() {
            let want = x.dot(y);
            assert!(
                close(&matmul(x, y), &want) < 1e-12,
                "matmul case {i} ({m},{k},{n})"
            );
            // row-major, column-major and reversed destinations, with β = 0.5 and α = 2
            let c0 = random(&mut rng, m, n);
            let mut c_row = c0.clone();
            gemm(2.0, x, y, 0.5, &mut c_row.view_mut());
            let expect = &c0 * 0.5 + &want * 2.0;
            assert!(close(&c_row, &expect) < 1e-12, "row-major c, case {i}");
            let mut c_col = Array2::zeros((m, n).f());
            c_col.assign(&c0);
            gemm(2.0, x, y, 0.5, &mut c_col.view_mut());
            assert!(close(&c_col, &expect) < 1e-12, "column-major c, case {i}");
            let mut c_rev = c0.slice(s![..;-1, ..;-1]).to_owned();
            gemm(2.0, x, y, 0.5, &mut c_rev.slice_mut(s![..;-1, ..;-1]));
            let back = c_rev.slice(s![..;-1, ..;-1]).to_owned();
            assert!(close(&back, &expect) < 1e-12, "reversed c, case {i}");
        }
    }
}

/// A product big enough to be split even inside a parallel section gives the same bits
/// whether it runs on one thread, on two from the caller's thread, or split again from a
/// worker of a 2-thread pool (the case of networks trained side by side): the library's
/// results must not depend on the thread count or on where a product is called from.
#[test]
fn big_products_give_the_same_bits_on_any_thread_count_and_nested() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    // 1000·784·100 multiply-adds: above the nested-split threshold
    let (a, b) = (random(&mut rng, 1000, 784), random(&mut rng, 784, 100));
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let single = one.install(|| matmul(&a, &b));
    let from_worker = two.install(|| matmul(&a, &b));
    let (left, right) = two.install(|| rayon::join(|| matmul(&a, &b), || matmul(&b.t(), &a.t())));
    let outside = matmul(&a, &b);
    assert_eq!(single, from_worker);
    assert_eq!(single, left);
    assert_eq!(single.t(), right);
    assert_eq!(single, outside);
    assert!(close(&single, &a.dot(&b)) < 1e-9);
}

// ---- every kernel against its plain version in `kernels::reference` ----

use dlfs::im2col::{col2im, im2col};
use dlfs::kernels::reference;
use dlfs::layers::{Layer, Pooling};
use dlfs::ndarray::Array4;

fn random4(rng: &mut ChaCha8Rng, shape: (usize, usize, usize, usize)) -> Array4<f64> {
    Array4::from_shape_simple_fn(shape, || rng.random_range(-1.0..1.0))
}

#[test]
fn matmul_matches_the_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    for &(m, k, n) in &[
        (1, 1, 1),
        (2, 3, 4),
        (17, 25, 30),
        (100, 784, 50),
        (64, 1, 9),
    ] {
        let (a, b) = (random(&mut rng, m, k), random(&mut rng, k, n));
        let d = close(&matmul(&a, &b), &reference::matmul(&a.view(), &b.view()));
        assert!(
            d < 1e-12 * k as f64,
            "({m}, {k})·({k}, {n}): max diff {d:e}"
        );
    }
}

/// Every filter width 1…7 (the unrolled widths and the generic path), strides 1…3, pads
/// from 0 to beyond the filter (windows wholly in the padding), odd and even sizes.
#[test]
fn im2col_and_col2im_match_the_reference_on_every_geometry() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut cases = 0;
    for fw in 1..=7 {
        for fh in [1, fw.min(3), fw] {
            for stride in 1..=3 {
                for pad in 0..=fw + 1 {
                    let (h, w) = (fh + 3, fw + 4);
                    if fh > h + 2 * pad || fw > w + 2 * pad {
                        continue;
                    }
                    let x = random4(&mut rng, (2, 2, h, w));
                    let what =
                        format!("x {:?} filter {fh}×{fw} stride {stride} pad {pad}", x.dim());
                    let col = im2col(&x, fh, fw, stride, pad);
                    assert_eq!(
                        col,
                        reference::im2col(&x.view(), fh, fw, stride, pad),
                        "im2col, {what}"
                    );
                    let c = Array2::from_shape_simple_fn(col.dim(), || rng.random_range(-1.0..1.0));
                    let back = col2im(&c, x.shape(), fh, fw, stride, pad);
                    let want = reference::col2im(&c.view(), x.dim(), fh, fw, stride, pad);
                    let d = (&back - &want).iter().fold(0.0f64, |m, v| m.max(v.abs()));
                    assert!(d < 1e-12, "col2im, {what}: max diff {d:e}");
                    cases += 1;
                }
            }
        }
    }
    assert!(cases > 300, "{cases} geometries");
}

/// The 1×1 filter with pad 2 of issue 15 (windows that see only padding).
#[test]
fn padding_wider_than_the_filter_gives_zero_rows() {
    let x = Array4::from_shape_fn((1, 1, 5, 5), |(_, _, i, j)| (i * 5 + j) as f64 + 1.0);
    let col = im2col(&x, 1, 1, 1, 2);
    assert_eq!(col.dim(), (81, 1));
    assert_eq!(col[[0, 0]], 0.0); // (0, 0) lies in the padding
    assert_eq!(col[[2 * 9 + 2, 0]], 1.0); // (2, 2) is x[0, 0]
    assert_eq!(col.sum(), (1..=25).sum::<usize>() as f64);
}

#[test]
fn max_pooling_matches_the_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    for (shape, ph, pw, stride, pad) in [
        ((2, 3, 8, 8), 2, 2, 2, 0), // the book's pool (unrolled kernel)
        ((2, 3, 7, 7), 2, 2, 2, 0), // last row and column not pooled
        ((1, 2, 9, 9), 3, 3, 3, 0),
        ((2, 2, 7, 6), 3, 2, 1, 1),
        ((1, 1, 5, 5), 3, 3, 2, 2),
        ((3, 40, 12, 12), 2, 2, 2, 0), // large enough to run on the threads
    ] {
        // rounded values: ties, and the first maximum must win them
        let x = random4(&mut rng, shape).mapv(|v| (v * 3.0).round());
        let mut pool = Pooling::new(ph, pw, stride, pad);
        let out = pool.forward(&x.clone().into_dyn(), true);
        let (want, want_arg) = reference::max_pool(&x.view(), ph, pw, stride, pad);
        let what = format!("x {shape:?} window {ph}×{pw} stride {stride} pad {pad}");
        assert_eq!(out, want.into_dyn(), "maxima, {what}");
        assert_eq!(pool.arg_max, want_arg, "arg_max, {what}");
        let s = out.shape();
        let dout = random4(&mut rng, (s[0], s[1], s[2], s[3]));
        let dx = pool.backward(&dout.clone().into_dyn());
        let want_dx = reference::max_pool_backward(&dout.view(), &want_arg, shape);
        assert_eq!(dx, want_dx.into_dyn(), "backward, {what}");
    }
}

#[test]
fn a_nan_anywhere_in_a_window_is_its_maximum() {
    for at in 0..4 {
        let mut v = vec![1.0, 2.0, 3.0, 4.0];
        v[at] = f64::NAN;
        let x = Array4::from_shape_vec((1, 1, 2, 2), v).unwrap();
        let mut pool = Pooling::new(2, 2, 2, 0);
        let y = pool.forward(&x.clone().into_dyn(), false);
        assert!(
            y[[0, 0, 0, 0]].is_nan(),
            "NaN at {at}: got {}",
            y[[0, 0, 0, 0]]
        );
        let (r, _) = reference::max_pool(&x.view(), 2, 2, 2, 0);
        assert!(r[[0, 0, 0, 0]].is_nan());
    }
}

/// The products of an Affine layer's forward and backward at MultiLayerNet's sizes (batch
/// 128, 784 → 100, 100 → 100), with the transposed operands backward uses: the same bits
/// unsplit (on a 1-thread pool) and split over the threads (from the caller's thread,
/// where products of ≥ 2²⁰ multiply-adds are split).
#[test]
fn affine_products_give_the_same_bits_on_one_and_two_threads() {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let one = common::one_thread_pool();
    for &(n, d, m) in &[
        (128, 784, 100),
        (128, 100, 100),
        (100, 784, 50),
        (1000, 784, 100),
        // SimpleConvNet's Affine1: x·W has a small output over a long K, split by rows
        (100, 4320, 100),
        // the same kind of product with rows that do not split evenly (x·W: 37 and 24 + 13)
        (90, 6000, 37),
        // and one the split leaves to the gemm crate (its parts would be summed in other
        // blocks of K)
        (37, 6000, 90),
    ] {
        let (x, w, dout) = (
            random(&mut rng, n, d),
            random(&mut rng, d, m),
            random(&mut rng, n, m),
        );
        let products = || (matmul(&x, &w), matmul(&x.t(), &dout), matmul(&dout, &w.t()));
        let (a, b) = (one.install(products), products());
        assert!(a.0 == b.0, "x·W, ({n}, {d})·({d}, {m})");
        assert!(a.1 == b.1, "xᵀ·dout, ({d}, {n})·({n}, {m})");
        assert!(a.2 == b.2, "dout·Wᵀ, ({n}, {m})·({m}, {d})");
    }
}

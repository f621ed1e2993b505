//! `linalg::gemm` and `matmul` against ndarray's own `dot`, for every operand layout the
//! layers use (transposed views, column-major and reversed views, large enough to be
//! split over threads).

use dlfs::linalg::{gemm, matmul};
use dlfs::ndarray::{Array2, ArrayView2, ShapeBuilder, s};
use dlfs::rayon;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

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

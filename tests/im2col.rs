//! im2col / col2im: the book's shapes, values against the plain reference (`kernels::reference`), and the adjoint
//! identity <im2col(x), c> = <x, col2im(c)>.

use dlfs::im2col::{col2im, conv_output_size, im2col};
use dlfs::kernels::reference;
use dlfs::ndarray::{Array2, Array4, ArrayD, IxDyn};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random4(rng: &mut ChaCha8Rng, shape: (usize, usize, usize, usize)) -> Array4<f64> {
    Array4::from_shape_simple_fn(shape, || rng.random_range(-1.0..1.0))
}

fn naive_im2col(x: &Array4<f64>, fh: usize, fw: usize, s: usize, p: usize) -> Array2<f64> {
    reference::im2col(&x.view(), fh, fw, s, p)
}

#[test]
fn book_shapes() {
    let x1 = Array4::<f64>::zeros((1, 3, 7, 7));
    assert_eq!(im2col(&x1, 5, 5, 1, 0).dim(), (9, 75));
    let x2 = Array4::<f64>::zeros((10, 3, 7, 7));
    assert_eq!(im2col(&x2, 5, 5, 1, 0).dim(), (90, 75));
    // dynamic-dimensional input works too
    assert_eq!(im2col(&x2.clone().into_dyn(), 5, 5, 1, 0).dim(), (90, 75));
    // MNIST-sized batch with the book's conv
    let x3 = Array4::<f64>::zeros((100, 1, 28, 28));
    assert_eq!(im2col(&x3, 5, 5, 1, 0).dim(), (100 * 24 * 24, 25));
}

#[test]
fn output_size_floors() {
    assert_eq!(conv_output_size(7, 5, 1, 0), 3);
    assert_eq!(conv_output_size(7, 2, 2, 0), 3);
    assert_eq!(conv_output_size(8, 3, 2, 1), 4);
    assert_eq!(conv_output_size(1, 3, 1, 1), 1);
}

#[test]
fn values_match_naive_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let cases = [
        ((1, 3, 7, 7), 5, 5, 1, 0),
        ((2, 2, 7, 6), 3, 2, 2, 1),
        ((3, 1, 8, 9), 3, 3, 2, 2),
        ((2, 3, 5, 5), 2, 2, 2, 0),
        ((1, 2, 4, 4), 5, 5, 3, 2),
        ((2, 1, 6, 7), 1, 1, 1, 0),
    ];
    for (shape, fh, fw, s, p) in cases {
        let x = random4(&mut rng, shape);
        assert_eq!(
            im2col(&x, fh, fw, s, p),
            naive_im2col(&x, fh, fw, s, p),
            "shape {shape:?} filter {fh}x{fw} stride {s} pad {p}"
        );
        // a non-contiguous (transposed twice → permuted) view gives the same
        let xt = x.clone().permuted_axes([0, 1, 3, 2]);
        let xt = xt
            .as_standard_layout()
            .into_owned()
            .permuted_axes([0, 1, 3, 2]);
        assert_eq!(im2col(&xt, fh, fw, s, p), naive_im2col(&x, fh, fw, s, p));
    }
}

#[test]
fn col2im_is_the_adjoint() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let cases = [
        ((2, 3, 7, 7), 5, 5, 1, 0),
        ((2, 2, 7, 6), 3, 2, 2, 1),
        ((3, 1, 8, 9), 3, 3, 2, 2),
        ((2, 3, 5, 5), 2, 2, 2, 0),
        ((1, 2, 4, 4), 5, 5, 3, 2),
    ];
    for (shape, fh, fw, s, p) in cases {
        let x = random4(&mut rng, shape);
        let cx = im2col(&x, fh, fw, s, p);
        let c = Array2::from_shape_simple_fn(cx.dim(), || rng.random_range(-1.0..1.0));
        let lhs: f64 = (&cx * &c).sum();
        let back = col2im(&c, x.shape(), fh, fw, s, p);
        assert_eq!(back.dim(), x.dim());
        let rhs: f64 = (&x * &back).sum();
        assert!(
            (lhs - rhs).abs() < 1e-10,
            "{shape:?} {fh}x{fw} s{s} p{p}: {lhs} vs {rhs}"
        );
    }
}

#[test]
fn col2im_sums_overlaps() {
    // 3x3 ones, 2x2 filter, stride 1: each output pixel counts the windows covering it.
    let x = Array4::<f64>::ones((1, 1, 3, 3));
    let col = im2col(&x, 2, 2, 1, 0);
    let back = col2im(&col, &[1, 1, 3, 3], 2, 2, 1, 0);
    let expected = [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]];
    for i in 0..3 {
        for j in 0..3 {
            assert_eq!(back[[0, 0, i, j]], expected[i][j]);
        }
    }
}

#[test]
#[should_panic(expected = "im2col: got input shape [3, 7, 7], expected 4 axes (N, C, H, W)")]
fn im2col_needs_four_axes() {
    im2col(&dlfs::ndarray::Array3::<f64>::zeros((3, 7, 7)), 5, 5, 1, 0);
}

#[test]
#[should_panic(expected = "col2im: got col shape [9, 74], expected (9, 75)")]
fn col2im_checks_col_shape() {
    col2im(&Array2::<f64>::zeros((9, 74)), &[1, 3, 7, 7], 5, 5, 1, 0);
}

/// Inputs without pixels (im2col and col2im): an image of 0×0 padded to 2×2 has one window, all padding (a
/// row of zeros), and zero channels give rows of width 0 — one row per window either way.
#[test]
fn im2col_of_an_empty_image_is_padding_or_empty_rows() {
    let empty = ArrayD::<f64>::zeros(IxDyn(&[1, 1, 0, 0]));
    let col = im2col(&empty, 2, 2, 1, 1);
    assert_eq!(col.shape(), &[1, 4]);
    assert!(col.iter().all(|&v| v == 0.0));
    let no_channels = ArrayD::<f64>::zeros(IxDyn(&[2, 0, 3, 3]));
    assert_eq!(im2col(&no_channels, 2, 2, 1, 0).shape(), &[2 * 2 * 2, 0]);
    // and back: the padding's entries are dropped, nothing is left to add them to
    assert_eq!(
        col2im(&col, &[1, 1, 0, 0], 2, 2, 1, 1).shape(),
        &[1, 1, 0, 0]
    );
    assert_eq!(
        col2im(&Array2::zeros((8, 0)), &[2, 0, 3, 3], 2, 2, 1, 0).shape(),
        &[2, 0, 3, 3]
    );
}

//! Every layer's shape-mismatch panic names the layer, the operation and both shapes.

use dlfs::layers::{Affine, BatchNormalization, Dropout, Layer, Relu, Sigmoid, SoftmaxWithLoss};
use dlfs::ndarray::{Array1, Array2, ArrayD, IxDyn};

fn z(shape: &[usize]) -> ArrayD<f64> {
    ArrayD::zeros(IxDyn(shape))
}

#[test]
#[should_panic(expected = "Affine.forward: got shape [2, 5], expected (N, 3)")]
fn affine_forward() {
    Affine::new(Array2::zeros((3, 4)), Array1::zeros(4)).forward(&z(&[2, 5]), true);
}

#[test]
#[should_panic(
    expected = "Affine.backward: got shape [2, 3], expected dout of shape [2, 4] (the forward output's)"
)]
fn affine_backward() {
    let mut a = Affine::new(Array2::zeros((3, 4)), Array1::zeros(4));
    a.forward(&z(&[2, 3]), true);
    a.backward(&z(&[2, 3]));
}

#[test]
#[should_panic(
    expected = "Affine.new: got shape [3], expected b of shape (4,) for W of shape [3, 4]"
)]
fn affine_new() {
    Affine::new(Array2::zeros((3, 4)), Array1::zeros(3));
}

#[test]
#[should_panic(
    expected = "Relu.backward: got shape [2, 2], expected dout of shape [2, 3] (the forward output's)"
)]
fn relu_backward() {
    let mut r = Relu::new();
    r.forward(&z(&[2, 3]), true);
    r.backward(&z(&[2, 2]));
}

#[test]
#[should_panic(
    expected = "Sigmoid.backward: got shape [3], expected dout of shape [2, 3] (the forward output's)"
)]
fn sigmoid_backward() {
    let mut s = Sigmoid::new();
    s.forward(&z(&[2, 3]), true);
    s.backward(&z(&[3]));
}

#[test]
#[should_panic(
    expected = "BatchNormalization.forward: got shape [2, 4], expected (N, 3) or (N, 3, H, W)"
)]
fn batch_norm_forward_features() {
    BatchNormalization::new(3).forward(&z(&[2, 4]), true);
}

#[test]
#[should_panic(
    expected = "BatchNormalization.forward: got shape [2, 3, 4], expected (N, 3) or (N, 3, H, W)"
)]
fn batch_norm_forward_3d() {
    BatchNormalization::new(3).forward(&z(&[2, 3, 4]), true);
}

#[test]
#[should_panic(
    expected = "BatchNormalization.backward: got shape [2, 3], expected dout of shape [2, 3, 1, 1] (the forward output's)"
)]
fn batch_norm_backward() {
    let mut bn = BatchNormalization::new(3);
    bn.forward(&z(&[2, 3, 1, 1]), true);
    bn.backward(&z(&[2, 3]));
}

#[test]
#[should_panic(
    expected = "BatchNormalization.new: got shape [2], expected beta of gamma's shape [3]"
)]
fn batch_norm_new() {
    BatchNormalization::with_params(Array1::ones(3), Array1::zeros(2));
}

#[test]
#[should_panic(
    expected = "Dropout.backward: got shape [4], expected dout of shape [2, 2] (the forward output's)"
)]
fn dropout_backward() {
    let mut d = Dropout::new(0.5, 0);
    d.forward(&z(&[2, 2]), true);
    d.backward(&z(&[4]));
}

#[test]
#[should_panic(expected = "Dropout.new: dropout_ratio must be in [0, 1), got 1")]
fn dropout_ratio() {
    Dropout::new(1.0, 0);
}

#[test]
#[should_panic(
    expected = "SoftmaxWithLoss.forward: got shape [2, 3, 1], expected scores (N, C) or (C,)"
)]
fn softmax_with_loss_forward() {
    SoftmaxWithLoss::new().forward(&z(&[2, 3, 1]), &z(&[2]));
}

#[test]
#[should_panic(
    expected = "labels: shape [3] fits neither index labels (2,) nor one-hot labels (2, 3)"
)]
fn softmax_with_loss_labels() {
    SoftmaxWithLoss::new().forward(&z(&[2, 3]), &z(&[3]));
}

#[test]
#[should_panic(expected = "rows_of: rows 0..300 of an array with 20 rows (shape (20, 3))")]
fn rows_of_past_the_end() {
    dlfs::arrays::rows_of(&z(&[20, 3]), ..300);
}

#[test]
#[should_panic(expected = "plane_of: expected an (N, C, H, W) array, got shape (4, 4)")]
fn plane_of_a_matrix() {
    dlfs::arrays::plane_of(&z(&[4, 4]), 0, 0);
}

#[test]
#[should_panic(expected = "plane_of: sample 0, channel 1 of an array of shape (1, 1, 4, 4)")]
fn plane_of_a_missing_channel() {
    dlfs::arrays::plane_of(&z(&[1, 1, 4, 4]), 0, 1);
}

#[test]
#[should_panic(
    expected = "Affine.backward: got shape [8], expected dout of shape [2, 4] (the forward output's)"
)]
fn affine_backward_flat_dout_for_a_batch() {
    // the right number of elements, but a batch of two needs dout as (2, 4)
    let mut a = Affine::new(Array2::zeros((3, 4)), Array1::zeros(4));
    a.forward(&z(&[2, 3]), true);
    a.backward(&z(&[8]));
}

#[test]
#[should_panic(
    expected = "Affine.backward: got shape [2, 4, 1], expected dout of shape [2, 4] (the forward output's)"
)]
fn affine_backward_dout_of_three_axes() {
    let mut a = Affine::new(Array2::zeros((3, 4)), Array1::zeros(4));
    a.forward(&z(&[2, 3]), true);
    a.backward(&z(&[2, 4, 1]));
}

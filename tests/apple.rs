//! The user's apple examples (book 5.4), values as printed by the seed notebook
//! (shared/seed/000_ef113417c9ce5c69.txt, Python 3 floats).

use dlfs::layers::{AddLayer, MulLayer};

#[test]
fn buy_apples() {
    let (apple, apple_num, tax) = (100.0, 2.0, 1.1);
    let mut mul_apple_layer = MulLayer::new();
    let mut mul_tax_layer = MulLayer::new();

    let apple_price = mul_apple_layer.forward(apple, apple_num);
    let price = mul_tax_layer.forward(apple_price, tax);
    assert_eq!(price, 220.00000000000003);
    assert_eq!(format!("{price}"), "220.00000000000003");

    let dprice = 1.0;
    let (dapple_price, dtax) = mul_tax_layer.backward(dprice);
    let (dapple, dapple_num) = mul_apple_layer.backward(dapple_price);
    assert_eq!((dapple, dapple_num, dtax), (2.2, 110.00000000000001, 200.0));
    assert_eq!(
        format!("{dapple} {dapple_num} {dtax}"),
        "2.2 110.00000000000001 200"
    );
}

#[test]
fn buy_apples_and_oranges() {
    let (apple, apple_num, orange, orange_num, tax) = (100.0, 2.0, 150.0, 3.0, 1.1);
    let mut mul_apple_layer = MulLayer::new();
    let mut mul_orange_layer = MulLayer::new();
    let mut add_apple_orange_layer = AddLayer::new();
    let mut mul_tax_layer = MulLayer::new();

    let apple_price = mul_apple_layer.forward(apple, apple_num);
    let orange_price = mul_orange_layer.forward(orange, orange_num);
    let all_price = add_apple_orange_layer.forward(apple_price, orange_price);
    let price = mul_tax_layer.forward(all_price, tax);
    assert_eq!(price, 715.0000000000001);
    assert_eq!(format!("{price}"), "715.0000000000001");

    let dprice = 1.0;
    let (dall_price, dtax) = mul_tax_layer.backward(dprice);
    let (dapple_price, dorange_price) = add_apple_orange_layer.backward(dall_price);
    let (dorange, dorange_num) = mul_orange_layer.backward(dorange_price);
    let (dapple, dapple_num) = mul_apple_layer.backward(dapple_price);
    assert_eq!(
        (dapple, dapple_num, dorange, dorange_num, dtax),
        (2.2, 110.00000000000001, 3.3000000000000003, 165.0, 650.0)
    );
    assert_eq!(
        format!("{dapple} {dapple_num} {dorange} {dorange_num} {dtax}"),
        "2.2 110.00000000000001 3.3000000000000003 165 650"
    );
}

/// `AddLayer` and `MulLayer` through the `ScalarLayer` trait (what the exercise checks call):
/// the same values as their own methods, dout passed on unchanged by the add layer.
#[test]
fn scalar_layers_through_the_trait() {
    use dlfs::layers::ScalarLayer;
    let mut add = AddLayer::new();
    let layer: &mut dyn ScalarLayer = &mut add;
    assert_eq!(layer.forward(2.0, -3.5), -1.5);
    assert_eq!(layer.backward(1.3), (1.3, 1.3));
    let mut mul = MulLayer::new();
    let layer: &mut dyn ScalarLayer = &mut mul;
    assert_eq!(layer.forward(2.0, -3.5), -7.0);
    assert_eq!(layer.backward(1.5), (-5.25, 3.0));
}

//! The book's first layers (5.4): multiplication and addition of two scalars.

/// Multiplication node: out = x·y.
///
/// Backward: ∂L/∂x = dout·y, ∂L/∂y = dout·x (the inputs swap).
///
/// ```
/// use dlfs::layers::MulLayer;
/// let (apple, apple_num, tax) = (100.0, 2.0, 1.1);
/// let (mut mul_apple, mut mul_tax) = (MulLayer::new(), MulLayer::new());
/// let price = mul_tax.forward(mul_apple.forward(apple, apple_num), tax);
/// assert_eq!(price, 220.00000000000003);
/// let (dapple_price, dtax) = mul_tax.backward(1.0);
/// let (dapple, dapple_num) = mul_apple.backward(dapple_price);
/// assert_eq!((dapple, dapple_num, dtax), (2.2, 110.00000000000001, 200.0));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MulLayer {
    /// The last `x`.
    pub x: f64,
    /// The last `y`.
    pub y: f64,
}

impl MulLayer {
    /// A multiplication node.
    pub fn new() -> Self {
        Self::default()
    }

    /// x·y; remembers both inputs.
    pub fn forward(&mut self, x: f64, y: f64) -> f64 {
        self.x = x;
        self.y = y;
        x * y
    }

    /// (dout·y, dout·x).
    pub fn backward(&self, dout: f64) -> (f64, f64) {
        (dout * self.y, dout * self.x)
    }
}

/// Addition node: out = x + y.
///
/// Backward: ∂L/∂x = ∂L/∂y = dout (passed on unchanged).
///
/// ```
/// use dlfs::layers::AddLayer;
/// let mut add = AddLayer::new();
/// assert_eq!(add.forward(200.0, 450.0), 650.0);
/// assert_eq!(add.backward(1.1), (1.1, 1.1));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AddLayer;

impl AddLayer {
    /// An addition node.
    pub fn new() -> Self {
        Self
    }

    /// x + y.
    pub fn forward(&mut self, x: f64, y: f64) -> f64 {
        x + y
    }

    /// (dout, dout).
    pub fn backward(&self, dout: f64) -> (f64, f64) {
        (dout, dout)
    }
}

/// A layer of two scalar inputs, as in 5.4 (`MulLayer`, `AddLayer`): what a learner's own
/// versions implement for [`check_mul_layer`](crate::exercise::check_mul_layer).
pub trait ScalarLayer {
    /// out = f(x, y); remembers what `backward` needs.
    fn forward(&mut self, x: f64, y: f64) -> f64;
    /// (∂L/∂x, ∂L/∂y) from ∂L/∂out.
    fn backward(&mut self, dout: f64) -> (f64, f64);
}

impl ScalarLayer for MulLayer {
    fn forward(&mut self, x: f64, y: f64) -> f64 {
        MulLayer::forward(self, x, y)
    }
    fn backward(&mut self, dout: f64) -> (f64, f64) {
        MulLayer::backward(self, dout)
    }
}

impl ScalarLayer for AddLayer {
    fn forward(&mut self, x: f64, y: f64) -> f64 {
        AddLayer::forward(self, x, y)
    }
    fn backward(&mut self, dout: f64) -> (f64, f64) {
        AddLayer::backward(self, dout)
    }
}

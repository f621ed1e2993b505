use ndarray::{Array1, Array2, ArrayD, ArrayRef, Axis, IxDyn};

use super::{Layer, ParamRef, check_dout, shape_mismatch, shapes, vector};

/// Batch normalisation: y = γ·x̂ + β with x̂ = (x − μ) / √(σ² + ε).
///
/// Training (`train = true`): μ and σ² are the mean and (biased) variance over the batch;
/// the running statistics follow them, `running_mean ← m·running_mean + (1 − m)·μ`
/// (likewise `running_var`), with momentum m = 0.9. Inference: μ, σ² are the running
/// statistics. ε = 1e-6 (the book's `10e-7`).
///
/// Backward (training; M samples per statistic):
/// ∂L/∂β = Σ dout, ∂L/∂γ = Σ x̂·dout,
/// ∂L/∂x = γ / (M·√(σ² + ε)) · (M·dout − ∂L/∂β − x̂·∂L/∂γ).
/// This is the book's chain of steps (dxn, dxc, dstd, dvar, dmu) collapsed into one line.
/// After an inference forward μ, σ² are constants and ∂L/∂x = γ·dout / √(σ² + ε).
///
/// # Shapes
/// - `gamma`, `beta`, `running_mean`, `running_var`: (D,)
/// - `x`: (N, D), statistics per feature over the N samples (M = N); or (N, D, H, W),
///   statistics **per channel** over N·H·W values (M = N·H·W)
/// - output and ∂L/∂x: `x`'s shape
///
/// Where we differ from the book: for 4-D input the book flattens to (N, C·H·W) and keeps
/// a separate mean for every pixel; we normalise per channel, as batch normalisation for
/// convolutions is defined (and as frameworks do), so γ and β have C entries.
/// `running_var` starts at ones (the book: zeros), so an untrained layer in inference
/// mode passes x through instead of multiplying it by 1/√ε.
///
/// ```
/// use dlfs::layers::{BatchNormalization, Layer};
/// use dlfs::ndarray::array;
/// let mut bn = BatchNormalization::new(1);
/// bn.eps = 0.0;
/// // mean 2, variance 1: x̂ = [-1, 1]
/// let y = bn.forward(&array![[1.0], [3.0]].into_dyn(), true);
/// assert_eq!(y, array![[-1.0], [1.0]].into_dyn());
/// assert_eq!(bn.running_mean[0], 0.9 * 0.0 + (1.0 - 0.9) * 2.0); // momentum 0.9
/// let dx = bn.backward(&array![[1.0], [0.0]].into_dyn());
/// assert_eq!(bn.dbeta, array![1.0].into_dyn());
/// assert_eq!(bn.dgamma, array![-1.0].into_dyn());
/// assert_eq!(dx, array![[0.0], [0.0]].into_dyn());
/// ```
///
/// A training batch of one value per feature (one sample (1, D), or (1, D, 1, 1)) has
/// x̂ = 0: the layer outputs β and passes no gradient back. The book does the same
/// silently (PyTorch refuses); we compute it and say so once per layer on stderr.
///
/// NaN is not checked: a NaN in a training batch makes that feature's mean, and so its
/// running statistics, NaN for good (as in the book). The [`Trainer`](crate::trainer::Trainer)
/// refuses data with NaN and puts the running statistics back after a refused step.
///
/// # Panics
/// If `x` is not (N, D) or (N, D, H, W) for this layer's D, if `dout`'s shape differs from
/// the last input's, or if `backward` comes before `forward`.
#[derive(Debug, Clone)]
pub struct BatchNormalization {
    /// Scale γ, (D,).
    pub gamma: ArrayD<f64>,
    /// Shift β, (D,).
    pub beta: ArrayD<f64>,
    /// ∂L/∂γ from the last backward pass.
    pub dgamma: ArrayD<f64>,
    /// ∂L/∂β from the last backward pass.
    pub dbeta: ArrayD<f64>,
    /// Weight of the old running statistics in each update (0.9).
    pub momentum: f64,
    /// ε added to the variance.
    pub eps: f64,
    /// Running mean used at inference, (D,).
    pub running_mean: ArrayD<f64>,
    /// Running variance used at inference, (D,).
    pub running_var: ArrayD<f64>,
    /// The last input, centred, as (M, D).
    pub xc: Option<Array2<f64>>,
    /// The last input, normalised, as (M, D).
    pub xn: Option<Array2<f64>>,
    /// √(σ² + ε) of the last forward pass, (D,).
    pub std: Option<Array1<f64>>,
    input_shape: Vec<usize>,
    last_train: bool,
    warned_one_value: bool,
}

impl BatchNormalization {
    /// A layer for D features (or channels): γ = 1, β = 0, running mean 0, running
    /// variance 1, momentum 0.9.
    pub fn new(d: usize) -> Self {
        Self::with_params(Array1::ones(d), Array1::zeros(d))
    }

    /// A layer with the given γ and β.
    ///
    /// # Panics
    /// If their lengths differ.
    #[track_caller]
    pub fn with_params(gamma: Array1<f64>, beta: Array1<f64>) -> Self {
        if gamma.len() != beta.len() {
            let want = format!("beta of gamma's shape {:?}", gamma.shape());
            shape_mismatch("BatchNormalization", "new", beta.shape(), &want);
        }
        let zeros = || ArrayD::zeros(IxDyn(&[gamma.len()]));
        let (dgamma, dbeta, running_mean) = (zeros(), zeros(), zeros());
        let running_var = ArrayD::ones(IxDyn(&[gamma.len()]));
        let (gamma, beta) = (gamma.into_dyn(), beta.into_dyn());
        Self {
            gamma,
            beta,
            dgamma,
            dbeta,
            momentum: 0.9,
            eps: 1e-6,
            running_mean,
            running_var,
            xc: None,
            xn: None,
            std: None,
            input_shape: Vec::new(),
            last_train: true,
            warned_one_value: false,
        }
    }
}

impl Layer for BatchNormalization {
    #[track_caller]
    fn forward(&mut self, x: &ArrayRef<f64, IxDyn>, train: bool) -> ArrayD<f64> {
        // a batch of 0 has no statistics; at inference it is simply empty
        shapes::check_features("BatchNormalization", x.shape(), self.gamma.len(), train);
        let rows = shapes::feature_rows(x);
        if train && rows.nrows() == 1 {
            shapes::warn_one_value(&mut self.warned_one_value, x.shape());
        }
        let m = rows.nrows() as f64;
        let (mu, var) = if train {
            let mu = rows.sum_axis(Axis(0)) / m;
            let xc = &rows - &mu;
            let var = (&xc * &xc).sum_axis(Axis(0)) / m;
            // running_mean = momentum·running_mean + (1 − momentum)·μ, and the variance alike
            let mom = self.momentum;
            self.running_mean = &self.running_mean * mom + (&mu * (1.0 - mom)).into_dyn();
            self.running_var = &self.running_var * mom + (&var * (1.0 - mom)).into_dyn();
            (mu, var)
        } else {
            let (mean, var) = (vector(&self.running_mean), vector(&self.running_var));
            (mean.to_owned(), var.to_owned())
        };
        let std = var.mapv(|v| (v + self.eps).sqrt());
        let xc = rows - &mu;
        let xn = &xc / &std;
        let out = &xn * &vector(&self.gamma) + vector(&self.beta);
        (self.xc, self.xn, self.std) = (Some(xc), Some(xn), Some(std));
        (self.input_shape, self.last_train) = (x.shape().to_vec(), train);
        shapes::from_feature_rows(out, x.shape())
    }

    #[track_caller]
    fn backward(&mut self, dout: &ArrayRef<f64, IxDyn>) -> ArrayD<f64> {
        let (Some(xn), Some(std)) = (&self.xn, &self.std) else {
            panic!("BatchNormalization.backward: called before forward")
        };
        check_dout("BatchNormalization", dout.shape(), &self.input_shape);
        let dout = shapes::feature_rows(dout);
        let dbeta = dout.sum_axis(Axis(0));
        let dgamma = (xn * &dout).sum_axis(Axis(0));
        let gamma = vector(&self.gamma);
        let dx = if self.last_train {
            let m = dout.nrows() as f64;
            (dout * m - &dbeta - xn * &dgamma) * &(&gamma / &(std * m))
        } else {
            dout * &(&gamma / std)
        };
        (self.dbeta, self.dgamma) = (dbeta.into_dyn(), dgamma.into_dyn());
        shapes::from_feature_rows(dx, &self.input_shape)
    }

    fn params(&mut self) -> Vec<ParamRef<'_>> {
        vec![
            ParamRef::new("gamma", &mut self.gamma, &mut self.dgamma),
            ParamRef::new("beta", &mut self.beta, &mut self.dbeta),
        ]
    }

    fn buffers(&mut self) -> Vec<(&'static str, &mut ArrayD<f64>)> {
        vec![
            ("running_mean", &mut self.running_mean),
            ("running_var", &mut self.running_var),
        ]
    }
}

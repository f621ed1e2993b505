//! Weight initialisation (chapter 6.2) and the seeded random numbers behind it.
//!
//! There is no global RNG (evcxr resets statics every cell): make one with [`seeded_rng`] and
//! pass it by `&mut`. The same seed gives the same numbers on every machine (ChaCha8).
//!
//! ```
//! use dlfs::init::{randn, seeded_rng, WeightInit};
//! let mut r = seeded_rng(42);
//! let w = randn((784, 100), &mut r) * WeightInit::He.std(784);
//! assert_eq!(w.dim(), (784, 100));
//! assert_eq!(WeightInit::He.std(2), 1.0); // √(2/2)
//! assert_eq!(WeightInit::from("sigmoid"), WeightInit::Xavier);
//! ```

use std::str::FromStr;

use ndarray::{Array, Array2, ShapeBuilder};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_distr::StandardNormal;

/// The crate's random number generator: ChaCha8, seeded explicitly.
pub type Rng = rand_chacha::ChaCha8Rng;

/// A generator seeded with `seed`.
pub fn seeded_rng(seed: u64) -> Rng {
    Rng::seed_from_u64(seed)
}

/// Samples of the standard normal distribution N(0, 1) (numpy's `randn`).
pub fn randn<Sh: ShapeBuilder>(shape: Sh, rng: &mut impl rand::Rng) -> Array<f64, Sh::Dim> {
    Array::from_shape_simple_fn(shape, || rng.sample(StandardNormal))
}

/// Uniform samples in [low, high) (numpy's `uniform`; `rand` is `rand_uniform(s, 0.0, 1.0, r)`).
///
/// # Panics
/// Unless low < high.
#[track_caller]
pub fn rand_uniform<Sh: ShapeBuilder>(
    shape: Sh,
    low: f64,
    high: f64,
    rng: &mut impl rand::Rng,
) -> Array<f64, Sh::Dim> {
    assert!(
        low < high,
        "rand_uniform: need low < high, got [{low}, {high})"
    );
    Array::from_shape_simple_fn(shape, || rng.random_range(low..high))
}

/// `k` indices drawn uniformly from 0..n **with replacement**, like the book's
/// `np.random.choice(train_size, batch_size)` for a mini-batch.
///
/// # Panics
/// If n = 0 and k > 0.
#[track_caller]
pub fn choice(n: usize, k: usize, rng: &mut impl rand::Rng) -> Vec<usize> {
    assert!(n > 0 || k == 0, "choice: cannot draw {k} indices from 0..0");
    (0..k).map(|_| rng.random_range(0..n)).collect()
}

/// A random ordering of 0..n (numpy's `permutation`).
pub fn permutation(n: usize, rng: &mut impl rand::Rng) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    p.shuffle(rng);
    p
}

/// How the weights of a layer with `n` inputs are scaled: N(0, 1) samples times
/// [`std`](Self::std).
///
/// The book passes a number or a string (`weight_init_std='relu'`); here
/// `WeightInit::from(0.01)`, `WeightInit::from("he")` and `"relu".parse()` do the same.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WeightInit {
    /// A fixed standard deviation (the book's `0.01`).
    Std(f64),
    /// Xavier (Glorot): √(1/n), for sigmoid and tanh. Strings `"xavier"`, `"sigmoid"`.
    Xavier,
    /// He: √(2/n), for ReLU. Strings `"he"`, `"relu"`.
    He,
}

impl Default for WeightInit {
    /// He, the book's default for `MultiLayerNet` (`weight_init_std='relu'`).
    fn default() -> Self {
        WeightInit::He
    }
}

impl WeightInit {
    /// The standard deviation for a layer with `fan_in` inputs (the previous layer's size).
    pub fn std(self, fan_in: usize) -> f64 {
        match self {
            WeightInit::Std(s) => s,
            WeightInit::Xavier => (1.0 / fan_in as f64).sqrt(),
            WeightInit::He => (2.0 / fan_in as f64).sqrt(),
        }
    }

    /// A (fan_in, fan_out) weight matrix: std(fan_in) · N(0, 1).
    pub fn weights(self, fan_in: usize, fan_out: usize, rng: &mut impl rand::Rng) -> Array2<f64> {
        randn((fan_in, fan_out), rng) * self.std(fan_in)
    }
}

impl From<f64> for WeightInit {
    fn from(std: f64) -> Self {
        WeightInit::Std(std)
    }
}

impl From<&str> for WeightInit {
    /// `"he"`/`"relu"`, `"xavier"`/`"sigmoid"`, or a number like `"0.01"`.
    ///
    /// # Panics
    /// On any other string (use [`str::parse`] for a `Result`).
    #[track_caller]
    fn from(s: &str) -> Self {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }
}

/// A string that names no weight initialisation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("weight init {0:?} is not one of \"he\", \"relu\", \"xavier\", \"sigmoid\" or a number")]
pub struct ParseWeightInitError(pub String);

impl FromStr for WeightInit {
    type Err = ParseWeightInitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "he" | "relu" => Ok(WeightInit::He),
            "xavier" | "sigmoid" => Ok(WeightInit::Xavier),
            other => other
                .parse::<f64>()
                .map(WeightInit::Std)
                .map_err(|_| ParseWeightInitError(s.to_string())),
        }
    }
}

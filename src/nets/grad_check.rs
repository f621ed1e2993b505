//! The numerical gradient of a network and the book's gradient check (`gradient_check.py`):
//! backpropagation against the central difference, parameter by parameter.

use std::fmt;

use ndarray::{ArrayD, ArrayRef, IxDyn};

use super::{NamedArrays, Sequential};
use crate::gradient::{abs_diff, central_difference, flat_get, flat_set, max_rel_error};

impl Sequential {
    /// The gradients by central difference (h = 1e-4) of the training-mode loss, by name.
    /// Slow: two forward passes per parameter element. For gradient checks.
    ///
    /// Dropout masks are frozen during the computation (each dropout layer reuses its last
    /// mask, or draws one and keeps it), so every perturbed loss is the same function; to
    /// compare with [`gradient`](Self::gradient), freeze masks around both
    /// ([`freeze_masks`](Self::freeze_masks)) or use [`gradient_check`](Self::gradient_check).
    /// Batch-norm running statistics are restored afterwards.
    pub fn numerical_gradient(
        &mut self,
        x: &ArrayRef<f64, IxDyn>,
        t: &ArrayRef<f64, IxDyn>,
    ) -> NamedArrays {
        let saved_buffers = self.buffer_values();
        let was_frozen = self.masks_frozen;
        self.freeze_masks(true);
        let out = self.numerical_gradient_inner(x, t);
        self.freeze_masks(was_frozen);
        for (name, value) in saved_buffers.0 {
            if let Some((_, b)) = self.buffers().into_iter().find(|(n, _)| *n == name) {
                *b = value;
            }
        }
        out
    }

    fn numerical_gradient_inner(
        &mut self,
        x: &ArrayRef<f64, IxDyn>,
        t: &ArrayRef<f64, IxDyn>,
    ) -> NamedArrays {
        let mut out = Vec::new();
        for li in 0..self.layers.len() {
            let count = self.layers[li].layer.params().len();
            for pi in 0..count {
                let (name, mut grad) = {
                    let suffix = self.layers[li].param_suffix.clone();
                    let mut ps = self.layers[li].layer.params();
                    let p = &mut ps[pi];
                    (
                        format!("{}{}", p.name, suffix),
                        ArrayD::zeros(p.value.raw_dim()),
                    )
                };
                let values = central_difference(grad.len(), |i, delta| {
                    let old = flat_get(self.layers[li].layer.params()[pi].value, i);
                    flat_set(self.layers[li].layer.params()[pi].value, i, old + delta);
                    let loss = self.loss(x, t, true);
                    flat_set(self.layers[li].layer.params()[pi].value, i, old);
                    loss
                });
                for (g, v) in grad.iter_mut().zip(values) {
                    *g = v;
                }
                out.push((name, grad));
            }
        }
        NamedArrays(out)
    }

    /// Compares backpropagation with the numerical gradient on (x, t), the book's
    /// `gradient_check.py`. Dropout masks are frozen for both (and released afterwards),
    /// batch-norm running statistics are left as they were.
    pub fn gradient_check(
        &mut self,
        x: &ArrayRef<f64, IxDyn>,
        t: &ArrayRef<f64, IxDyn>,
    ) -> GradCheck {
        let was_frozen = self.masks_frozen;
        let saved_buffers = self.buffer_values();
        self.freeze_masks(true);
        let backprop = self.gradient(x, t);
        let numerical = self.numerical_gradient(x, t);
        self.freeze_masks(was_frozen);
        for (name, value) in saved_buffers.0 {
            if let Some((_, b)) = self.buffers().into_iter().find(|(n, _)| *n == name) {
                *b = value;
            }
        }
        GradCheck(
            numerical
                .iter()
                .map(|(name, g)| {
                    let b = &backprop[name];
                    let (max_abs_diff, mean_abs_diff) = abs_diff(g, b);
                    GradCheckEntry {
                        name: name.to_string(),
                        max_abs_diff,
                        mean_abs_diff,
                        max_rel_error: max_rel_error(b, g).0,
                        max_abs_grad: b.iter().fold(0.0, |m, v| m.max(v.abs())),
                    }
                })
                .collect(),
        )
    }
}

/// [`Sequential::gradient_check`] as a function: `gradient_check(&mut net, &x, &t)`.
pub fn gradient_check(
    net: &mut Sequential,
    x: &ArrayRef<f64, IxDyn>,
    t: &ArrayRef<f64, IxDyn>,
) -> GradCheck {
    net.gradient_check(x, t)
}

/// One parameter's line of a [`GradCheck`].
#[derive(Debug, Clone, PartialEq)]
pub struct GradCheckEntry {
    /// The parameter's name (`W1`).
    pub name: String,
    /// max |numerical − backprop| over the parameter's elements.
    pub max_abs_diff: f64,
    /// mean |numerical − backprop| (what the book prints).
    pub mean_abs_diff: f64,
    /// max over the elements of [`rel_error`](crate::gradient::rel_error)(backprop, numerical).
    pub max_rel_error: f64,
    /// max |backprop|: a gradient that is all zero agrees with a numerical zero, and says
    /// nothing.
    pub max_abs_grad: f64,
}

/// The result of a gradient check, one entry per parameter. `Display` prints one line per
/// parameter like the book (`W1:3.1e-11`, the mean), followed by the max.
#[derive(Debug, Clone, PartialEq)]
pub struct GradCheck(pub Vec<GradCheckEntry>);

impl GradCheck {
    /// The largest max |numerical − backprop| over all parameters.
    pub fn max_abs_diff(&self) -> f64 {
        self.0.iter().map(|e| e.max_abs_diff).fold(0.0, f64::max)
    }

    /// The largest relative error over all parameters (NaN if any is NaN).
    pub fn max_rel_error(&self) -> f64 {
        self.0.iter().map(|e| e.max_rel_error).fold(0.0, |m, e| {
            if e.is_nan() || m.is_nan() {
                f64::NAN
            } else {
                m.max(e)
            }
        })
    }

    /// The parameters whose backpropagated gradient is zero everywhere.
    pub fn all_zero(&self) -> Vec<&str> {
        self.0
            .iter()
            .filter(|e| e.max_abs_grad == 0.0)
            .map(|e| e.name.as_str())
            .collect()
    }

    /// The entry of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&GradCheckEntry> {
        self.0.iter().find(|e| e.name == name)
    }
}

impl fmt::Display for GradCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "{}:{:.1e} (max {:.1e})",
                e.name, e.mean_abs_diff, e.max_abs_diff
            )?;
        }
        Ok(())
    }
}

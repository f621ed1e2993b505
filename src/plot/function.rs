//! Plots of functions y = f(x) over an interval, sampled into a [`LineChart`].

use super::{Figure, LineChart, Plot, PlotError, clean_range};
use std::fmt;

type Func<'a> = Box<dyn Fn(f64) -> f64 + 'a>;

/// Plots functions y = f(x) over an interval (sigmoid, ReLU, their derivatives).
///
/// ```
/// use dlfs::plot::{FunctionPlot, Plot};
/// let fig = FunctionPlot::new("Sigmoid", -6.0, 6.0)
///     .function("sigmoid", |x| 1.0 / (1.0 + (-x).exp()))
///     .function("derivative", |x| { let s = 1.0 / (1.0 + (-x).exp()); s * (1.0 - s) })
///     .build();
/// assert!(fig.svg().is_some());
/// ```
/// Each function is sampled at 121 evenly spaced points (see [`samples`](Self::samples));
/// axis labels default to `x` and `y`.
pub struct FunctionPlot<'a> {
    chart: LineChart,
    range: (f64, f64),
    samples: usize,
    functions: Vec<(String, Func<'a>)>,
}

impl fmt::Debug for FunctionPlot<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.functions.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("FunctionPlot")
            .field("title", &self.chart.title)
            .field("range", &self.range)
            .field("functions", &names)
            .finish_non_exhaustive()
    }
}

impl<'a> FunctionPlot<'a> {
    /// A plot over `x_min..=x_max`.
    pub fn new(title: &str, x_min: f64, x_max: f64) -> Self {
        FunctionPlot {
            chart: LineChart::new(title).labels("x", "y").markers(false),
            range: clean_range((x_min, x_max)),
            samples: 121,
            functions: Vec::new(),
        }
    }
    /// Adds a named function.
    pub fn function(mut self, name: &str, f: impl Fn(f64) -> f64 + 'a) -> Self {
        self.functions.push((name.to_string(), Box::new(f)));
        self
    }
    /// Number of sample points (at least 2).
    pub fn samples(mut self, n: usize) -> Self {
        self.samples = n.max(2);
        self
    }
    /// Axis labels.
    pub fn labels(mut self, x: &str, y: &str) -> Self {
        self.chart = self.chart.labels(x, y);
        self
    }
    /// Fixed y range.
    pub fn y_range(mut self, lo: f64, hi: f64) -> Self {
        self.chart = self.chart.y_range(lo, hi);
        self
    }
    /// Size in pixels (default 640×400).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.chart = self.chart.size(width, height);
        self
    }
    /// The sampled functions as a [`LineChart`].
    pub fn to_line_chart(&self) -> LineChart {
        let (lo, hi) = self.range;
        let n = self.samples;
        let xs: Vec<f64> = (0..n)
            .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
            .collect();
        let mut chart = self.chart.clone().x_range(lo, hi);
        for (name, f) in &self.functions {
            let ys: Vec<f64> = xs.iter().map(|&x| f(x)).collect();
            chart = chart.series_xy(name, &xs, ys);
        }
        chart
    }
}

impl Plot for FunctionPlot<'_> {
    /// Draws the plot (SVG).
    fn try_build(&self) -> Result<Figure, PlotError> {
        self.to_line_chart().try_build()
    }
}

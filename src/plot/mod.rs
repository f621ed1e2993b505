//! Figures for the chapters, drawn with plotters: one call in a notebook cell gives one
//! [`Figure`], which evcxr shows inline and [`Figure::save`] writes to a file.
//!
//! | builder | book | output |
//! |---|---|---|
//! | [`FunctionPlot`] | 5.5 sigmoid, ReLU and derivatives | SVG |
//! | [`LineChart`] | loss per iteration, accuracy per epoch (optional `smooth_curve`) | SVG |
//! | [`ChartGrid`] | 6.3 (4×4), 6.5 (4×5) small line charts with a shared legend | SVG |
//! | [`HistogramGrid`] | 6.2.2 activation histograms per layer | SVG |
//! | [`ContourPlot`] | 6.1.7 optimizer trajectories over contours, one panel each | SVG, or GIF with [`ContourPlot::animate`] |
//! | [`GradientField`] | 6.1.3 arrows of −∇f | SVG |
//! | [`ImageGrid`] | 7.6 filters, digits, filter outputs | PNG |
//! | [`CompGraph`] | 5.1–5.6 computational graphs | SVG |
//! | [`LayerDiagram`] | 5.7 TwoLayerNet, 7.5 SimpleConvNet as layer boxes with shapes | SVG |
//! | [`SurfacePlot`] | 6.1.2 the surface of f(x, y), beside its [`ContourPlot`] | SVG |
//! | [`ArrayDiagram`] | 7.2–7.4 arrays as grids of numbered cells, windows, operators | SVG |
//! | [`ConvDiagram`], [`PoolDiagram`], [`Im2colDiagram`] | 7.2.2–7.2.4 convolution, padding, stride, bias; 7.3 max pooling; 7.4.2 im2col, computed from their inputs | SVG |
//!
//! In a notebook cell the builder itself can be the last value (it displays itself), or
//! call `.build()` to keep the [`Figure`] and `.save("loss.svg")` it:
//!
//! ```text
//! use dlfs::plot::{LineChart, Plot};
//! LineChart::new("Loss").labels("iterations", "loss").series("SGD", &losses).smooth(true)
//! ```
//!
//! Every builder implements [`Plot`]: it writes `try_build() -> Result<Figure, PlotError>`
//! and gets `build`, `save` and the evcxr display from the trait. `build` never panics: if
//! drawing fails it returns a small SVG that shows the error.
//!
//! Files: one per builder (`line.rs`, `grid.rs`, `histogram.rs`, `function.rs`,
//! `contour.rs`, `field.rs`, `image.rs`, `graph.rs`, `network.rs`, `surface.rs`,
//! `diagram.rs`, `conv_diagram.rs`, `pool_diagram.rs`); `figure.rs` (the drawn figure, saving),
//! `colormap.rs`, `isolines.rs` (contour levels, marching squares), `gif.rs` (palette and
//! frames of the animation), `smooth.rs` (`smooth_curve`), `bitmap_text.rs` (text in
//! PNG/GIF); shared colours, ranges and tick labels stay here.
//!
//! Text: SVG charts carry their text as SVG `<text>` (the browser's sans-serif renders it);
//! text in PNG/GIF is rasterised with DejaVu Sans embedded by the `dejavu` crate, so no
//! system font is needed. Non-finite values (NaN, ±inf) are skipped and the figure's title
//! says how many were skipped.
//!
//! Colours: series get matplotlib's `tab10` colours in order of first appearance, and a
//! name keeps its colour in every panel of a figure.

mod bitmap_text;
mod colormap;
mod contour;
mod conv_diagram;
mod diagram;
mod field;
mod figure;
mod function;
mod gif;
mod graph;
mod grid;
mod histogram;
mod image;
mod isolines;
mod line;
mod network;
mod pool_diagram;
mod smooth;
mod surface;

pub use colormap::Colormap;
pub use contour::ContourPlot;
pub use conv_diagram::ConvDiagram;
pub use diagram::ArrayDiagram;
pub use field::GradientField;
pub(crate) use figure::draw_err;
pub use figure::{Figure, FigureKind, PlotError};
pub use function::FunctionPlot;
pub use graph::CompGraph;
pub use grid::ChartGrid;
pub use histogram::HistogramGrid;
pub use image::{ImageGrid, MAX_IMAGES, Normalize};
pub use line::LineChart;
pub use network::LayerDiagram;
/// The plotters version this module draws with, for custom figures in a notebook
/// (call [`register_fonts`] first when drawing text into a bitmap).
pub use plotters;
pub use pool_diagram::{Im2colDiagram, PoolDiagram};
pub use smooth::{kaiser, smooth_curve};
pub use surface::SurfacePlot;

use ndarray::{ArrayBase, ArrayRef, Data, Dimension};
use plotters::style::{FontStyle, IntoFont, RGBColor};
use std::path::Path;

/// What every figure builder of this module is: something that draws a [`Figure`].
///
/// A builder writes [`try_build`](Plot::try_build); the rest comes with the trait:
/// [`build`](Plot::build) (never panics: a drawing error becomes [`Figure::error`], which
/// shows its message), [`save`](Plot::save), and [`evcxr_display`](Plot::evcxr_display),
/// which evcxr calls when a builder is the last value of a cell, so no `.build()` is
/// needed there. (The trait comes with `dlfs::prelude::*`; evcxr finds the method through
/// it.)
///
/// ```
/// use dlfs::plot::{LineChart, Plot};
/// let chart = LineChart::new("y = x²").series("y", [0.0, 1.0, 4.0, 9.0]);
/// assert!(chart.build().svg().is_some());
/// ```
pub trait Plot {
    /// Draws the figure, or says why it could not.
    fn try_build(&self) -> Result<Figure, PlotError>;

    /// Draws the figure; on a drawing error, the error figure carrying the message.
    fn build(&self) -> Figure {
        self.try_build()
            .unwrap_or_else(|e| Figure::error(&e.to_string()))
    }

    /// Draws the figure and writes it to `path` (see [`Figure::save`]).
    fn save(&self, path: impl AsRef<Path>) -> Result<(), PlotError>
    where
        Self: Sized,
    {
        self.try_build()?.save(path)
    }

    /// Shows the figure inline in evcxr (SVG/PNG/GIF, as [`Figure::evcxr_display`]).
    fn evcxr_display(&self) {
        self.build().evcxr_display()
    }
}

/// Registers DejaVu Sans (embedded by the `dejavu` crate) as plotters' `sans-serif`,
/// `serif` and `monospace` fonts. Every builder calls this; call it yourself before drawing
/// text with plotters directly (evcxr resets the font table every cell).
pub fn register_fonts() {
    for family in ["sans-serif", "serif", "monospace"] {
        // DejaVu is a valid font, so these cannot fail; ignore rather than panic.
        let _ = plotters::style::register_font(family, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(family, FontStyle::Bold, dejavu::sans::bold());
    }
}

/// A `(name, data)` pair, by value or by reference: what [`LineChart::series_all`] and
/// [`ContourPlot::trajectories`] take one of per series (`names.iter().zip(&losses)`,
/// `&paths` of a `Vec<(String, Vec<(f64, f64)>)>`).
pub trait Named {
    /// The data: values or points.
    type Data: ?Sized;
    /// The name shown in the legend or panel title.
    fn name(&self) -> &str;
    /// The data.
    fn data(&self) -> &Self::Data;
}

impl<N: AsRef<str>, T> Named for (N, T) {
    type Data = T;
    fn name(&self) -> &str {
        self.0.as_ref()
    }
    fn data(&self) -> &T {
        &self.1
    }
}

impl<N: AsRef<str>, T> Named for &(N, T) {
    type Data = T;
    fn name(&self) -> &str {
        self.0.as_ref()
    }
    fn data(&self) -> &T {
        &self.1
    }
}

/// Anything that gives a list of f64: slices, `Vec`, arrays, ndarray arrays of any
/// dimension (flattened in logical order).
pub trait Values {
    /// The values as a `Vec`.
    fn values(&self) -> Vec<f64>;
}

impl Values for [f64] {
    fn values(&self) -> Vec<f64> {
        self.to_vec()
    }
}
impl Values for Vec<f64> {
    fn values(&self) -> Vec<f64> {
        self.clone()
    }
}
impl<const N: usize> Values for [f64; N] {
    fn values(&self) -> Vec<f64> {
        self.to_vec()
    }
}
impl<T: Values + ?Sized> Values for &T {
    fn values(&self) -> Vec<f64> {
        (**self).values()
    }
}
impl<S: Data<Elem = f64>, D: Dimension> Values for ArrayBase<S, D> {
    fn values(&self) -> Vec<f64> {
        self.iter().copied().collect()
    }
}
impl<D: Dimension> Values for ArrayRef<f64, D> {
    fn values(&self) -> Vec<f64> {
        self.iter().copied().collect()
    }
}

/// Anything that gives a list of 2-D points: `[(x, y)]`, `[[x, y]]`, or an ndarray of
/// shape (n, 2).
pub trait Points {
    /// The points as `(x, y)` pairs.
    fn points(&self) -> Vec<(f64, f64)>;
}
impl Points for [(f64, f64)] {
    fn points(&self) -> Vec<(f64, f64)> {
        self.to_vec()
    }
}
impl Points for Vec<(f64, f64)> {
    fn points(&self) -> Vec<(f64, f64)> {
        self.clone()
    }
}
impl Points for [[f64; 2]] {
    fn points(&self) -> Vec<(f64, f64)> {
        self.iter().map(|p| (p[0], p[1])).collect()
    }
}
impl Points for Vec<[f64; 2]> {
    fn points(&self) -> Vec<(f64, f64)> {
        self.iter().map(|p| (p[0], p[1])).collect()
    }
}
impl<T: Points + ?Sized> Points for &T {
    fn points(&self) -> Vec<(f64, f64)> {
        (**self).points()
    }
}
impl<S: Data<Elem = f64>> Points for ArrayBase<S, ndarray::Ix2> {
    /// # Panics
    /// If the array is not of shape (n, 2).
    #[track_caller]
    fn points(&self) -> Vec<(f64, f64)> {
        assert!(
            self.ncols() == 2,
            "plot: trajectory points must have shape (n, 2), got {:?}",
            self.shape()
        );
        self.rows().into_iter().map(|r| (r[0], r[1])).collect()
    }
}

/// matplotlib's `tab10` colours.
/// The font family every builder draws with (DejaVu Sans, see [`register_fonts`]).
pub(crate) const FONT: &str = "sans-serif";
/// Grid lines and axes of the charts.
pub(crate) const GRID: RGBColor = RGBColor(225, 225, 225);
pub(crate) const AXIS: RGBColor = RGBColor(90, 90, 90);

pub(crate) const TAB10: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// Colour per series name, in order of first appearance.
#[derive(Default)]
pub(crate) struct Palette {
    names: Vec<String>,
}

impl Palette {
    pub(crate) fn color(&mut self, name: &str) -> RGBColor {
        let i = match self.names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                self.names.push(name.to_string());
                self.names.len() - 1
            }
        };
        TAB10[i % TAB10.len()]
    }
}

/// `title` plus a note on skipped non-finite values, if any.
pub(crate) fn with_note(title: &str, skipped: usize) -> String {
    if skipped == 0 {
        title.to_string()
    } else {
        let s = if skipped == 1 { "" } else { "s" };
        let sep = if title.is_empty() { "" } else { " " };
        format!("{title}{sep}({skipped} non-finite value{s} skipped)")
    }
}

/// Largest axis limit: a span up to 2e300 stays finite after padding.
const LIMIT: f64 = 1e300;

/// A padded range covering the finite values (0..1 if there are none).
pub(crate) fn padded_range(values: impl IntoIterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    // keep the span finite (plotters cannot lay out ticks over an infinite span)
    let (lo, hi) = (lo.max(-LIMIT), hi.min(LIMIT));
    if hi - lo < 1e-12 * (1.0 + lo.abs()) {
        let d = if lo.abs() > 0.0 { lo.abs() * 0.1 } else { 1.0 };
        return (lo - d, hi + d);
    }
    let d = (hi - lo) * pad;
    (lo - d, hi + d)
}

/// Orders a user-given range and widens an empty or non-finite one.
pub(crate) fn clean_range((a, b): (f64, f64)) -> (f64, f64) {
    if !a.is_finite() || !b.is_finite() {
        return (0.0, 1.0);
    }
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let (lo, hi) = (lo.clamp(-LIMIT, LIMIT), hi.clamp(-LIMIT, LIMIT));
    if hi - lo < 1e-300 {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    }
}

/// Black sans-serif text of `size`, anchored horizontally by `h` and centred vertically.
/// A figure's title, centred in `area` (the strip above the panels); nothing when the
/// strip has no height.
pub(crate) fn draw_title<DB: plotters::prelude::DrawingBackend>(
    area: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    size: u32,
) -> Result<(), PlotError> {
    let (w, h) = area.dim_in_pixel();
    if h == 0 {
        return Ok(());
    }
    area.draw(&plotters::prelude::Text::new(
        title,
        (w as i32 / 2, h as i32 / 2 + 2),
        text_style(size, plotters::style::text_anchor::HPos::Center),
    ))
    .map_err(draw_err)
}

pub(crate) fn text_style(
    size: u32,
    h: plotters::style::text_anchor::HPos,
) -> plotters::style::TextStyle<'static> {
    use plotters::style::text_anchor::{Pos, VPos};
    plotters::style::TextStyle::from(("sans-serif", size).into_font())
        .pos(Pos::new(h, VPos::Center))
}

/// Tick label: no trailing zeros ("500", "0.25", "-2"), scientific for tiny values.
pub(crate) fn tick(v: &f64) -> String {
    let v = *v;
    if v == 0.0 || !v.is_finite() {
        return "0".to_string();
    }
    if v.abs() < 1e-3 || v.abs() >= 1e6 {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

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
//! | [`CompGraph`] | 5.1–5.3 computational graphs | SVG |
//!
//! In a notebook cell the builder itself can be the last value (it displays itself), or
//! call `.build()` to keep the [`Figure`] and `.save("loss.svg")` it:
//!
//! ```text
//! use dlfs::plot::LineChart;
//! LineChart::new("Loss").labels("iterations", "loss").series("SGD", &losses).smooth(true)
//! ```
//!
//! Every builder has `build() -> Figure` and `try_build() -> Result<Figure, PlotError>`.
//! `build` never panics: if drawing fails it returns a small SVG that shows the error.
//!
//! Text: SVG charts carry their text as SVG `<text>` (the browser's sans-serif renders it);
//! text in PNG/GIF is rasterised with DejaVu Sans embedded by the `dejavu` crate, so no
//! system font is needed. Non-finite values (NaN, ±inf) are skipped and the figure's title
//! says how many were skipped.
//!
//! Colours: series get matplotlib's `tab10` colours in order of first appearance, and a
//! name keeps its colour in every panel of a figure.

mod bitmap_text;
mod contour;
mod graph;
mod image;
mod line;

pub use contour::{ContourPlot, GradientField};
pub use graph::CompGraph;
pub use image::{Colormap, ImageGrid, MAX_IMAGES, Normalize};
pub use line::{ChartGrid, FunctionPlot, HistogramGrid, LineChart};
/// The plotters version this module draws with, for custom figures in a notebook
/// (call [`register_fonts`] first when drawing text into a bitmap).
pub use plotters;

use base64::Engine as _;
use ndarray::{ArrayBase, ArrayRef, Data, Dimension};
use plotters::style::{FontStyle, IntoFont, RGBColor};
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Errors from drawing, encoding or saving a figure.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Reading or writing a file failed.
    #[error("cannot write figure to {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file extension does not match the figure's kind (no format conversion is done).
    #[error("cannot save a {kind} figure as {path}: use the .{kind} extension")]
    Extension { path: PathBuf, kind: FigureKind },
    /// plotters reported an error while drawing.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// PNG or GIF encoding failed.
    #[error("encoding failed: {0}")]
    Encode(String),
}

pub(crate) fn draw_err<E: fmt::Debug>(e: E) -> PlotError {
    PlotError::Draw(format!("{e:?}"))
}

/// What a [`Figure`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FigureKind {
    Svg,
    Png,
    Gif,
}

impl FigureKind {
    /// File extension and name: `svg`, `png` or `gif`.
    pub fn extension(self) -> &'static str {
        match self {
            FigureKind::Svg => "svg",
            FigureKind::Png => "png",
            FigureKind::Gif => "gif",
        }
    }
    /// MIME type used for the notebook display.
    pub fn mime(self) -> &'static str {
        match self {
            FigureKind::Svg => "image/svg+xml",
            FigureKind::Png => "image/png",
            FigureKind::Gif => "image/gif",
        }
    }
}

impl fmt::Display for FigureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

#[derive(Clone)]
enum Content {
    Svg(String),
    Png(Vec<u8>),
    Gif(Vec<u8>),
}

/// A finished figure: SVG text, PNG bytes or GIF bytes.
///
/// In evcxr a cell whose last value is a `Figure` shows it inline (`evcxr_display`).
#[derive(Clone)]
pub struct Figure {
    content: Content,
    size: (u32, u32),
    frames: usize,
}

impl fmt::Debug for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Figure({}, {}x{}, {} bytes, {} frame(s))",
            self.kind(),
            self.size.0,
            self.size.1,
            self.bytes().len(),
            self.frames
        )
    }
}

impl Figure {
    pub(crate) fn from_svg(svg: String, size: (u32, u32)) -> Self {
        Figure {
            content: Content::Svg(svg),
            size,
            frames: 1,
        }
    }
    pub(crate) fn from_png(bytes: Vec<u8>, size: (u32, u32)) -> Self {
        Figure {
            content: Content::Png(bytes),
            size,
            frames: 1,
        }
    }
    pub(crate) fn from_gif(bytes: Vec<u8>, size: (u32, u32), frames: usize) -> Self {
        Figure {
            content: Content::Gif(bytes),
            size,
            frames,
        }
    }

    /// A small SVG that shows an error message (what `build()` returns when drawing failed).
    /// Its `<svg>` element carries `data-dlfs="plot-error"`, and showing it in a notebook
    /// also prints the message on stderr, so that the notebook runner fails the cell.
    ///
    /// ```
    /// let fig = dlfs::plot::Figure::error("no data");
    /// assert!(fig.is_error());
    /// assert!(fig.svg().unwrap().contains("data-dlfs=\"plot-error\""));
    /// assert!(!dlfs::plot::Figure::note("later").is_error());
    /// ```
    pub fn error(message: &str) -> Self {
        let mut fig = Self::text(&format!("plot error: {message}"), "#FFF0F0", "#B00000");
        if let Content::Svg(svg) = &mut fig.content {
            *svg = svg.replacen("<svg ", "<svg data-dlfs=\"plot-error\" ", 1);
        }
        fig
    }

    /// Whether this is the figure [`Figure::error`] made in place of a failed drawing.
    pub fn is_error(&self) -> bool {
        self.svg()
            .is_some_and(|s| s.starts_with("<svg data-dlfs=\"plot-error\""))
    }

    /// A small grey SVG with a line of text, in place of a figure that has nothing to draw
    /// yet (an exercise notebook's figure before the exercise is done).
    ///
    /// ```
    /// let fig = dlfs::plot::Figure::note("(the paths appear once a check passes)");
    /// assert!(fig.svg().unwrap().contains("the paths appear"));
    /// ```
    pub fn note(message: &str) -> Self {
        Self::text(message, "#F4F4F4", "#505050")
    }

    fn text(message: &str, background: &str, color: &str) -> Self {
        let mut esc = String::new();
        for c in message.chars() {
            match c {
                '<' => esc.push_str("&lt;"),
                '>' => esc.push_str("&gt;"),
                '&' => esc.push_str("&amp;"),
                c => esc.push(c),
            }
        }
        let svg = format!(
            "<svg width=\"640\" height=\"60\" viewBox=\"0 0 640 60\" xmlns=\"http://www.w3.org/2000/svg\">\n\
             <rect x=\"0\" y=\"0\" width=\"640\" height=\"60\" fill=\"{background}\"/>\n\
             <text x=\"10\" y=\"35\" font-family=\"sans-serif\" font-size=\"14\" fill=\"{color}\">{esc}</text>\n</svg>\n"
        );
        Figure::from_svg(svg, (640, 60))
    }

    /// SVG, PNG or GIF.
    pub fn kind(&self) -> FigureKind {
        match self.content {
            Content::Svg(_) => FigureKind::Svg,
            Content::Png(_) => FigureKind::Png,
            Content::Gif(_) => FigureKind::Gif,
        }
    }
    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        self.size
    }
    /// Number of frames (1 unless an animated GIF).
    pub fn frames(&self) -> usize {
        self.frames
    }
    /// The SVG document, if this is an SVG figure.
    pub fn svg(&self) -> Option<&str> {
        match &self.content {
            Content::Svg(s) => Some(s),
            _ => None,
        }
    }
    /// The PNG file bytes, if this is a PNG figure.
    pub fn png(&self) -> Option<&[u8]> {
        match &self.content {
            Content::Png(b) => Some(b),
            _ => None,
        }
    }
    /// The GIF file bytes, if this is a GIF figure.
    pub fn gif(&self) -> Option<&[u8]> {
        match &self.content {
            Content::Gif(b) => Some(b),
            _ => None,
        }
    }
    /// The file contents, whatever the kind.
    pub fn bytes(&self) -> &[u8] {
        match &self.content {
            Content::Svg(s) => s.as_bytes(),
            Content::Png(b) | Content::Gif(b) => b,
        }
    }

    /// Writes the figure to `path`, whose extension must match the kind (`.svg`, `.png`,
    /// `.gif`). The file is written to a temporary file in the same folder and renamed, so
    /// a reader never sees half a file. Missing parent folders are created.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        let path = path.as_ref();
        let kind = self.kind();
        let ext_ok = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case(kind.extension()));
        if !ext_ok {
            return Err(PlotError::Extension {
                path: path.to_path_buf(),
                kind,
            });
        }
        let io = |source| PlotError::Io {
            path: path.to_path_buf(),
            source,
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(self.bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(e)
        })
    }

    /// The text evcxr reads from stdout to show the figure: SVG as is, PNG/GIF as base64.
    pub fn evcxr_content(&self) -> String {
        let body = match &self.content {
            Content::Svg(s) => s.clone(),
            Content::Png(b) | Content::Gif(b) => {
                base64::engine::general_purpose::STANDARD.encode(b)
            }
        };
        format!(
            "EVCXR_BEGIN_CONTENT {}\n{}\nEVCXR_END_CONTENT\n",
            self.kind().mime(),
            body.trim_end()
        )
    }

    /// Called by evcxr on a cell's final value: shows the figure inline.
    pub fn evcxr_display(&self) {
        if self.is_error() {
            eprintln!("dlfs: the figure could not be drawn (its message is in the figure)");
        }
        print!("{}", self.evcxr_content());
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

/// Modified Bessel function of the first kind, order 0 (power series).
fn bessel_i0(x: f64) -> f64 {
    let q = x * x / 4.0;
    let (mut term, mut sum) = (1.0, 1.0);
    for k in 1..60 {
        term *= q / (k as f64 * k as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// The Kaiser window of length `m`: `w[n] = I0(β·sqrt(1 − (2n/(m−1) − 1)²)) / I0(β)`
/// (numpy's `np.kaiser`).
pub fn kaiser(m: usize, beta: f64) -> Vec<f64> {
    if m == 1 {
        return vec![1.0];
    }
    let denom = bessel_i0(beta);
    (0..m)
        .map(|n| {
            let r = 2.0 * n as f64 / (m - 1) as f64 - 1.0;
            bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / denom
        })
        .collect()
}

/// The book's `smooth_curve` for loss curves: reflect 10 values at each end, convolve with a
/// normalised Kaiser window (length 11, β = 2), keep the middle, so the output has the
/// input's length.
///
/// Like the book, the start is reflected around `x[0]` (`x[10] … x[1]`) and the end
/// repeats the last value (`x[n−1] … x[n−10]`). Differs from the book: inputs shorter
/// than 11 values come back unchanged instead of failing.
pub fn smooth_curve(x: &[f64]) -> Vec<f64> {
    const WIN: usize = 11;
    let n = x.len();
    if n < WIN {
        return x.to_vec();
    }
    let w = kaiser(WIN, 2.0);
    let total: f64 = w.iter().sum();
    // s = x[10..=1 reversed] ++ x ++ x[n-1 down to n-10]
    let mut s = Vec::with_capacity(n + 2 * (WIN - 1));
    s.extend((1..WIN).rev().map(|i| x[i]));
    s.extend_from_slice(x);
    s.extend((0..WIN - 1).map(|k| x[n - 1 - k]));
    // 'valid' convolution has n + 10 values; the book keeps [5, n + 5).
    (0..n)
        .map(|i| {
            let j = i + (WIN - 1) / 2;
            (0..WIN).map(|k| w[k] * s[j + k]).sum::<f64>() / total
        })
        .collect()
}

/// Black sans-serif text of `size`, anchored horizontally by `h` and centred vertically.
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

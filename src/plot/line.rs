//! Line charts, function plots, grids of small line charts, histogram grids (all SVG).

use super::text_style;
use super::{
    Figure, Palette, PlotError, TAB10, Values, clean_range, draw_err, padded_range, register_fonts,
    smooth_curve, tick, with_note,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;
use std::fmt::{self, Write as _};

const FONT: &str = "sans-serif";
const GRID: RGBColor = RGBColor(225, 225, 225);
const AXIS: RGBColor = RGBColor(90, 90, 90);

/// Pieces of a series between non-finite values.
type Runs = Vec<Vec<(f64, f64)>>;
type Func<'a> = Box<dyn Fn(f64) -> f64 + 'a>;

#[derive(Clone, Debug)]
struct Series {
    name: String,
    x: Option<Vec<f64>>,
    y: Vec<f64>,
    dashed: bool,
}

/// A line chart of named series, e.g. loss per iteration or accuracy per epoch.
///
/// ```
/// use dlfs::plot::LineChart;
/// let train = vec![0.2, 0.6, 0.8, 0.9];
/// let test = vec![0.2, 0.55, 0.75, 0.85];
/// let fig = LineChart::new("Accuracy")
///     .labels("epoch", "accuracy")
///     .series("train", &train)
///     .series_dashed("test", &test)
///     .y_range(0.0, 1.0)
///     .build();
/// assert!(fig.svg().unwrap().contains("Accuracy"));
/// ```
///
/// Defaults: 640×400, x = 0, 1, 2, … unless given, y range fitted to the data, markers
/// when a series has at most 30 points, legend to the right of the plot when there is more
/// than one series. Non-finite points are skipped (the line breaks there) and counted in
/// the title.
#[derive(Clone, Debug)]
pub struct LineChart {
    title: String,
    x_label: String,
    y_label: String,
    series: Vec<Series>,
    x_range: Option<(f64, f64)>,
    y_range: Option<(f64, f64)>,
    smooth: bool,
    markers: Option<bool>,
    size: (u32, u32),
    x_from: f64,
}

impl LineChart {
    /// An empty chart with a title.
    pub fn new(title: &str) -> Self {
        LineChart {
            title: title.to_string(),
            x_label: String::new(),
            y_label: String::new(),
            series: Vec::new(),
            x_range: None,
            y_range: None,
            smooth: false,
            markers: None,
            size: (640, 400),
            x_from: 0.0,
        }
    }
    /// Axis labels.
    pub fn labels(mut self, x: &str, y: &str) -> Self {
        self.x_label = x.to_string();
        self.y_label = y.to_string();
        self
    }
    /// Plots every [`series`](Self::series) against `start`, `start + 1`, … instead of
    /// 0, 1, 2, …: `.x_from(1.0)` for epochs counted from 1, as the training loop prints them.
    ///
    /// ```
    /// let fig = dlfs::plot::LineChart::new("").series("acc", &[0.5, 0.7, 0.8]).x_from(1.0).build();
    /// assert!(fig.svg().is_some());
    /// ```
    pub fn x_from(mut self, start: f64) -> Self {
        if start.is_finite() {
            self.x_from = start;
        }
        self
    }
    /// A series plotted against 0, 1, 2, … (or from [`x_from`](Self::x_from)).
    pub fn series(mut self, name: &str, y: impl Values) -> Self {
        self.series.push(Series {
            name: name.to_string(),
            x: None,
            y: y.values(),
            dashed: false,
        });
        self
    }
    /// Like [`series`](Self::series), drawn dashed (the book's "without BN" curves).
    pub fn series_dashed(mut self, name: &str, y: impl Values) -> Self {
        self = self.series(name, y);
        if let Some(s) = self.series.last_mut() {
            s.dashed = true;
        }
        self
    }
    /// A series with its own x values.
    ///
    /// # Panics
    /// If `x` and `y` differ in length.
    #[track_caller]
    pub fn series_xy(mut self, name: &str, x: impl Values, y: impl Values) -> Self {
        let (x, y) = (x.values(), y.values());
        assert_eq!(
            x.len(),
            y.len(),
            "LineChart::series_xy({name:?}): x has {} values but y has {}",
            x.len(),
            y.len()
        );
        self.series.push(Series {
            name: name.to_string(),
            x: Some(x),
            y,
            dashed: false,
        });
        self
    }
    /// Smooths every series with [`smooth_curve`](super::smooth_curve) (the book's loss plots).
    pub fn smooth(mut self, on: bool) -> Self {
        self.smooth = on;
        self
    }
    /// Draws a marker at every point (default: only when a series has ≤ 30 points).
    pub fn markers(mut self, on: bool) -> Self {
        self.markers = Some(on);
        self
    }
    /// Fixed y range, e.g. `(0.0, 1.0)` for accuracy.
    pub fn y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }
    /// Fixed x range.
    pub fn x_range(mut self, lo: f64, hi: f64) -> Self {
        self.x_range = Some((lo, hi));
        self
    }
    /// Size in pixels (default 640×400).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width.max(100), height.max(80));
        self
    }

    /// Shows the figure when the builder is the last value of an evcxr cell (no `.build()`
    /// needed there). SVG/PNG/GIF as [`Figure::evcxr_display`].
    pub fn evcxr_display(&self) {
        self.build().evcxr_display()
    }

    /// Draws the chart (SVG). Never panics; on a drawing error returns [`Figure::error`].
    pub fn build(&self) -> Figure {
        self.try_build()
            .unwrap_or_else(|e| Figure::error(&e.to_string()))
    }

    /// Draws the chart (SVG).
    pub fn try_build(&self) -> Result<Figure, PlotError> {
        register_fonts();
        let mut svg = String::new();
        let mut extra = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, self.size).into_drawing_area();
            root.fill(&WHITE).map_err(draw_err)?;
            let mut palette = Palette::default();
            self.draw_on(&root, &mut palette, false, true, &mut extra)?;
            root.present().map_err(draw_err)?;
        }
        splice(&mut svg, &extra);
        Ok(Figure::from_svg(svg, self.size))
    }

    /// Runs of finite points per series, and the number of skipped values.
    fn prepared(&self) -> (Vec<Runs>, usize) {
        let mut skipped = 0;
        let mut all = Vec::new();
        for s in &self.series {
            let xs: Vec<f64> = match &s.x {
                Some(x) => x.clone(),
                None => (0..s.y.len()).map(|i| self.x_from + i as f64).collect(),
            };
            let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for (&x, &y) in xs.iter().zip(&s.y) {
                if x.is_finite() && y.is_finite() {
                    runs.last_mut().expect("non-empty").push((x, y));
                } else {
                    skipped += 1;
                    if !runs.last().expect("non-empty").is_empty() {
                        runs.push(Vec::new());
                    }
                }
            }
            if self.smooth {
                let pts: Vec<(f64, f64)> = runs.into_iter().flatten().collect();
                let ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
                let sm = smooth_curve(&ys);
                runs = vec![pts.iter().zip(sm).map(|(p, y)| (p.0, y)).collect()];
            }
            runs.retain(|r| !r.is_empty());
            all.push(runs);
        }
        (all, skipped)
    }

    /// Draws into `area`. `compact` is for small panels in a grid; `legend` draws a legend
    /// column to the right when there is more than one series.
    pub(crate) fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        palette: &mut Palette,
        compact: bool,
        legend: bool,
        extra: &mut String,
    ) -> Result<(), PlotError> {
        let (runs, skipped) = self.prepared();
        let colors: Vec<RGBColor> = self.series.iter().map(|s| palette.color(&s.name)).collect();
        let pts = || runs.iter().flatten().flatten();
        // x covers every point with a finite x, even where y is NaN, so a run that
        // diverged shows where it stopped
        let all_x = self.series.iter().flat_map(|s| match &s.x {
            Some(x) => x.clone(),
            None => (0..s.y.len()).map(|i| self.x_from + i as f64).collect(),
        });
        let x_range = match self.x_range {
            Some(r) => clean_range(r),
            None => padded_range(all_x, 0.0),
        };
        let y_range = match self.y_range {
            Some(r) => clean_range(r),
            None => padded_range(pts().map(|p| p.1), 0.05),
        };

        let (title_size, label_size, desc_size) = if compact { (15, 12, 12) } else { (21, 15, 16) };
        let title = with_note(&self.title, skipped);
        // the title over the whole width (legend included), smaller if it would not fit
        let area = if title.is_empty() {
            area.clone()
        } else {
            let (w, _) = area.dim_in_pixel();
            let fit = ((w as f64 - 16.0) / (0.56 * title.chars().count() as f64)) as u32;
            let size = title_size.min(fit).max(11);
            let title_h = size * 17 / 10 + 4;
            let (title_area, rest) = area.split_vertically(title_h);
            title_area
                .draw(&Text::new(
                    title.as_str(),
                    (w as i32 / 2, title_h as i32 / 2 + 2),
                    text_style(size, HPos::Center),
                ))
                .map_err(draw_err)?;
            rest
        };
        let (w, _) = area.dim_in_pixel();
        let show_legend = legend && self.series.len() > 1;
        let legend_w = if show_legend {
            let chars = self
                .series
                .iter()
                .map(|s| s.name.chars().count())
                .max()
                .unwrap_or(0);
            ((chars as f64 * 7.5) as u32 + 44).min(w / 3)
        } else {
            0
        };
        let (plot_area, legend_area) = area.split_horizontally(w - legend_w);

        let mut builder = ChartBuilder::on(&plot_area);
        let x_area = match (compact, self.x_label.is_empty()) {
            (true, true) => 22,
            (true, false) => 32,
            (false, _) => 44,
        };
        let y_area = match (compact, self.y_label.is_empty()) {
            (true, true) => 34,
            (true, false) => 48,
            (false, _) => 60,
        };
        let mut chart = builder
            .margin(if compact { 4 } else { 10 })
            .margin_right(if compact { 8 } else { 16 })
            .x_label_area_size(x_area)
            .y_label_area_size(y_area)
            .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)
            .map_err(draw_err)?;
        let n_labels = if compact { 4 } else { 8 };
        chart
            .configure_mesh()
            .x_labels(n_labels)
            .y_labels(if compact { 5 } else { 7 })
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(AXIS)
            .label_style((FONT, label_size))
            .axis_desc_style((FONT, desc_size))
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .draw()
            .map_err(draw_err)?;

        // Lines are written as SVG polylines with fractional coordinates (plotters rounds
        // to whole pixels, which makes smooth curves wobble); the corners of the data range
        // fix the same linear map plotters uses for ticks and markers.
        let a = chart.backend_coord(&(x_range.0, y_range.0));
        let b = chart.backend_coord(&(x_range.1, y_range.1));
        let map = |p: (f64, f64)| {
            (
                a.0 as f64 + (p.0 - x_range.0) / (x_range.1 - x_range.0) * (b.0 - a.0) as f64,
                a.1 as f64 + (p.1 - y_range.0) / (y_range.1 - y_range.0) * (b.1 - a.1) as f64,
            )
        };
        let width = if compact { 1.5 } else { 2.0 };
        for ((s, runs), &color) in self.series.iter().zip(&runs).zip(&colors) {
            let dash = match (s.dashed, compact) {
                (false, _) => String::new(),
                (true, true) => " stroke-dasharray=\"4 3\"".to_string(),
                (true, false) => " stroke-dasharray=\"7 5\"".to_string(),
            };
            for run in runs {
                for piece in clip_to(run, x_range, y_range) {
                    let mut pts = String::new();
                    for p in piece {
                        let (x, y) = map(p);
                        let _ = write!(pts, "{x:.2},{y:.2} ");
                    }
                    let _ = writeln!(
                        extra,
                        "<polyline fill=\"none\" stroke=\"#{:02X}{:02X}{:02X}\" stroke-width=\"{width}\" stroke-linejoin=\"round\"{dash} points=\"{}\"/>",
                        color.0,
                        color.1,
                        color.2,
                        pts.trim_end()
                    );
                }
            }
            let n: usize = runs.iter().map(|r| r.len()).sum();
            if self.markers.unwrap_or(n <= 30) {
                let r = if compact { 2 } else { 3 };
                let inside = runs.iter().flatten().filter(|p| {
                    (x_range.0..=x_range.1).contains(&p.0) && (y_range.0..=y_range.1).contains(&p.1)
                });
                chart
                    .draw_series(inside.map(|&p| Circle::new(p, r, color.filled())))
                    .map_err(draw_err)?;
            }
        }

        if show_legend {
            let entries: Vec<(String, RGBColor, bool)> = self
                .series
                .iter()
                .zip(&colors)
                .map(|(s, &c)| (s.name.clone(), c, s.dashed))
                .collect();
            draw_legend_column(&legend_area, &entries)?;
        }
        Ok(())
    }
}

/// Inserts extra SVG elements before the closing tag.
fn splice(svg: &mut String, extra: &str) {
    match svg.rfind("</svg>") {
        Some(i) => svg.insert_str(i, extra),
        None => svg.push_str(extra),
    }
}

/// Clips a polyline to a rectangle; returns the visible pieces.
pub(crate) fn clip_to(
    run: &[(f64, f64)],
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Vec<Vec<(f64, f64)>> {
    let inside = |p: (f64, f64)| p.0 >= x0 && p.0 <= x1 && p.1 >= y0 && p.1 <= y1;
    if run.iter().all(|&p| inside(p)) {
        return vec![run.to_vec()];
    }
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    if run.len() == 1 && inside(run[0]) {
        return vec![run.to_vec()];
    }
    for w in run.windows(2) {
        let (a, b) = (w[0], w[1]);
        // Liang–Barsky
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let mut visible = true;
        for (p, q) in [
            (-dx, a.0 - x0),
            (dx, x1 - a.0),
            (-dy, a.1 - y0),
            (dy, y1 - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    visible = false;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        if !visible || t0 > t1 {
            if cur.len() > 1 {
                out.push(std::mem::take(&mut cur));
            }
            cur.clear();
            continue;
        }
        let pa = (a.0 + t0 * dx, a.1 + t0 * dy);
        let pb = (a.0 + t1 * dx, a.1 + t1 * dy);
        if cur.is_empty() || t0 > 0.0 {
            if cur.len() > 1 {
                out.push(std::mem::take(&mut cur));
            }
            cur = vec![pa];
        }
        cur.push(pb);
        if t1 < 1.0 {
            out.push(std::mem::take(&mut cur));
        }
    }
    if cur.len() > 1 {
        out.push(cur);
    }
    out
}

/// A legend as a column: a coloured swatch and the name per entry.
fn draw_legend_column<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBColor, bool)],
) -> Result<(), PlotError> {
    let top = 50;
    for (i, (name, color, dashed)) in entries.iter().enumerate() {
        let y = top + 22 * i as i32;
        draw_swatch(area, (4, y), *color, *dashed)?;
        area.draw(&Text::new(
            name.as_str(),
            (30, y),
            text_style(15, HPos::Left),
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}

/// A legend as one centred row.
fn draw_legend_row<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBColor, bool)],
) -> Result<(), PlotError> {
    let (w, h) = area.dim_in_pixel();
    let widths: Vec<i32> = entries
        .iter()
        .map(|(n, _, _)| (n.chars().count() as f64 * 7.5) as i32 + 50)
        .collect();
    let total: i32 = widths.iter().sum();
    let mut x = ((w as i32 - total) / 2).max(4);
    let y = h as i32 / 2;
    for ((name, color, dashed), wd) in entries.iter().zip(widths) {
        draw_swatch(area, (x, y), *color, *dashed)?;
        area.draw(&Text::new(
            name.as_str(),
            (x + 26, y),
            text_style(15, HPos::Left),
        ))
        .map_err(draw_err)?;
        x += wd;
    }
    Ok(())
}

fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    color: RGBColor,
    dashed: bool,
) -> Result<(), PlotError> {
    if dashed {
        for k in 0..3 {
            area.draw(&Rectangle::new(
                [(x + 8 * k, y - 1), (x + 8 * k + 5, y + 1)],
                color.filled(),
            ))
            .map_err(draw_err)?;
        }
    } else {
        area.draw(&Rectangle::new(
            [(x, y - 1), (x + 21, y + 1)],
            color.filled(),
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}

/// Plots functions y = f(x) over an interval (sigmoid, ReLU, their derivatives).
///
/// ```
/// use dlfs::plot::FunctionPlot;
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
    /// Shows the figure when the builder is the last value of an evcxr cell (no `.build()`
    /// needed there). SVG/PNG/GIF as [`Figure::evcxr_display`].
    pub fn evcxr_display(&self) {
        self.build().evcxr_display()
    }

    /// Draws the plot (SVG). Never panics; on a drawing error returns [`Figure::error`].
    pub fn build(&self) -> Figure {
        self.to_line_chart().build()
    }
    /// Draws the plot (SVG).
    pub fn try_build(&self) -> Result<Figure, PlotError> {
        self.to_line_chart().try_build()
    }
}

/// A grid of small line charts with one shared legend on top (6.3: 4×4, 6.5: 4×5).
///
/// A series name has the same colour in every panel.
#[derive(Clone, Debug)]
pub struct ChartGrid {
    title: String,
    charts: Vec<LineChart>,
    columns: usize,
    panel_size: (u32, u32),
    y_range: Option<(f64, f64)>,
    labels: Option<(String, String)>,
}

impl ChartGrid {
    /// An empty grid (4 columns, panels of 220×170 pixels).
    pub fn new(title: &str) -> Self {
        ChartGrid {
            title: title.to_string(),
            charts: Vec::new(),
            columns: 4,
            panel_size: (220, 170),
            y_range: None,
            labels: None,
        }
    }
    /// Axis labels on the outer panels, as the book draws its grids: `x` under the bottom
    /// row, `y` beside the left column (a panel's own labels win).
    pub fn labels(mut self, x: &str, y: &str) -> Self {
        self.labels = Some((x.to_string(), y.to_string()));
        self
    }
    /// Adds a panel; its title, labels, series, ranges, smoothing and markers are used.
    pub fn chart(mut self, chart: LineChart) -> Self {
        self.charts.push(chart);
        self
    }
    /// Number of columns (default 4).
    pub fn columns(mut self, n: usize) -> Self {
        self.columns = n.max(1);
        self
    }
    /// Size of one panel in pixels.
    pub fn panel_size(mut self, width: u32, height: u32) -> Self {
        self.panel_size = (width.max(60), height.max(60));
        self
    }
    /// A y range for the panels that have none of their own.
    pub fn y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }
    /// Shows the figure when the builder is the last value of an evcxr cell (no `.build()`
    /// needed there). SVG/PNG/GIF as [`Figure::evcxr_display`].
    pub fn evcxr_display(&self) {
        self.build().evcxr_display()
    }

    /// Draws the grid (SVG). Never panics; on a drawing error returns [`Figure::error`].
    pub fn build(&self) -> Figure {
        self.try_build()
            .unwrap_or_else(|e| Figure::error(&e.to_string()))
    }
    /// Draws the grid (SVG).
    pub fn try_build(&self) -> Result<Figure, PlotError> {
        register_fonts();
        let cols = self.columns.min(self.charts.len()).max(1);
        let rows = self.charts.len().div_ceil(cols).max(1);
        let title_h = if self.title.is_empty() { 0 } else { 36 };
        let mut palette = Palette::default();
        let mut entries: Vec<(String, RGBColor, bool)> = Vec::new();
        for c in &self.charts {
            for s in &c.series {
                if !entries.iter().any(|e| e.0 == s.name) {
                    entries.push((s.name.clone(), palette.color(&s.name), s.dashed));
                }
            }
        }
        let legend_h = if entries.len() > 1 { 30 } else { 0 };
        let size = (
            cols as u32 * self.panel_size.0,
            rows as u32 * self.panel_size.1 + title_h + legend_h,
        );
        let mut svg = String::new();
        let mut extra = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
            root.fill(&WHITE).map_err(draw_err)?;
            let (head, body) = root.split_vertically(title_h + legend_h);
            let (title_area, legend_area) = head.split_vertically(title_h);
            if title_h > 0 {
                title_area
                    .draw(&Text::new(
                        self.title.as_str(),
                        (size.0 as i32 / 2, title_h as i32 / 2 + 2),
                        text_style(21, HPos::Center),
                    ))
                    .map_err(draw_err)?;
            }
            if legend_h > 0 {
                draw_legend_row(&legend_area, &entries)?;
            }
            let cells = body.split_evenly((rows, cols));
            for (k, (chart, cell)) in self.charts.iter().zip(&cells).enumerate() {
                let mut chart = chart.clone();
                if chart.y_range.is_none() {
                    chart.y_range = self.y_range;
                }
                if let Some((x, y)) = &self.labels {
                    // the bottom panel of each column (the last row may be short)
                    if k + cols >= self.charts.len() && chart.x_label.is_empty() {
                        chart.x_label = x.clone();
                    }
                    if k % cols == 0 && chart.y_label.is_empty() {
                        chart.y_label = y.clone();
                    }
                }
                chart.draw_on(cell, &mut palette, true, false, &mut extra)?;
            }
            root.present().map_err(draw_err)?;
        }
        splice(&mut svg, &extra);
        Ok(Figure::from_svg(svg, size))
    }
}

/// Histograms in a row of panels, one per layer (6.2.2: 30 bins over 0..1).
///
/// ```
/// use dlfs::plot::HistogramGrid;
/// let a = vec![0.1, 0.5, 0.5, 0.9];
/// let fig = HistogramGrid::new("activations")
///     .panel("1-layer", &a)
///     .panel("2-layer", &a)
///     .range(0.0, 1.0)
///     .build();
/// assert!(fig.svg().is_some());
/// ```
/// Defaults: 30 bins, the range of all finite values, at most 5 columns, panels of
/// 200×240 pixels, one y scale for all panels (or [`y_limit`](Self::y_limit), like the book's
/// `plt.ylim`). Values outside the range are left out (like numpy's `range`); a small note
/// in the panel counts them and the non-finite ones.
#[derive(Clone, Debug)]
pub struct HistogramGrid {
    title: String,
    panels: Vec<(String, Vec<f64>)>,
    bins: usize,
    range: Option<(f64, f64)>,
    columns: Option<usize>,
    panel_size: (u32, u32),
    x_label: String,
    y_limit: Option<f64>,
}

impl HistogramGrid {
    /// An empty grid.
    pub fn new(title: &str) -> Self {
        HistogramGrid {
            title: title.to_string(),
            panels: Vec::new(),
            bins: 30,
            range: None,
            columns: None,
            panel_size: (200, 240),
            x_label: String::new(),
            y_limit: None,
        }
    }
    /// Top of every panel's count axis (the book's `plt.ylim(0, 7000)` for the ReLU
    /// histograms): a taller bar is cut off there, so the small bars stay visible.
    pub fn y_limit(mut self, top: f64) -> Self {
        if top.is_finite() && top > 0.0 {
            self.y_limit = Some(top);
        }
        self
    }
    /// Adds a panel with the values of one layer (any shape; flattened).
    pub fn panel(mut self, title: &str, values: impl Values) -> Self {
        self.panels.push((title.to_string(), values.values()));
        self
    }
    /// Number of bins (default 30).
    pub fn bins(mut self, n: usize) -> Self {
        self.bins = n.max(1);
        self
    }
    /// Range of the bins (default: all finite values).
    pub fn range(mut self, lo: f64, hi: f64) -> Self {
        self.range = Some((lo, hi));
        self
    }
    /// Number of columns (default: number of panels, at most 5).
    pub fn columns(mut self, n: usize) -> Self {
        self.columns = Some(n.max(1));
        self
    }
    /// Size of one panel in pixels.
    pub fn panel_size(mut self, width: u32, height: u32) -> Self {
        self.panel_size = (width.max(60), height.max(60));
        self
    }
    /// Label under each panel's x axis.
    pub fn x_label(mut self, label: &str) -> Self {
        self.x_label = label.to_string();
        self
    }

    /// The counts per bin of each panel, with the number of non-finite and out-of-range
    /// values. The last bin includes its right edge, like numpy.
    pub fn counts(&self) -> Vec<(Vec<usize>, usize, usize)> {
        let (lo, hi) = self.bin_range();
        self.panels
            .iter()
            .map(|(_, v)| {
                let mut counts = vec![0usize; self.bins];
                let (mut bad, mut out) = (0, 0);
                for &x in v {
                    if !x.is_finite() {
                        bad += 1;
                    } else if x < lo || x > hi {
                        out += 1;
                    } else {
                        let k = (((x - lo) / (hi - lo)) * self.bins as f64) as usize;
                        counts[k.min(self.bins - 1)] += 1;
                    }
                }
                (counts, bad, out)
            })
            .collect()
    }

    fn bin_range(&self) -> (f64, f64) {
        match self.range {
            Some(r) => clean_range(r),
            None => padded_range(self.panels.iter().flat_map(|p| p.1.iter().copied()), 0.0),
        }
    }

    /// Shows the figure when the builder is the last value of an evcxr cell (no `.build()`
    /// needed there). SVG/PNG/GIF as [`Figure::evcxr_display`].
    pub fn evcxr_display(&self) {
        self.build().evcxr_display()
    }

    /// Draws the grid (SVG). Never panics; on a drawing error returns [`Figure::error`].
    pub fn build(&self) -> Figure {
        self.try_build()
            .unwrap_or_else(|e| Figure::error(&e.to_string()))
    }

    /// Draws the grid (SVG).
    pub fn try_build(&self) -> Result<Figure, PlotError> {
        register_fonts();
        let n = self.panels.len().max(1);
        let cols = self.columns.unwrap_or(n.min(5)).min(n);
        let rows = n.div_ceil(cols);
        let title_h = if self.title.is_empty() { 0 } else { 36 };
        let size = (
            cols as u32 * self.panel_size.0,
            rows as u32 * self.panel_size.1 + title_h,
        );
        let (lo, hi) = self.bin_range();
        let counts = self.counts();
        let y_max = self.y_limit.unwrap_or_else(|| {
            counts
                .iter()
                .flat_map(|c| c.0.iter().copied())
                .max()
                .unwrap_or(0)
                .max(1) as f64
                * 1.05
        });
        let width = (hi - lo) / self.bins as f64;
        let color = TAB10[0];
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
            root.fill(&WHITE).map_err(draw_err)?;
            let (title_area, body) = root.split_vertically(title_h);
            if title_h > 0 {
                title_area
                    .draw(&Text::new(
                        self.title.as_str(),
                        (size.0 as i32 / 2, title_h as i32 / 2 + 2),
                        text_style(21, HPos::Center),
                    ))
                    .map_err(draw_err)?;
            }
            let cells = body.split_evenly((rows, cols));
            for (((name, _), (cnt, bad, out)), cell) in self.panels.iter().zip(&counts).zip(&cells)
            {
                // the panel's name as its caption; what was left out as a small note inside
                let note = match (*bad, *out) {
                    (0, 0) => String::new(),
                    (0, o) => format!("{o} outside range"),
                    (b, 0) => with_note("", b),
                    (b, o) => format!("{o} outside range, {b} non-finite"),
                };
                let mut chart = ChartBuilder::on(cell)
                    .caption(name, (FONT, 16))
                    .margin(6)
                    .margin_right(12)
                    .x_label_area_size(if self.x_label.is_empty() { 22 } else { 36 })
                    .y_label_area_size(44)
                    .build_cartesian_2d(lo..hi, 0.0..y_max)
                    .map_err(draw_err)?;
                chart
                    .configure_mesh()
                    .x_labels(3)
                    .y_labels(5)
                    .light_line_style(TRANSPARENT)
                    .bold_line_style(GRID)
                    .axis_style(AXIS)
                    .label_style((FONT, 12))
                    .axis_desc_style((FONT, 13))
                    .x_desc(self.x_label.as_str())
                    .x_label_formatter(&tick)
                    .y_label_formatter(&|v| format!("{v:.0}"))
                    .draw()
                    .map_err(draw_err)?;
                chart
                    .draw_series(
                        cnt.iter()
                            .enumerate()
                            .filter(|(_, c)| **c > 0)
                            .map(|(k, &c)| {
                                let x0 = lo + k as f64 * width;
                                let top = (c as f64).min(y_max);
                                Rectangle::new([(x0, 0.0), (x0 + width, top)], color.filled())
                            }),
                    )
                    .map_err(draw_err)?;
                if !note.is_empty() {
                    let area = chart.plotting_area();
                    let (px, _) = area.get_pixel_range();
                    area.strip_coord_spec()
                        .draw(&Text::new(
                            note,
                            (px.end - px.start - 4, 10),
                            text_style(11, HPos::Right).color(&RGBColor(90, 90, 90)),
                        ))
                        .map_err(draw_err)?;
                }
            }
            root.present().map_err(draw_err)?;
        }
        Ok(Figure::from_svg(svg, size))
    }
}

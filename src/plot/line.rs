//! Line charts (SVG): series over steps or over x, dashed, smoothed; the legend and clipping
//! helpers the grid shares.

use super::{
    AXIS, FONT, Figure, GRID, Named, Palette, Plot, PlotError, Values, clean_range, draw_err,
    padded_range, register_fonts, smooth_curve, text_style, tick, with_note,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;
use std::fmt::Write as _;

/// Pieces of a series between non-finite values.
type Runs = Vec<Vec<(f64, f64)>>;

#[derive(Clone, Debug)]
pub(crate) struct Series {
    pub(crate) name: String,
    x: Option<Vec<f64>>,
    y: Vec<f64>,
    pub(crate) dashed: bool,
}

/// A line chart of named series, e.g. loss per iteration or accuracy per epoch.
///
/// ```
/// use dlfs::plot::{LineChart, Plot};
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
    pub(crate) title: String,
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    pub(crate) series: Vec<Series>,
    x_range: Option<(f64, f64)>,
    pub(crate) y_range: Option<(f64, f64)>,
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
    /// use dlfs::plot::Plot;
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
    /// One series per `(name, values)` pair, in order: `.series_all(names.iter().zip(&losses))`
    /// instead of a loop that reassigns the chart.
    pub fn series_all<S: Named>(mut self, series: impl IntoIterator<Item = S>) -> Self
    where
        S::Data: Values,
    {
        for s in series {
            self = self.series(s.name(), s.data());
        }
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

impl Plot for LineChart {
    /// Draws the chart (SVG).
    fn try_build(&self) -> Result<Figure, PlotError> {
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
}

/// Inserts extra SVG elements before the closing tag.
pub(crate) fn splice(svg: &mut String, extra: &str) {
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
pub(crate) fn draw_legend_row<DB: DrawingBackend>(
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

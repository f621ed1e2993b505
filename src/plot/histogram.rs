//! Histograms in a row of panels, one per layer (6.2).

use super::{
    AXIS, FONT, Figure, GRID, Plot, PlotError, TAB10, Values, clean_range, draw_err, draw_title,
    padded_range, register_fonts, text_style, tick, with_note,
};
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

/// Histograms in a row of panels, one per layer (6.2.2: 30 bins over 0..1).
///
/// ```
/// use dlfs::plot::{HistogramGrid, Plot};
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
}

impl Plot for HistogramGrid {
    /// Draws the grid (SVG).
    fn try_build(&self) -> Result<Figure, PlotError> {
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
            draw_title(&title_area, &self.title, 21)?;
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

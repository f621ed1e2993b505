//! A grid of small line charts with one shared legend (6.3, 6.5).

use super::line::{draw_legend_row, splice};
use super::{Figure, LineChart, Palette, Plot, PlotError, draw_err, draw_title, register_fonts};
use plotters::prelude::*;

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
    /// Adds one panel per chart, in order (`.charts(results.iter().map(|r| LineChart::new(…)))`).
    pub fn charts(mut self, charts: impl IntoIterator<Item = LineChart>) -> Self {
        self.charts.extend(charts);
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
}

impl Plot for ChartGrid {
    /// Draws the grid (SVG).
    fn try_build(&self) -> Result<Figure, PlotError> {
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
            draw_title(&title_area, &self.title, 21)?;
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

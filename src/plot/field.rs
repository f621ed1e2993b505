//! Arrows of the negative gradient on a grid (6.1.3).

use super::contour::draw_minimum;
use super::{
    FONT, Figure, Plot, PlotError, TAB10, clean_range, draw_err, register_fonts, tick, with_note,
};
use plotters::prelude::*;
use std::fmt;

/// Arrows of −∇f on a grid (6.1.3), like matplotlib's `quiver`.
///
/// ```
/// use dlfs::plot::{GradientField, Plot};
/// let fig = GradientField::new("-∇f", |x, y| (x / 10.0, 2.0 * y), (-10.0, 10.0), (-5.0, 5.0))
///     .build();
/// assert!(fig.svg().is_some());
/// ```
/// `grad` returns ∇f = (∂f/∂x, ∂f/∂y); the arrows point the other way (downhill), scaled
/// so the longest is 0.7 of a grid cell (a gap to the next arrow, as in the book's quiver).
/// Defaults: a 21×11 grid, 640×400 pixels.
pub struct GradientField<'a> {
    grad: Box<dyn Fn(f64, f64) -> (f64, f64) + 'a>,
    x_range: (f64, f64),
    y_range: (f64, f64),
    title: String,
    grid: (usize, usize),
    minimum: Option<(f64, f64)>,
    size: (u32, u32),
}

impl fmt::Debug for GradientField<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GradientField")
            .field("title", &self.title)
            .field("x_range", &self.x_range)
            .field("y_range", &self.y_range)
            .field("grid", &self.grid)
            .finish_non_exhaustive()
    }
}

impl<'a> GradientField<'a> {
    /// Arrows of −`grad` over `x_range` × `y_range`.
    pub fn new(
        title: &str,
        grad: impl Fn(f64, f64) -> (f64, f64) + 'a,
        x_range: (f64, f64),
        y_range: (f64, f64),
    ) -> Self {
        GradientField {
            grad: Box::new(grad),
            x_range: clean_range(x_range),
            y_range: clean_range(y_range),
            title: title.to_string(),
            grid: (21, 11),
            minimum: None,
            size: (640, 400),
        }
    }
    /// Number of arrows along x and y (default 21×11).
    pub fn grid(mut self, nx: usize, ny: usize) -> Self {
        self.grid = (nx.max(2), ny.max(2));
        self
    }
    /// Marks the minimum with a `+`.
    pub fn minimum(mut self, x: f64, y: f64) -> Self {
        self.minimum = Some((x, y));
        self
    }
    /// Size in pixels (default 640×400).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width.max(100), height.max(80));
        self
    }
}

impl Plot for GradientField<'_> {
    /// Draws the field (SVG).
    fn try_build(&self) -> Result<Figure, PlotError> {
        register_fonts();
        let (nx, ny) = self.grid;
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        let mut arrows = Vec::new();
        let mut skipped = 0;
        for j in 0..ny {
            for i in 0..nx {
                let x = x0 + (x1 - x0) * i as f64 / (nx - 1) as f64;
                let y = y0 + (y1 - y0) * j as f64 / (ny - 1) as f64;
                let (gx, gy) = (self.grad)(x, y);
                if gx.is_finite() && gy.is_finite() {
                    arrows.push(((x, y), (-gx, -gy)));
                } else {
                    skipped += 1;
                }
            }
        }
        let max = arrows
            .iter()
            .map(|(_, (u, v))| u.hypot(*v))
            .fold(0.0f64, f64::max);
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, self.size).into_drawing_area();
            root.fill(&WHITE).map_err(draw_err)?;
            let title = with_note(&self.title, skipped);
            // arrows at the border stick out a little: pad the range by half a cell
            let (px, py) = (
                (x1 - x0) / (nx - 1) as f64 / 2.0,
                (y1 - y0) / (ny - 1) as f64 / 2.0,
            );
            let mut chart = ChartBuilder::on(&root)
                .caption(&title, (FONT, 21))
                .margin(10)
                .margin_right(16)
                .x_label_area_size(44)
                .y_label_area_size(50)
                .build_cartesian_2d(x0 - px..x1 + px, y0 - py..y1 + py)
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .axis_style(RGBColor(90, 90, 90))
                .label_style((FONT, 15))
                .axis_desc_style((FONT, 16))
                .x_desc("x")
                .y_desc("y")
                .x_label_formatter(&tick)
                .y_label_formatter(&tick)
                .draw()
                .map_err(draw_err)?;
            let (pw, ph) = chart.plotting_area().dim_in_pixel();
            let cell = (pw as f64 / nx as f64).min(ph as f64 / ny as f64);
            // the longest arrow 0.7 of a grid cell, so neighbouring rows never touch
            let scale = if max > 0.0 { 0.7 * cell / max } else { 0.0 };
            let color = TAB10[0];
            for &(p, (u, v)) in &arrows {
                // screen space: y grows downwards
                let (dx, dy) = (u * scale, -v * scale);
                let len = dx.hypot(dy);
                if len < 0.5 {
                    chart
                        .draw_series(std::iter::once(Circle::new(p, 1, color.filled())))
                        .map_err(draw_err)?;
                    continue;
                }
                let (ux, uy) = (dx / len, dy / len);
                let head = (len * 0.35).min(7.0);
                let half = head * 0.5;
                let tip = (dx.round() as i32, dy.round() as i32);
                let back = (dx - ux * head, dy - uy * head);
                let l = (
                    (back.0 - uy * half).round() as i32,
                    (back.1 + ux * half).round() as i32,
                );
                let r = (
                    (back.0 + uy * half).round() as i32,
                    (back.1 - ux * half).round() as i32,
                );
                let shaft_end = (back.0.round() as i32, back.1.round() as i32);
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at(p)
                            + PathElement::new(vec![(0, 0), shaft_end], color.stroke_width(2))
                            + Polygon::new(vec![tip, l, r], color.filled()),
                    ))
                    .map_err(draw_err)?;
            }
            if let Some(m) = self.minimum {
                draw_minimum(&mut chart, m)?;
            }
            root.present().map_err(draw_err)?;
        }
        Ok(Figure::from_svg(svg, self.size))
    }
}

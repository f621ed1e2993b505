//! A 3-D surface of f(x, y) (6.1.2), optionally beside a [`ContourPlot`] of it.

use super::colormap::viridis;
use super::{
    ContourPlot, FONT, Figure, Plot, PlotError, clean_range, draw_err, padded_range,
    register_fonts, tick, with_note,
};
use plotters::prelude::*;
use std::fmt;

/// The surface z = f(x, y) over `x_range` × `y_range`, seen from above at an angle, its
/// patches coloured by height (viridis, like matplotlib's surfaces), drawn as SVG.
///
/// ```
/// use dlfs::plot::{ContourPlot, Plot, SurfacePlot};
/// let f = |x: f64, y: f64| x * x / 20.0 + y * y;
/// let fig = SurfacePlot::new("f(x, y) = x²/20 + y²", f, (-10.0, 10.0), (-10.0, 10.0))
///     .beside(ContourPlot::new("contours", f, (-10.0, 10.0), (-10.0, 10.0)))
///     .build();
/// assert_eq!(fig.size(), (1040, 440));
/// ```
/// Defaults: a 30×30 grid of patches, a 520×440 panel. The vertical axis is f; x runs
/// along the front, y into the page. Non-finite samples leave their patches out and are
/// counted in the title.
pub struct SurfacePlot<'a> {
    title: String,
    f: Box<dyn Fn(f64, f64) -> f64 + 'a>,
    x_range: (f64, f64),
    y_range: (f64, f64),
    resolution: usize,
    view: (f64, f64),
    panel: (u32, u32),
    contour: Option<ContourPlot<'a>>,
}

impl fmt::Debug for SurfacePlot<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SurfacePlot")
            .field("title", &self.title)
            .field("x_range", &self.x_range)
            .field("y_range", &self.y_range)
            .field("resolution", &self.resolution)
            .finish_non_exhaustive()
    }
}

impl<'a> SurfacePlot<'a> {
    /// The surface of `f` over `x_range` × `y_range`.
    pub fn new(
        title: &str,
        f: impl Fn(f64, f64) -> f64 + 'a,
        x_range: (f64, f64),
        y_range: (f64, f64),
    ) -> Self {
        SurfacePlot {
            title: title.to_string(),
            f: Box::new(f),
            x_range: clean_range(x_range),
            y_range: clean_range(y_range),
            resolution: 30,
            view: (-0.5, 0.5),
            panel: (520, 440),
            contour: None,
        }
    }
    /// Patches along each axis (default 30, between 2 and 200).
    pub fn resolution(mut self, n: usize) -> Self {
        self.resolution = n.clamp(2, 200);
        self
    }
    /// The angle of view in radians: `yaw` turns the surface about the vertical axis,
    /// `pitch` tilts it towards you (default −0.5, 0.5).
    pub fn view(mut self, yaw: f64, pitch: f64) -> Self {
        if yaw.is_finite() && pitch.is_finite() {
            self.view = (yaw, pitch);
        }
        self
    }
    /// Size of the surface's panel in pixels (the contour panel beside it has the same).
    pub fn panel_size(mut self, width: u32, height: u32) -> Self {
        self.panel = (width.max(200), height.max(200));
        self
    }
    /// Draws `contour` (its first panel) to the right of the surface, as the book's 6-1.
    pub fn beside(mut self, contour: ContourPlot<'a>) -> Self {
        self.contour = Some(contour);
        self
    }

    /// Samples f on the (n + 1) × (n + 1) grid: the corners of the patches.
    fn samples(&self) -> Vec<Vec<(f64, f64, f64)>> {
        let n = self.resolution;
        let at = |(lo, hi): (f64, f64), k: usize| lo + (hi - lo) * k as f64 / n as f64;
        (0..=n)
            .map(|i| {
                (0..=n)
                    .map(|j| {
                        let (x, y) = (at(self.x_range, j), at(self.y_range, i));
                        (x, y, (self.f)(x, y))
                    })
                    .collect()
            })
            .collect()
    }

    fn draw_surface<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), PlotError> {
        let grid = self.samples();
        let finite = |p: &(f64, f64, f64)| p.2.is_finite();
        let bad = grid.iter().flatten().filter(|p| !finite(p)).count();
        let (z0, z1) = padded_range(grid.iter().flatten().map(|p| p.2), 0.0);
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        let (yaw, pitch) = self.view;
        let mut chart = ChartBuilder::on(area)
            .caption(with_note(&self.title, bad), (FONT, 18))
            .margin(10)
            .margin_bottom(24)
            .build_cartesian_3d(x0..x1, z0..z1, y0..y1)
            .map_err(draw_err)?;
        chart.with_projection(|mut p| {
            p.yaw = yaw;
            p.pitch = pitch;
            p.scale = 0.72;
            p.into_matrix()
        });
        chart
            .configure_axes()
            .light_grid_style(RGBColor(225, 225, 225))
            .max_light_lines(4)
            .label_style((FONT, 12))
            .x_formatter(&tick)
            .y_formatter(&tick)
            .z_formatter(&tick)
            .draw()
            .map_err(draw_err)?;
        // patches back to front (plotters draws in the order given)
        let coord = chart.as_coord_spec().clone();
        let mut patches = Vec::new();
        for i in 0..self.resolution {
            for j in 0..self.resolution {
                let q = [
                    grid[i][j],
                    grid[i][j + 1],
                    grid[i + 1][j + 1],
                    grid[i + 1][j],
                ];
                if !q.iter().all(finite) {
                    continue;
                }
                let (x, y, z) = q.iter().fold((0.0, 0.0, 0.0), |a, p| {
                    (a.0 + p.0 / 4.0, a.1 + p.1 / 4.0, a.2 + p.2 / 4.0)
                });
                let z = z.clamp(z0, z1);
                patches.push((coord.projected_depth(&x, &z, &y), z, q));
            }
        }
        patches.sort_by_key(|p| std::cmp::Reverse(p.0));
        let span = (z1 - z0).max(1e-300);
        // each patch with its outline, so a nearer patch hides the outlines behind it
        for (_, z, q) in &patches {
            let pts: Vec<(f64, f64, f64)> = q.iter().map(|p| (p.0, p.2, p.1)).collect();
            let mut ring = pts.clone();
            ring.push(pts[0]);
            chart
                .draw_series(std::iter::once(Polygon::new(
                    pts,
                    viridis((z - z0) / span).filled(),
                )))
                .map_err(draw_err)?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    ring,
                    RGBColor(30, 30, 30).mix(0.35).stroke_width(1),
                )))
                .map_err(draw_err)?;
        }
        Ok(())
    }
}

impl Plot for SurfacePlot<'_> {
    /// Draws the surface, and the contour beside it if one was given (SVG).
    fn try_build(&self) -> Result<Figure, PlotError> {
        register_fonts();
        let panels = if self.contour.is_some() { 2 } else { 1 };
        let size = (self.panel.0 * panels, self.panel.1);
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
            root.fill(&WHITE).map_err(draw_err)?;
            let (left, right) = root.split_horizontally(self.panel.0);
            self.draw_surface(&left)?;
            if let Some(c) = &self.contour {
                c.draw_single(&right.margin(30, 30, 0, 10))?;
            }
            root.present().map_err(draw_err)?;
        }
        Ok(Figure::from_svg(svg, size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_patch_per_grid_cell_and_nan_patches_counted() {
        let polygons = |n: usize, f: fn(f64, f64) -> f64| {
            let fig = SurfacePlot::new("s", f, (0.0, 1.0), (0.0, 1.0))
                .resolution(n)
                .build();
            let svg = fig.svg().unwrap().to_string();
            (svg.matches("<polygon").count(), svg)
        };
        let bowl = |x: f64, y: f64| x * x + y * y;
        // the axes' back panels are polygons too: compare two resolutions
        assert_eq!(polygons(5, bowl).0 - polygons(4, bowl).0, 25 - 16);
        // x = 0.75 and 1 are NaN: 2 columns of 5 samples, the patches touching them left out
        let (n, svg) = polygons(4, |x, _| if x > 0.5 { f64::NAN } else { x });
        assert!(svg.contains("10 non-finite values skipped"), "{svg}");
        assert_eq!(polygons(4, bowl).0 - n, 8);
    }

    #[test]
    fn the_contour_goes_to_the_right_half() {
        let f = |x: f64, y: f64| x * x / 20.0 + y * y;
        let fig = SurfacePlot::new("", f, (-10.0, 10.0), (-10.0, 10.0))
            .panel_size(300, 300)
            .beside(ContourPlot::new(
                "the contours",
                f,
                (-10.0, 10.0),
                (-10.0, 10.0),
            ))
            .build();
        assert_eq!(fig.size(), (600, 300));
        assert!(fig.svg().unwrap().contains("the contours"));
    }
}

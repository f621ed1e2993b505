//! Contour plots with optimizer trajectories (6.1: SVG, or an animated GIF that draws them
//! step by step).

use super::bitmap_text::{Anchor, Canvas};
use super::colormap::viridis;
use super::gif::{Frames, Palette256};
use super::isolines::{auto_levels, iso_lines};
use super::line::clip_to;
use super::{
    FONT, Figure, Named, Plot, PlotError, Points, clean_range, draw_err, draw_title,
    register_fonts, tick, with_note,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::fmt;

const TRAJ: RGBColor = RGBColor(0xe4, 0x1a, 0x1c);

/// Polylines per contour level with their colour, and the number of non-finite samples.
type Levels = (Vec<(RGBColor, Vec<Polyline>)>, usize);
type Polyline = Vec<(f64, f64)>;

struct Panel {
    title: String,
    points: Vec<(f64, f64)>,
}

/// Contour lines of f(x, y) with trajectories drawn over them, one panel per trajectory
/// (6.1.7: SGD, Momentum, AdaGrad, Adam in a 2×2 grid).
///
/// ```
/// use dlfs::plot::{ContourPlot, Plot};
/// let path: Vec<(f64, f64)> = (0..30).map(|k| (-7.0 * 0.9f64.powi(k), 2.0 * (-0.8f64).powi(k))).collect();
/// let fig = ContourPlot::new("", |x, y| x * x / 20.0 + y * y, (-10.0, 10.0), (-5.0, 5.0))
///     .trajectory("SGD", &path)
///     .trajectory("Momentum", &path)
///     .minimum(0.0, 0.0)
///     .build();
/// assert!(fig.svg().is_some());
/// let gif = ContourPlot::new("", |x, y| x * x / 20.0 + y * y, (-10.0, 10.0), (-5.0, 5.0))
///     .trajectory("SGD", &path)
///     .animate();
/// assert_eq!(gif.frames(), 30);
/// ```
/// Trajectories: red line with dots, the start circled in black. The minimum (if given)
/// is a black `+`. Contour lines are coloured by level with viridis like matplotlib.
/// Defaults: 2 columns, a 201×101 sample grid, levels chosen from the sampled values (or
/// [`levels`](Self::levels)), panels of 640×420 for one trajectory and 440×310 for more.
/// Non-finite trajectory points are skipped and counted in the panel title.
pub struct ContourPlot<'a> {
    f: Box<dyn Fn(f64, f64) -> f64 + 'a>,
    x_range: (f64, f64),
    y_range: (f64, f64),
    title: String,
    levels: Option<Vec<f64>>,
    n_levels: usize,
    resolution: (usize, usize),
    panels: Vec<Panel>,
    columns: usize,
    minimum: Option<(f64, f64)>,
    panel_size: Option<(u32, u32)>,
    frame_delay_ms: u32,
    max_frames: usize,
}

impl fmt::Debug for ContourPlot<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContourPlot")
            .field("title", &self.title)
            .field("x_range", &self.x_range)
            .field("y_range", &self.y_range)
            .field("trajectories", &self.panels.len())
            .finish_non_exhaustive()
    }
}

impl<'a> ContourPlot<'a> {
    /// Contours of `f` over `x_range` × `y_range`.
    pub fn new(
        title: &str,
        f: impl Fn(f64, f64) -> f64 + 'a,
        x_range: (f64, f64),
        y_range: (f64, f64),
    ) -> Self {
        ContourPlot {
            f: Box::new(f),
            x_range: clean_range(x_range),
            y_range: clean_range(y_range),
            title: title.to_string(),
            levels: None,
            n_levels: 7,
            resolution: (201, 101),
            panels: Vec::new(),
            columns: 2,
            minimum: None,
            panel_size: None,
            frame_delay_ms: 150,
            max_frames: 80,
        }
    }
    /// Adds a panel with one trajectory (its title is `name`).
    pub fn trajectory(mut self, name: &str, points: impl Points) -> Self {
        self.panels.push(Panel {
            title: name.to_string(),
            points: points.points(),
        });
        self
    }
    /// One panel per `(name, points)` pair, in order (`.trajectories(&paths)`).
    pub fn trajectories<T: Named>(mut self, paths: impl IntoIterator<Item = T>) -> Self
    where
        T::Data: Points,
    {
        for p in paths {
            self = self.trajectory(p.name(), p.data());
        }
        self
    }
    /// Explicit contour levels.
    pub fn levels(mut self, levels: &[f64]) -> Self {
        let mut l: Vec<f64> = levels.iter().copied().filter(|v| v.is_finite()).collect();
        l.sort_by(f64::total_cmp);
        self.levels = Some(l);
        self
    }
    /// About how many levels to choose automatically (default 7).
    pub fn n_levels(mut self, n: usize) -> Self {
        self.n_levels = n.max(1);
        self
    }
    /// Number of sample points along x and y (default 201×101).
    pub fn resolution(mut self, nx: usize, ny: usize) -> Self {
        self.resolution = (nx.max(2), ny.max(2));
        self
    }
    /// Number of panel columns (default 2).
    pub fn columns(mut self, n: usize) -> Self {
        self.columns = n.max(1);
        self
    }
    /// Marks the minimum with a `+`.
    pub fn minimum(mut self, x: f64, y: f64) -> Self {
        self.minimum = Some((x, y));
        self
    }
    /// Size of one panel in pixels.
    pub fn panel_size(mut self, width: u32, height: u32) -> Self {
        self.panel_size = Some((width.max(100), height.max(80)));
        self
    }
    /// Delay between GIF frames (default 150 ms; the last frame stays 2 s).
    pub fn frame_delay_ms(mut self, ms: u32) -> Self {
        self.frame_delay_ms = ms;
        self
    }
    /// At most this many GIF frames (default 80); longer trajectories advance several
    /// steps per frame.
    pub fn max_frames(mut self, n: usize) -> Self {
        self.max_frames = n.max(1);
        self
    }

    fn layout(&self) -> (usize, usize, (u32, u32), u32) {
        let n = self.panels.len().max(1);
        let cols = self.columns.min(n);
        let rows = n.div_ceil(cols);
        let panel = self
            .panel_size
            .unwrap_or(if n == 1 { (640, 420) } else { (440, 310) });
        let title_h = if n > 1 && !self.title.is_empty() {
            36
        } else {
            0
        };
        (rows, cols, panel, title_h)
    }

    /// Sampled grid and iso-lines per level: (level colour, polylines).
    fn contours(&self) -> Levels {
        let (nx, ny) = self.resolution;
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        let xs: Vec<f64> = (0..nx)
            .map(|i| x0 + (x1 - x0) * i as f64 / (nx - 1) as f64)
            .collect();
        let ys: Vec<f64> = (0..ny)
            .map(|j| y0 + (y1 - y0) * j as f64 / (ny - 1) as f64)
            .collect();
        let mut z = Vec::with_capacity(nx * ny);
        for &y in &ys {
            for &x in &xs {
                z.push((self.f)(x, y));
            }
        }
        let bad = z.iter().filter(|v| !v.is_finite()).count();
        let (lo, hi) = z
            .iter()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let levels = match &self.levels {
            Some(l) => l.clone(),
            None => auto_levels(lo, hi, self.n_levels),
        };
        let n = levels.len();
        let out = levels
            .iter()
            .enumerate()
            .map(|(k, &l)| {
                let t = if n > 1 {
                    k as f64 / (n - 1) as f64
                } else {
                    0.5
                };
                (viridis(0.9 * t), iso_lines(&xs, &ys, &z, l))
            })
            .collect();
        (out, bad)
    }

    /// Animated GIF: the trajectories grow step by step. Never panics; on an error returns
    /// [`Figure::error`].
    pub fn animate(&self) -> Figure {
        self.try_animate()
            .unwrap_or_else(|e| Figure::error(&e.to_string()))
    }

    /// Animated GIF: frame k shows the first k + 1 points of every trajectory.
    pub fn try_animate(&self) -> Result<Figure, PlotError> {
        register_fonts();
        let (rows, cols, panel, title_h0) = self.layout();
        // a title row always: it shows the step
        let title_h = title_h0.max(30);
        let size = (cols as u32 * panel.0, rows as u32 * panel.1 + title_h);
        if size.0 > u16::MAX as u32 || size.1 > u16::MAX as u32 {
            return Err(PlotError::Encode(format!(
                "GIF too large: {}x{}",
                size.0, size.1
            )));
        }
        let contours = self.contours();
        let steps = self
            .panels
            .iter()
            .map(|p| p.points.len())
            .max()
            .unwrap_or(0)
            .max(1);
        let stride = steps.div_ceil(self.max_frames);
        let mut shown: Vec<usize> = (1..=steps).step_by(stride).collect();
        if shown.last() != Some(&steps) {
            shown.push(steps);
        }
        let mut out = Vec::new();
        {
            let palette = Palette256::new(
                [TRAJ, BLACK, WHITE, RGBColor(90, 90, 90)]
                    .into_iter()
                    .chain(contours.0.iter().map(|l| l.0)),
            );
            let mut frames = Frames::new(&mut out, size, palette)?;
            let mut buf = vec![0u8; size.0 as usize * size.1 as usize * 3];
            for (idx, &upto) in shown.iter().enumerate() {
                {
                    let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
                    self.draw_all(&root, &contours, Some(upto), title_h, rows, cols)?;
                    root.present().map_err(draw_err)?;
                }
                Canvas {
                    buf: &mut buf,
                    width: size.0,
                    height: size.1,
                }
                .text(
                    &self.frame_title(Some(upto)),
                    (size.0 as i32 / 2, title_h as i32 / 2 + 2),
                    20.0,
                    Anchor::Center,
                    [0, 0, 0],
                );
                // the last frame stays up for 2 s before the loop starts again
                let delay_cs = if idx + 1 == shown.len() {
                    200
                } else {
                    (self.frame_delay_ms / 10).max(2) as u16
                };
                frames.push(&buf, delay_cs)?;
            }
        }
        Ok(Figure::from_gif(out, size, shown.len()))
    }

    /// The figure's title row: the title when there are several panels (one panel carries
    /// it in its own caption), and in a GIF frame the step it shows.
    fn frame_title(&self, upto: Option<usize>) -> String {
        let t = if self.panels.len() <= 1 {
            String::new()
        } else {
            self.title.clone()
        };
        let Some(k) = upto else { return t };
        let steps = self
            .panels
            .iter()
            .map(|p| p.points.len())
            .max()
            .unwrap_or(0);
        let step = format!("step {} / {}", k.saturating_sub(1), steps.saturating_sub(1));
        if t.is_empty() {
            step
        } else {
            format!("{t} — {step}")
        }
    }

    /// Its first panel (or the bare contours) into `area`: the neighbour of a
    /// [`SurfacePlot`](super::SurfacePlot).
    pub(crate) fn draw_single<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), PlotError> {
        let (title, points) = match self.panels.first() {
            Some(p) if self.title.is_empty() => (p.title.clone(), &p.points[..]),
            Some(p) => (format!("{} — {}", self.title, p.title), &p.points[..]),
            None => (self.title.clone(), &[][..]),
        };
        self.draw_panel(area, &title, points, &self.contours(), None)
    }

    #[allow(clippy::too_many_arguments)]
    fn draw_all<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        contours: &Levels,
        upto: Option<usize>,
        title_h: u32,
        rows: usize,
        cols: usize,
    ) -> Result<(), PlotError> {
        root.fill(&WHITE).map_err(draw_err)?;
        let (title_area, body) = root.split_vertically(title_h);
        let single = self.panels.len() <= 1;
        // a GIF frame's title is drawn afterwards into the bitmap (bitmap_text: even spacing)
        if upto.is_none() {
            draw_title(&title_area, &self.frame_title(None), 20)?;
        }
        let cells = body.split_evenly((rows, cols));
        if self.panels.is_empty() {
            return self.draw_panel(&cells[0], &self.title, &[], contours, upto);
        }
        for (p, cell) in self.panels.iter().zip(&cells) {
            let title = if single && !self.title.is_empty() {
                format!("{} — {}", self.title, p.title)
            } else {
                p.title.clone()
            };
            self.draw_panel(cell, &title, &p.points, contours, upto)?;
        }
        Ok(())
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        title: &str,
        points: &[(f64, f64)],
        (levels, bad_grid): &Levels,
        upto: Option<usize>,
    ) -> Result<(), PlotError> {
        let points = &points[..upto.unwrap_or(points.len()).min(points.len())];
        let finite: Vec<(f64, f64)> = points
            .iter()
            .copied()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .collect();
        let skipped = points.len() - finite.len() + bad_grid;
        let title = with_note(title, skipped);
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        let mut chart = ChartBuilder::on(area)
            .caption(&title, (FONT, 18))
            .margin(8)
            .margin_right(16)
            .x_label_area_size(38)
            .y_label_area_size(52)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(5)
            .y_labels(5)
            .axis_style(RGBColor(90, 90, 90))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .x_desc("x")
            .y_desc("y")
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .draw()
            .map_err(draw_err)?;
        // The GIF's frames (`upto` is given) are bitmaps: a 1-pixel contour of a light colour
        // is drawn there as scattered, paler pixels, which read as a faint dotted line; 2
        // pixels read like the SVG's lines.
        let line_w = if upto.is_some() { 2 } else { 1 };
        for (color, lines) in levels {
            for line in lines {
                chart
                    .draw_series(LineSeries::new(
                        line.iter().copied(),
                        color.stroke_width(line_w),
                    ))
                    .map_err(draw_err)?;
            }
        }
        for piece in clip_to(&finite, self.x_range, self.y_range) {
            chart
                .draw_series(LineSeries::new(piece, TRAJ.stroke_width(2)))
                .map_err(draw_err)?;
        }
        let inside = |p: &&(f64, f64)| p.0 >= x0 && p.0 <= x1 && p.1 >= y0 && p.1 <= y1;
        chart
            .draw_series(
                finite
                    .iter()
                    .filter(inside)
                    .map(|&p| Circle::new(p, 3, TRAJ.filled())),
            )
            .map_err(draw_err)?;
        if let Some(m) = self.minimum
            && m.0 >= x0
            && m.0 <= x1
            && m.1 >= y0
            && m.1 <= y1
        {
            draw_minimum(&mut chart, m)?;
        }
        if let Some(start) = finite.first().filter(|p| inside(p)) {
            chart
                .draw_series(std::iter::once(Circle::new(
                    *start,
                    7,
                    BLACK.stroke_width(2),
                )))
                .map_err(draw_err)?;
        }
        Ok(())
    }
}

impl Plot for ContourPlot<'_> {
    /// Draws the figure (SVG).
    fn try_build(&self) -> Result<Figure, PlotError> {
        register_fonts();
        let (rows, cols, panel, title_h) = self.layout();
        let size = (cols as u32 * panel.0, rows as u32 * panel.1 + title_h);
        let contours = self.contours();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
            self.draw_all(&root, &contours, None, title_h, rows, cols)?;
            root.present().map_err(draw_err)?;
        }
        Ok(Figure::from_svg(svg, size))
    }
}

/// The minimum of the function as a black cross (+) at `m`.
pub(crate) fn draw_minimum<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    m: (f64, f64),
) -> Result<(), PlotError> {
    let style = BLACK.stroke_width(2);
    chart
        .draw_series(std::iter::once(
            EmptyElement::at(m)
                + PathElement::new(vec![(-7, 0), (7, 0)], style)
                + PathElement::new(vec![(0, -7), (0, 7)], style),
        ))
        .map_err(draw_err)?;
    Ok(())
}

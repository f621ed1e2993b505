//! Contour plots with optimizer trajectories (SVG, or an animated GIF) and gradient fields.

use super::bitmap_text::{Anchor, Canvas};
use super::line::clip_to;
use super::text_style;
use super::{
    Figure, PlotError, Points, TAB10, clean_range, draw_err, register_fonts, tick, with_note,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;
use std::collections::HashMap;
use std::fmt;

const FONT: &str = "sans-serif";
const TRAJ: RGBColor = RGBColor(0xe4, 0x1a, 0x1c);

/// matplotlib's viridis, linearly interpolated between five of its colours (t in 0..=1).
fn viridis(t: f64) -> RGBColor {
    const C: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let s = t * 4.0;
    let i = (s as usize).min(3);
    let f = s - i as f64;
    let (a, b) = (C[i], C[i + 1]);
    let m = |p: f64, q: f64| (p + (q - p) * f).round() as u8;
    RGBColor(m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

/// A step of 1, 2, 2.5 or 5 × 10^k near `raw`.
fn nice_step(raw: f64) -> f64 {
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let k = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 2.5 {
        2.5
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    k * p
}

/// Default contour levels between `lo` and `hi`: for a bowl (lo ≥ 0, hi/lo large) the
/// 1-2-5 sequence, so rings are spread out in space; otherwise about `n` evenly spaced
/// round numbers.
fn auto_levels(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return Vec::new();
    }
    if lo >= 0.0 && hi > 50.0 * lo.max(1e-300) && hi > 0.0 {
        let mut out = Vec::new();
        let mut p = 10f64.powf((hi.log10() - 4.0).floor());
        while p < hi {
            for m in [1.0, 2.0, 5.0] {
                let v = m * p;
                if v > lo && v < hi {
                    out.push(v);
                }
            }
            p *= 10.0;
        }
        // keep the top `n` levels (the small ones crowd around the minimum)
        let skip = out.len().saturating_sub(n.max(1));
        return out.split_off(skip);
    }
    let step = nice_step((hi - lo) / n.max(1) as f64);
    let mut v = (lo / step).floor() * step + step;
    let mut out = Vec::new();
    while v < hi - 1e-9 * step {
        if v > lo {
            out.push(v);
        }
        v += step;
    }
    out
}

/// Iso-lines of a grid of values by marching squares; polylines in data coordinates.
/// `z[j * nx + i]` is the value at `(xs[i], ys[j])`; cells with a non-finite corner are
/// skipped.
fn iso_lines(xs: &[f64], ys: &[f64], z: &[f64], level: f64) -> Vec<Vec<(f64, f64)>> {
    let nx = xs.len();
    let ny = ys.len();
    // edge key: (j * nx + i) * 2 + dir, dir 0 = horizontal edge (i,j)-(i+1,j), 1 = vertical (i,j)-(i,j+1)
    let mut points: HashMap<usize, (f64, f64)> = HashMap::new();
    let mut segs: Vec<(usize, usize)> = Vec::new();
    let zv = |i: usize, j: usize| z[j * nx + i];
    let mut edge = |i: usize, j: usize, dir: usize| -> usize {
        let key = (j * nx + i) * 2 + dir;
        points.entry(key).or_insert_with(|| {
            let (i2, j2) = if dir == 0 { (i + 1, j) } else { (i, j + 1) };
            let (za, zb) = (zv(i, j), zv(i2, j2));
            let t = if zb != za {
                ((level - za) / (zb - za)).clamp(0.0, 1.0)
            } else {
                0.5
            };
            (xs[i] + t * (xs[i2] - xs[i]), ys[j] + t * (ys[j2] - ys[j]))
        });
        key
    };
    for j in 0..ny.saturating_sub(1) {
        for i in 0..nx.saturating_sub(1) {
            let c = [zv(i, j), zv(i + 1, j), zv(i + 1, j + 1), zv(i, j + 1)];
            if c.iter().any(|v| !v.is_finite()) {
                continue;
            }
            let b: Vec<bool> = c.iter().map(|&v| v > level).collect();
            let bottom = b[0] != b[1];
            let right = b[1] != b[2];
            let top = b[3] != b[2];
            let left = b[0] != b[3];
            let crossed = [bottom, right, top, left].iter().filter(|&&x| x).count();
            if crossed == 0 {
                continue;
            }
            let eb = bottom.then(|| edge(i, j, 0));
            let er = right.then(|| edge(i + 1, j, 1));
            let et = top.then(|| edge(i, j + 1, 0));
            let el = left.then(|| edge(i, j, 1));
            if crossed == 2 {
                let ks: Vec<usize> = [eb, er, et, el].into_iter().flatten().collect();
                segs.push((ks[0], ks[1]));
            } else {
                let (eb, er, et, el) = (
                    eb.expect("crossed"),
                    er.expect("crossed"),
                    et.expect("crossed"),
                    el.expect("crossed"),
                );
                let centre = (c[0] + c[1] + c[2] + c[3]) / 4.0 > level;
                // corners 0 and 2 are on one side, 1 and 3 on the other
                if centre == b[0] {
                    // 0 and 2 joined through the centre: cut off corners 1 and 3
                    segs.push((eb, er));
                    segs.push((et, el));
                } else {
                    segs.push((el, eb));
                    segs.push((er, et));
                }
            }
        }
    }
    // chain segments that share an edge point
    let mut at: HashMap<usize, Vec<usize>> = HashMap::new();
    for (s, &(a, b)) in segs.iter().enumerate() {
        at.entry(a).or_default().push(s);
        at.entry(b).or_default().push(s);
    }
    let mut used = vec![false; segs.len()];
    let mut lines = Vec::new();
    for start in 0..segs.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let mut keys = vec![segs[start].0, segs[start].1];
        for backwards in [false, true] {
            loop {
                let end = if backwards {
                    keys[0]
                } else {
                    keys[keys.len() - 1]
                };
                let next = at[&end].iter().copied().find(|&s| !used[s]);
                let Some(s) = next else { break };
                used[s] = true;
                let other = if segs[s].0 == end {
                    segs[s].1
                } else {
                    segs[s].0
                };
                if backwards {
                    keys.insert(0, other);
                } else {
                    keys.push(other);
                }
            }
        }
        lines.push(keys.iter().map(|k| points[k]).collect());
    }
    lines
}

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
/// use dlfs::plot::ContourPlot;
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

    /// Shows the figure when the builder is the last value of an evcxr cell (no `.build()`
    /// needed there). SVG/PNG/GIF as [`Figure::evcxr_display`].
    pub fn evcxr_display(&self) {
        self.build().evcxr_display()
    }

    /// Draws the figure (SVG). Never panics; on a drawing error returns [`Figure::error`].
    pub fn build(&self) -> Figure {
        self.try_build()
            .unwrap_or_else(|e| Figure::error(&e.to_string()))
    }

    /// Draws the figure (SVG).
    pub fn try_build(&self) -> Result<Figure, PlotError> {
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
            let mut enc = gif::Encoder::new(&mut out, size.0 as u16, size.1 as u16, &palette.rgb)
                .map_err(|e| PlotError::Encode(e.to_string()))?;
            enc.set_repeat(gif::Repeat::Infinite)
                .map_err(|e| PlotError::Encode(e.to_string()))?;
            let mut buf = vec![0u8; size.0 as usize * size.1 as usize * 3];
            let mut prev: Option<Vec<u8>> = None;
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
                // only the part that changed since the previous frame is stored
                let (x0, y0, x1, y1) = match &prev {
                    None => (0, 0, size.0 as usize, size.1 as usize),
                    Some(p) => changed_box(p, &buf, size.0 as usize, size.1 as usize),
                };
                let mut sub = Vec::with_capacity((x1 - x0) * (y1 - y0));
                for y in y0..y1 {
                    let row = (y * size.0 as usize) * 3;
                    sub.extend(
                        buf[row + x0 * 3..row + x1 * 3]
                            .chunks_exact(3)
                            .map(|c| palette.index(c)),
                    );
                }
                let mut frame = gif::Frame {
                    width: (x1 - x0) as u16,
                    height: (y1 - y0) as u16,
                    buffer: std::borrow::Cow::Owned(sub),
                    ..gif::Frame::default()
                };
                frame.left = x0 as u16;
                frame.top = y0 as u16;
                frame.dispose = gif::DisposalMethod::Keep;
                prev = Some(buf.clone());
                let last = idx + 1 == shown.len();
                frame.delay = if last {
                    200
                } else {
                    (self.frame_delay_ms / 10).max(2)
                } as u16;
                enc.write_frame(&frame)
                    .map_err(|e| PlotError::Encode(e.to_string()))?;
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
        if title_h > 0 && upto.is_none() {
            let (w, _) = title_area.dim_in_pixel();
            title_area
                .draw(&Text::new(
                    self.frame_title(None),
                    (w as i32 / 2, title_h as i32 / 2 + 2),
                    text_style(20, HPos::Center),
                ))
                .map_err(draw_err)?;
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

/// A fixed 256-colour GIF palette: the figure's own colours exactly (white, black, the
/// trajectory red, contour colours), 24 greys for anti-aliased text, and a 6×6×6 colour
/// cube for the rest. Mapping a pixel is arithmetic, so it stays fast in unoptimised
/// notebook builds (a learned palette took seconds per frame there).
struct Palette256 {
    rgb: Vec<u8>,
    exact: Vec<([u8; 3], u8)>,
}

impl Palette256 {
    const CUBE: usize = 216;
    const GREYS: usize = 24;

    fn new(colors: impl IntoIterator<Item = RGBColor>) -> Self {
        let mut rgb = Vec::with_capacity(256 * 3);
        for r in 0..6u8 {
            for g in 0..6u8 {
                for b in 0..6u8 {
                    rgb.extend([r * 51, g * 51, b * 51]);
                }
            }
        }
        for k in 0..Self::GREYS {
            let v = ((k as f64 + 0.5) * 255.0 / Self::GREYS as f64).round() as u8;
            rgb.extend([v, v, v]);
        }
        let mut exact = Vec::new();
        for c in colors {
            let n = rgb.len() / 3;
            if n >= 256 {
                break;
            }
            let px = [c.0, c.1, c.2];
            if !exact.iter().any(|e: &([u8; 3], u8)| e.0 == px) {
                rgb.extend(px);
                exact.push((px, n as u8));
            }
        }
        rgb.resize(256 * 3, 0);
        Palette256 { rgb, exact }
    }

    fn index(&self, c: &[u8]) -> u8 {
        let px = [c[0], c[1], c[2]];
        if let Some(e) = self.exact.iter().find(|e| e.0 == px) {
            return e.1;
        }
        let (r, g, b) = (c[0] as i32, c[1] as i32, c[2] as i32);
        let spread = r.max(g).max(b) - r.min(g).min(b);
        if spread < 12 {
            let v = (r + g + b) / 3;
            let k = (v * Self::GREYS as i32 / 256).clamp(0, Self::GREYS as i32 - 1);
            return (Self::CUBE as i32 + k) as u8;
        }
        let q = |v: i32| ((v + 25) / 51).clamp(0, 5);
        (q(r) * 36 + q(g) * 6 + q(b)) as u8
    }
}

/// Bounding box `(x0, y0, x1, y1)` (exclusive ends) of the pixels that differ between two
/// RGB frames; a 1×1 box when nothing changed.
fn changed_box(a: &[u8], b: &[u8], w: usize, h: usize) -> (usize, usize, usize, usize) {
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for y in 0..h {
        for x in 0..w {
            let k = (y * w + x) * 3;
            if a[k..k + 3] != b[k..k + 3] {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x + 1);
                y1 = y1.max(y + 1);
            }
        }
    }
    if x1 == 0 {
        (0, 0, 1, 1)
    } else {
        (x0, y0, x1, y1)
    }
}

/// Arrows of −∇f on a grid (6.1.3), like matplotlib's `quiver`.
///
/// ```
/// use dlfs::plot::GradientField;
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
    /// Shows the figure when the builder is the last value of an evcxr cell (no `.build()`
    /// needed there). SVG/PNG/GIF as [`Figure::evcxr_display`].
    pub fn evcxr_display(&self) {
        self.build().evcxr_display()
    }

    /// Draws the field (SVG). Never panics; on a drawing error returns [`Figure::error`].
    pub fn build(&self) -> Figure {
        self.try_build()
            .unwrap_or_else(|e| Figure::error(&e.to_string()))
    }
    /// Draws the field (SVG).
    pub fn try_build(&self) -> Result<Figure, PlotError> {
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

/// The minimum of the function as a black cross (+) at `m`.
fn draw_minimum<DB: DrawingBackend>(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circle_iso_line_is_one_closed_ring_at_the_right_radius() {
        let n = 41;
        let xs: Vec<f64> = (0..n)
            .map(|i| -2.0 + 4.0 * i as f64 / (n - 1) as f64)
            .collect();
        let ys = xs.clone();
        let mut z = Vec::new();
        for &y in &ys {
            for &x in &xs {
                z.push(x * x + y * y);
            }
        }
        let lines = iso_lines(&xs, &ys, &z, 1.0);
        assert_eq!(lines.len(), 1);
        let ring = &lines[0];
        assert_eq!(ring.first(), ring.last(), "closed");
        for &(x, y) in ring {
            let r = x.hypot(y);
            assert!((r - 1.0).abs() < 0.01, "radius {r}");
        }
    }

    #[test]
    fn bowl_levels_are_125_sequence() {
        let close = |a: &[f64], b: &[f64]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| (x - y).abs() < 1e-9 * (1.0 + y.abs()))
        };
        let bowl = auto_levels(0.0, 30.0, 7);
        assert!(
            close(&bowl, &[0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0]),
            "{bowl:?}"
        );
        let lin = auto_levels(-1.0, 1.0, 4);
        assert!(close(&lin, &[-0.5, 0.0, 0.5]), "{lin:?}");
    }
}

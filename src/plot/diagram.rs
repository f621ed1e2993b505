//! Arrays drawn as grids of numbered cells, with coloured windows and operator symbols
//! between them (7.2–7.4: convolution, padding, stride, pooling, im2col).

use super::graph::{esc, svg_start};
use super::{Figure, Plot, PlotError, TAB10};
use ndarray::{Array2, ArrayRef, Ix2};
use std::fmt::Write as _;

#[derive(Clone, Debug)]
struct Mark {
    at: (usize, usize),
    size: (usize, usize),
    color: usize,
    fill: bool,
}

#[derive(Clone, Debug)]
struct Grid {
    label: String,
    values: Array2<f64>,
    pad: usize,
    marks: Vec<Mark>,
    bold: Vec<(usize, usize)>,
}

impl Grid {
    /// Rows and columns as drawn (padding included).
    fn dim(&self) -> (usize, usize) {
        let (r, c) = self.values.dim();
        (r + 2 * self.pad, c + 2 * self.pad)
    }
    /// The value drawn at (i, j) of the padded grid, and whether it is padding.
    fn cell(&self, i: usize, j: usize) -> (f64, bool) {
        let p = self.pad;
        let (r, c) = self.values.dim();
        if i < p || j < p || i >= r + p || j >= c + p {
            (0.0, true)
        } else {
            (self.values[[i - p, j - p]], false)
        }
    }
}

/// Colour `k` of matplotlib's tab10 as "#RRGGBB".
fn hex(k: usize) -> String {
    let c = TAB10[k % TAB10.len()];
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// An SVG rectangle (x, y, width, height) with `style` attributes.
fn rect(s: &mut String, (x, y, w, h): (f64, f64, f64, f64), style: &str) {
    let _ = writeln!(
        s,
        r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" {style}/>"#
    );
}

#[derive(Clone, Debug)]
enum Item {
    Array(Grid),
    Op(String),
}

/// Arrays as grids of numbered cells, in rows, with operator symbols between them: the
/// book's figures 7-3 to 7-14 (and what [`ConvDiagram`](super::ConvDiagram),
/// [`PoolDiagram`](super::PoolDiagram) and [`Im2colDiagram`](super::Im2colDiagram) build).
///
/// [`array`](Self::array) adds an array; [`pad`](Self::pad), [`window`](Self::window),
/// [`outline`](Self::outline) and [`bold`](Self::bold) change the array added last.
/// Window positions count rows and columns of the array as drawn, padding included.
///
/// ```
/// use dlfs::ndarray::array;
/// use dlfs::plot::{ArrayDiagram, Plot};
/// let fig = ArrayDiagram::new("a window and its sum")
///     .array("x", &array![[1.0, 2.0], [3.0, 4.0]])
///     .window(0, 0, (1, 2), 0)
///     .op("→")
///     .array("sum of row 0", &array![[3.0]])
///     .window(0, 0, (1, 1), 0)
///     .build();
/// let svg = fig.svg().unwrap();
/// assert!(svg.contains(">4</text>") && svg.contains(">3</text>"));
/// ```
/// Whole numbers are drawn without decimals, others with up to 2 (see
/// [`decimals`](Self::decimals)); NaN leaves a cell empty. A window that does not lie
/// inside its array is refused with a message.
#[derive(Clone, Debug)]
pub struct ArrayDiagram {
    title: String,
    rows: Vec<Vec<Item>>,
    cell: f64,
    decimals: usize,
    error: Option<String>,
}

impl ArrayDiagram {
    /// An empty diagram.
    pub fn new(title: &str) -> Self {
        ArrayDiagram {
            title: title.to_string(),
            rows: vec![Vec::new()],
            cell: 36.0,
            decimals: 2,
            error: None,
        }
    }
    /// Adds an array, `label` written under it.
    pub fn array(mut self, label: &str, values: &ArrayRef<f64, Ix2>) -> Self {
        self.push(Item::Array(Grid {
            label: label.to_string(),
            values: values.to_owned(),
            pad: 0,
            marks: Vec::new(),
            bold: Vec::new(),
        }));
        self
    }
    /// Adds an operator or arrow between arrays: "⊛", "+", "→", "=".
    pub fn op(mut self, symbol: &str) -> Self {
        self.push(Item::Op(symbol.to_string()));
        self
    }
    /// Starts a new row of arrays below the current one.
    pub fn next_row(mut self) -> Self {
        self.rows.push(Vec::new());
        self
    }
    /// Draws `p` rings of zeros around the last array, in grey: padding (7.2.3).
    pub fn pad(mut self, p: usize) -> Self {
        if let Some(g) = self.last("pad") {
            g.pad = p;
        }
        self
    }
    /// Fills the `(h, w)` window whose top-left cell is (`row`, `col`) in the last array
    /// with colour `color` (matplotlib's tab10, 0 = blue) and outlines it.
    pub fn window(self, row: usize, col: usize, size: (usize, usize), color: usize) -> Self {
        let (at, fill) = ((row, col), true);
        self.mark(Mark {
            at,
            size,
            color,
            fill,
        })
    }
    /// Outlines the window only, a little inside the previous outlines of the same array,
    /// so overlapping windows stay apart (7.2.4 stride).
    pub fn outline(self, row: usize, col: usize, size: (usize, usize), color: usize) -> Self {
        let (at, fill) = ((row, col), false);
        self.mark(Mark {
            at,
            size,
            color,
            fill,
        })
    }
    /// Writes the number at (`row`, `col`) of the last array in bold (the max of a pool).
    pub fn bold(mut self, row: usize, col: usize) -> Self {
        if let Some(g) = self.last("bold") {
            g.bold.push((row, col));
        }
        self
    }
    /// Side of a cell in pixels (default 36; wider numbers widen the cells).
    pub fn cell_size(mut self, px: f64) -> Self {
        if px.is_finite() {
            self.cell = px.clamp(16.0, 120.0);
        }
        self
    }
    /// Most decimals drawn for numbers that are not whole (default 2).
    pub fn decimals(mut self, n: usize) -> Self {
        self.decimals = n.min(6);
        self
    }

    fn push(&mut self, item: Item) {
        if let Some(row) = self.rows.last_mut() {
            row.push(item);
        }
    }
    fn last(&mut self, what: &str) -> Option<&mut Grid> {
        let g = self.rows.last_mut().and_then(|r| r.last_mut());
        match g {
            Some(Item::Array(g)) => Some(g),
            _ => {
                self.error.get_or_insert(format!(
                    "ArrayDiagram: .{what}() changes the array added last, but the last item \
                     is not an array: call .array(…) first"
                ));
                None
            }
        }
    }
    fn mark(mut self, m: Mark) -> Self {
        if let Some(g) = self.last(if m.fill { "window" } else { "outline" }) {
            g.marks.push(m);
        }
        self
    }

    fn number(&self, v: f64) -> String {
        if v.is_nan() {
            String::new()
        } else if v == v.round() && v.abs() < 1e15 {
            format!("{v:.0}")
        } else {
            let s = format!("{v:.*}", self.decimals);
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    }

    /// Width and height of an item in pixels (arrays without their label).
    fn extent(&self, item: &Item) -> (f64, f64) {
        match item {
            Item::Array(g) => {
                let (r, c) = g.dim();
                (c as f64 * self.cell_w(g), r as f64 * self.cell)
            }
            Item::Op(s) => ((s.chars().count() as f64 * 13.0 + 24.0).max(44.0), 30.0),
        }
    }
    fn cell_w(&self, g: &Grid) -> f64 {
        let widest = g
            .values
            .iter()
            .map(|&v| self.number(v).chars().count())
            .max()
            .unwrap_or(1);
        self.cell.max(widest as f64 * 9.5 + 14.0)
    }

    fn check(&self) -> Result<(), PlotError> {
        if let Some(e) = &self.error {
            return Err(PlotError::Input(e.clone()));
        }
        for g in self.rows.iter().flatten().filter_map(|i| match i {
            Item::Array(g) => Some(g),
            Item::Op(_) => None,
        }) {
            let (r, c) = g.dim();
            for m in &g.marks {
                if m.size.0 == 0 || m.size.1 == 0 || m.at.0 + m.size.0 > r || m.at.1 + m.size.1 > c
                {
                    return Err(PlotError::Input(format!(
                        "ArrayDiagram: the window at ({}, {}) of size {:?} does not lie inside \
                         the array \"{}\" drawn as {r}×{c} (padding included): give a non-empty \
                         window whose rows and columns stay below {r} and {c}",
                        m.at.0, m.at.1, m.size, g.label
                    )));
                }
            }
        }
        Ok(())
    }

    fn draw_grid(&self, s: &mut String, g: &Grid, x0: f64, y0: f64) {
        let (c, cw) = (self.cell, self.cell_w(g));
        let (rows, cols) = g.dim();
        let (w, h) = (cols as f64 * cw, rows as f64 * c);
        let _ = writeln!(s, r#"<g data-array="{}">"#, esc(&g.label));
        for i in 0..rows {
            for j in 0..cols {
                let (_, padding) = g.cell(i, j);
                let (fill, stroke, dash) = if padding {
                    ("#EEEEEE", "#9A9A9A", r#" stroke-dasharray="3,2""#)
                } else {
                    ("#FFFFFF", "#000000", "")
                };
                let at = (x0 + j as f64 * cw, y0 + i as f64 * c, cw, c);
                let style = format!(r#"fill="{fill}" stroke="{stroke}" stroke-width="1"{dash}"#);
                rect(s, at, &style);
            }
        }
        for m in g.marks.iter().filter(|m| m.fill) {
            let (x, y) = (x0 + m.at.1 as f64 * cw, y0 + m.at.0 as f64 * c);
            let (w, h) = (m.size.1 as f64 * cw, m.size.0 as f64 * c);
            let style = format!(r#"fill="{}" fill-opacity="0.28""#, hex(m.color));
            rect(s, (x, y, w, h), &style);
        }
        // the array's own border over the padding's dashed lines
        let p = g.pad as f64;
        let inner = (x0 + p * cw, y0 + p * c, w - 2.0 * p * cw, h - 2.0 * p * c);
        rect(
            s,
            inner,
            r##"fill="none" stroke="#000000" stroke-width="1.6""##,
        );
        for i in 0..rows {
            for j in 0..cols {
                let (v, padding) = g.cell(i, j);
                let color = if padding { "#707070" } else { "#000000" };
                let weight = if g.bold.contains(&(i, j)) {
                    r#" font-weight="bold""#
                } else {
                    ""
                };
                let _ = writeln!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-family="sans-serif" font-size="16" fill="{color}"{weight}>{}</text>"#,
                    x0 + (j as f64 + 0.5) * cw,
                    y0 + (i as f64 + 0.5) * c + 5.5,
                    self.number(v)
                );
            }
        }
        let mut outlines = 0.0f64;
        for m in &g.marks {
            let inset = if m.fill {
                1.5
            } else {
                outlines += 1.0;
                (1.5 + 2.5 * (outlines - 1.0)).min(c / 4.0)
            };
            let (x, y) = (
                x0 + m.at.1 as f64 * cw + inset,
                y0 + m.at.0 as f64 * c + inset,
            );
            let (w, h) = (m.size.1 as f64 * cw, m.size.0 as f64 * c);
            let style = format!(r#"fill="none" stroke="{}" stroke-width="3""#, hex(m.color));
            rect(s, (x, y, w - 2.0 * inset, h - 2.0 * inset), &style);
        }
        if !g.label.is_empty() {
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-family="sans-serif" font-size="14" fill="#333333">{}</text>"##,
                x0 + w / 2.0,
                y0 + h + 20.0,
                esc(&g.label)
            );
        }
        s.push_str("</g>\n");
    }
}

impl Plot for ArrayDiagram {
    /// Draws the diagram (SVG), or says which window does not fit.
    fn try_build(&self) -> Result<Figure, PlotError> {
        self.check()?;
        let (margin, gap, label_h) = (20.0, 14.0, 30.0);
        let head = if self.title.is_empty() { 10.0 } else { 44.0 };
        let rows: Vec<&Vec<Item>> = self.rows.iter().filter(|r| !r.is_empty()).collect();
        let sizes: Vec<(f64, f64)> = rows
            .iter()
            .map(|r| {
                let w = r.iter().map(|i| self.extent(i).0).sum::<f64>()
                    + gap * (r.len().saturating_sub(1)) as f64;
                let h = r.iter().map(|i| self.extent(i).1).fold(0.0, f64::max);
                (w, h)
            })
            .collect();
        let title_w = self.title.chars().count() as f64 * 10.5;
        let width = (2.0 * margin + sizes.iter().map(|s| s.0).fold(title_w, f64::max)).ceil();
        let height = (head + sizes.iter().map(|s| s.1 + label_h + gap).sum::<f64>()).ceil();
        let mut s = svg_start(width, height, &self.title);
        let mut y = head;
        for (row, (row_w, row_h)) in rows.iter().zip(&sizes) {
            let mut x = (width - row_w) / 2.0;
            let mid = y + row_h / 2.0;
            for item in row.iter() {
                let (w, h) = self.extent(item);
                match item {
                    Item::Array(g) => self.draw_grid(&mut s, g, x, mid - h / 2.0),
                    Item::Op(sym) => {
                        let _ = writeln!(
                            s,
                            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-family="sans-serif" font-size="24" fill="#000000">{}</text>"##,
                            x + w / 2.0,
                            mid + 8.0,
                            esc(sym)
                        );
                    }
                }
                x += w + gap;
            }
            y += row_h + label_h + gap;
        }
        s.push_str("</svg>\n");
        Ok(Figure::from_svg(s, (width as u32, height as u32)))
    }
}

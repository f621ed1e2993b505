//! Computational graphs (5.1–5.3): operation nodes as circles, forward values above the
//! edges, backward values below in red.

use super::{Figure, Plot, PlotError};
use std::fmt::Write as _;

#[derive(Clone, Debug)]
struct Node {
    id: String,
    label: String,
    pos: (f64, f64),
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// a circle with a symbol
    Op,
    /// plain text
    Value,
    /// a box spanning this many grid rows (a layer such as Softmax)
    Block(f64),
}

#[derive(Clone, Debug)]
struct Edge {
    from: String,
    to: String,
    forward: String,
    backward: String,
}

/// A computational graph laid out on a grid you choose (columns left to right, rows top
/// to bottom), drawn as SVG.
///
/// ```
/// use dlfs::plot::{CompGraph, Plot};
/// // the apple example: 100 yen × 2 apples × 1.1 tax = 220
/// let fig = CompGraph::new("apple")
///     .value("apple", "apple", (0.0, 0.0))
///     .value("n", "count", (1.0, 1.0))
///     .op("mul1", "×", (1.0, 0.0))
///     .value("tax", "tax", (2.0, 1.0))
///     .op("mul2", "×", (2.0, 0.0))
///     .value("out", "price", (3.0, 0.0))
///     .edge("apple", "mul1", "100", "2.2")
///     .edge("n", "mul1", "2", "110")
///     .edge("mul1", "mul2", "200", "1.1")
///     .edge("tax", "mul2", "1.1", "200")
///     .edge("mul2", "out", "220", "1")
///     .build();
/// assert!(fig.svg().unwrap().contains("220"));
/// ```
/// An edge whose node id is unknown is left out and noted in the title.
#[derive(Clone, Debug)]
pub struct CompGraph {
    title: String,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    unit: (f64, f64),
}

/// The opening of a hand-drawn SVG figure: the `<svg>` element, a white background and
/// `title` centred at the top (nothing if empty).
pub(crate) fn svg_start(width: f64, height: f64, title: &str) -> String {
    let mut s = format!(
        "<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         xmlns=\"http://www.w3.org/2000/svg\">\n\
         <rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#FFFFFF\"/>\n"
    );
    if !title.is_empty() {
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="28" text-anchor="middle" font-family="sans-serif" font-size="18" fill="#000000">{}</text>"##,
            width / 2.0,
            esc(title)
        );
    }
    s
}

/// Text escaped for SVG.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl CompGraph {
    /// An empty graph.
    pub fn new(title: &str) -> Self {
        CompGraph {
            title: title.to_string(),
            nodes: Vec::new(),
            edges: Vec::new(),
            unit: (150.0, 120.0),
        }
    }
    /// An operation node, drawn as a circle with `symbol` (e.g. "×", "+") inside.
    pub fn op(mut self, id: &str, symbol: &str, (col, row): (f64, f64)) -> Self {
        self.nodes.push(Node {
            id: id.to_string(),
            label: symbol.to_string(),
            pos: (col, row),
            kind: Kind::Op,
        });
        self
    }
    /// A value node (an input or output name), drawn as plain text.
    pub fn value(mut self, id: &str, label: &str, (col, row): (f64, f64)) -> Self {
        self.nodes.push(Node {
            id: id.to_string(),
            label: label.to_string(),
            pos: (col, row),
            kind: Kind::Value,
        });
        self
    }
    /// A layer drawn as a box (5.6.3 "Softmax", "Cross Entropy Error"), centred at
    /// (`col`, `row`) and `rows` grid rows tall: arrows from nodes beside it meet it
    /// horizontally. Its width follows the label.
    pub fn block(mut self, id: &str, label: &str, (col, row): (f64, f64), rows: f64) -> Self {
        self.nodes.push(Node {
            id: id.to_string(),
            label: label.to_string(),
            pos: (col, row),
            kind: Kind::Block(if rows.is_finite() { rows.max(0.0) } else { 0.0 }),
        });
        self
    }
    /// An arrow from `from` to `to` with the forward value above it and the backward value
    /// (empty for none) below it in red.
    pub fn edge(mut self, from: &str, to: &str, forward: &str, backward: &str) -> Self {
        self.edges.push(Edge {
            from: from.to_string(),
            to: to.to_string(),
            forward: forward.to_string(),
            backward: backward.to_string(),
        });
        self
    }
    /// Pixels per grid column and row (default 150 × 120).
    pub fn unit(mut self, dx: f64, dy: f64) -> Self {
        self.unit = (dx.max(20.0), dy.max(20.0));
        self
    }
}

/// Half width and half height of the box around a value's text or a block (`row_px`: the
/// pixels of one grid row); operations are circles of radius 22.
fn half_size(n: &Node, row_px: f64) -> (f64, f64) {
    let chars = n.label.chars().count() as f64;
    match n.kind {
        Kind::Op => (22.0, 22.0),
        Kind::Value => (chars * 4.6 + 8.0, 14.0),
        Kind::Block(rows) => (
            (chars * 4.9 + 14.0).max(30.0),
            (((rows - 1.0).max(0.0) / 2.0 + 0.3) * row_px).max(20.0),
        ),
    }
}

impl Plot for CompGraph {
    /// Draws the graph (SVG). Currently cannot fail; the `Result` matches the other builders.
    fn try_build(&self) -> Result<Figure, PlotError> {
        let margin = (60.0, 30.0);
        let head = if self.title.is_empty() { 0.0 } else { 36.0 };
        let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
        let max_c = self
            .nodes
            .iter()
            .map(|n| finite(n.pos.0))
            .fold(0.0, f64::max);
        let max_r = self
            .nodes
            .iter()
            .map(|n| finite(n.pos.1))
            .fold(0.0, f64::max);
        let px = |n: &Node| {
            (
                margin.0 + finite(n.pos.0) * self.unit.0,
                head + margin.1 + 20.0 + finite(n.pos.1) * self.unit.1,
            )
        };
        // a wide block or value label at the right edge widens the figure
        let right = self
            .nodes
            .iter()
            .map(|n| px(n).0 + half_size(n, self.unit.1).0 + 12.0)
            .fold(2.0 * margin.0 + max_c * self.unit.0, f64::max);
        let width = right.ceil() as u32;
        let height = (head + 2.0 * margin.1 + 40.0 + max_r * self.unit.1).ceil() as u32;
        // distance from a node's centre to its outline along the unit direction (ux, uy):
        // a circle for operations, a box around the text for values and blocks
        let radius = |n: &Node, ux: f64, uy: f64| {
            if n.kind == Kind::Op {
                22.0
            } else {
                let (half_w, half_h) = half_size(n, self.unit.1);
                let tx = if ux.abs() > 1e-9 {
                    half_w / ux.abs()
                } else {
                    f64::INFINITY
                };
                let ty = if uy.abs() > 1e-9 {
                    half_h / uy.abs()
                } else {
                    f64::INFINITY
                };
                tx.min(ty)
            }
        };
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">"#
        );
        let _ = writeln!(
            s,
            r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333333"/></marker><marker id="arrow-red" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#D62728"/></marker></defs>"##
        );
        let _ = writeln!(
            s,
            r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#FFFFFF"/>"##
        );
        let mut missing = 0;
        for e in &self.edges {
            let (Some(a), Some(b)) = (
                self.nodes.iter().find(|n| n.id == e.from),
                self.nodes.iter().find(|n| n.id == e.to),
            ) else {
                missing += 1;
                continue;
            };
            let (mut pa, mut pb) = (px(a), px(b));
            // an arrow into or out of a block from a node beside it runs horizontally
            if let Kind::Block(_) = b.kind
                && (pa.1 - pb.1).abs() < half_size(b, self.unit.1).1
            {
                pb.1 = pa.1;
            } else if let Kind::Block(_) = a.kind
                && (pb.1 - pa.1).abs() < half_size(a, self.unit.1).1
            {
                pa.1 = pb.1;
            }
            let (dx, dy) = (pb.0 - pa.0, pb.1 - pa.1);
            let len = dx.hypot(dy);
            if len < 1e-9 {
                continue;
            }
            let (ux, uy) = (dx / len, dy / len);
            // normal pointing "up" on screen (or left for vertical edges)
            let (mut nx, mut ny) = (uy, -ux);
            if ny > 0.0 || (ny == 0.0 && nx > 0.0) {
                nx = -nx;
                ny = -ny;
            }
            let (ra, rb) = (radius(a, ux, uy) + 4.0, radius(b, ux, uy) + 6.0);
            let start = (pa.0 + ux * ra, pa.1 + uy * ra);
            let end = (pb.0 - ux * rb, pb.1 - uy * rb);
            let _ = writeln!(
                s,
                r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333333" stroke-width="1.6" marker-end="url(#arrow)"/>"##,
                start.0, start.1, end.0, end.1
            );
            let mid = ((start.0 + end.0) / 2.0, (start.1 + end.1) / 2.0);
            // mostly vertical edges: labels beside the line (forward left, backward right)
            let vertical = uy.abs() > ux.abs();
            let (fwd_anchor, bwd_anchor) = if vertical {
                ("end", "start")
            } else {
                ("middle", "middle")
            };
            if !e.forward.is_empty() {
                let (fx, fy) = if vertical {
                    (mid.0 + nx * 8.0, mid.1 + 5.0)
                } else {
                    (mid.0 + nx * 9.0, mid.1 + ny * 9.0)
                };
                let _ = writeln!(
                    s,
                    r##"<text x="{fx:.1}" y="{fy:.1}" text-anchor="{fwd_anchor}" font-family="sans-serif" font-size="15" fill="#000000">{}</text>"##,
                    esc(&e.forward)
                );
            }
            if !e.backward.is_empty() {
                // a short red arrow going back, beside the edge, and the value next to it
                let off = if vertical { 9.0 } else { 11.0 };
                let half = ((len - ra - rb) * 0.3).max(6.0);
                let b0 = (mid.0 - nx * off + ux * half, mid.1 - ny * off + uy * half);
                let b1 = (mid.0 - nx * off - ux * half, mid.1 - ny * off - uy * half);
                let _ = writeln!(
                    s,
                    r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#D62728" stroke-width="1.6" marker-end="url(#arrow-red)"/>"##,
                    b0.0, b0.1, b1.0, b1.1
                );
                let (bx, by) = if vertical {
                    (mid.0 - nx * (off + 7.0), mid.1 + 5.0)
                } else {
                    (mid.0 - nx * (off + 17.0), mid.1 - ny * (off + 17.0) + 5.0)
                };
                let _ = writeln!(
                    s,
                    r##"<text x="{bx:.1}" y="{by:.1}" text-anchor="{bwd_anchor}" font-family="sans-serif" font-size="15" fill="#D62728">{}</text>"##,
                    esc(&e.backward)
                );
            }
        }
        for n in &self.nodes {
            let (x, y) = px(n);
            if n.kind == Kind::Op {
                // symbols in large type; words ("exp", "dot") smaller so they fit the circle
                let (size, dy) = match n.label.chars().count() {
                    0..=2 => (22, 7.5),
                    3 => (16, 5.5),
                    _ => (12, 4.0),
                };
                let _ = writeln!(
                    s,
                    r##"<circle cx="{x:.1}" cy="{y:.1}" r="22" fill="#FFFFFF" stroke="#333333" stroke-width="1.8"/>"##
                );
                let _ = writeln!(
                    s,
                    r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-family="sans-serif" font-size="{size}" fill="#000000">{}</text>"##,
                    y + dy,
                    esc(&n.label)
                );
            } else if let Kind::Block(_) = n.kind {
                let (hw, hh) = half_size(n, self.unit.1);
                let _ = writeln!(
                    s,
                    r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="5" fill="#F3F3F3" stroke="#333333" stroke-width="1.8"/>"##,
                    x - hw,
                    y - hh,
                    2.0 * hw,
                    2.0 * hh
                );
                let _ = writeln!(
                    s,
                    r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-family="sans-serif" font-size="16" fill="#000000">{}</text>"##,
                    y + 5.5,
                    esc(&n.label)
                );
            } else {
                let _ = writeln!(
                    s,
                    r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-family="sans-serif" font-size="15" fill="#000000">{}</text>"##,
                    y + 5.0,
                    esc(&n.label)
                );
            }
        }
        if head > 0.0 || missing > 0 {
            let mut t = self.title.clone();
            if missing > 0 {
                t = format!("{t} ({missing} edge(s) with unknown nodes left out)");
            }
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="26" text-anchor="middle" font-family="sans-serif" font-size="17" fill="#000000">{}</text>"##,
                width as f64 / 2.0,
                esc(t.trim())
            );
        }
        s.push_str("</svg>\n");
        Ok(Figure::from_svg(s, (width, height)))
    }
}

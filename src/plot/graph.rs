//! Computational graphs (5.1–5.3): operation nodes as circles, forward values above the
//! edges, backward values below in red.

use super::{Figure, Plot, PlotError};
use std::fmt::Write as _;

#[derive(Clone, Debug)]
struct Node {
    id: String,
    label: String,
    pos: (f64, f64),
    op: bool,
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

fn esc(s: &str) -> String {
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
            op: true,
        });
        self
    }
    /// A value node (an input or output name), drawn as plain text.
    pub fn value(mut self, id: &str, label: &str, (col, row): (f64, f64)) -> Self {
        self.nodes.push(Node {
            id: id.to_string(),
            label: label.to_string(),
            pos: (col, row),
            op: false,
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
        let width = (2.0 * margin.0 + max_c * self.unit.0).ceil() as u32;
        let height = (head + 2.0 * margin.1 + 40.0 + max_r * self.unit.1).ceil() as u32;
        // distance from a node's centre to its outline along the unit direction (ux, uy):
        // a circle for operations, a box around the text for values
        let radius = |n: &Node, ux: f64, uy: f64| {
            if n.op {
                22.0
            } else {
                let half_w = n.label.chars().count() as f64 * 4.6 + 8.0;
                let half_h = 14.0;
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
            let (pa, pb) = (px(a), px(b));
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
            if n.op {
                let _ = writeln!(
                    s,
                    r##"<circle cx="{x:.1}" cy="{y:.1}" r="22" fill="#FFFFFF" stroke="#333333" stroke-width="1.8"/>"##
                );
                let _ = writeln!(
                    s,
                    r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-family="sans-serif" font-size="22" fill="#000000">{}</text>"##,
                    y + 7.5,
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

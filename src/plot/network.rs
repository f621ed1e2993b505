//! A network drawn as a row of layer boxes with the data's shape on the arrows between
//! them (5.7 TwoLayerNet, 7.5 SimpleConvNet).

use super::graph::{esc, svg_start};
use super::{Figure, Plot, PlotError};
use std::fmt::Write as _;

#[derive(Clone, Debug)]
struct Layer {
    name: String,
    detail: String,
}

/// Layers as boxes in a row, left to right, joined by arrows that carry the data's shape.
///
/// [`input`](Self::input) is the shape going into the first layer; [`shape`](Self::shape)
/// labels the arrow after the layer added last.
///
/// ```
/// use dlfs::plot::{LayerDiagram, Plot};
/// let fig = LayerDiagram::new("TwoLayerNet")
///     .input("(N,784)")
///     .layer("Affine", "W1 (784,50)")
///     .shape("(N,50)")
///     .layer("ReLU", "")
///     .layer("Affine", "W2 (50,10)")
///     .shape("(N,10)")
///     .layer("SoftmaxWithLoss", "")
///     .build();
/// let svg = fig.svg().unwrap();
/// assert!(svg.contains("SoftmaxWithLoss") && svg.contains("(N,50)"));
/// ```
/// Boxes are tinted by kind (Convolution, Pooling, Affine, activations, the last layer);
/// a diagram without layers is refused with a message.
#[derive(Clone, Debug)]
pub struct LayerDiagram {
    title: String,
    input: String,
    layers: Vec<Layer>,
    /// the label of the arrow after layer k
    shapes: Vec<String>,
}

impl LayerDiagram {
    /// An empty diagram.
    pub fn new(title: &str) -> Self {
        LayerDiagram {
            title: title.to_string(),
            input: String::new(),
            layers: Vec::new(),
            shapes: Vec::new(),
        }
    }
    /// The shape of the input, on an arrow into the first layer: "(N,1,28,28)".
    pub fn input(mut self, shape: &str) -> Self {
        self.input = shape.to_string();
        self
    }
    /// Adds a layer box: its name and a detail under it ("30×5×5", "" for none).
    pub fn layer(mut self, name: &str, detail: &str) -> Self {
        self.layers.push(Layer {
            name: name.to_string(),
            detail: detail.to_string(),
        });
        self.shapes.push(String::new());
        self
    }
    /// The shape of the data leaving the layer added last (written on the arrow after it;
    /// after the last layer, on an arrow out of the network). Before any layer: as
    /// [`input`](Self::input).
    pub fn shape(mut self, shape: &str) -> Self {
        match self.shapes.last_mut() {
            Some(s) => *s = shape.to_string(),
            None => self.input = shape.to_string(),
        }
        self
    }
}

/// Text width in pixels of `s` at `size` (sans-serif, about 0.58 em a letter).
fn text_w(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.58
}

/// Fill of a layer box by the kind its name says.
fn tint(name: &str) -> &'static str {
    let n = name.to_lowercase();
    if n.starts_with("conv") {
        "#FDE3C8"
    } else if n.contains("pool") {
        "#D5EBD0"
    } else if n.starts_with("affine") || n.starts_with("dense") {
        "#CFE2F3"
    } else if n.contains("softmax") || n.contains("loss") {
        "#FFF0B8"
    } else {
        "#EFEFEF"
    }
}

impl Plot for LayerDiagram {
    /// Draws the diagram (SVG), or says it has no layers.
    fn try_build(&self) -> Result<Figure, PlotError> {
        if self.layers.is_empty() {
            return Err(PlotError::Input(
                "LayerDiagram: no layers to draw: add them with .layer(name, detail)".into(),
            ));
        }
        let (margin, box_h, label) = (20.0, 58.0, 13.0);
        let head = if self.title.is_empty() { 12.0 } else { 46.0 };
        let arrow = |s: &str| {
            if s.is_empty() {
                34.0
            } else {
                (text_w(s, label) + 18.0).max(50.0)
            }
        };
        let box_w =
            |l: &Layer| (text_w(&l.name, 16.0).max(text_w(&l.detail, 12.0)) + 26.0).max(64.0);
        // arrows: into the first box if there is an input shape, between boxes, out of the
        // last box if it has a shape
        let mut gaps: Vec<&str> = Vec::new();
        if !self.input.is_empty() {
            gaps.push(&self.input);
        }
        gaps.extend(self.shapes.iter().map(String::as_str));
        let body: f64 =
            self.layers.iter().map(box_w).sum::<f64>() + gaps.iter().map(|s| arrow(s)).sum::<f64>();
        let width = (2.0 * margin + body.max(text_w(&self.title, 18.0))).ceil();
        let height = (head + box_h + 2.0 * margin).ceil();
        let mid = head + margin + box_h / 2.0;
        let mut s = svg_start(width, height, &self.title);
        let _ = writeln!(
            s,
            r##"<defs><marker id="layer-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333333"/></marker></defs>"##
        );
        let mut x = (width - body) / 2.0;
        let draw_arrow = |s: &mut String, x: &mut f64, text: &str| {
            let w = arrow(text);
            let _ = writeln!(
                s,
                r##"<line x1="{:.1}" y1="{mid:.1}" x2="{:.1}" y2="{mid:.1}" stroke="#333333" stroke-width="1.6" marker-end="url(#layer-arrow)"/>"##,
                *x + 3.0,
                *x + w - 3.0
            );
            if !text.is_empty() {
                let _ = writeln!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-family="sans-serif" font-size="{label}" fill="#1F4E79">{}</text>"##,
                    *x + w / 2.0,
                    mid - 8.0,
                    esc(text)
                );
            }
            *x += w;
        };
        if !self.input.is_empty() {
            draw_arrow(&mut s, &mut x, &self.input);
        }
        for (k, l) in self.layers.iter().enumerate() {
            let w = box_w(l);
            let _ = writeln!(
                s,
                r##"<rect x="{x:.1}" y="{:.1}" width="{w:.1}" height="{box_h}" rx="6" fill="{}" stroke="#333333" stroke-width="1.4"/>"##,
                mid - box_h / 2.0,
                tint(&l.name)
            );
            let name_y = if l.detail.is_empty() {
                mid + 6.0
            } else {
                mid - 1.0
            };
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{name_y:.1}" text-anchor="middle" font-family="sans-serif" font-size="16" fill="#000000">{}</text>"##,
                x + w / 2.0,
                esc(&l.name)
            );
            if !l.detail.is_empty() {
                let _ = writeln!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-family="sans-serif" font-size="12" fill="#444444">{}</text>"##,
                    x + w / 2.0,
                    mid + 17.0,
                    esc(&l.detail)
                );
            }
            x += w;
            let last = k + 1 == self.layers.len();
            if !last || !self.shapes[k].is_empty() {
                draw_arrow(&mut s, &mut x, &self.shapes[k]);
            }
        }
        s.push_str("</svg>\n");
        Ok(Figure::from_svg(s, (width as u32, height as u32)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_layers_is_refused_with_the_fix() {
        let e = LayerDiagram::new("x")
            .input("(N,2)")
            .try_build()
            .unwrap_err();
        assert!(e.to_string().contains("LayerDiagram") && e.to_string().contains(".layer("));
    }

    #[test]
    fn boxes_and_shapes_in_order_one_arrow_between_each_pair() {
        let svg = LayerDiagram::new("")
            .input("(N,1,28,28)")
            .layer("Conv", "30×5×5")
            .shape("(N,30,24,24)")
            .layer("ReLU", "")
            .layer("Softmax", "")
            .build();
        let svg = svg.svg().unwrap();
        let at = |t: &str| svg.find(t).unwrap_or_else(|| panic!("{t} missing"));
        assert!(at("(N,1,28,28)") < at(">Conv<") && at(">Conv<") < at("(N,30,24,24)"));
        assert!(at("(N,30,24,24)") < at(">ReLU<") && at(">ReLU<") < at(">Softmax<"));
        // input → Conv → ReLU → Softmax, nothing after the last box
        assert_eq!(svg.matches("<line").count(), 3);
        assert_eq!(
            svg.matches("<rect").count(),
            4,
            "background and three boxes"
        );
    }
}

//! The book's convolution figures (7.2.2–7.2.4: padding, stride, bias) computed from the
//! input and filter, drawn as an [`ArrayDiagram`]; the window helpers pooling and im2col
//! share.

use super::{ArrayDiagram, Figure, Plot, PlotError};
use ndarray::{Array2, ArrayRef, Ix2};

pub(super) fn shape(a: &Array2<f64>) -> (usize, usize) {
    a.dim()
}

/// The top-left corners of the windows of size `f` moved by `stride` over a grid of size
/// `n` (padding included), row by row: the book's OH × OW positions.
pub(super) fn corners(n: (usize, usize), f: (usize, usize), stride: usize) -> (usize, usize) {
    ((n.0 - f.0) / stride + 1, (n.1 - f.1) / stride + 1)
}

/// The values `a` with `p` rings of zeros around them.
fn padded(a: &Array2<f64>, p: usize) -> Array2<f64> {
    let (h, w) = a.dim();
    let mut out = Array2::zeros((h + 2 * p, w + 2 * p));
    out.slice_mut(ndarray::s![p..p + h, p..p + w]).assign(a);
    out
}

/// The `k`-th of `n` output cells, first along the row: NaN (an empty cell) after `k`.
fn upto(out: &Array2<f64>, k: usize) -> Array2<f64> {
    let w = out.ncols();
    Array2::from_shape_fn(out.dim(), |(i, j)| {
        if i * w + j <= k {
            out[[i, j]]
        } else {
            f64::NAN
        }
    })
}

/// A convolution of one 2-D input with one filter (7.2.2–7.2.4): the input with the
/// filter's window, ⊛ the filter, → the output with the matching cell in the window's
/// colour, optionally + a bias. The output is computed here from the input and filter.
///
/// ```
/// use dlfs::ndarray::array;
/// use dlfs::plot::{ConvDiagram, Plot};
/// let x = array![[1.0, 2.0, 3.0, 0.0], [0.0, 1.0, 2.0, 3.0], [3.0, 0.0, 1.0, 2.0], [2.0, 3.0, 0.0, 1.0]];
/// let w = array![[2.0, 0.0, 1.0], [0.0, 1.0, 2.0], [1.0, 0.0, 2.0]];
/// let conv = ConvDiagram::new("7.2.2", &x, &w);
/// assert_eq!(conv.output().unwrap(), array![[15.0, 16.0], [6.0, 15.0]]);
/// assert!(conv.build().svg().unwrap().contains(">16</text>"));
/// ```
/// [`windows`](Self::windows)`(n)` marks the first n window positions (one colour each);
/// [`steps`](Self::steps) draws one row per position instead, the output filling up. A
/// filter larger than the padded input, or a stride of 0, is refused with a message.
#[derive(Clone, Debug)]
pub struct ConvDiagram {
    title: String,
    input: Array2<f64>,
    filter: Array2<f64>,
    stride: usize,
    pad: usize,
    bias: Option<f64>,
    windows: usize,
    steps: bool,
}

impl ConvDiagram {
    /// `input` ⊛ `filter`, stride 1, no padding, the first window marked.
    pub fn new(title: &str, input: &ArrayRef<f64, Ix2>, filter: &ArrayRef<f64, Ix2>) -> Self {
        ConvDiagram {
            title: title.to_string(),
            input: input.to_owned(),
            filter: filter.to_owned(),
            stride: 1,
            pad: 0,
            bias: None,
            windows: 1,
            steps: false,
        }
    }
    /// How far the window moves each step (7.2.4).
    pub fn stride(mut self, s: usize) -> Self {
        self.stride = s;
        self
    }
    /// Rings of zeros around the input (7.2.3).
    pub fn pad(mut self, p: usize) -> Self {
        self.pad = p;
        self
    }
    /// Adds `b` to every output cell, drawn as "+ b →" after the output.
    pub fn bias(mut self, b: f64) -> Self {
        self.bias = Some(b);
        self
    }
    /// How many window positions to mark, from the first (default 1; at most all).
    pub fn windows(mut self, n: usize) -> Self {
        self.windows = n.max(1);
        self
    }
    /// One row per marked position, the output filled in up to it (the book's 7-4).
    pub fn steps(mut self, on: bool) -> Self {
        self.steps = on;
        self
    }

    fn check(&self) -> Result<(usize, usize), PlotError> {
        let (h, w) = shape(&self.input);
        let (fh, fw) = shape(&self.filter);
        let p = self.pad;
        if self.stride == 0 {
            return Err(PlotError::Input(
                "ConvDiagram: the stride is 0: give a stride of at least 1".into(),
            ));
        }
        if fh == 0 || fw == 0 || fh > h + 2 * p || fw > w + 2 * p {
            return Err(PlotError::Input(format!(
                "ConvDiagram: the filter of shape ({fh}, {fw}) does not fit the input of shape \
                 ({h}, {w}) with padding {p}: give a non-empty filter of at most ({}, {}), or \
                 more padding",
                h + 2 * p,
                w + 2 * p
            )));
        }
        Ok(corners((h + 2 * p, w + 2 * p), (fh, fw), self.stride))
    }

    /// The output without bias: out[i, j] = Σ input_padded[i·S + a, j·S + b] · filter[a, b].
    pub fn output(&self) -> Result<Array2<f64>, PlotError> {
        let (oh, ow) = self.check()?;
        let x = padded(&self.input, self.pad);
        let (fh, fw) = shape(&self.filter);
        let s = self.stride;
        Ok(Array2::from_shape_fn((oh, ow), |(i, j)| {
            let mut sum = 0.0;
            for a in 0..fh {
                for b in 0..fw {
                    sum += x[[i * s + a, j * s + b]] * self.filter[[a, b]];
                }
            }
            sum
        }))
    }

    /// The figure as an [`ArrayDiagram`] (to add to it or change its cell size).
    pub fn to_diagram(&self) -> Result<ArrayDiagram, PlotError> {
        let out = self.output()?;
        let (oh, ow) = out.dim();
        let n = self.windows.min(oh * ow);
        let f = shape(&self.filter);
        let (h, w) = shape(&self.input);
        let input_label = if self.pad > 0 {
            format!("input ({h}, {w}), padding {}", self.pad)
        } else {
            format!("input ({h}, {w})")
        };
        let pos = |k: usize| ((k / ow) * self.stride, (k % ow) * self.stride);
        let mut d = ArrayDiagram::new(&self.title);
        let rows: Vec<Vec<usize>> = if self.steps {
            (0..n).map(|k| vec![k]).collect()
        } else {
            vec![(0..n).collect()]
        };
        for (r, ks) in rows.iter().enumerate() {
            if r > 0 {
                d = d.next_row();
            }
            d = d.array(&input_label, &self.input).pad(self.pad);
            for &k in ks {
                let (i, j) = pos(k);
                d = if ks.len() == 1 {
                    d.window(i, j, f, k)
                } else {
                    d.outline(i, j, f, k)
                };
            }
            let shown = match ks.last() {
                Some(&k) if self.steps => upto(&out, k),
                _ => out.clone(),
            };
            d = d
                .op("⊛")
                .array(&format!("filter ({}, {})", f.0, f.1), &self.filter)
                .op("→")
                .array(&format!("output ({oh}, {ow})"), &shown);
            let marked: Vec<usize> = match ks.last() {
                Some(&k) if self.steps => (0..=k).collect(),
                _ => ks.clone(),
            };
            for &k in &marked {
                d = d.window(k / ow, k % ow, (1, 1), k);
            }
            if let Some(b) = self.bias.filter(|_| r + 1 == rows.len()) {
                d = d
                    .op("+")
                    .array("bias", &Array2::from_elem((1, 1), b))
                    .op("→")
                    .array("output + bias", &shown.mapv(|v| v + b));
                for &k in &marked {
                    d = d.window(k / ow, k % ow, (1, 1), k);
                }
            }
        }
        Ok(d)
    }
}

impl Plot for ConvDiagram {
    /// Draws the convolution (SVG), or says why the filter does not fit.
    fn try_build(&self) -> Result<Figure, PlotError> {
        self.to_diagram()?.try_build()
    }
}

//! Max pooling (7.3) and im2col (7.4.2) computed from their input, drawn as an
//! [`ArrayDiagram`].

use super::conv_diagram::{corners, shape};
use super::{ArrayDiagram, Figure, Plot, PlotError};
use ndarray::{Array2, ArrayRef, Ix2};

/// A window's maximum and its (row, column) in the input.
type Max = (f64, (usize, usize));

/// Max pooling of a 2-D input (7.3): each window in its own colour, its maximum in bold,
/// → the output, each cell in its window's colour. The output is computed here.
///
/// ```
/// use dlfs::ndarray::array;
/// use dlfs::plot::{Plot, PoolDiagram};
/// let x = array![[1.0, 2.0, 1.0, 0.0], [0.0, 1.0, 2.0, 3.0], [3.0, 0.0, 1.0, 2.0], [2.0, 4.0, 0.0, 1.0]];
/// let pool = PoolDiagram::new("7.3 max pooling", &x);
/// assert_eq!(pool.output().unwrap(), array![[2.0, 3.0], [4.0, 2.0]]);
/// assert!(!pool.build().is_error());
/// ```
/// Defaults: 2×2 windows, stride 2. Windows larger than the input, or a stride of 0, are
/// refused with a message.
#[derive(Clone, Debug)]
pub struct PoolDiagram {
    title: String,
    input: Array2<f64>,
    size: (usize, usize),
    stride: usize,
}

impl PoolDiagram {
    /// 2×2 max pooling with stride 2 of `input`.
    pub fn new(title: &str, input: &ArrayRef<f64, Ix2>) -> Self {
        PoolDiagram {
            title: title.to_string(),
            input: input.to_owned(),
            size: (2, 2),
            stride: 2,
        }
    }
    /// Window size (pool_h, pool_w).
    pub fn size(mut self, h: usize, w: usize) -> Self {
        self.size = (h, w);
        self
    }
    /// How far the window moves each step.
    pub fn stride(mut self, s: usize) -> Self {
        self.stride = s;
        self
    }

    /// The output: the maximum of each window, row by row.
    pub fn output(&self) -> Result<Array2<f64>, PlotError> {
        Ok(self.maxima()?.mapv(|(v, _)| v))
    }

    /// Each window's maximum and where it is in the input.
    fn maxima(&self) -> Result<Array2<Max>, PlotError> {
        let (h, w) = shape(&self.input);
        let (ph, pw) = self.size;
        if self.stride == 0 || ph == 0 || pw == 0 || ph > h || pw > w {
            return Err(PlotError::Input(format!(
                "PoolDiagram: a {ph}×{pw} window with stride {} does not fit the input of shape \
                 ({h}, {w}): give a non-empty window no larger than the input and a stride of at \
                 least 1",
                self.stride
            )));
        }
        let s = self.stride;
        Ok(Array2::from_shape_fn(
            corners((h, w), self.size, s),
            |(i, j)| {
                let mut best = (f64::NEG_INFINITY, (i * s, j * s));
                for a in i * s..i * s + ph {
                    for b in j * s..j * s + pw {
                        if self.input[[a, b]] > best.0 {
                            best = (self.input[[a, b]], (a, b));
                        }
                    }
                }
                best
            },
        ))
    }
}

impl Plot for PoolDiagram {
    /// Draws the pooling (SVG), or says why the window does not fit.
    fn try_build(&self) -> Result<Figure, PlotError> {
        let m = self.maxima()?;
        let (oh, ow) = m.dim();
        let (h, w) = shape(&self.input);
        let overlap = self.stride < self.size.0 || self.stride < self.size.1;
        let mut d = ArrayDiagram::new(&self.title).array(&format!("input ({h}, {w})"), &self.input);
        for ((i, j), &(_, at)) in m.indexed_iter() {
            let (r, c, k) = (i * self.stride, j * self.stride, i * ow + j);
            d = if overlap {
                d.outline(r, c, self.size, k)
            } else {
                d.window(r, c, self.size, k)
            };
            d = d.bold(at.0, at.1);
        }
        d = d
            .op("→")
            .array(&format!("max pooling ({oh}, {ow})"), &m.mapv(|(v, _)| v));
        for k in 0..oh * ow {
            d = d.window(k / ow, k % ow, (1, 1), k);
        }
        d.try_build()
    }
}

/// im2col of one 1-channel input (7.4.2): the input with its filter windows, each in its
/// own colour, → the matrix [`im2col`](crate::im2col::im2col) returns, whose row k is
/// window k unrolled (same colour).
///
/// ```
/// use dlfs::ndarray::Array2;
/// use dlfs::plot::{Im2colDiagram, Plot};
/// let x = Array2::from_shape_fn((4, 4), |(i, j)| (4 * i + j) as f64);
/// let d = Im2colDiagram::new("im2col", &x).filter(3, 3);
/// assert_eq!(d.col().unwrap().dim(), (4, 9));
/// assert!(!d.build().is_error());
/// ```
/// Defaults: a 3×3 filter, stride 1, no padding. [`steps`](Self::steps) draws one row per
/// window, the matrix filling up.
#[derive(Clone, Debug)]
pub struct Im2colDiagram {
    title: String,
    input: Array2<f64>,
    filter: (usize, usize),
    stride: usize,
    pad: usize,
    steps: bool,
}

impl Im2colDiagram {
    /// im2col of `input` seen as (1, 1, H, W).
    pub fn new(title: &str, input: &ArrayRef<f64, Ix2>) -> Self {
        Im2colDiagram {
            title: title.to_string(),
            input: input.to_owned(),
            filter: (3, 3),
            stride: 1,
            pad: 0,
            steps: false,
        }
    }
    /// Filter size (FH, FW).
    pub fn filter(mut self, h: usize, w: usize) -> Self {
        self.filter = (h, w);
        self
    }
    /// How far the window moves each step.
    pub fn stride(mut self, s: usize) -> Self {
        self.stride = s;
        self
    }
    /// Rings of zeros around the input.
    pub fn pad(mut self, p: usize) -> Self {
        self.pad = p;
        self
    }
    /// One row per window, the matrix filled in up to it.
    pub fn steps(mut self, on: bool) -> Self {
        self.steps = on;
        self
    }

    /// The matrix drawn: `im2col(input as (1, 1, H, W), FH, FW, stride, pad)`.
    pub fn col(&self) -> Result<Array2<f64>, PlotError> {
        let (h, w) = shape(&self.input);
        let (fh, fw) = self.filter;
        let p = self.pad;
        if self.stride == 0 || fh == 0 || fw == 0 || fh > h + 2 * p || fw > w + 2 * p {
            return Err(PlotError::Input(format!(
                "Im2colDiagram: a ({fh}, {fw}) filter with stride {} does not fit the input of \
                 shape ({h}, {w}) with padding {p}: give a non-empty filter of at most ({}, {}) \
                 and a stride of at least 1",
                self.stride,
                h + 2 * p,
                w + 2 * p
            )));
        }
        let x = self.input.view().into_shape_with_order((1, 1, h, w));
        let x = x.map_err(|e| PlotError::Input(format!("Im2colDiagram: {e}")))?;
        Ok(crate::im2col::im2col(&x, fh, fw, self.stride, p))
    }
}

impl Plot for Im2colDiagram {
    /// Draws the input and its im2col matrix (SVG), or says why the filter does not fit.
    fn try_build(&self) -> Result<Figure, PlotError> {
        let col = self.col()?;
        let (h, w) = shape(&self.input);
        let (p, s) = (self.pad, self.stride);
        let (_, ow) = corners((h + 2 * p, w + 2 * p), self.filter, s);
        let n = col.nrows();
        let label = format!("input (1, 1, {h}, {w})");
        let col_label = format!("im2col → ({}, {})", n, col.ncols());
        let mut d = ArrayDiagram::new(&self.title);
        let groups: Vec<Vec<usize>> = if self.steps {
            (0..n).map(|k| vec![k]).collect()
        } else {
            vec![(0..n).collect()]
        };
        for (r, ks) in groups.iter().enumerate() {
            if r > 0 {
                d = d.next_row();
            }
            d = d.array(&label, &self.input).pad(p);
            for &k in ks {
                let (i, j) = ((k / ow) * s, (k % ow) * s);
                d = if ks.len() == 1 {
                    d.window(i, j, self.filter, k)
                } else {
                    d.outline(i, j, self.filter, k)
                };
            }
            let last = ks.last().copied().unwrap_or(0);
            let shown =
                Array2::from_shape_fn(
                    col.dim(),
                    |(i, j)| {
                        if i <= last { col[[i, j]] } else { f64::NAN }
                    },
                );
            d = d.op("→").array(&col_label, &shown);
            for k in 0..=last {
                d = d.window(k, 0, (1, col.ncols()), k);
            }
        }
        d.cell_size(32.0).try_build()
    }
}

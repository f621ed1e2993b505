//! Grids of small greyscale images (filters, digits, feature maps) as PNG.

use super::bitmap_text::{Anchor, Canvas, text_width};
use super::{Colormap, Figure, Plot, PlotError, register_fonts};
use ndarray::{ArrayBase, Axis, Data, Dimension, Ix2};

/// How pixel values become grey levels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Normalize {
    /// Each image's own min..max (default; what `imshow` does per image).
    PerImage,
    /// One min..max over all images, so images can be compared.
    Global,
    /// A fixed range; values outside are clipped.
    Range(f64, f64),
}

/// The most images an [`ImageGrid`] draws.
pub const MAX_IMAGES: usize = 200;

/// Small greyscale images in a grid, scaled up nearest-neighbour, as a PNG.
///
/// ```
/// use dlfs::ndarray::Array4;
/// use dlfs::plot::{Colormap, ImageGrid, Plot};
/// let w = Array4::from_shape_fn((30, 1, 5, 5), |(f, _, i, j)| ((f + i * j) % 7) as f64);
/// let fig = ImageGrid::new("conv1 filters").stack(&w).columns(10).colormap(Colormap::GrayR).build();
/// assert!(fig.png().is_some());
/// ```
/// Defaults: up to 10 columns, each image scaled to about 72 pixels, per-image min–max
/// normalisation, [`Colormap::Gray`]. Non-finite pixels are drawn red and counted in the
/// title. Titles are drawn with the embedded DejaVu Sans font. At most [`MAX_IMAGES`]
/// images are drawn (the first ones; the title says how many there were), so that a
/// stack of a whole data set does not become a 100 MB picture inside the notebook.
#[derive(Clone, Debug)]
pub struct ImageGrid {
    title: String,
    images: Vec<(usize, usize, Vec<f64>)>,
    /// Images given, drawn or not.
    given: usize,
    titles: Vec<String>,
    columns: Option<usize>,
    scale: Option<u32>,
    normalize: Normalize,
    colormap: Colormap,
}

impl ImageGrid {
    /// An empty grid; `title` may be empty.
    pub fn new(title: &str) -> Self {
        ImageGrid {
            title: title.to_string(),
            images: Vec::new(),
            given: 0,
            titles: Vec::new(),
            columns: None,
            scale: None,
            normalize: Normalize::PerImage,
            colormap: Colormap::Gray,
        }
    }
    /// Adds one image (rows × columns).
    pub fn image<S: Data<Elem = f64>>(mut self, img: &ArrayBase<S, Ix2>) -> Self {
        let (h, w) = img.dim();
        self.given += 1;
        if self.images.len() < MAX_IMAGES {
            self.images.push((h, w, img.iter().copied().collect()));
        }
        self
    }
    /// Leaves the next place of the grid empty (no image, no frame), to line images up: a
    /// row of filters above a row of responses, with the input in the first column below
    /// an empty place.
    ///
    /// ```
    /// use dlfs::ndarray::Array2;
    /// use dlfs::plot::Plot;
    /// let fig = dlfs::plot::ImageGrid::new("").columns(2).blank()
    ///     .image(&Array2::<f64>::eye(3)).image(&Array2::<f64>::eye(3)).build();
    /// assert_eq!(fig.kind(), dlfs::plot::FigureKind::Png);
    /// ```
    pub fn blank(mut self) -> Self {
        self.titles.resize(self.images.len(), String::new());
        self.titles.push(String::new());
        if self.images.len() < MAX_IMAGES {
            self.images.push((0, 0, Vec::new()));
        }
        self
    }
    /// Adds one image with a title under it.
    pub fn image_titled<S: Data<Elem = f64>>(
        mut self,
        title: &str,
        img: &ArrayBase<S, Ix2>,
    ) -> Self {
        self.titles.resize(self.images.len(), String::new());
        self.titles.push(title.to_string());
        self.image(img)
    }
    /// Adds every image of a stack whose last two axes are height and width, e.g. filters
    /// of shape (FN, C, FH, FW) give FN·C images, a batch (N, 1, 28, 28) gives N digits.
    ///
    /// # Panics
    /// If the array has fewer than 2 axes.
    #[track_caller]
    pub fn stack<S: Data<Elem = f64>, D: Dimension>(mut self, arr: &ArrayBase<S, D>) -> Self {
        let shape = arr.shape().to_vec();
        assert!(
            shape.len() >= 2,
            "ImageGrid::stack: need an array with at least 2 axes (.., H, W), got shape {shape:?}"
        );
        let (h, w) = (shape[shape.len() - 2], shape[shape.len() - 1]);
        let dyn_view = arr.view().into_dyn();
        let n: usize = shape[..shape.len() - 2].iter().product();
        let flat = dyn_view
            .to_shape((n, h, w))
            .expect("reshape to (n, h, w) of the same element count");
        self.given += n;
        let room = MAX_IMAGES.saturating_sub(self.images.len());
        for img in flat.axis_iter(Axis(0)).take(room) {
            self.images.push((h, w, img.iter().copied().collect()));
        }
        self
    }
    /// Titles for the images, in order (missing ones are blank).
    pub fn titles<T: Into<String>>(mut self, titles: impl IntoIterator<Item = T>) -> Self {
        self.titles = titles.into_iter().map(Into::into).collect();
        self
    }
    /// Number of columns (default: number of images, at most 10).
    pub fn columns(mut self, n: usize) -> Self {
        self.columns = Some(n.max(1));
        self
    }
    /// Screen pixels per image pixel (default: about 72 pixels per image side).
    pub fn scale(mut self, s: u32) -> Self {
        self.scale = Some(s.clamp(1, 64));
        self
    }
    /// How values map to grey (default [`Normalize::PerImage`]).
    pub fn normalize(mut self, n: Normalize) -> Self {
        self.normalize = n;
        self
    }
    /// Colour map (default [`Colormap::Gray`]).
    pub fn colormap(mut self, c: Colormap) -> Self {
        self.colormap = c;
        self
    }
}

impl Plot for ImageGrid {
    /// Draws the grid (PNG).
    fn try_build(&self) -> Result<Figure, PlotError> {
        register_fonts();
        let n = self.images.len();
        let cols = self.columns.unwrap_or(n.min(10)).clamp(1, n.max(1));
        let rows = n.div_ceil(cols).max(1);
        let max_h = self.images.iter().map(|i| i.0).max().unwrap_or(1).max(1);
        let max_w = self.images.iter().map(|i| i.1).max().unwrap_or(1).max(1);
        let s = self
            .scale
            .unwrap_or_else(|| ((72.0 / max_h.max(max_w) as f64).round() as u32).clamp(1, 24));
        let (img_w, img_h) = (max_w as u32 * s, max_h as u32 * s);
        let has_titles = self.titles.iter().any(|t| !t.is_empty());
        let title_px = self
            .titles
            .iter()
            .map(|t| text_width(t, 14.0).ceil() as u32)
            .max()
            .unwrap_or(0);
        let gap = 10u32;
        let cell_w = (img_w + 2).max(title_px + 6);
        let cell_h = img_h + 2 + if has_titles { 20 } else { 0 };
        let bad: usize = self
            .images
            .iter()
            .map(|i| i.2.iter().filter(|v| !v.is_finite()).count())
            .sum();
        let mut head = self.title.clone();
        if self.given > n {
            let sep = if head.is_empty() { "" } else { " " };
            head = format!("{head}{sep}(the first {n} of {} images)", self.given);
        }
        if bad > 0 {
            let s = if bad == 1 { "" } else { "s" };
            let sep = if head.is_empty() { "" } else { " " };
            head = format!("{head}{sep}({bad} non-finite value{s} shown red)");
        }
        let head_h = if head.is_empty() { 0 } else { 32 };
        let title_w = text_width(&head, 19.0).ceil() as u32 + 24;
        let width = (cols as u32 * (cell_w + gap) + gap).max(title_w);
        let height = rows as u32 * (cell_h + gap) + gap + head_h;
        let mut buf = vec![255u8; width as usize * height as usize * 3];

        let global = finite_min_max(self.images.iter().flat_map(|i| i.2.iter().copied()));
        let x_start = (width - (cols as u32 * (cell_w + gap) + gap)) / 2;
        let put = |buf: &mut [u8], x: u32, y: u32, c: [u8; 3]| {
            if x < width && y < height {
                let k = (y as usize * width as usize + x as usize) * 3;
                buf[k..k + 3].copy_from_slice(&c);
            }
        };
        let mut title_pos = Vec::new();
        for (idx, (h, w, v)) in self.images.iter().enumerate() {
            if *h == 0 || *w == 0 {
                continue; // a blank place
            }
            let (r, c) = ((idx / cols) as u32, (idx % cols) as u32);
            let cx = x_start + gap + c * (cell_w + gap);
            let cy = head_h + gap + r * (cell_h + gap);
            let (iw, ih) = (*w as u32 * s, *h as u32 * s);
            let ox = cx + (cell_w - (iw + 2)) / 2;
            let (lo, hi) = match self.normalize {
                Normalize::PerImage => finite_min_max(v.iter().copied()),
                Normalize::Global => global,
                Normalize::Range(a, b) => (a.min(b), a.max(b)),
            };
            // frame
            for x in ox..ox + iw + 2 {
                put(&mut buf, x, cy, [160; 3]);
                put(&mut buf, x, cy + ih + 1, [160; 3]);
            }
            for y in cy..cy + ih + 2 {
                put(&mut buf, ox, y, [160; 3]);
                put(&mut buf, ox + iw + 1, y, [160; 3]);
            }
            for i in 0..*h {
                for j in 0..*w {
                    let val = v[i * w + j];
                    let color = if !val.is_finite() {
                        [220, 0, 0]
                    } else {
                        let t = if hi > lo {
                            ((val - lo) / (hi - lo)).clamp(0.0, 1.0)
                        } else {
                            0.5
                        };
                        self.colormap.rgb(t)
                    };
                    for dy in 0..s {
                        for dx in 0..s {
                            put(
                                &mut buf,
                                ox + 1 + j as u32 * s + dx,
                                cy + 1 + i as u32 * s + dy,
                                color,
                            );
                        }
                    }
                }
            }
            if let Some(t) = self.titles.get(idx).filter(|t| !t.is_empty()) {
                title_pos.push((
                    t.clone(),
                    (cx + cell_w / 2) as i32,
                    (cy + ih + 2 + 11) as i32,
                ));
            }
        }
        {
            let mut canvas = Canvas {
                buf: &mut buf,
                width,
                height,
            };
            if !head.is_empty() {
                let at = (width as i32 / 2, head_h as i32 / 2 + 4);
                canvas.text(&head, at, 19.0, Anchor::Center, [0, 0, 0]);
            }
            for (t, x, y) in title_pos {
                canvas.text(&t, (x, y), 14.0, Anchor::Center, [0, 0, 0]);
            }
        }
        let png = encode_png(&buf, width, height)?;
        Ok(Figure::from_png(png, (width, height)))
    }
}

fn finite_min_max(v: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = v
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) }
}

/// RGB8 buffer to PNG bytes.
pub(crate) fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, PlotError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| PlotError::Encode(e.to_string()))?;
        w.write_image_data(rgb)
            .map_err(|e| PlotError::Encode(e.to_string()))?;
        w.finish().map_err(|e| PlotError::Encode(e.to_string()))?;
    }
    Ok(out)
}

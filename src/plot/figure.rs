//! A drawn figure (SVG, PNG or GIF): shown inline in evcxr, saved to a file atomically, or
//! the error figure that carries a builder's message.

use base64::Engine as _;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Errors from drawing, encoding or saving a figure.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Reading or writing a file failed.
    #[error("cannot write figure to {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file extension does not match the figure's kind (no format conversion is done).
    #[error("cannot save a {kind} figure as {path}: use the .{kind} extension")]
    Extension { path: PathBuf, kind: FigureKind },
    /// plotters reported an error while drawing.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// PNG or GIF encoding failed.
    #[error("encoding failed: {0}")]
    Encode(String),
    /// The builder was given data it cannot draw; the message names the builder, what it
    /// got and what would work.
    #[error("{0}")]
    Input(String),
}

pub(crate) fn draw_err<E: fmt::Debug>(e: E) -> PlotError {
    PlotError::Draw(format!("{e:?}"))
}

/// What a [`Figure`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FigureKind {
    Svg,
    Png,
    Gif,
}

impl FigureKind {
    /// File extension and name: `svg`, `png` or `gif`.
    pub fn extension(self) -> &'static str {
        match self {
            FigureKind::Svg => "svg",
            FigureKind::Png => "png",
            FigureKind::Gif => "gif",
        }
    }
    /// MIME type used for the notebook display.
    pub fn mime(self) -> &'static str {
        match self {
            FigureKind::Svg => "image/svg+xml",
            FigureKind::Png => "image/png",
            FigureKind::Gif => "image/gif",
        }
    }
}

impl fmt::Display for FigureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

#[derive(Clone)]
enum Content {
    Svg(String),
    Png(Vec<u8>),
    Gif(Vec<u8>),
}

/// A finished figure: SVG text, PNG bytes or GIF bytes.
///
/// In evcxr a cell whose last value is a `Figure` shows it inline (`evcxr_display`).
#[derive(Clone)]
pub struct Figure {
    content: Content,
    size: (u32, u32),
    frames: usize,
}

impl fmt::Debug for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Figure({}, {}x{}, {} bytes, {} frame(s))",
            self.kind(),
            self.size.0,
            self.size.1,
            self.bytes().len(),
            self.frames
        )
    }
}

impl Figure {
    pub(crate) fn from_svg(svg: String, size: (u32, u32)) -> Self {
        Figure {
            content: Content::Svg(svg),
            size,
            frames: 1,
        }
    }
    pub(crate) fn from_png(bytes: Vec<u8>, size: (u32, u32)) -> Self {
        Figure {
            content: Content::Png(bytes),
            size,
            frames: 1,
        }
    }
    pub(crate) fn from_gif(bytes: Vec<u8>, size: (u32, u32), frames: usize) -> Self {
        Figure {
            content: Content::Gif(bytes),
            size,
            frames,
        }
    }

    /// A small SVG that shows an error message (what `build()` returns when drawing failed).
    /// Its `<svg>` element carries `data-dlfs="plot-error"`, and showing it in a notebook
    /// also prints the message on stderr, so that the notebook runner fails the cell.
    ///
    /// ```
    /// let fig = dlfs::plot::Figure::error("no data");
    /// assert!(fig.is_error());
    /// assert!(fig.svg().unwrap().contains("data-dlfs=\"plot-error\""));
    /// assert!(!dlfs::plot::Figure::note("later").is_error());
    /// ```
    pub fn error(message: &str) -> Self {
        let mut fig = Self::text(&format!("plot error: {message}"), "#FFF0F0", "#B00000");
        if let Content::Svg(svg) = &mut fig.content {
            *svg = svg.replacen("<svg ", "<svg data-dlfs=\"plot-error\" ", 1);
        }
        fig
    }

    /// Whether this is the figure [`Figure::error`] made in place of a failed drawing.
    pub fn is_error(&self) -> bool {
        self.svg()
            .is_some_and(|s| s.starts_with("<svg data-dlfs=\"plot-error\""))
    }

    /// A small grey SVG with a line of text, in place of a figure that has nothing to draw
    /// yet (an exercise notebook's figure before the exercise is done).
    ///
    /// ```
    /// let fig = dlfs::plot::Figure::note("(the paths appear once a check passes)");
    /// assert!(fig.svg().unwrap().contains("the paths appear"));
    /// ```
    pub fn note(message: &str) -> Self {
        Self::text(message, "#F4F4F4", "#505050")
    }

    fn text(message: &str, background: &str, color: &str) -> Self {
        let mut esc = String::new();
        for c in message.chars() {
            match c {
                '<' => esc.push_str("&lt;"),
                '>' => esc.push_str("&gt;"),
                '&' => esc.push_str("&amp;"),
                c => esc.push(c),
            }
        }
        let svg = format!(
            "<svg width=\"640\" height=\"60\" viewBox=\"0 0 640 60\" xmlns=\"http://www.w3.org/2000/svg\">\n\
             <rect x=\"0\" y=\"0\" width=\"640\" height=\"60\" fill=\"{background}\"/>\n\
             <text x=\"10\" y=\"35\" font-family=\"sans-serif\" font-size=\"14\" fill=\"{color}\">{esc}</text>\n</svg>\n"
        );
        Figure::from_svg(svg, (640, 60))
    }

    /// SVG, PNG or GIF.
    pub fn kind(&self) -> FigureKind {
        match self.content {
            Content::Svg(_) => FigureKind::Svg,
            Content::Png(_) => FigureKind::Png,
            Content::Gif(_) => FigureKind::Gif,
        }
    }
    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        self.size
    }
    /// Number of frames (1 unless an animated GIF).
    pub fn frames(&self) -> usize {
        self.frames
    }
    /// The SVG document, if this is an SVG figure.
    pub fn svg(&self) -> Option<&str> {
        match &self.content {
            Content::Svg(s) => Some(s),
            _ => None,
        }
    }
    /// The PNG file bytes, if this is a PNG figure.
    pub fn png(&self) -> Option<&[u8]> {
        match &self.content {
            Content::Png(b) => Some(b),
            _ => None,
        }
    }
    /// The GIF file bytes, if this is a GIF figure.
    pub fn gif(&self) -> Option<&[u8]> {
        match &self.content {
            Content::Gif(b) => Some(b),
            _ => None,
        }
    }
    /// The file contents, whatever the kind.
    pub fn bytes(&self) -> &[u8] {
        match &self.content {
            Content::Svg(s) => s.as_bytes(),
            Content::Png(b) | Content::Gif(b) => b,
        }
    }

    /// Writes the figure to `path`, whose extension must match the kind (`.svg`, `.png`,
    /// `.gif`). The file is written to a temporary file in the same folder and renamed, so
    /// a reader never sees half a file. Missing parent folders are created.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        let path = path.as_ref();
        let kind = self.kind();
        let ext_ok = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case(kind.extension()));
        if !ext_ok {
            return Err(PlotError::Extension {
                path: path.to_path_buf(),
                kind,
            });
        }
        let io = |source| PlotError::Io {
            path: path.to_path_buf(),
            source,
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(self.bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(e)
        })
    }

    /// The text evcxr reads from stdout to show the figure: SVG as is, PNG/GIF as base64.
    pub fn evcxr_content(&self) -> String {
        let body = match &self.content {
            Content::Svg(s) => s.clone(),
            Content::Png(b) | Content::Gif(b) => {
                base64::engine::general_purpose::STANDARD.encode(b)
            }
        };
        format!(
            "EVCXR_BEGIN_CONTENT {}\n{}\nEVCXR_END_CONTENT\n",
            self.kind().mime(),
            body.trim_end()
        )
    }

    /// Called by evcxr on a cell's final value: shows the figure inline.
    pub fn evcxr_display(&self) {
        if self.is_error() {
            eprintln!("dlfs: the figure could not be drawn (its message is in the figure)");
        }
        print!("{}", self.evcxr_content());
    }
}

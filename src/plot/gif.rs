//! The GIF side of the animated contour plot: a fixed palette and frames that store only
//! what changed.

use super::PlotError;
use plotters::style::RGBColor;
use std::borrow::Cow;

fn encode_err(e: impl std::fmt::Display) -> PlotError {
    PlotError::Encode(e.to_string())
}

/// A looping GIF being written frame by frame: each frame is an RGB buffer of the full
/// size, of which only the box that changed since the previous frame is stored.
pub(crate) struct Frames<'w> {
    enc: gif::Encoder<&'w mut Vec<u8>>,
    palette: Palette256,
    size: (usize, usize),
    prev: Option<Vec<u8>>,
}

impl<'w> Frames<'w> {
    /// A GIF of `size` pixels (each side below 65 536) that repeats forever.
    pub(crate) fn new(
        out: &'w mut Vec<u8>,
        size: (u32, u32),
        palette: Palette256,
    ) -> Result<Self, PlotError> {
        let mut enc = gif::Encoder::new(out, size.0 as u16, size.1 as u16, &palette.rgb)
            .map_err(encode_err)?;
        enc.set_repeat(gif::Repeat::Infinite).map_err(encode_err)?;
        Ok(Frames {
            enc,
            palette,
            size: (size.0 as usize, size.1 as usize),
            prev: None,
        })
    }

    /// Adds the frame `rgb` (3 bytes a pixel, row by row), shown for `delay_cs` hundredths
    /// of a second.
    pub(crate) fn push(&mut self, rgb: &[u8], delay_cs: u16) -> Result<(), PlotError> {
        let (w, h) = self.size;
        let (x0, y0, x1, y1) = match &self.prev {
            None => (0, 0, w, h),
            Some(p) => changed_box(p, rgb, w, h),
        };
        let mut sub = Vec::with_capacity((x1 - x0) * (y1 - y0));
        for y in y0..y1 {
            let row = y * w * 3;
            sub.extend(
                rgb[row + x0 * 3..row + x1 * 3]
                    .chunks_exact(3)
                    .map(|c| self.palette.index(c)),
            );
        }
        let frame = gif::Frame {
            width: (x1 - x0) as u16,
            height: (y1 - y0) as u16,
            left: x0 as u16,
            top: y0 as u16,
            buffer: Cow::Owned(sub),
            dispose: gif::DisposalMethod::Keep,
            delay: delay_cs,
            ..gif::Frame::default()
        };
        self.enc.write_frame(&frame).map_err(encode_err)?;
        self.prev = Some(rgb.to_vec());
        Ok(())
    }
}

/// A fixed 256-colour GIF palette: the figure's own colours exactly (white, black, the
/// trajectory red, contour colours), 24 greys for anti-aliased text, and a 6×6×6 colour
/// cube for the rest. Mapping a pixel is arithmetic, so it stays fast in unoptimised
/// notebook builds (a learned palette took seconds per frame there).
pub(crate) struct Palette256 {
    rgb: Vec<u8>,
    exact: Vec<([u8; 3], u8)>,
}

impl Palette256 {
    const CUBE: usize = 216;
    const GREYS: usize = 24;

    pub(crate) fn new(colors: impl IntoIterator<Item = RGBColor>) -> Self {
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

//! Text drawn straight into an RGB buffer, for the bitmap figures (PNG, GIF).
//!
//! plotters' bitmap text path puts each glyph's raster at the pen position and drops the
//! glyph's own offset inside its advance (its left side bearing), so narrow letters sit
//! too far left and words look unevenly spaced ("lear ned", "th eir"). Here every glyph
//! is placed by ab_glyph at its pen position, with kerning, and drawn at its own pixel
//! bounds.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

/// Where `(x, y)` is on the text. There is one anchor, the one the figures use: the
/// middle of the text, horizontally and vertically (the middle of the line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    Center,
}

/// An RGB8 image to draw on.
pub(crate) struct Canvas<'a> {
    pub buf: &'a mut [u8],
    pub width: u32,
    pub height: u32,
}

fn font() -> FontRef<'static> {
    FontRef::try_from_slice(dejavu::sans::regular())
        .expect("the DejaVu Sans embedded by the `dejavu` crate is a valid font")
}

/// Width in pixels of `text` at `size` pixels.
pub(crate) fn text_width(text: &str, size: f32) -> f32 {
    let font = font();
    let scaled = font.as_scaled(PxScale::from(size));
    layout(&scaled, text).1
}

fn layout<F: Font, S: ScaleFont<F>>(
    scaled: &S,
    text: &str,
) -> (Vec<(ab_glyph::GlyphId, f32)>, f32) {
    let mut caret = 0.0f32;
    let mut prev = None;
    let mut out = Vec::new();
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            caret += scaled.kern(p, id);
        }
        out.push((id, caret));
        caret += scaled.h_advance(id);
        prev = Some(id);
    }
    (out, caret)
}

impl Canvas<'_> {
    /// Draws `text` at `size` pixels in `color`, anchored at `(x, y)`, blending each pixel
    /// by the glyph's coverage.
    pub(crate) fn text(
        &mut self,
        text: &str,
        (x, y): (i32, i32),
        size: f32,
        anchor: Anchor,
        color: [u8; 3],
    ) {
        let font = font();
        let scaled = font.as_scaled(PxScale::from(size));
        let (glyphs, width) = layout(&scaled, text);
        let left = match anchor {
            Anchor::Center => x as f32 - width / 2.0,
        };
        // the middle of the line between the font's ascent and descent (descent < 0)
        let baseline = y as f32 + (scaled.ascent() + scaled.descent()) / 2.0;
        for (id, dx) in glyphs {
            let glyph = id.with_scale_and_position(PxScale::from(size), point(left + dx, baseline));
            let Some(outline) = font.outline_glyph(glyph) else {
                continue; // a space
            };
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let px = bounds.min.x as i64 + gx as i64;
                let py = bounds.min.y as i64 + gy as i64;
                if px < 0 || py < 0 || px >= self.width as i64 || py >= self.height as i64 {
                    return;
                }
                let k = (py as usize * self.width as usize + px as usize) * 3;
                let a = coverage.clamp(0.0, 1.0);
                for (ch, &col) in self.buf[k..k + 3].iter_mut().zip(&color) {
                    *ch = (*ch as f32 * (1.0 - a) + col as f32 * a).round() as u8;
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which columns of a `w`-pixel-wide line hold ink, with `text` centred at `w / 2`.
    fn ink_columns(text: &str, w: u32, size: f32) -> Vec<bool> {
        let h = (size * 1.6) as u32;
        let mut buf = vec![255u8; (w * h * 3) as usize];
        Canvas {
            buf: &mut buf,
            width: w,
            height: h,
        }
        .text(
            text,
            (w as i32 / 2, h as i32 / 2),
            size,
            Anchor::Center,
            [0, 0, 0],
        );
        (0..w as usize)
            .map(|x| (0..h as usize).any(|y| buf[(y * w as usize + x) * 3] < 128))
            .collect()
    }

    #[test]
    fn a_glyph_starts_at_its_pen_position_plus_its_side_bearing() {
        // "ml" at 40 px: the l's stroke must begin where the font puts it, one advance of m
        // (and their kerning) plus the l's left side bearing after the m's pen position.
        // plotters' path drops the bearing (about 4 px here): this is what it got wrong.
        let size = 40.0f32;
        let ink = ink_columns("ml", 300, size);
        let l_start = (1..ink.len())
            .rev()
            .find(|&x| ink[x] && !ink[x - 1])
            .unwrap();
        let font = font();
        let scaled = font.as_scaled(PxScale::from(size));
        let (m, l) = (scaled.glyph_id('m'), scaled.glyph_id('l'));
        let left = 150.0 - text_width("ml", size) / 2.0;
        let want = left + scaled.h_advance(m) + scaled.kern(m, l) + scaled.h_side_bearing(l);
        assert!(
            scaled.h_side_bearing(l) > 3.0,
            "the test needs a visible bearing"
        );
        assert!(
            (l_start as f32 - want).abs() <= 1.0,
            "l starts at {l_start}, want {want:.1}"
        );
    }

    #[test]
    fn equal_letters_stand_one_advance_apart() {
        // "lll": the strokes of three equal glyphs are spaced by the glyph's advance (with
        // the bearing dropped this still holds: the test above is the one for that)
        let cols = ink_columns("lll", 200, 16.0);
        let strokes: Vec<usize> = (1..cols.len())
            .filter(|&x| cols[x] && !cols[x - 1])
            .collect();
        assert_eq!(strokes.len(), 3, "{cols:?}");
        let (a, b) = (strokes[1] - strokes[0], strokes[2] - strokes[1]);
        assert!(a.abs_diff(b) <= 1, "uneven spacing: {strokes:?}");
        // an l is much narrower than its advance: the strokes stand apart
        let advance = text_width("l", 16.0);
        assert!(
            (a as f32 - advance).abs() <= 1.0,
            "stroke spacing {a} vs advance {advance}"
        );
    }

    #[test]
    fn centred_text_is_centred() {
        let cols = ink_columns("learned", 200, 16.0);
        let first = cols.iter().position(|&c| c).unwrap();
        let last = cols.iter().rposition(|&c| c).unwrap();
        let mid = (first + last) as f32 / 2.0;
        assert!((mid - 100.0).abs() <= 2.0, "ink from {first} to {last}");
    }
}

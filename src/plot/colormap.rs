//! Colour maps: the greys of the image grids and viridis for contour levels (matplotlib's
//! names and colours).

use plotters::style::RGBColor;

/// Grey colour maps (matplotlib names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colormap {
    /// Low values black, high white (digits).
    Gray,
    /// Low values white, high black (the book's filter figure, `cmap='gray_r'`).
    GrayR,
}

impl Colormap {
    /// The colour of `t` in 0..=1 (0 is the low end of the image's range).
    pub(crate) fn rgb(self, t: f64) -> [u8; 3] {
        let t = match self {
            Colormap::Gray => t,
            Colormap::GrayR => 1.0 - t,
        };
        let g = (t * 255.0).round() as u8;
        [g, g, g]
    }
}

/// matplotlib's viridis, linearly interpolated between five of its colours (t in 0..=1).
pub(crate) fn viridis(t: f64) -> RGBColor {
    const C: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let s = t * 4.0;
    let i = (s as usize).min(3);
    let f = s - i as f64;
    let (a, b) = (C[i], C[i + 1]);
    let m = |p: f64, q: f64| (p + (q - p) * f).round() as u8;
    RGBColor(m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

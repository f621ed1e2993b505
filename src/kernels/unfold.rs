//! The im2col/col2im loops for one sample: unfold every filter-sized patch into a row, and
//! fold rows back (summing where patches overlap). See [`crate::im2col`] for the layout.
//! Plain versions: [`super::reference::im2col`], [`super::reference::col2im`]. Also the same
//! rows transposed, one per filter element (`Geom::unfold_t_into`), which the convolution's
//! forward multiplies where it cannot read the input directly; its test checks it against
//! `unfold`.

use super::conv_output_size;

/// The valid range of `j` in 0..f for which 0 ≤ start + j·stride < size (start may be < 0).
#[inline]
fn valid_range(start: isize, f: usize, stride: usize, size: usize) -> (usize, usize) {
    let s = stride as isize;
    // first j with start + j·s ≥ 0
    let lo = if start >= 0 {
        0
    } else {
        ((-start + s - 1) / s) as usize
    };
    // first j with start + j·s ≥ size
    let hi = if start >= size as isize {
        0
    } else {
        ((size as isize - start + s - 1) / s) as usize
    };
    (lo.min(f), hi.min(f).max(lo.min(f)))
}

/// Geometry of one im2col/col2im call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geom {
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub fh: usize,
    pub fw: usize,
    pub stride: usize,
    pub pad: usize,
    pub oh: usize,
    pub ow: usize,
}

impl Geom {
    /// The geometry of a FH×FW filter at `stride` and `pad` over input `shape` (N, C, H, W).
    ///
    /// # Panics
    /// If `shape` is not 4-D or the filter does not fit; the message starts with `op`.
    #[track_caller]
    pub fn new(op: &str, shape: &[usize], fh: usize, fw: usize, stride: usize, pad: usize) -> Self {
        if shape.len() != 4 {
            panic!("{op}: got input shape {shape:?}, expected 4 axes (N, C, H, W)");
        }
        let (c, h, w) = (shape[1], shape[2], shape[3]);
        if stride == 0 || fh == 0 || fw == 0 || fh > h + 2 * pad || fw > w + 2 * pad {
            panic!(
                "{op}: a {fh}×{fw} filter with stride {stride} and pad {pad} does not fit input \
                 shape {shape:?} (need 1 ≤ FH ≤ H + 2P, 1 ≤ FW ≤ W + 2P, S ≥ 1)"
            );
        }
        Self {
            c,
            h,
            w,
            fh,
            fw,
            stride,
            pad,
            oh: conv_output_size(h, fh, stride, pad),
            ow: conv_output_size(w, fw, stride, pad),
        }
    }

    /// C·FH·FW, the length of one row.
    pub fn cols(&self) -> usize {
        self.c * self.fh * self.fw
    }

    /// The input of `m` samples `x` (C·H·W values each) as a kernel that reads it directly
    /// sees it, with its (H, W): `x` itself without padding, else a copy in `buf` with `pad`
    /// zeros around every plane, (H + 2P, W + 2P).
    pub fn padded<'a>(
        &self,
        m: usize,
        x: &'a [f64],
        buf: &'a mut Vec<f64>,
    ) -> (&'a [f64], usize, usize) {
        let (per_in, p) = (self.c * self.h * self.w, self.pad);
        if p == 0 {
            return (&x[..m * per_in], self.h, self.w);
        }
        let (h, w) = (self.h + 2 * p, self.w + 2 * p);
        buf.clear();
        buf.resize(m * self.c * h * w, 0.0);
        // each input row into the middle of its padded row
        let padded_rows = buf
            .chunks_exact_mut(w)
            .enumerate()
            .filter(|(r, _)| (p..p + self.h).contains(&(r % h)))
            .map(|(_, row)| row);
        for (src, dst) in x[..m * per_in].chunks_exact(self.w).zip(padded_rows) {
            dst[p..][..self.w].copy_from_slice(src);
        }
        (&buf[..], h, w)
    }

    /// Appends the im2col rows of one sample `x` (C·H·W values) to `out`: OH·OW rows of
    /// C·FH·FW values (0 for positions in the padding). Pushing into a reused `Vec` needs
    /// no zero-initialisation of the buffer.
    pub fn unfold(&self, x: &[f64], out: &mut Vec<f64>) {
        out.reserve(self.oh * self.ow * self.cols());
        // Fixed widths let each FW-long copy compile to a few moves instead of a memcpy call.
        match self.fw {
            1 => self.unfold_fw::<1>(x, out),
            2 => self.unfold_fw::<2>(x, out),
            3 => self.unfold_fw::<3>(x, out),
            4 => self.unfold_fw::<4>(x, out),
            5 => self.unfold_fw::<5>(x, out),
            7 => self.unfold_fw::<7>(x, out),
            _ => self.unfold_fw::<0>(x, out),
        }
    }

    /// `unfold` for filters of width `FW` (0: any width).
    fn unfold_fw<const FW: usize>(&self, x: &[f64], out: &mut Vec<f64>) {
        let (s, p, fw) = (self.stride, self.pad as isize, self.fw);
        let plane = self.h * self.w;
        for oh in 0..self.oh {
            let h0 = (oh * s) as isize - p;
            let (ilo, ihi) = valid_range(h0, self.fh, 1, self.h);
            for ow in 0..self.ow {
                let w0 = (ow * s) as isize - p;
                let (jlo, jhi) = valid_range(w0, fw, 1, self.w);
                let inside = jlo == 0 && jhi == fw;
                if jlo == jhi {
                    // the window lies wholly in the left or right padding (pad ≥ FW)
                    out.resize(out.len() + self.cols(), 0.0);
                    continue;
                }
                for c in 0..self.c {
                    let xc = &x[c * plane..][..plane];
                    out.resize(out.len() + ilo * fw, 0.0);
                    for i in ilo..ihi {
                        let src =
                            (h0 + i as isize) as usize * self.w + (w0 + jlo as isize) as usize;
                        if FW != 0 && inside {
                            let from: &[f64; FW] = xc[src..src + FW].try_into().expect("FW values");
                            out.extend_from_slice(from);
                        } else {
                            out.resize(out.len() + jlo, 0.0);
                            out.extend_from_slice(&xc[src..src + (jhi - jlo)]);
                            out.resize(out.len() + fw - jhi, 0.0);
                        }
                    }
                    out.resize(out.len() + (self.fh - ihi) * fw, 0.0);
                }
            }
        }
    }

    /// col2im of one sample: adds its OH·OW rows `col` into `dx` (C·H·W values).
    pub fn fold(&self, col: &[f64], dx: &mut [f64]) {
        match self.fw {
            1 => self.fold_fw::<1>(col, dx),
            2 => self.fold_fw::<2>(col, dx),
            3 => self.fold_fw::<3>(col, dx),
            4 => self.fold_fw::<4>(col, dx),
            5 => self.fold_fw::<5>(col, dx),
            7 => self.fold_fw::<7>(col, dx),
            _ => self.fold_fw::<0>(col, dx),
        }
    }

    /// `fold` for filters of width `FW` (0: any width).
    fn fold_fw<const FW: usize>(&self, col: &[f64], dx: &mut [f64]) {
        let (s, p) = (self.stride, self.pad as isize);
        let k = self.cols();
        let plane = self.h * self.w;
        for oh in 0..self.oh {
            let h0 = (oh * s) as isize - p;
            let (ilo, ihi) = valid_range(h0, self.fh, 1, self.h);
            for ow in 0..self.ow {
                let w0 = (ow * s) as isize - p;
                let (jlo, jhi) = valid_range(w0, self.fw, 1, self.w);
                if jlo == jhi {
                    continue; // the window lies wholly in the padding
                }
                let row = &col[(oh * self.ow + ow) * k..][..k];
                for c in 0..self.c {
                    let dxc = &mut dx[c * plane..][..plane];
                    for i in ilo..ihi {
                        let dst =
                            (h0 + i as isize) as usize * self.w + (w0 + jlo as isize) as usize;
                        let src = (c * self.fh + i) * self.fw;
                        if FW != 0 && jlo == 0 && jhi == FW {
                            let from: &[f64; FW] =
                                row[src..src + FW].try_into().expect("FW values");
                            let to: &mut [f64; FW] =
                                (&mut dxc[dst..dst + FW]).try_into().expect("FW values");
                            for (d, v) in to.iter_mut().zip(from) {
                                *d += v;
                            }
                        } else {
                            for (d, v) in dxc[dst..dst + (jhi - jlo)]
                                .iter_mut()
                                .zip(&row[src + jlo..src + jhi])
                            {
                                *d += v;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Writes the transposed im2col matrix of one sample `x` (C·H·W values) into `out`:
    /// C·FH·FW rows, one per filter element, each of OH·OW values starting `ld` apart (the
    /// rows of several samples can sit side by side). Each value is the input value that an
    /// output position's window puts under that filter element, 0 in the padding; every
    /// value of the rows is written, so `out` need not be zeroed. For stride 1 a row is OH
    /// runs, each a contiguous slice of an input row, and a product with it reads it in
    /// order. Needs `ld` ≥ OH·OW and `out` at least (C·FH·FW − 1)·`ld` + OH·OW long.
    pub fn unfold_t_into(&self, x: &[f64], out: &mut [f64], ld: usize) {
        let (s, p) = (self.stride, self.pad as isize);
        let (plane, ow) = (self.h * self.w, self.ow);
        let rows = self.oh * ow;
        debug_assert!(ld >= rows, "rows {ld} apart cannot hold {rows} values each");
        for c in 0..self.c {
            let xc = &x[c * plane..][..plane];
            for i in 0..self.fh {
                for j in 0..self.fw {
                    let e = (c * self.fh + i) * self.fw + j;
                    let dst = &mut out[e * ld..][..rows];
                    // output columns whose window puts filter column j inside the image
                    let (olo, ohi) = valid_range(j as isize - p, ow, s, self.w);
                    let first = (olo * s + j) as isize - p;
                    for (oh, d) in dst.chunks_exact_mut(ow).enumerate() {
                        let r = (oh * s + i) as isize - p;
                        if r < 0 || r >= self.h as isize || olo == ohi {
                            d.fill(0.0);
                            continue;
                        }
                        let row = &xc[r as usize * self.w..][..self.w];
                        d[..olo].fill(0.0);
                        if s == 1 {
                            d[olo..ohi].copy_from_slice(&row[first as usize..][..ohi - olo]);
                        } else {
                            let src = row[first as usize..].iter().step_by(s);
                            d[olo..ohi].iter_mut().zip(src).for_each(|(d, &v)| *d = v);
                        }
                        d[ohi..].fill(0.0);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Geom;

    /// `unfold_t_into` is `unfold` transposed, value for value, on geometries with strides,
    /// padding (also wider than the filter) and several channels.
    #[test]
    fn unfold_t_is_unfold_transposed() {
        // (1, 3, 2) and (1, 3, 1): filter columns whose every window lies in the padding
        for (c, h, w) in [(1, 7, 9), (2, 6, 5), (3, 4, 4), (1, 3, 2), (1, 3, 1)] {
            let x: Vec<f64> = (0..c * h * w).map(|i| 1.0 + i as f64).collect();
            for (fh, fw) in [(1, 1), (2, 3), (3, 3), (4, 2)] {
                for stride in 1..=3 {
                    for pad in 0..=3 {
                        if fh > h + 2 * pad || fw > w + 2 * pad {
                            continue;
                        }
                        let g = Geom::new("test", &[1, c, h, w], fh, fw, stride, pad);
                        let (rows, k) = (g.oh * g.ow, g.cols());
                        let mut col = Vec::new();
                        g.unfold(&x, &mut col);
                        // rows `ld` apart, NaN where nothing may be written
                        let ld = rows + 3;
                        let mut col_t = vec![f64::NAN; k * ld];
                        g.unfold_t_into(&x, &mut col_t, ld);
                        for (e, gap) in col_t.chunks(ld).enumerate() {
                            assert!(
                                gap[rows..].iter().all(|v| v.is_nan()),
                                "{g:?}: row {e} overran"
                            );
                        }
                        for r in 0..rows {
                            for e in 0..k {
                                assert_eq!(
                                    col_t[e * ld + r],
                                    col[r * k + e],
                                    "{g:?}: position {r}, filter element {e}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

//! Contour levels and iso-lines of a function sampled on a grid (marching squares), for
//! [`ContourPlot`](super::ContourPlot).

use std::collections::HashMap;

/// A step of 1, 2, 2.5 or 5 × 10^k near `raw`.
fn nice_step(raw: f64) -> f64 {
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let k = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 2.5 {
        2.5
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    k * p
}

/// Default contour levels between `lo` and `hi`: for a bowl (lo ≥ 0, hi/lo large) the
/// 1-2-5 sequence, so rings are spread out in space; otherwise about `n` evenly spaced
/// round numbers.
pub(crate) fn auto_levels(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return Vec::new();
    }
    if lo >= 0.0 && hi > 50.0 * lo.max(1e-300) && hi > 0.0 {
        let mut out = Vec::new();
        let mut p = 10f64.powf((hi.log10() - 4.0).floor());
        while p < hi {
            for m in [1.0, 2.0, 5.0] {
                let v = m * p;
                if v > lo && v < hi {
                    out.push(v);
                }
            }
            p *= 10.0;
        }
        // keep the top `n` levels (the small ones crowd around the minimum)
        let skip = out.len().saturating_sub(n.max(1));
        return out.split_off(skip);
    }
    let step = nice_step((hi - lo) / n.max(1) as f64);
    let mut v = (lo / step).floor() * step + step;
    let mut out = Vec::new();
    while v < hi - 1e-9 * step {
        if v > lo {
            out.push(v);
        }
        v += step;
    }
    out
}

/// Iso-lines of a grid of values by marching squares; polylines in data coordinates.
/// `z[j * nx + i]` is the value at `(xs[i], ys[j])`; cells with a non-finite corner are
/// skipped.
pub(crate) fn iso_lines(xs: &[f64], ys: &[f64], z: &[f64], level: f64) -> Vec<Vec<(f64, f64)>> {
    let nx = xs.len();
    let ny = ys.len();
    // edge key: (j * nx + i) * 2 + dir, dir 0 = horizontal edge (i,j)-(i+1,j), 1 = vertical (i,j)-(i,j+1)
    let mut points: HashMap<usize, (f64, f64)> = HashMap::new();
    let mut segs: Vec<(usize, usize)> = Vec::new();
    let zv = |i: usize, j: usize| z[j * nx + i];
    let mut edge = |i: usize, j: usize, dir: usize| -> usize {
        let key = (j * nx + i) * 2 + dir;
        points.entry(key).or_insert_with(|| {
            let (i2, j2) = if dir == 0 { (i + 1, j) } else { (i, j + 1) };
            let (za, zb) = (zv(i, j), zv(i2, j2));
            let t = if zb != za {
                ((level - za) / (zb - za)).clamp(0.0, 1.0)
            } else {
                0.5
            };
            (xs[i] + t * (xs[i2] - xs[i]), ys[j] + t * (ys[j2] - ys[j]))
        });
        key
    };
    for j in 0..ny.saturating_sub(1) {
        for i in 0..nx.saturating_sub(1) {
            let c = [zv(i, j), zv(i + 1, j), zv(i + 1, j + 1), zv(i, j + 1)];
            if c.iter().any(|v| !v.is_finite()) {
                continue;
            }
            let b: Vec<bool> = c.iter().map(|&v| v > level).collect();
            let bottom = b[0] != b[1];
            let right = b[1] != b[2];
            let top = b[3] != b[2];
            let left = b[0] != b[3];
            let crossed = [bottom, right, top, left].iter().filter(|&&x| x).count();
            if crossed == 0 {
                continue;
            }
            let eb = bottom.then(|| edge(i, j, 0));
            let er = right.then(|| edge(i + 1, j, 1));
            let et = top.then(|| edge(i, j + 1, 0));
            let el = left.then(|| edge(i, j, 1));
            if crossed == 2 {
                let ks: Vec<usize> = [eb, er, et, el].into_iter().flatten().collect();
                segs.push((ks[0], ks[1]));
            } else {
                let (eb, er, et, el) = (
                    eb.expect("crossed"),
                    er.expect("crossed"),
                    et.expect("crossed"),
                    el.expect("crossed"),
                );
                let centre = (c[0] + c[1] + c[2] + c[3]) / 4.0 > level;
                // corners 0 and 2 are on one side, 1 and 3 on the other
                if centre == b[0] {
                    // 0 and 2 joined through the centre: cut off corners 1 and 3
                    segs.push((eb, er));
                    segs.push((et, el));
                } else {
                    segs.push((el, eb));
                    segs.push((er, et));
                }
            }
        }
    }
    // chain segments that share an edge point
    let mut at: HashMap<usize, Vec<usize>> = HashMap::new();
    for (s, &(a, b)) in segs.iter().enumerate() {
        at.entry(a).or_default().push(s);
        at.entry(b).or_default().push(s);
    }
    let mut used = vec![false; segs.len()];
    let mut lines = Vec::new();
    for start in 0..segs.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let mut keys = vec![segs[start].0, segs[start].1];
        for backwards in [false, true] {
            loop {
                let end = if backwards {
                    keys[0]
                } else {
                    keys[keys.len() - 1]
                };
                let next = at[&end].iter().copied().find(|&s| !used[s]);
                let Some(s) = next else { break };
                used[s] = true;
                let other = if segs[s].0 == end {
                    segs[s].1
                } else {
                    segs[s].0
                };
                if backwards {
                    keys.insert(0, other);
                } else {
                    keys.push(other);
                }
            }
        }
        lines.push(keys.iter().map(|k| points[k]).collect());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circle_iso_line_is_one_closed_ring_at_the_right_radius() {
        let n = 41;
        let xs: Vec<f64> = (0..n)
            .map(|i| -2.0 + 4.0 * i as f64 / (n - 1) as f64)
            .collect();
        let ys = xs.clone();
        let mut z = Vec::new();
        for &y in &ys {
            for &x in &xs {
                z.push(x * x + y * y);
            }
        }
        let lines = iso_lines(&xs, &ys, &z, 1.0);
        assert_eq!(lines.len(), 1);
        let ring = &lines[0];
        assert_eq!(ring.first(), ring.last(), "closed");
        for &(x, y) in ring {
            let r = x.hypot(y);
            assert!((r - 1.0).abs() < 0.01, "radius {r}");
        }
    }

    #[test]
    fn bowl_levels_are_125_sequence() {
        let close = |a: &[f64], b: &[f64]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| (x - y).abs() < 1e-9 * (1.0 + y.abs()))
        };
        let bowl = auto_levels(0.0, 30.0, 7);
        assert!(
            close(&bowl, &[0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0]),
            "{bowl:?}"
        );
        let lin = auto_levels(-1.0, 1.0, 4);
        assert!(close(&lin, &[-0.5, 0.0, 0.5]), "{lin:?}");
    }
}

//! Progress lines for long cells: which epoch or experiment is done, the time so far and
//! an estimate of what is left, on stdout as the work goes.
//!
//! On by default (JupyterLab, examples); `DLFS_PROGRESS=0` turns it off. The headless
//! notebook runner sets that, because times differ from run to run and the committed
//! notebooks must come out the same every time; what a cell computes is printed either way.

use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Whether progress lines are printed: unless `DLFS_PROGRESS` is `0`, `off`, `false` or `no`.
pub fn enabled() -> bool {
    enabled_by(std::env::var("DLFS_PROGRESS").ok().as_deref())
}

/// [`enabled`] for a given value of `DLFS_PROGRESS` (`None`: unset).
pub fn enabled_by(value: Option<&str>) -> bool {
    !matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("0" | "off" | "false" | "no")
    )
}

/// `1m05s`, `42s`, `3.2s`, `1h02m`.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.1}s")
    } else if s < 60.0 {
        format!("{}s", s.round() as u64)
    } else if s < 3600.0 {
        let s = s.round() as u64;
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        let m = (s / 60.0).round() as u64;
        format!("{}h{:02}m", m / 60, m % 60)
    }
}

/// The line after `done` of `total` pieces of work took `elapsed`: the time so far and,
/// before the end, the time left if the rest goes at the same pace.
pub fn line(what: &str, done: usize, total: usize, elapsed: Duration) -> String {
    let so_far = format_duration(elapsed);
    if done >= total || done == 0 {
        return format!("  [{what} {done}/{total}, {so_far}]");
    }
    let left = elapsed.mul_f64((total - done) as f64 / done as f64);
    format!(
        "  [{what} {done}/{total}, {so_far} so far, about {} left]",
        format_duration(left)
    )
}

/// Counts finished pieces of work (from any thread) and prints a [`line`](fn@line) for each, or,
/// above 20 pieces, for every tenth of them and the last. (The exercise notebooks' count of
/// passed checks is another thing: [`exercise::Progress`](crate::exercise::Progress).)
#[derive(Debug)]
pub struct ProgressMeter {
    what: &'static str,
    /// Pieces done before this meter started (a resumed run's finished epochs).
    before: usize,
    total: usize,
    every: usize,
    done: AtomicUsize,
    start: Instant,
    on: bool,
}

impl ProgressMeter {
    /// Progress over `total` pieces called `what` ("epoch", "experiment"), starting now;
    /// silent when [`enabled`] is false.
    pub fn new(what: &'static str, total: usize) -> Self {
        Self::resumed(what, 0, total)
    }

    /// Progress over `total` pieces of which `before` were done by an earlier run: the
    /// lines count on from `before` ("epoch 8/20"), the time is this run's.
    pub fn resumed(what: &'static str, before: usize, total: usize) -> Self {
        let total = total.saturating_sub(before);
        ProgressMeter {
            what,
            before,
            total,
            every: if total > 20 { total.div_ceil(10) } else { 1 },
            done: AtomicUsize::new(0),
            start: Instant::now(),
            on: enabled(),
        }
    }

    /// One more piece is done: prints its line (when on).
    pub fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if self.on && (done.is_multiple_of(self.every) || done == self.total) {
            let mut out = std::io::stdout().lock();
            let elapsed = self.start.elapsed();
            let text = line(self.what, done, self.total, elapsed);
            // this run's pace, the whole run's count
            let text = if self.before == 0 {
                text
            } else {
                let all = self.before + self.total;
                text.replacen(
                    &format!("{done}/{}", self.total),
                    &format!("{}/{all}", self.before + done),
                    1,
                )
            };
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switched_off_only_by_the_off_words() {
        for v in ["0", "off", "False", " no "] {
            assert!(!enabled_by(Some(v)), "{v:?}");
        }
        for v in [None, Some("1"), Some("yes"), Some("")] {
            assert!(enabled_by(v), "{v:?}");
        }
    }

    #[test]
    fn lines_say_how_far_and_how_long() {
        let s = Duration::from_secs;
        assert_eq!(format_duration(Duration::from_millis(3200)), "3.2s");
        assert_eq!(format_duration(s(42)), "42s");
        assert_eq!(format_duration(s(65)), "1m05s");
        assert_eq!(format_duration(s(3720)), "1h02m");
        // 5 of 20 epochs in 30 s: 15 more at the same pace is 90 s
        assert_eq!(
            line("epoch", 5, 20, s(30)),
            "  [epoch 5/20, 30s so far, about 1m30s left]"
        );
        assert_eq!(
            line("experiment", 16, 16, s(50)),
            "  [experiment 16/16, 50s]"
        );
    }

    #[test]
    fn more_than_twenty_pieces_report_every_tenth() {
        let p = ProgressMeter::new("trial", 100);
        assert_eq!(p.every, 10);
        assert_eq!(ProgressMeter::new("epoch", 20).every, 1);
        assert_eq!(ProgressMeter::new("trial", 21).every, 3);
    }
}

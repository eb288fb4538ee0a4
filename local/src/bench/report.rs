//! What the benchmarks measure and print: latency quantiles, and reports
//! written as one line of JSON (the bench scripts read fields from it).

use serde::Serialize;

/// A memory figure of a process, in KiB: `field` (`VmRSS`, `VmHWM`, …) of
/// `/proc/<pid>/status` (`pid` may be `self`); `None` when there is no such
/// process or line (not Linux).
pub fn status_kb(pid: &str, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Latencies in microseconds, sorted, with quantiles in milliseconds.
#[derive(Debug, Default)]
pub struct Latencies(Vec<u64>);

impl Latencies {
    /// Sorts `micros` once, for any number of quantiles.
    pub fn from_micros(mut micros: Vec<u64>) -> Self {
        micros.sort_unstable();
        Self(micros)
    }

    /// How many were measured.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when nothing was measured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The q-quantile in milliseconds (q = 1.0 is the maximum; 0 when empty).
    pub fn ms(&self, q: f64) -> f64 {
        match self.0.len() {
            0 => 0.0,
            n => self.0[((n - 1) as f64 * q).round() as usize] as f64 / 1000.0,
        }
    }
}

/// `value` to `places` decimals, so a report shows what was measured and no
/// more digits than that.
pub fn rounded(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}

/// Prints `report` as one line of JSON.
pub fn print_json(report: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(report)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_are_read_in_kib_and_absent_ones_are_none() {
        let rss = status_kb("self", "VmRSS").expect("Linux reports VmRSS");
        let peak = status_kb("self", "VmHWM").expect("Linux reports VmHWM");
        assert!(rss > 0 && peak >= rss, "{rss} {peak}");
        // A field is matched whole: `VmRS` is not `VmRSS`.
        assert_eq!(status_kb("self", "VmRS"), None);
        assert_eq!(status_kb("0", "VmRSS"), None);
    }
}

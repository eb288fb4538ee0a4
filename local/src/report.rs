//! What the benchmarks measure and print: latency quantiles, and reports
//! written as one line of JSON (the bench scripts read fields from it).

use serde::Serialize;

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

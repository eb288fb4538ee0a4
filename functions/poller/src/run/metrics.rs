//! A run's CloudWatch metrics, from the status it records.

use shared::metrics::{count, Metric, Unit};
use shared::store::snapshots::PollerStatus;

/// A run's CloudWatch metrics, from its status: `Pages`, `ThrottledWaits`,
/// `SnapshotsWritten`, `Transitions`, `RunDuration`, and one of `Runs`,
/// `RunsSkipped`, `RunFailures`.
pub fn run_metrics(status: &PollerStatus) -> Vec<Metric<'static>> {
    let outcome = match status.outcome.as_str() {
        "ok" => "Runs",
        "failed" => "RunFailures",
        _ => "RunsSkipped",
    };
    vec![
        count(outcome, 1),
        count("Pages", status.pages),
        count("ThrottledWaits", status.throttled_waits),
        count("SnapshotsWritten", status.snapshots_written),
        count("Transitions", status.transitions),
        Metric {
            name: "RunDuration",
            value: status.duration_ms as f64,
            unit: Unit::Milliseconds,
        },
    ]
}

/// Prints the run's metrics line (inside Lambda only).
pub(super) fn emit_metrics(status: &PollerStatus) {
    shared::metrics::emit("poller", &[], &run_metrics(status));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_outcome_counts_under_its_own_run_metric() {
        let counter = |outcome: &str| {
            let status = PollerStatus {
                outcome: outcome.into(),
                pages: 7,
                ..Default::default()
            };
            let metrics = run_metrics(&status);
            (metrics[0].name, metrics[0].value, metrics[1].value)
        };
        assert_eq!(counter("ok"), ("Runs", 1.0, 7.0));
        assert_eq!(counter("failed"), ("RunFailures", 1.0, 7.0));
        assert_eq!(
            counter("skipped (another run holds the lease)"),
            ("RunsSkipped", 1.0, 7.0)
        );
    }
}

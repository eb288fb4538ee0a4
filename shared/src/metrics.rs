//! CloudWatch metrics in Embedded Metric Format: a JSON log line per unit of
//! work that CloudWatch Logs turns into metrics, so counting costs no API
//! call and no latency. Lines are printed only inside Lambda
//! (`AWS_LAMBDA_FUNCTION_NAME` is set): the local stack and the benchmarks
//! stay quiet, and build the same lines with [`line`] in tests.

use serde_json::{json, Map, Value};

/// The namespace metrics go to unless `METRICS_NAMESPACE` names another (the
/// template names one per stack, so two stacks in one account stay apart).
pub const NAMESPACE: &str = "StreamerEvents";

/// A metric's unit, as CloudWatch names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
    Percent,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
            Unit::Percent => "Percent",
        }
    }
}

/// One value of one metric.
#[derive(Clone, Copy, Debug)]
pub struct Metric<'a> {
    pub name: &'a str,
    pub value: f64,
    pub unit: Unit,
}

/// A count of `value`.
pub fn count(name: &str, value: u64) -> Metric<'_> {
    Metric {
        name,
        value: value as f64,
        unit: Unit::Count,
    }
}

/// The EMF line for `metrics` of `function` in `namespace`, with extra
/// dimensions (`("Reason", "bad_signature")`), stamped `at_ms`.
pub fn line(
    namespace: &str,
    function: &str,
    dimensions: &[(&str, &str)],
    metrics: &[Metric<'_>],
    at_ms: i64,
) -> String {
    let mut names = vec![Value::from("Function")];
    names.extend(dimensions.iter().map(|(k, _)| Value::from(*k)));
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": at_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [names],
                "Metrics": metrics.iter().map(|m| json!({"Name": m.name, "Unit": m.unit.as_str()})).collect::<Vec<_>>(),
            }],
        }),
    );
    root.insert("Function".into(), Value::from(function));
    for (k, v) in dimensions {
        root.insert((*k).into(), Value::from(*v));
    }
    for m in metrics {
        root.insert(m.name.into(), json!(m.value));
    }
    Value::Object(root).to_string()
}

/// Prints the EMF line when running in Lambda.
pub fn emit(function: &str, dimensions: &[(&str, &str)], metrics: &[Metric<'_>]) {
    if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
        let namespace = std::env::var("METRICS_NAMESPACE").unwrap_or_else(|_| NAMESPACE.into());
        let at_ms = crate::clock::now_ms();
        println!("{}", line(&namespace, function, dimensions, metrics, at_ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_what_cloudwatch_reads_as_metrics() {
        let text = line(
            NAMESPACE,
            "webhook",
            &[("Reason", "bad_signature")],
            &[count("Rejected", 1)],
            1_700_000_000_000,
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        let spec = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000i64);
        assert_eq!(spec["Namespace"], NAMESPACE);
        assert_eq!(spec["Dimensions"], json!([["Function", "Reason"]]));
        assert_eq!(
            spec["Metrics"],
            json!([{"Name": "Rejected", "Unit": "Count"}])
        );
        // Every dimension and metric named has its value at the top level.
        assert_eq!(
            (v["Function"].as_str(), v["Reason"].as_str()),
            (Some("webhook"), Some("bad_signature"))
        );
        assert_eq!(v["Rejected"], 1.0);
    }
}

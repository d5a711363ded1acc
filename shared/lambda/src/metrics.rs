//! CloudWatch embedded-metric-format (EMF) lines: a JSON object on a log line of its own, which
//! CloudWatch Logs turns into metrics in namespace [`NAMESPACE`], by the function's name. No
//! PutMetricData call, no permission, nothing billed beyond the log line and the metric.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

/// The namespace of pok-eco's own metrics (the template's alarms read it).
pub const NAMESPACE: &str = "pok-eco";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    Seconds,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Seconds => "Seconds",
        }
    }
}

/// One value of one metric.
#[derive(Clone, Copy, Debug)]
pub struct Metric<'a> {
    pub name: &'a str,
    pub unit: Unit,
    pub value: f64,
}

impl<'a> Metric<'a> {
    pub fn count(name: &'a str, value: u64) -> Self {
        Self {
            name,
            unit: Unit::Count,
            // Counts of one invocation stay far below 2^53: exact as f64.
            value: value as f64,
        }
    }

    pub fn seconds(name: &'a str, value: u64) -> Self {
        Self {
            unit: Unit::Seconds,
            ..Self::count(name, value)
        }
    }
}

/// The EMF line of `metrics`, dimensioned by `function`, at `at_ms` (Unix milliseconds).
pub fn line(function: &str, at_ms: u64, metrics: &[Metric<'_>]) -> String {
    let definitions: Vec<Value> = metrics
        .iter()
        .map(|m| json!({"Name": m.name, "Unit": m.unit.name()}))
        .collect();
    let mut root = Map::new();
    root.insert(
        "_aws".to_owned(),
        json!({
            "Timestamp": at_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["FunctionName"]],
                "Metrics": definitions,
            }],
        }),
    );
    root.insert("FunctionName".to_owned(), Value::from(function));
    for m in metrics {
        root.insert(m.name.to_owned(), Value::from(m.value));
    }
    Value::Object(root).to_string()
}

/// Writes the EMF line of `metrics` to standard output, where Lambda sends it to the
/// function's log group; dimensioned by `AWS_LAMBDA_FUNCTION_NAME`, as the alarms are.
pub fn emit(metrics: &[Metric<'_>]) {
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default();
    let at_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    println!("{}", line(&function, at_ms, metrics));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_declares_each_metric_and_carries_its_value_beside_the_dimension() {
        let text = line(
            "pokeco-LrsSyncFunction-x1",
            1_700_000_000_123,
            &[
                Metric::count("StatementsDelivered", 120),
                Metric::seconds("SyncLagSeconds", 38),
            ],
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(!text.contains('\n'), "one log line");
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_123_u64);
        let directive = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "pok-eco");
        assert_eq!(directive["Dimensions"], json!([["FunctionName"]]));
        assert_eq!(
            directive["Metrics"],
            json!([
                {"Name": "StatementsDelivered", "Unit": "Count"},
                {"Name": "SyncLagSeconds", "Unit": "Seconds"}
            ])
        );
        assert_eq!(v["FunctionName"], "pokeco-LrsSyncFunction-x1");
        assert_eq!(v["StatementsDelivered"], 120.0);
        assert_eq!(v["SyncLagSeconds"], 38.0);
    }
}

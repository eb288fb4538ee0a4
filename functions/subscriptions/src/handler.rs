//! The Lambda entry: one function, three triggers, told apart by shape.
//!
//! - DynamoDB stream of the streamers table: reconcile the streamers whose
//!   wanted state or scopes changed, right away (a refreshed "last watched"
//!   alone does not cost a Twitch call). Partial-batch failures.
//! - EventBridge schedule: the full sweep.
//! - HTTP API (payload 2.0): the admin routes.

use base64::Engine;
use serde_json::{json, Value};
use shared::clock::now_ms;

use crate::admin::{self, AdminRequest};
use crate::manager::Manager;

/// What the function needs besides the manager.
pub struct Settings {
    pub admin_token: String,
}

/// Handles one invocation.
pub async fn handle(m: &Manager, settings: &Settings, event: Value) -> Value {
    if event.pointer("/requestContext/http").is_some() {
        return http(m, settings, &event).await;
    }
    if event["Records"].is_array() {
        return stream(m, &event).await;
    }
    if event["source"] == "aws.events" || event["detail-type"] == "Scheduled Event" {
        return match m.sweep(now_ms()).await {
            Ok(r) => {
                json!({"reconciled": r.reconciled, "released": r.released, "failed": r.failed, "orphans_deleted": r.orphans_deleted})
            }
            Err(e) => {
                tracing::error!(error = %e, "sweep failed");
                json!({"error": e.to_string()})
            }
        };
    }
    tracing::warn!("ignored an event of unknown shape");
    json!({"error": "unknown event"})
}

async fn http(m: &Manager, settings: &Settings, event: &Value) -> Value {
    let text = |p: &str| {
        event
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let raw = text("/body");
    let body = if event["isBase64Encoded"] == true {
        base64::engine::general_purpose::STANDARD
            .decode(raw.as_bytes())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default()
    } else {
        raw
    };
    let req = AdminRequest {
        method: text("/requestContext/http/method"),
        path: text("/rawPath"),
        authorization: event
            .pointer("/headers/authorization")
            .and_then(Value::as_str)
            .map(str::to_owned),
        body,
    };
    let answer = admin::route(m, &settings.admin_token, &req, now_ms()).await;
    json!({
        "statusCode": answer.status,
        "headers": {"content-type": "application/json"},
        "body": answer.body.to_string(),
    })
}

/// The streamer a streamers-table stream record is about, when its change
/// needs a reconcile.
pub fn changed_streamer(record: &Value) -> Option<String> {
    let keys = record.pointer("/dynamodb/Keys")?;
    if keys.pointer("/sk/S")?.as_str()? != "META" {
        return None;
    }
    let id = keys
        .pointer("/pk/S")?
        .as_str()?
        .strip_prefix("STREAMER#")?
        .to_owned();
    let new = record.pointer("/dynamodb/NewImage");
    let old = record.pointer("/dynamodb/OldImage");
    let same = |field: &str| {
        let a = new.and_then(|n| n.get(field));
        let b = old.and_then(|o| o.get(field));
        a == b
    };
    match record["eventName"].as_str() {
        Some("INSERT") | Some("REMOVE") => Some(id),
        Some("MODIFY") if !(same("wanted") && same("scopes")) => Some(id),
        _ => None,
    }
}

async fn stream(m: &Manager, event: &Value) -> Value {
    let mut failures = Vec::new();
    for record in event["Records"].as_array().into_iter().flatten() {
        let Some(id) = changed_streamer(record) else {
            continue;
        };
        if let Err(e) = m.reconcile_one(&id, now_ms()).await {
            tracing::warn!(broadcaster = %id, error = %e, "reconcile failed; retrying the record");
            if let Some(seq) = record
                .pointer("/dynamodb/SequenceNumber")
                .and_then(Value::as_str)
            {
                failures.push(json!({"itemIdentifier": seq}));
            }
            // Lambda retries from the first failure; the rest come again.
            break;
        }
    }
    json!({"batchItemFailures": failures})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(event: &str, sk: &str, old: Value, new: Value) -> Value {
        json!({"eventName": event, "dynamodb": {
            "Keys": {"pk": {"S": "STREAMER#7"}, "sk": {"S": sk}},
            "OldImage": old, "NewImage": new, "SequenceNumber": "1"}})
    }

    #[test]
    fn only_wanted_or_scope_changes_cost_a_reconcile() {
        let wanted = json!({"wanted": {"BOOL": true}, "last_watched": {"N": "1"}});
        let watched = json!({"wanted": {"BOOL": true}, "last_watched": {"N": "2"}});
        let released = json!({"wanted": {"BOOL": false}, "last_watched": {"N": "2"}});
        assert_eq!(
            changed_streamer(&record("INSERT", "META", Value::Null, wanted.clone())).as_deref(),
            Some("7")
        );
        assert_eq!(
            changed_streamer(&record("MODIFY", "META", wanted.clone(), watched.clone())),
            None
        );
        assert_eq!(
            changed_streamer(&record("MODIFY", "META", watched, released)).as_deref(),
            Some("7")
        );
        assert_eq!(
            changed_streamer(&record("INSERT", "TYPE#stream.online", Value::Null, wanted)),
            None
        );
    }
}

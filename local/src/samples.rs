//! `samples`: writes the API Gateway (HTTP API, payload 2.0) events in
//! `events/`, freshly signed with the development secret, for
//! `cargo lambda invoke --data-file` and `sam local invoke -e`.
//!
//! Signed deliveries go stale after 10 minutes (the handler then answers 204
//! and stores nothing), so regenerate them right before invoking.

use std::path::Path;

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Map, Value};
use shared::config::EventSubSecret;
use shared::eventsub::fixtures::{self, Channel, Delivery, TYPES};
use time::OffsetDateTime;

/// An API Gateway HTTP API (payload 2.0) request carrying `delivery`.
pub fn api_gateway_event(delivery: &Delivery, secret: &EventSubSecret, base64_body: bool) -> Value {
    let headers: Map<String, Value> = delivery
        .headers(secret)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::String(v)))
        .chain([
            (
                "host".to_owned(),
                json!("abc123.execute-api.us-east-1.amazonaws.com"),
            ),
            (
                "user-agent".to_owned(),
                json!("Twitch-Eventsub-Webhooks/1.0"),
            ),
            (
                "content-length".to_owned(),
                json!(delivery.body.len().to_string()),
            ),
        ])
        .collect();
    let now = OffsetDateTime::now_utc();
    let body = if base64_body {
        STANDARD.encode(delivery.body.as_bytes())
    } else {
        delivery.body.clone()
    };
    json!({
        "version": "2.0",
        "routeKey": "POST /eventsub",
        "rawPath": "/eventsub",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": "POST",
                "path": "/eventsub",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "Twitch-Eventsub-Webhooks/1.0"
            },
            "requestId": delivery.message_id,
            "routeKey": "POST /eventsub",
            "stage": "$default",
            "time": "23/Nov/2026:09:00:00 +0000",
            "timeEpoch": now.unix_timestamp() * 1000
        },
        "body": body,
        "isBase64Encoded": base64_body
    })
}

/// Every sample: name → event.
pub fn all(secret: &EventSubSecret) -> Vec<(String, Value)> {
    let channel = Channel::new("1337");
    let now = OffsetDateTime::now_utc();
    let mut out: Vec<(String, Value)> = TYPES
        .iter()
        .enumerate()
        .map(|(i, (kind, _))| {
            let d = fixtures::notification(kind, &channel, i as u64, now);
            (
                format!("notification-{kind}"),
                api_gateway_event(&d, secret, false),
            )
        })
        .collect();
    let cheer = fixtures::notification("channel.cheer", &channel, 99, now);
    out.push((
        "notification-base64-body".into(),
        api_gateway_event(&cheer, secret, true),
    ));
    let unknown = fixtures::notification("channel.poll.begin", &channel, 0, now);
    out.push((
        "notification-unknown-type".into(),
        api_gateway_event(&unknown, secret, false),
    ));
    let challenge = fixtures::verification("channel.follow", &channel, now);
    out.push((
        "verification".into(),
        api_gateway_event(&challenge, secret, false),
    ));
    let revoked = fixtures::revocation("channel.follow", &channel, "authorization_revoked", now);
    out.push((
        "revocation".into(),
        api_gateway_event(&revoked, secret, false),
    ));
    out
}

/// Writes every sample to `dir/webhook/<name>.json`; returns how many.
pub fn write(dir: &Path, secret: &EventSubSecret) -> std::io::Result<usize> {
    let dir = dir.join("webhook");
    std::fs::create_dir_all(&dir)?;
    let samples = all(secret);
    for (name, event) in &samples {
        let text = serde_json::to_string_pretty(event).map_err(std::io::Error::other)?;
        std::fs::write(dir.join(format!("{name}.json")), text + "\n")?;
    }
    Ok(samples.len())
}

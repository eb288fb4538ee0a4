//! Realistic, correctly signed EventSub deliveries for every supported type:
//! what the trigger command sends, what tests and benchmarks post.
//!
//! Each type's `event` is its fixture (in its file under
//! [`types`](super::types)): shaped like Twitch's documented sample, varied
//! per message so feeds look alive.

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::catalog;
use super::headers::{self, MessageType};
pub use super::scene::Channel;
use super::scene::Scene;
use super::status::Status;
use super::verify::signature_header;
use crate::config::EventSubSecret;

/// A delivery ready to sign and send.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub message_id: String,
    pub timestamp: String,
    pub message_type: MessageType,
    pub subscription_type: String,
    pub subscription_version: String,
    pub body: String,
}

impl Delivery {
    /// The headers Twitch would send, signed with `secret`.
    pub fn headers(&self, secret: &EventSubSecret) -> Vec<(&'static str, String)> {
        vec![
            ("content-type", "application/json".into()),
            (headers::MESSAGE_ID, self.message_id.clone()),
            (headers::MESSAGE_RETRY, "0".into()),
            (headers::MESSAGE_TYPE, self.message_type.as_str().into()),
            (
                headers::MESSAGE_SIGNATURE,
                signature_header(
                    secret,
                    &self.message_id,
                    &self.timestamp,
                    self.body.as_bytes(),
                ),
            ),
            (headers::MESSAGE_TIMESTAMP, self.timestamp.clone()),
            (headers::SUBSCRIPTION_TYPE, self.subscription_type.clone()),
            (
                headers::SUBSCRIPTION_VERSION,
                self.subscription_version.clone(),
            ),
        ]
    }
}

/// The version the trigger sends for `kind` ("1" for types it does not know).
pub fn version_of(kind: &str) -> &'static str {
    catalog::lookup(kind).map_or("1", |k| k.version)
}

/// True when [`event`] has a realistic generator for `kind` (every type a
/// tracked streamer gets); other types get a placeholder event.
pub fn covers(kind: &str) -> bool {
    catalog::kind(kind).is_some()
}

/// A stable UUID-shaped subscription id for (type, channel).
pub fn subscription_id(kind: &str, channel_id: &str) -> String {
    let d = Sha256::digest(format!("{kind}|{channel_id}").as_bytes());
    let h = hex::encode(&d[..16]);
    format!(
        "{}-{}-4{}-8{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// The `condition` we create for `kind` on `channel`.
pub fn condition(kind: &str, channel: &Channel) -> Value {
    match catalog::lookup(kind) {
        Some(k) => json!(k.condition(&channel.id)),
        None => json!({"broadcaster_user_id": channel.id}),
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// A realistic `event` object of `kind` for `channel` (its type's fixture);
/// `seq` varies the user.
pub fn event(kind: &str, channel: &Channel, seq: u64, now: OffsetDateTime) -> Value {
    let scene = Scene {
        channel,
        seq,
        at: rfc3339(now),
    };
    match catalog::lookup(kind).and_then(|k| k.fixture) {
        Some(fixture) => fixture(&scene),
        None => {
            scene.in_channel(json!({"note": "a type this system has no summary for; stored raw"}))
        }
    }
}

fn subscription(
    kind: &str,
    version: &str,
    status: &str,
    channel: &Channel,
    now: OffsetDateTime,
) -> Value {
    json!({
        "id": subscription_id(kind, &channel.id),
        "status": status,
        "type": kind,
        "version": version,
        "cost": 0,
        "condition": condition(kind, channel),
        "transport": {"method": "webhook", "callback": "https://example.com/eventsub"},
        "created_at": rfc3339(now),
    })
}

fn delivery(message_type: MessageType, kind: &str, body: Value, now: OffsetDateTime) -> Delivery {
    Delivery {
        message_id: uuid::Uuid::new_v4().to_string(),
        timestamp: rfc3339(now),
        message_type,
        subscription_type: kind.to_owned(),
        subscription_version: version_of(kind).to_owned(),
        body: body.to_string(),
    }
}

/// A notification of `kind` for `channel`, stamped `now`, with a fresh message id.
pub fn notification(kind: &str, channel: &Channel, seq: u64, now: OffsetDateTime) -> Delivery {
    let body = json!({
        "subscription": subscription(kind, version_of(kind), Status::Enabled.as_str(), channel, now),
        "event": event(kind, channel, seq, now),
    });
    delivery(MessageType::Notification, kind, body, now)
}

/// A callback-verification challenge for a new `kind` subscription on `channel`.
pub fn verification(kind: &str, channel: &Channel, now: OffsetDateTime) -> Delivery {
    let body = json!({
        "challenge": uuid::Uuid::new_v4().to_string(),
        "subscription": subscription(
            kind,
            version_of(kind),
            Status::WebhookCallbackVerificationPending.as_str(),
            channel,
            now,
        ),
    });
    delivery(MessageType::Verification, kind, body, now)
}

/// A revocation of the `kind` subscription on `channel`, for `reason`.
pub fn revocation(kind: &str, channel: &Channel, reason: &str, now: OffsetDateTime) -> Delivery {
    let body = json!({"subscription": subscription(kind, version_of(kind), reason, channel, now)});
    delivery(MessageType::Revocation, kind, body, now)
}

/// An API Gateway HTTP API (payload 2.0) request carrying `delivery`.
pub fn api_gateway_event(delivery: &Delivery, secret: &EventSubSecret, base64_body: bool) -> Value {
    lambda_event(delivery, secret, base64_body, None)
}

/// A Lambda function URL's request carrying `delivery` (AuthType `NONE`):
/// payload 2.0 like the HTTP API's, but with the `$default` route key, the
/// URL's own host (`<url-id>.lambda-url.<region>.on.aws`), the forwarding
/// headers Lambda adds, no authorizer, and null path parameters and stage
/// variables. The path is the callback's (`/eventsub`): a function URL
/// hands the function any path.
pub fn function_url_event(
    delivery: &Delivery,
    secret: &EventSubSecret,
    base64_body: bool,
) -> Value {
    lambda_event(delivery, secret, base64_body, Some(FUNCTION_URL_ID))
}

/// The function URL id of [`function_url_event`].
pub const FUNCTION_URL_ID: &str = "n3x5k2mqzv7r4ta6wy8bcdefgh0jklpq";

/// The HTTP API's event (`url_id` None) or a function URL's.
fn lambda_event(
    delivery: &Delivery,
    secret: &EventSubSecret,
    base64_body: bool,
    url_id: Option<&str>,
) -> Value {
    let (host, api_id, route_key) = match url_id {
        Some(id) => (format!("{id}.lambda-url.us-east-1.on.aws"), id, "$default"),
        None => (
            "abc123.execute-api.us-east-1.amazonaws.com".to_owned(),
            "abc123",
            "POST /eventsub",
        ),
    };
    let forwarded = url_id.map_or(&[][..], |_| {
        &[
            ("x-amzn-tls-version", "TLSv1.3"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-port", "443"),
            ("x-forwarded-for", "203.0.113.7"),
            (
                "x-amzn-trace-id",
                "Root=1-6762e0a1-0123456789abcdef01234567",
            ),
        ][..]
    });
    let headers: Map<String, Value> = delivery
        .headers(secret)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::String(v)))
        .chain([
            ("host".to_owned(), json!(host)),
            (
                "user-agent".to_owned(),
                json!("Twitch-Eventsub-Webhooks/1.0"),
            ),
            (
                "content-length".to_owned(),
                json!(delivery.body.len().to_string()),
            ),
        ])
        .chain(forwarded.iter().map(|(k, v)| ((*k).to_owned(), json!(v))))
        .collect();
    let now = OffsetDateTime::now_utc();
    let body = if base64_body {
        STANDARD.encode(delivery.body.as_bytes())
    } else {
        delivery.body.clone()
    };
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": "/eventsub",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": if url_id.is_some() { "anonymous" } else { "123456789012" },
            "apiId": api_id,
            "domainName": host,
            "domainPrefix": api_id,
            "http": {
                "method": "POST",
                "path": "/eventsub",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "Twitch-Eventsub-Webhooks/1.0"
            },
            "requestId": delivery.message_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": "23/Nov/2026:09:00:00 +0000",
            "timeEpoch": now.unix_timestamp() * 1000
        },
        "body": body,
        "isBase64Encoded": base64_body
    });
    if url_id.is_some() {
        event["pathParameters"] = Value::Null;
        event["stageVariables"] = Value::Null;
        event["requestContext"]["authentication"] = Value::Null;
    }
    event
}

/// The benchmarks' notification mix: each type with its share in percent. Follows,
/// redemptions, cheers and subs dominate a busy channel; stream and hype-train
/// events are rare.
pub const MIX: &[(&str, u32)] = &[
    ("channel.follow", 24),
    ("channel.channel_points_custom_reward_redemption.add", 20),
    ("channel.cheer", 14),
    ("channel.subscribe", 12),
    ("channel.subscription.message", 8),
    ("channel.update", 6),
    ("channel.subscription.gift", 4),
    ("channel.hype_train.progress", 4),
    ("channel.raid", 2),
    ("stream.online", 2),
    ("stream.offline", 2),
    ("channel.hype_train.begin", 1),
    ("channel.hype_train.end", 1),
];

/// The type of the `n`th notification: the mix spread evenly, so any run of
/// a hundred consecutive ones has each type's share.
pub fn mix_kind(n: usize) -> &'static str {
    let total: u32 = MIX.iter().map(|(_, w)| w).sum();
    // A stride coprime with the total interleaves the types.
    let mut slot = ((n as u64 * 37) % u64::from(total)) as u32;
    for (kind, weight) in MIX {
        if slot < *weight {
            return kind;
        }
        slot -= weight;
    }
    MIX[0].0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hundred_notifications_follow_the_mix() {
        for start in [0, 100, 12_345] {
            for (kind, weight) in MIX {
                let n = (start..start + 100)
                    .filter(|&n| mix_kind(n) == *kind)
                    .count();
                assert_eq!(n as u32, *weight, "{kind} from {start}");
            }
        }
    }

    #[test]
    fn every_tracked_type_has_a_fixture_about_the_watched_channel() {
        let channel = Channel::new("7");
        for kind in catalog::tracked() {
            assert!(kind.fixture.is_some(), "{}", kind.name);
            assert!(covers(kind.name), "{}", kind.name);
            let e = event(kind.name, &channel, 3, OffsetDateTime::UNIX_EPOCH);
            let watched = kind.condition.watch[0];
            assert_eq!(e[watched], "7", "{}", kind.name);
        }
    }

    #[test]
    fn every_type_in_the_mix_has_a_fixture() {
        for (kind, _) in MIX {
            assert!(
                catalog::lookup(kind).and_then(|k| k.fixture).is_some(),
                "{kind}"
            );
        }
    }
}

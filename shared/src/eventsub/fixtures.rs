//! Realistic, correctly signed EventSub deliveries for every supported type:
//! what the trigger command sends, what tests and benchmarks post.
//!
//! Payload shapes follow Twitch's documented examples (the catalog's
//! [`samples`](super::samples)), varied per message so feeds look alive.

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::catalog;
use super::headers::{self, MessageType};
use super::status::Status;
use super::verify::signature_header;
use crate::config::EventSubSecret;

/// The channel a sample is about.
#[derive(Debug, Clone)]
pub struct Channel {
    pub id: String,
    pub login: String,
    pub name: String,
}

impl Channel {
    /// A channel with this id and a login derived from it.
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            login: format!("streamer_{id}"),
            name: format!("Streamer_{id}"),
        }
    }
}

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

/// A realistic `event` object of `kind` for `channel`; `seq` varies the user.
pub fn event(kind: &str, channel: &Channel, seq: u64, now: OffsetDateTime) -> Value {
    let b = json!({
        "broadcaster_user_id": channel.id,
        "broadcaster_user_login": channel.login,
        "broadcaster_user_name": channel.name,
    });
    let user_id = (100_000 + seq % 900_000).to_string();
    let user = json!({
        "user_id": user_id,
        "user_login": format!("viewer_{user_id}"),
        "user_name": format!("Viewer_{user_id}"),
    });
    let at = rfc3339(now);
    let mut e = match kind {
        "stream.online" => {
            json!({"id": format!("{}", 40_000_000_000u64 + seq), "type": "live", "started_at": at})
        }
        "stream.offline" => json!({}),
        "channel.update" => json!({
            "title": format!("Speedrunning everything, part {seq}"),
            "language": "en", "category_id": "504461", "category_name": "Celeste",
            "content_classification_labels": []
        }),
        "channel.follow" => merge(user, json!({"followed_at": at})),
        "channel.subscribe" => merge(user, json!({"tier": "1000", "is_gift": false})),
        "channel.subscription.gift" => merge(
            user,
            json!({
                "total": 1 + seq % 10, "tier": "1000", "cumulative_total": 50 + seq, "is_anonymous": false
            }),
        ),
        "channel.subscription.message" => merge(
            user,
            json!({
                "tier": "1000",
                "message": {"text": "Love the stream! FevziGG", "emotes": []},
                "cumulative_months": 1 + seq % 48, "streak_months": null, "duration_months": 1
            }),
        ),
        "channel.cheer" => merge(
            user,
            json!({
                "is_anonymous": false, "message": "Cheer100 pog", "bits": 100 * (1 + seq % 10)
            }),
        ),
        "channel.raid" => {
            return json!({
                "from_broadcaster_user_id": "1234",
                "from_broadcaster_user_login": "raiding_friend",
                "from_broadcaster_user_name": "Raiding_Friend",
                "to_broadcaster_user_id": channel.id,
                "to_broadcaster_user_login": channel.login,
                "to_broadcaster_user_name": channel.name,
                "viewers": 10 + seq % 5000
            })
        }
        "channel.channel_points_custom_reward_redemption.add" => merge(
            user,
            json!({
                "id": format!("17fa2df1-ad76-4804-bfa5-{seq:012}"),
                "user_input": "", "status": "unfulfilled",
                "reward": {"id": "92af127c-7326-4483-a52b-b0da0be61c01", "title": "Hydrate", "cost": 100, "prompt": "Drink water"},
                "redeemed_at": at
            }),
        ),
        "channel.hype_train.begin" => json!({
            "id": format!("1b0AsbInCHZW2SQFQkCzqN07Ib2-{seq}"), "total": 137, "progress": 137, "goal": 500,
            "level": 1, "top_contributions": [], "started_at": at, "expires_at": at,
            "type": "regular", "is_shared_train": false, "all_time_high_level": 4, "all_time_high_total": 2845
        }),
        "channel.hype_train.progress" => json!({
            "id": format!("1b0AsbInCHZW2SQFQkCzqN07Ib2-{seq}"), "total": 700, "progress": 200, "goal": 1000,
            "level": 2, "top_contributions": [
                {"user_id": "123", "user_login": "pogchamp", "user_name": "PogChamp", "type": "bits", "total": 50}
            ],
            "shared_train_participants": null, "started_at": at, "expires_at": at,
            "type": "regular", "is_shared_train": false
        }),
        "channel.hype_train.end" => json!({
            "id": format!("1b0AsbInCHZW2SQFQkCzqN07Ib2-{seq}"), "total": 1500, "level": 3,
            "top_contributions": [], "started_at": at, "ended_at": at, "cooldown_ends_at": at,
            "type": "regular", "is_shared_train": false
        }),
        _ => json!({"note": "a type this system has no summary for; stored raw"}),
    };
    if let Value::Object(m) = &mut e {
        if let Value::Object(bm) = b {
            for (k, v) in bm {
                m.entry(k).or_insert(v);
            }
        }
    }
    e
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Value::Object(am), Value::Object(bm)) = (&mut a, b) {
        am.extend(bm);
    }
    a
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
}

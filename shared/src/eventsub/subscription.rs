//! The `subscription` object: what every webhook body carries and what Helix
//! lists and creates, one type for both.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::status::Status;

/// A subscription's `condition`: field name to (nearly always string) value.
pub type Condition = Map<String, Value>;

/// One EventSub subscription, as Twitch describes it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub status: Status,
    #[serde(rename = "type")]
    pub kind: String,
    pub version: String,
    #[serde(default)]
    pub condition: Condition,
    /// Absent from some documented webhook bodies; Helix always sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    /// RFC 3339 with 0 to 9 fraction digits; empty when Twitch left it out.
    #[serde(default, deserialize_with = "null_as_default")]
    pub created_at: String,
    /// Absent from older documented bodies.
    #[serde(default, deserialize_with = "null_as_default")]
    pub cost: u64,
}

impl Subscription {
    /// The streamer whose feed this subscription belongs to, from its condition.
    pub fn broadcaster_id(&self) -> Option<&str> {
        broadcaster_of(&self.condition)
    }

    /// The condition as compact JSON, for storage.
    pub fn condition_json(&self) -> String {
        Value::Object(self.condition.clone()).to_string()
    }

    /// Where it delivers, when it is a webhook.
    pub fn callback(&self) -> Option<&str> {
        self.transport.as_ref()?.callback.as_deref()
    }
}

/// Webhook bodies are not refused for a `null` where a value was expected in
/// a field nothing decides on.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Condition fields that can name the streamer a subscription is about, most
/// specific first (`user_id` last: in chat types it is the reader, not the
/// channel).
const BROADCASTER_FIELDS: [&str; 4] = [
    "broadcaster_user_id",
    "to_broadcaster_user_id",
    "from_broadcaster_user_id",
    "user_id",
];

/// The streamer a condition is about: the first non-empty field of
/// `broadcaster_user_id`, `to_broadcaster_user_id`, `from_broadcaster_user_id`,
/// `user_id`. Twitch lists the unused side of a raid as `""`, so an empty
/// field never decides.
pub fn broadcaster_of(condition: &Condition) -> Option<&str> {
    BROADCASTER_FIELDS
        .iter()
        .filter_map(|f| condition.get(*f).and_then(Value::as_str))
        .find(|v| !v.is_empty())
}

/// Longest user id accepted anywhere it becomes part of a store key
/// (Twitch's are numeric strings of a dozen digits; DynamoDB keys stop at
/// 2,048 bytes, and an oversized one would be retried for ever).
pub const MAX_USER_ID_LEN: usize = 64;

/// Longest subscription id accepted (Twitch's are UUIDs, 36 characters).
pub const MAX_SUBSCRIPTION_ID_LEN: usize = 128;

/// A user id fit to be part of a key: 1 to [`MAX_USER_ID_LEN`] printable
/// ASCII characters.
pub fn valid_user_id(id: &str) -> bool {
    key_part(id, MAX_USER_ID_LEN)
}

/// 1 to `max` printable ASCII characters (no space, no control, no non-ASCII).
fn key_part(id: &str, max: usize) -> bool {
    (1..=max).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

impl Subscription {
    /// The field naming what is wrong with an id that would become a key:
    /// the subscription's own, or a user id its condition names.
    pub fn invalid_id(&self) -> Option<&'static str> {
        if !key_part(&self.id, MAX_SUBSCRIPTION_ID_LEN) {
            return Some("subscription.id");
        }
        BROADCASTER_FIELDS.iter().copied().find(|f| {
            self.condition
                .get(*f)
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty() && !valid_user_id(v))
        })
    }
}

/// Where a subscription delivers. `Debug` never shows the secret.
#[derive(Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Transport {
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("method", &self.method)
            .field("callback", &self.callback)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn condition(v: Value) -> Condition {
        match v {
            Value::Object(m) => m,
            _ => Condition::new(),
        }
    }

    #[test]
    fn the_broadcaster_field_wins_over_the_rest() {
        let c = condition(json!({"broadcaster_user_id": "1", "user_id": "2"}));
        assert_eq!(broadcaster_of(&c), Some("1"));
    }

    #[test]
    fn a_raid_belongs_to_whichever_side_is_not_empty() {
        let incoming =
            condition(json!({"from_broadcaster_user_id": "", "to_broadcaster_user_id": "7"}));
        let outgoing =
            condition(json!({"from_broadcaster_user_id": "7", "to_broadcaster_user_id": ""}));
        assert_eq!(broadcaster_of(&incoming), Some("7"));
        assert_eq!(broadcaster_of(&outgoing), Some("7"));
    }

    #[test]
    fn a_condition_naming_nobody_has_no_broadcaster() {
        assert_eq!(broadcaster_of(&condition(json!({"client_id": "x"}))), None);
        assert_eq!(
            broadcaster_of(&condition(json!({"broadcaster_user_id": ""}))),
            None
        );
    }

    #[test]
    fn a_listed_subscription_parses_and_hides_its_secret() {
        let s: Subscription = serde_json::from_value(json!({
            "id": "a", "status": "enabled", "type": "stream.online", "version": "1",
            "condition": {"broadcaster_user_id": "1"}, "created_at": "2026-01-01T00:00:00Z",
            "transport": {"method": "webhook", "callback": "https://x/cb", "secret": "s3cr3t"},
            "cost": 1
        }))
        .unwrap();
        assert_eq!(s.status, Status::Enabled);
        assert_eq!(s.callback(), Some("https://x/cb"));
        assert!(!format!("{s:?}").contains("s3cr3t"));
    }
}

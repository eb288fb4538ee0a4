//! A normalized summary (who, what, how much, one line of text) of an event,
//! and the field readers every type's summary is written with (each type's
//! own summary lives in its file under [`types`](super::types)). Unknown
//! types get no summary; they are still stored raw.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who did what, how much, and a one-line text the feed shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Display name of the user who acted, when there is one (not for anonymous gifts).
    pub actor: Option<String>,
    /// A short verb for what happened (`followed`, `cheered`, `raided` …).
    pub action: String,
    /// Bits, viewers, months, gifts, votes, points, a level or seconds,
    /// depending on the action.
    pub amount: Option<i64>,
    /// One line, ready to show.
    pub text: String,
}

/// A non-empty string field.
pub(crate) fn s<'a>(event: &'a Value, key: &str) -> Option<&'a str> {
    event
        .get(key)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
}

/// An integer field.
pub(crate) fn n(event: &Value, key: &str) -> Option<i64> {
    event.get(key).and_then(Value::as_i64)
}

/// A boolean field, false when absent.
pub(crate) fn flag(event: &Value, key: &str) -> bool {
    event.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// `user_name`, falling back to the login, then "Someone".
pub(crate) fn user(event: &Value, prefix: &str) -> Option<String> {
    s(event, &format!("{prefix}_name"))
        .or_else(|| s(event, &format!("{prefix}_login")))
        .map(str::to_owned)
}

/// `tier` as people say it ("Tier 1").
pub(crate) fn tier(event: &Value) -> String {
    match s(event, "tier") {
        Some("1000") => "Tier 1".into(),
        Some("2000") => "Tier 2".into(),
        Some("3000") => "Tier 3".into(),
        Some(other) => format!("tier {other}"),
        None => "an unknown tier".into(),
    }
}

/// `n` and its unit as people say it: "1 month", "15 months".
pub(crate) fn count(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("{n} {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// `what` named by the event's `title` (`Poll "Heads or tails?"`), or
/// `fallback` ("A poll") when it has none.
pub(crate) fn titled(event: &Value, what: &str, fallback: &str) -> String {
    match s(event, "title") {
        Some(title) => format!("{what} \"{title}\""),
        None => fallback.to_owned(),
    }
}

/// The objects of an array field (a poll's choices, a prediction's
/// outcomes); none when it is absent or not an array.
pub(crate) fn items<'a>(event: &'a Value, key: &str) -> &'a [Value] {
    event
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The titles of an array field's objects (a poll's choices, a
/// prediction's outcomes), skipping those without one.
pub(crate) fn titles<'a>(event: &'a Value, key: &str) -> Vec<&'a str> {
    items(event, key)
        .iter()
        .filter_map(|o| s(o, "title"))
        .collect()
}

/// `line`, then the message after a colon when there is one.
pub(crate) fn with_message(line: String, message: Option<&str>) -> String {
    match message.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => format!("{line}: {m}"),
        None => line,
    }
}

/// A [`Summary`] from its parts.
pub(crate) fn summary(
    actor: Option<String>,
    action: &str,
    amount: Option<i64>,
    text: String,
) -> Summary {
    Summary {
        actor,
        action: action.to_owned(),
        amount,
        text,
    }
}

/// The channel's display name, for lines about the channel itself.
pub(crate) fn channel(event: &Value) -> String {
    user(event, "broadcaster_user").unwrap_or_else(|| "The channel".into())
}

/// Who acted, when the event does not say.
pub(crate) fn someone() -> String {
    "Someone".to_owned()
}

/// The acting user, unless the event says they chose to stay anonymous.
pub(crate) fn unless_anonymous(event: &Value) -> Option<String> {
    if flag(event, "is_anonymous") {
        None
    } else {
        user(event, "user")
    }
}

/// The dedupe key is the event's own `id` (a stream, a redemption, a hype train).
pub fn event_id(event: &Value) -> Option<String> {
    s(event, "id").map(str::to_owned)
}

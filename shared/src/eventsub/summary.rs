//! A normalized summary (who, what, how much, one line of text) of the event
//! types the feed knows, and a semantic dedupe key for types that carry an id.
//! The [`catalog`](super::catalog) table says which function serves which
//! type, and summarizes an event by its type's name.
//!
//! Unknown types get no summary; they are still stored raw.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who did what, how much, and a one-line text the feed shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Display name of the user who acted, when there is one (not for anonymous gifts).
    pub actor: Option<String>,
    /// A short verb for what happened (`followed`, `cheered`, `raided` …).
    pub action: String,
    /// Bits, viewers, months, gifts or points, depending on the action.
    pub amount: Option<i64>,
    /// One line, ready to show.
    pub text: String,
}

fn s<'a>(event: &'a Value, key: &str) -> Option<&'a str> {
    event
        .get(key)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
}

fn n(event: &Value, key: &str) -> Option<i64> {
    event.get(key).and_then(Value::as_i64)
}

fn flag(event: &Value, key: &str) -> bool {
    event.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// `user_name`, falling back to the login, then "Someone".
fn user(event: &Value, prefix: &str) -> Option<String> {
    s(event, &format!("{prefix}_name"))
        .or_else(|| s(event, &format!("{prefix}_login")))
        .map(str::to_owned)
}

fn tier(event: &Value) -> String {
    match s(event, "tier") {
        Some("1000") => "Tier 1".into(),
        Some("2000") => "Tier 2".into(),
        Some("3000") => "Tier 3".into(),
        Some(other) => format!("tier {other}"),
        None => "an unknown tier".into(),
    }
}

fn with_message(line: String, message: Option<&str>) -> String {
    match message.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => format!("{line}: {m}"),
        None => line,
    }
}

fn summary(actor: Option<String>, action: &str, amount: Option<i64>, text: String) -> Summary {
    Summary {
        actor,
        action: action.to_owned(),
        amount,
        text,
    }
}

/// The channel's display name, for lines about the channel itself.
fn channel(event: &Value) -> String {
    user(event, "broadcaster_user").unwrap_or_else(|| "The channel".into())
}

fn someone() -> String {
    "Someone".to_owned()
}

/// The acting user, unless the event says they chose to stay anonymous.
fn unless_anonymous(event: &Value) -> Option<String> {
    if flag(event, "is_anonymous") {
        None
    } else {
        user(event, "user")
    }
}

/// `stream.online`.
pub fn stream_online(event: &Value) -> Summary {
    let how = match s(event, "type") {
        Some("live") | None => "went live".to_owned(),
        Some(other) => format!("started a {}", other.replace('_', " ")),
    };
    summary(None, "online", None, format!("{} {how}", channel(event)))
}

/// `stream.offline`.
pub fn stream_offline(event: &Value) -> Summary {
    let line = format!("{} went offline", channel(event));
    summary(None, "offline", None, line)
}

/// `channel.update`.
pub fn channel_update(event: &Value) -> Summary {
    let broadcaster = channel(event);
    let title = s(event, "title").unwrap_or("(no title)");
    let line = match s(event, "category_name") {
        Some(cat) => format!("{broadcaster} is now playing {cat}: \"{title}\""),
        None => format!("{broadcaster} changed the title to \"{title}\""),
    };
    summary(None, "updated", None, line)
}

/// `channel.follow`.
pub fn channel_follow(event: &Value) -> Summary {
    let who = user(event, "user");
    let line = format!(
        "{} followed {}",
        who.clone().unwrap_or_else(someone),
        channel(event)
    );
    summary(who, "followed", None, line)
}

/// `channel.subscribe`.
pub fn channel_subscribe(event: &Value) -> Summary {
    let who = user(event, "user");
    let name = who.clone().unwrap_or_else(someone);
    let line = if flag(event, "is_gift") {
        format!("{name} received a gifted {} sub", tier(event))
    } else {
        format!("{name} subscribed at {}", tier(event))
    };
    summary(who, "subscribed", None, line)
}

/// `channel.subscription.gift`.
pub fn channel_subscription_gift(event: &Value) -> Summary {
    let who = unless_anonymous(event);
    let total = n(event, "total").unwrap_or(1);
    let plural = if total == 1 { "" } else { "s" };
    let line = format!(
        "{} gifted {total} {} sub{plural}",
        who.clone().unwrap_or_else(|| "An anonymous gifter".into()),
        tier(event)
    );
    summary(who, "gifted", Some(total), line)
}

/// `channel.subscription.message`.
pub fn channel_subscription_message(event: &Value) -> Summary {
    let who = user(event, "user");
    let months = n(event, "cumulative_months");
    let line = format!(
        "{} resubscribed at {}{}",
        who.clone().unwrap_or_else(someone),
        tier(event),
        months.map(|m| format!(" ({m} months)")).unwrap_or_default()
    );
    let message = event.pointer("/message/text").and_then(Value::as_str);
    summary(who, "resubscribed", months, with_message(line, message))
}

/// `channel.cheer`.
pub fn channel_cheer(event: &Value) -> Summary {
    let who = unless_anonymous(event);
    let bits = n(event, "bits").unwrap_or(0);
    let line = format!(
        "{} cheered {bits} bits",
        who.clone().unwrap_or_else(|| "An anonymous cheerer".into())
    );
    summary(
        who,
        "cheered",
        Some(bits),
        with_message(line, s(event, "message")),
    )
}

/// `channel.raid`.
pub fn channel_raid(event: &Value) -> Summary {
    let from = user(event, "from_broadcaster_user");
    let to = user(event, "to_broadcaster_user").unwrap_or_else(|| "a channel".into());
    let viewers = n(event, "viewers").unwrap_or(0);
    let line = format!(
        "{} raided {to} with {viewers} viewers",
        from.clone().unwrap_or_else(someone)
    );
    summary(from, "raided", Some(viewers), line)
}

/// `channel.channel_points_custom_reward_redemption.add`.
pub fn channel_points_redemption(event: &Value) -> Summary {
    let who = user(event, "user");
    let reward = event
        .pointer("/reward/title")
        .and_then(Value::as_str)
        .unwrap_or("a reward");
    let cost = event.pointer("/reward/cost").and_then(Value::as_i64);
    let line = format!("{} redeemed {reward}", who.clone().unwrap_or_else(someone));
    summary(
        who,
        "redeemed",
        cost,
        with_message(line, s(event, "user_input")),
    )
}

/// `channel.hype_train.begin`.
pub fn hype_train_begin(event: &Value) -> Summary {
    let level = n(event, "level").unwrap_or(1);
    let line = format!(
        "A hype train started in {}'s channel (level {level})",
        channel(event)
    );
    summary(None, "hype_train_started", Some(level), line)
}

/// `channel.hype_train.end`.
pub fn hype_train_end(event: &Value) -> Summary {
    let level = n(event, "level").unwrap_or(1);
    let line = format!(
        "The hype train in {}'s channel ended at level {level}",
        channel(event)
    );
    summary(None, "hype_train_ended", Some(level), line)
}

/// The happening is the event's own `id` (a stream, a redemption, a hype train).
pub fn event_id(event: &Value) -> Option<String> {
    s(event, "id").map(str::to_owned)
}

/// A follow is one user following at one instant.
pub fn follower_and_time(event: &Value) -> Option<String> {
    Some(format!(
        "{}@{}",
        s(event, "user_id")?,
        s(event, "followed_at")?
    ))
}

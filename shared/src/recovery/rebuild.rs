//! What Helix answered, rebuilt as the events EventSub would have
//! delivered: the same `event` shape (so summaries, the feed and the overlay
//! read them as any other), the same semantic key (so a late live delivery
//! of the same happening is a duplicate), and a message id derived from
//! that happening (so a second recovery of it is a duplicate too).

use serde_json::{json, Value};

use crate::auth::sha256_hex;
use crate::clock::rfc3339_ms;
use crate::eventsub::catalog;
use crate::store::{Event, Recovery};

use super::fetch::{Follower, Video};

/// The subscription id a recovered event carries: none delivered it.
pub const NO_SUBSCRIPTION: &str = "recovery";

/// One happening found in Helix, before it is an [`Event`].
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub event_type: &'static str,
    /// The `event` object, in EventSub's shape.
    pub event: Value,
    /// When it happened: Twitch's time, or the best estimate.
    pub at_ms: i64,
    pub time_exact: bool,
    pub source: &'static str,
}

/// The broadcaster fields every rebuilt event carries.
pub struct Channel<'a> {
    pub id: &'a str,
    pub login: &'a str,
    pub name: &'a str,
}

impl Channel<'_> {
    fn fields(&self) -> Value {
        json!({
            "broadcaster_user_id": self.id,
            "broadcaster_user_login": self.login,
            "broadcaster_user_name": self.name,
        })
    }
}

/// `base` with `extra`'s fields added.
fn merged(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    base
}

/// A `channel.follow` per follower (their `followed_at` is exact).
pub fn follows(channel: &Channel<'_>, followers: &[Follower]) -> Vec<Found> {
    followers
        .iter()
        .filter_map(|f| {
            Some(Found {
                event_type: "channel.follow",
                at_ms: rfc3339_ms(&f.followed_at)?,
                event: merged(
                    channel.fields(),
                    json!({
                        "user_id": f.user_id,
                        "user_login": f.user_login,
                        "user_name": f.user_name,
                        "followed_at": f.followed_at,
                    }),
                ),
                time_exact: true,
                source: super::sources::FOLLOWERS,
            })
        })
        .collect()
}

/// A `stream.online` for a stream that started at `started_at` (exact
/// when Get Streams says it, an estimate from an archive).
pub fn stream_start(
    channel: &Channel<'_>,
    stream_id: &str,
    started_at: &str,
    source: &'static str,
) -> Option<Found> {
    Some(Found {
        event_type: "stream.online",
        at_ms: rfc3339_ms(started_at)?,
        event: merged(
            channel.fields(),
            json!({"id": stream_id, "type": "live", "started_at": started_at}),
        ),
        time_exact: source == super::sources::STREAMS,
        source,
    })
}

/// A `stream.offline` at the end of an archive (`created_at` + `duration`,
/// an estimate).
pub fn stream_end(channel: &Channel<'_>, video: &Video) -> Option<Found> {
    let start = rfc3339_ms(&video.created_at)?;
    Some(Found {
        event_type: "stream.offline",
        at_ms: start + duration_ms(&video.duration)?,
        event: channel.fields(),
        time_exact: false,
        source: super::sources::VIDEOS,
    })
}

/// A redemption as Helix lists it is the EventSub event's very shape
/// (`id`, `user_*`, `user_input`, `status`, `reward`, `redeemed_at`).
pub fn redemption(channel: &Channel<'_>, listed: &Value) -> Option<Found> {
    let mut event = listed.clone();
    let fields = event.as_object_mut()?;
    for drop in ["broadcaster_id", "broadcaster_login", "broadcaster_name"] {
        fields.remove(drop);
    }
    Some(Found {
        event_type: "channel.channel_points_custom_reward_redemption.add",
        at_ms: rfc3339_ms(listed["redeemed_at"].as_str()?)?,
        event: merged(channel.fields(), event),
        time_exact: true,
        source: super::sources::REDEMPTIONS,
    })
}

/// Twitch's duration text (`1h2m3s`, `3m21s`, `45s`) in milliseconds.
pub fn duration_ms(text: &str) -> Option<i64> {
    let (mut total, mut digits) = (0i64, String::new());
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3_600_000,
            'm' => 60_000,
            's' => 1_000,
            _ => return None,
        };
        total = total.checked_add(digits.parse::<i64>().ok()?.checked_mul(unit)?)?;
        digits.clear();
    }
    digits.is_empty().then_some(total)
}

impl Found {
    /// The event to store for `broadcaster` and the semantic key the live
    /// delivery of the same happening would get (`None` for types without one).
    pub fn into_event(self, broadcaster: &str) -> (Event, Option<String>) {
        let semantic = catalog::semantic_key(self.event_type, broadcaster, &self.event);
        // The happening names the message: by its key, else (offline,
        // keyless) by what it is and when.
        let basis = semantic
            .clone()
            .unwrap_or_else(|| format!("{}#{broadcaster}#{}", self.event_type, self.at_ms));
        let kind = catalog::lookup(self.event_type);
        let event = Event {
            message_id: format!("recovered-{}", &sha256_hex(&basis)[..32]),
            broadcaster_id: broadcaster.to_owned(),
            event_type: self.event_type.to_owned(),
            event_version: kind.map_or("1", |k| k.version).to_owned(),
            subscription_id: NO_SUBSCRIPTION.to_owned(),
            received_at_ms: self.at_ms,
            summary: catalog::summarize(self.event_type, &self.event),
            payload: self.event.to_string(),
            recovery: Some(Recovery {
                source: self.source.to_owned(),
                time_exact: self.time_exact,
            }),
        };
        (event, semantic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_twitch_writes_them() {
        assert_eq!(duration_ms("1h2m3s"), Some(3_723_000));
        assert_eq!(duration_ms("45s"), Some(45_000));
        assert_eq!(duration_ms("3m"), Some(180_000));
        assert_eq!(duration_ms("12"), None);
        assert_eq!(duration_ms("1d"), None);
    }

    #[test]
    fn a_recovered_follow_has_the_key_and_summary_of_a_delivered_one() {
        let channel = Channel {
            id: "1337",
            login: "user1337",
            name: "User1337",
        };
        let follower = Follower {
            user_id: "7".into(),
            user_login: "fan".into(),
            user_name: "Fan".into(),
            followed_at: "2026-01-01T10:00:00.5Z".into(),
        };
        let found = follows(&channel, std::slice::from_ref(&follower)).remove(0);
        let delivered = found.event.clone();
        let (event, key) = found.clone().into_event("1337");
        assert_eq!(
            key,
            catalog::semantic_key("channel.follow", "1337", &delivered)
        );
        assert!(key.is_some());
        assert_eq!(
            event.received_at_ms,
            rfc3339_ms(&follower.followed_at).unwrap()
        );
        assert_eq!(event.summary.unwrap().text, "Fan followed User1337");
        // The same happening found again is the same message.
        assert_eq!(found.into_event("1337").0.message_id, event.message_id);
    }
}

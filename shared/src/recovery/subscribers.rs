//! Subscriptions found by a diff (keyless: EventSub gives a subscribe no
//! id of its own): today's subscriber list (Get Broadcaster Subscriptions)
//! against the subscribers known from before the gap (the kept list, plus
//! whoever a live `channel.subscribe`, `.subscription.gift` or `.message`
//! named since it was taken). Who is listed now and was not known
//! subscribed within the gap; who was known and is not listed any more
//! ended within it. Neither time is known: each is placed at the gap's end
//! (`time_exact: false`), and named by (broadcaster, user, gap) so a retry
//! of the recovery stores nothing twice. Written only once the gap is
//! `recovering` (the replacement subscription is enabled), so no late live
//! delivery can double one.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::auth::sha256_hex;
use crate::store::subscribers::KnownSubscriber;

use super::fetch::Listed;
use super::rebuild::{Channel, Found};
use super::sources::SUBSCRIPTIONS;

/// What the diff found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Diff {
    /// Listed now, not known before: subscribed within the gap.
    pub new: Vec<KnownSubscriber>,
    /// Known before, not listed now: their subscription ended within it.
    pub ended: Vec<KnownSubscriber>,
}

/// A listed subscriber as kept (no names: the diff needs only who).
pub fn known(listed: &Listed) -> KnownSubscriber {
    KnownSubscriber {
        user_id: listed.user_id.clone(),
        tier: listed.tier.clone(),
        is_gift: listed.is_gift,
        gifter_id: Some(listed.gifter_id.clone()).filter(|g| !g.is_empty()),
    }
}

/// `current` against `kept` and the user ids delivered live since `kept`
/// was taken.
pub fn diff(kept: &[KnownSubscriber], live_since: &[&str], current: &[KnownSubscriber]) -> Diff {
    let known: HashSet<&str> = kept
        .iter()
        .map(|s| s.user_id.as_str())
        .chain(live_since.iter().copied())
        .collect();
    let now: HashSet<&str> = current.iter().map(|s| s.user_id.as_str()).collect();
    Diff {
        new: current
            .iter()
            .filter(|s| !known.contains(s.user_id.as_str()))
            .cloned()
            .collect(),
        ended: kept
            .iter()
            .filter(|s| !now.contains(s.user_id.as_str()))
            .cloned()
            .collect(),
    }
}

/// The message id of a subscriber's recovered `event_type` for the gap
/// starting at `gap_from_ms`: the same on every retry of that gap.
pub fn message_id(event_type: &str, broadcaster: &str, user_id: &str, gap_from_ms: i64) -> String {
    let basis = format!("{event_type}#{broadcaster}#{user_id}#{gap_from_ms}");
    format!("recovered-{}", &sha256_hex(&basis)[..32])
}

/// A `channel.subscribe` (listed now, not known) or a
/// `channel.subscription.end` (known, not listed) at the gap's end
/// `at_ms`, in EventSub's shape. Helix gives the user's id, login and name
/// with the list; a kept subscriber is only its id, tier and gift.
pub fn rebuilt(
    event_type: &'static str,
    channel: &Channel<'_>,
    sub: &KnownSubscriber,
    names: Option<(&str, &str)>,
    at_ms: i64,
) -> Found {
    let (login, name) = names.unwrap_or_default();
    let mut event = json!({
        "broadcaster_user_id": channel.id,
        "broadcaster_user_login": channel.login,
        "broadcaster_user_name": channel.name,
        "user_id": sub.user_id,
        "user_login": login,
        "user_name": name,
        "tier": sub.tier,
        "is_gift": sub.is_gift,
    });
    if let (Some(gifter), Value::Object(fields)) = (&sub.gifter_id, &mut event) {
        fields.insert("gifter_user_id".into(), json!(gifter));
    }
    Found {
        event_type,
        event,
        at_ms,
        time_exact: false,
        source: SUBSCRIPTIONS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(user: &str) -> KnownSubscriber {
        KnownSubscriber {
            user_id: user.into(),
            tier: "1000".into(),
            is_gift: false,
            gifter_id: None,
        }
    }

    #[test]
    fn new_are_listed_and_not_known_ended_are_known_and_not_listed() {
        let kept = [sub("1"), sub("2")];
        let current = [sub("1"), sub("3"), sub("4")];
        // 4 subscribed after the list was taken and was delivered live.
        let found = diff(&kept, &["4"], &current);
        assert_eq!(found.new, vec![sub("3")]);
        assert_eq!(found.ended, vec![sub("2")]);
        assert_eq!(diff(&kept, &[], &kept), Diff::default());
    }

    #[test]
    fn a_subscriber_is_named_by_the_gap_not_the_run() {
        let first = message_id("channel.subscribe", "7", "3", 1_000);
        assert_eq!(first, message_id("channel.subscribe", "7", "3", 1_000));
        assert_ne!(first, message_id("channel.subscribe", "7", "4", 1_000));
        assert_ne!(first, message_id("channel.subscribe", "7", "3", 2_000));
        assert_ne!(
            first,
            message_id("channel.subscription.end", "7", "3", 1_000)
        );
    }

    #[test]
    fn a_gifted_sub_is_approximate_at_the_gaps_end_with_its_gifter() {
        let channel = Channel {
            id: "7",
            login: "seven",
            name: "Seven",
        };
        let gifted = KnownSubscriber {
            gifter_id: Some("9".into()),
            is_gift: true,
            ..sub("3")
        };
        let found = rebuilt(
            "channel.subscribe",
            &channel,
            &gifted,
            Some(("fan", "Fan")),
            5_000,
        );
        assert_eq!((found.at_ms, found.time_exact), (5_000, false));
        assert_eq!(found.source, SUBSCRIPTIONS);
        assert_eq!(found.event["is_gift"], true);
        assert_eq!(found.event["gifter_user_id"], "9");
        assert_eq!(found.event["user_name"], "Fan");
    }
}

//! Subscriptions: `channel.subscribe`, `channel.subscription.gift`,
//! `channel.subscription.message` (a resub shared in chat). The broadcaster
//! authorizes with `channel:read:subscriptions`.

#[cfg(feature = "fixtures")]
use serde_json::json;
use serde_json::Value;

use crate::eventsub::kind::{broadcaster, scoped, Grant, Kind};
#[cfg(feature = "fixtures")]
use crate::eventsub::scene::Scene;
use crate::eventsub::summary::{
    count, flag, n, someone, summary, tier, unless_anonymous, user, with_message, Summary,
};

const SUBS: &[Grant] = &[broadcaster(&["channel:read:subscriptions"])];

/// `channel.subscribe`: a new subscription (gifted ones too).
pub const SUBSCRIBE: Kind = Kind {
    tracked: true,
    summarize: Some(channel_subscribe),
    #[cfg(feature = "fixtures")]
    fixture: Some(subscribe_fixture),
    ..scoped(
        "channel.subscribe",
        "1",
        "New subscriber",
        SUBS,
        CHANNEL_SUBSCRIBE,
    )
};

/// `channel.subscription.gift`: one gifter, any number of subs.
pub const GIFT: Kind = Kind {
    tracked: true,
    summarize: Some(channel_subscription_gift),
    #[cfg(feature = "fixtures")]
    fixture: Some(gift_fixture),
    ..scoped(
        "channel.subscription.gift",
        "1",
        "Gifted subs",
        SUBS,
        CHANNEL_SUBSCRIPTION_GIFT,
    )
};

/// `channel.subscription.message`: a resub, with its chat message.
pub const MESSAGE: Kind = Kind {
    tracked: true,
    summarize: Some(channel_subscription_message),
    #[cfg(feature = "fixtures")]
    fixture: Some(message_fixture),
    ..scoped(
        "channel.subscription.message",
        "1",
        "Resub",
        SUBS,
        CHANNEL_SUBSCRIPTION_MESSAGE,
    )
};

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

/// A `channel.subscribe` Twitch sends for each recipient of a gift: people
/// count the gift (`channel.subscription.gift`), not its recipients.
pub fn is_gift_recipient(event_type: &str, event: &Value) -> bool {
    event_type == SUBSCRIBE.name && flag(event, "is_gift")
}

/// `channel.subscription.gift`.
pub fn channel_subscription_gift(event: &Value) -> Summary {
    let who = unless_anonymous(event);
    let total = n(event, "total").unwrap_or(1);
    let line = format!(
        "{} gifted {}",
        who.clone().unwrap_or_else(|| "An anonymous gifter".into()),
        count(total, &format!("{} sub", tier(event)))
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
        months
            .map(|m| format!(" ({})", count(m, "month")))
            .unwrap_or_default()
    );
    let message = event.pointer("/message/text").and_then(Value::as_str);
    summary(who, "resubscribed", months, with_message(line, message))
}

#[cfg(feature = "fixtures")]
fn subscribe_fixture(scene: &Scene) -> Value {
    scene.by_viewer(json!({"tier": "1000", "is_gift": false}))
}

#[cfg(feature = "fixtures")]
fn gift_fixture(scene: &Scene) -> Value {
    let seq = scene.seq;
    scene.by_viewer(json!({
        "total": 1 + seq % 10, "tier": "1000", "cumulative_total": 50 + seq, "is_anonymous": false
    }))
}

#[cfg(feature = "fixtures")]
fn message_fixture(scene: &Scene) -> Value {
    let seq = scene.seq;
    scene.by_viewer(json!({
        "tier": "1000",
        "message": {"text": "Love the stream! FevziGG", "emotes": []},
        "cumulative_months": 1 + seq % 48, "streak_months": null, "duration_months": 1
    }))
}

/// `channel.subscribe` v1.
pub const CHANNEL_SUBSCRIBE: &str = r#"{
    "user_id": "1234",
    "user_login": "cool_user",
    "user_name": "Cool_User",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cooler_user",
    "broadcaster_user_name": "Cooler_User",
    "tier": "1000",
    "is_gift": false
}"#;

/// `channel.subscription.gift` v1.
pub const CHANNEL_SUBSCRIPTION_GIFT: &str = r#"{
    "user_id": "1234",
    "user_login": "cool_user",
    "user_name": "Cool_User",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cooler_user",
    "broadcaster_user_name": "Cooler_User",
    "total": 2,
    "tier": "1000",
    "cumulative_total": 284,
    "is_anonymous": false
}"#;

/// `channel.subscription.message` v1.
pub const CHANNEL_SUBSCRIPTION_MESSAGE: &str = r#"{
    "user_id": "1234",
    "user_login": "cool_user",
    "user_name": "Cool_User",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cooler_user",
    "broadcaster_user_name": "Cooler_User",
    "tier": "1000",
    "message": {
        "text": "Love the stream! FevziGG",
        "emotes": [{"begin": 23, "end": 30, "id": "302976485"}]
    },
    "cumulative_months": 15,
    "streak_months": 1,
    "duration_months": 6
}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventsub::types::sample_line;

    #[test]
    fn the_samples_read_as_one_line_each() {
        assert_eq!(
            sample_line(&SUBSCRIBE).as_deref(),
            Some("Cool_User subscribed at Tier 1")
        );
        assert_eq!(
            sample_line(&GIFT).as_deref(),
            Some("Cool_User gifted 2 Tier 1 subs")
        );
        assert_eq!(
            sample_line(&MESSAGE).as_deref(),
            Some("Cool_User resubscribed at Tier 1 (15 months): Love the stream! FevziGG")
        );
    }
    #[test]
    fn one_of_anything_reads_singular() {
        use crate::eventsub::types::{cheer::channel_cheer, raid::channel_raid};
        use serde_json::json;
        let resub = json!({"user_name": "Fan", "tier": "1000", "cumulative_months": 1});
        assert_eq!(
            channel_subscription_message(&resub).text,
            "Fan resubscribed at Tier 1 (1 month)"
        );
        let gift = json!({"user_name": "Fan", "tier": "2000", "total": 1});
        assert_eq!(
            channel_subscription_gift(&gift).text,
            "Fan gifted 1 Tier 2 sub"
        );
        let cheer = json!({"user_name": "Fan", "bits": 1});
        assert_eq!(channel_cheer(&cheer).text, "Fan cheered 1 bit");
        let raid = json!({"from_broadcaster_user_name": "Big",
            "to_broadcaster_user_name": "Small", "viewers": 1});
        assert_eq!(channel_raid(&raid).text, "Big raided Small with 1 viewer");
    }
}

//! `channel.channel_points_custom_reward_redemption.add`: a viewer spent
//! channel points on a custom reward. The redemption id names the event.

#[cfg(feature = "fixtures")]
use serde_json::json;
use serde_json::Value;

use crate::eventsub::kind::{broadcaster, scoped, ConditionShape, Grant, Kind, BROADCASTER};
#[cfg(feature = "fixtures")]
use crate::eventsub::scene::Scene;
use crate::eventsub::summary::{event_id, s, someone, summary, user, with_message, Summary};

const REDEMPTIONS: &[Grant] = &[broadcaster(&[
    "channel:read:redemptions",
    "channel:manage:redemptions",
])];

/// `channel.channel_points_custom_reward_redemption.add`: the amount is the cost.
pub const REDEMPTION: Kind = Kind {
    tracked: true,
    condition: ConditionShape {
        optional: &["reward_id"],
        ..BROADCASTER
    },
    summarize: Some(channel_points_redemption),
    dedupe_key: Some(event_id),
    #[cfg(feature = "fixtures")]
    fixture: Some(redemption_fixture),
    ..scoped(
        "channel.channel_points_custom_reward_redemption.add",
        "1",
        "Reward redeemed",
        REDEMPTIONS,
        CHANNEL_POINTS_REDEMPTION_ADD,
    )
};

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

#[cfg(feature = "fixtures")]
fn redemption_fixture(scene: &Scene) -> Value {
    let (seq, at) = (scene.seq, &scene.at);
    scene.by_viewer(json!({
        "id": format!("17fa2df1-ad76-4804-bfa5-{seq:012}"),
        "user_input": "", "status": "unfulfilled",
        "reward": {"id": "92af127c-7326-4483-a52b-b0da0be61c01", "title": "Hydrate", "cost": 100, "prompt": "Drink water"},
        "redeemed_at": at
    }))
}

/// `channel.channel_points_custom_reward_redemption.add` v1.
pub const CHANNEL_POINTS_REDEMPTION_ADD: &str = r#"{
    "id": "17fa2df1-ad76-4804-bfa5-a40ef63efe63",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "user_id": "9001",
    "user_login": "cooler_user",
    "user_name": "Cooler_User",
    "user_input": "pogchamp",
    "status": "unfulfilled",
    "reward": {
        "id": "92af127c-7326-4483-a52b-b0da0be61c01",
        "title": "title",
        "cost": 100,
        "prompt": "reward prompt"
    },
    "redeemed_at": "2020-07-15T17:16:03.17106713Z"
}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventsub::types::sample_line;

    #[test]
    fn the_sample_reads_as_one_line() {
        assert_eq!(
            sample_line(&REDEMPTION).as_deref(),
            Some("Cooler_User redeemed title: pogchamp")
        );
    }
}

//! `channel.follow` v2: a user followed the channel. Needs a moderator's
//! authorization; the broadcaster counts as their own moderator.

#[cfg(feature = "fixtures")]
use serde_json::json;
use serde_json::Value;

use crate::eventsub::kind::{open, ConditionShape, Grant, Kind};
#[cfg(feature = "fixtures")]
use crate::eventsub::scene::Scene;
use crate::eventsub::summary::{channel, s, someone, summary, user, Summary};

/// `channel.follow` (v1 is shut down).
pub const FOLLOW: Kind = Kind {
    tracked: true,
    condition: ConditionShape {
        required: &["broadcaster_user_id", "moderator_user_id"],
        one_of: &[],
        optional: &[],
        watch: &["broadcaster_user_id", "moderator_user_id"],
    },
    // The moderator named in the condition authorizes; a broadcaster
    // authorizing for themself names themself as moderator.
    grants: &[Grant {
        by: &["moderator_user_id", "broadcaster_user_id"],
        scopes: &["moderator:read:followers"],
    }],
    summarize: Some(channel_follow),
    dedupe_key: Some(follower_and_time),
    #[cfg(feature = "fixtures")]
    fixture: Some(follow_fixture),
    ..open("channel.follow", "2", "New follower", CHANNEL_FOLLOW)
};

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

/// A follow is one user following at one instant.
pub fn follower_and_time(event: &Value) -> Option<String> {
    Some(format!(
        "{}@{}",
        s(event, "user_id")?,
        s(event, "followed_at")?
    ))
}

#[cfg(feature = "fixtures")]
fn follow_fixture(scene: &Scene) -> Value {
    scene.by_viewer(json!({"followed_at": scene.at}))
}

/// `channel.follow` v2.
pub const CHANNEL_FOLLOW: &str = r#"{
    "user_id": "1234",
    "user_login": "cool_user",
    "user_name": "Cool_User",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cooler_user",
    "broadcaster_user_name": "Cooler_User",
    "followed_at": "2020-07-15T18:16:11.17106713Z"
}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventsub::types::sample_line;

    #[test]
    fn the_sample_reads_as_one_line() {
        assert_eq!(
            sample_line(&FOLLOW).as_deref(),
            Some("Cool_User followed Cooler_User")
        );
    }

    #[test]
    fn a_follow_is_one_happening_by_follower_and_instant() {
        let event: Value = serde_json::from_str(CHANNEL_FOLLOW).unwrap();
        assert_eq!(
            follower_and_time(&event).as_deref(),
            Some("1234@2020-07-15T18:16:11.17106713Z")
        );
    }
}

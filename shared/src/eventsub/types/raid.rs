//! `channel.raid`: one channel sends its viewers to another. We watch the
//! incoming side; anyone's channel can be watched.

#[cfg(feature = "fixtures")]
use serde_json::json;
use serde_json::Value;

use crate::eventsub::kind::{open, ConditionShape, Kind};
#[cfg(feature = "fixtures")]
use crate::eventsub::scene::Scene;
use crate::eventsub::summary::{count, n, someone, summary, user, Summary};

/// `channel.raid`: either side may be the condition; we watch raids in.
pub const RAID: Kind = Kind {
    tracked: true,
    condition: ConditionShape {
        required: &[],
        one_of: &["from_broadcaster_user_id", "to_broadcaster_user_id"],
        optional: &[],
        watch: &["to_broadcaster_user_id"],
    },
    summarize: Some(channel_raid),
    #[cfg(feature = "fixtures")]
    fixture: Some(raid_fixture),
    ..open("channel.raid", "1", "Raid", CHANNEL_RAID)
};

/// `channel.raid`.
pub fn channel_raid(event: &Value) -> Summary {
    let from = user(event, "from_broadcaster_user");
    let to = user(event, "to_broadcaster_user").unwrap_or_else(|| "a channel".into());
    let viewers = n(event, "viewers").unwrap_or(0);
    let line = format!(
        "{} raided {to} with {}",
        from.clone().unwrap_or_else(someone),
        count(viewers, "viewer")
    );
    summary(from, "raided", Some(viewers), line)
}

/// A friend raids the channel (no `broadcaster_user_*` fields: a raid names
/// its two sides).
#[cfg(feature = "fixtures")]
fn raid_fixture(scene: &Scene) -> Value {
    let channel = scene.channel;
    json!({
        "from_broadcaster_user_id": "1234",
        "from_broadcaster_user_login": "raiding_friend",
        "from_broadcaster_user_name": "Raiding_Friend",
        "to_broadcaster_user_id": channel.id,
        "to_broadcaster_user_login": channel.login,
        "to_broadcaster_user_name": channel.name,
        "viewers": 10 + scene.seq % 5000
    })
}

/// `channel.raid` v1.
pub const CHANNEL_RAID: &str = r#"{
    "from_broadcaster_user_id": "1234",
    "from_broadcaster_user_login": "cool_user",
    "from_broadcaster_user_name": "Cool_User",
    "to_broadcaster_user_id": "1337",
    "to_broadcaster_user_login": "cooler_user",
    "to_broadcaster_user_name": "Cooler_User",
    "viewers": 9001
}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventsub::types::sample_line;

    #[test]
    fn the_sample_reads_as_one_line() {
        assert_eq!(
            sample_line(&RAID).as_deref(),
            Some("Cool_User raided Cooler_User with 9001 viewers")
        );
    }
}

//! `channel.cheer`: bits cheered in chat. The broadcaster authorizes with
//! `bits:read`.

#[cfg(feature = "fixtures")]
use serde_json::json;
use serde_json::Value;

use crate::eventsub::kind::{broadcaster, scoped, Grant, Kind};
#[cfg(feature = "fixtures")]
use crate::eventsub::scene::Scene;
use crate::eventsub::summary::{count, n, s, summary, unless_anonymous, with_message, Summary};

const BITS: &[Grant] = &[broadcaster(&["bits:read"])];

/// `channel.cheer`: the amount is the bits.
pub const CHEER: Kind = Kind {
    tracked: true,
    summarize: Some(channel_cheer),
    #[cfg(feature = "fixtures")]
    fixture: Some(cheer_fixture),
    ..scoped("channel.cheer", "1", "Cheer", BITS, CHANNEL_CHEER)
};

/// `channel.cheer`.
pub fn channel_cheer(event: &Value) -> Summary {
    let who = unless_anonymous(event);
    let bits = n(event, "bits").unwrap_or(0);
    let line = format!(
        "{} cheered {}",
        who.clone().unwrap_or_else(|| "An anonymous cheerer".into()),
        count(bits, "bit")
    );
    summary(
        who,
        "cheered",
        Some(bits),
        with_message(line, s(event, "message")),
    )
}

#[cfg(feature = "fixtures")]
fn cheer_fixture(scene: &Scene) -> Value {
    let seq = scene.seq;
    scene.by_viewer(json!({
        "is_anonymous": false, "message": "Cheer100 pog", "bits": 100 * (1 + seq % 10)
    }))
}

/// `channel.cheer` v1.
pub const CHANNEL_CHEER: &str = r#"{
    "is_anonymous": false,
    "user_id": "1234",
    "user_login": "cool_user",
    "user_name": "Cool_User",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cooler_user",
    "broadcaster_user_name": "Cooler_User",
    "message": "pogchamp",
    "bits": 1000
}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventsub::types::sample_line;

    #[test]
    fn the_sample_reads_as_one_line() {
        assert_eq!(
            sample_line(&CHEER).as_deref(),
            Some("Cool_User cheered 1000 bits: pogchamp")
        );
    }
}

//! The stream and the channel: `stream.online`, `stream.offline`,
//! `channel.update`. Anyone's channel can be watched for these.

#[cfg(feature = "fixtures")]
use serde_json::json;
use serde_json::Value;

use crate::eventsub::kind::{open, Kind};
#[cfg(feature = "fixtures")]
use crate::eventsub::scene::Scene;
use crate::eventsub::summary::{channel, event_id, s, summary, Summary};

/// `stream.online`: the stream id names the event.
pub const ONLINE: Kind = Kind {
    tracked: true,
    summarize: Some(stream_online),
    dedupe_key: Some(event_id),
    #[cfg(feature = "fixtures")]
    fixture: Some(online_fixture),
    ..open("stream.online", "1", "Stream went live", STREAM_ONLINE)
};

/// `stream.offline`.
pub const OFFLINE: Kind = Kind {
    tracked: true,
    summarize: Some(stream_offline),
    #[cfg(feature = "fixtures")]
    fixture: Some(offline_fixture),
    ..open("stream.offline", "1", "Stream went offline", STREAM_OFFLINE)
};

/// `channel.update`: title, category, language or labels changed.
pub const UPDATE: Kind = Kind {
    tracked: true,
    summarize: Some(channel_update),
    #[cfg(feature = "fixtures")]
    fixture: Some(update_fixture),
    ..open(
        "channel.update",
        "2",
        "Title or category changed",
        CHANNEL_UPDATE,
    )
};

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

#[cfg(feature = "fixtures")]
fn online_fixture(scene: &Scene) -> Value {
    let (seq, at) = (scene.seq, &scene.at);
    scene.in_channel(
        json!({"id": format!("{}", 40_000_000_000u64 + seq), "type": "live", "started_at": at}),
    )
}

#[cfg(feature = "fixtures")]
fn offline_fixture(scene: &Scene) -> Value {
    scene.in_channel(json!({}))
}

#[cfg(feature = "fixtures")]
fn update_fixture(scene: &Scene) -> Value {
    let seq = scene.seq;
    scene.in_channel(json!({
        "title": format!("Speedrunning everything, part {seq}"),
        "language": "en", "category_id": "504461", "category_name": "Celeste",
        "content_classification_labels": []
    }))
}

/// `stream.online` v1.
pub const STREAM_ONLINE: &str = r#"{
    "id": "9001",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "type": "live",
    "started_at": "2020-10-11T10:11:12.123Z"
}"#;

/// `stream.offline` v1.
pub const STREAM_OFFLINE: &str = r#"{
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User"
}"#;

/// `channel.update` v2.
pub const CHANNEL_UPDATE: &str = r#"{
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "title": "Best Stream Ever",
    "language": "en",
    "category_id": "12453",
    "category_name": "Grand Theft Auto",
    "content_classification_labels": ["MatureGame"]
}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventsub::types::sample_line;

    #[test]
    fn the_samples_read_as_one_line_each() {
        assert_eq!(sample_line(&ONLINE).as_deref(), Some("Cool_User went live"));
        assert_eq!(
            sample_line(&OFFLINE).as_deref(),
            Some("Cool_User went offline")
        );
        assert_eq!(
            sample_line(&UPDATE).as_deref(),
            Some("Cool_User is now playing Grand Theft Auto: \"Best Stream Ever\"")
        );
    }

    #[test]
    fn a_stream_is_one_happening_by_its_id() {
        let event: Value = serde_json::from_str(STREAM_ONLINE).unwrap();
        assert_eq!(event_id(&event).as_deref(), Some("9001"));
    }
}

//! Hype trains (v2): `channel.hype_train.begin`, `.progress`, `.end`. The
//! train's id names the event; the broadcaster authorizes with
//! `channel:read:hype_train`. Progress is not tracked (too chatty for the
//! feed) but the benchmarks' mix sends it.

#[cfg(feature = "fixtures")]
use serde_json::json;
use serde_json::Value;

use crate::eventsub::kind::{broadcaster, scoped, Grant, Kind};
#[cfg(feature = "fixtures")]
use crate::eventsub::scene::Scene;
use crate::eventsub::summary::{channel, event_id, n, summary, Summary};

const HYPE: &[Grant] = &[broadcaster(&["channel:read:hype_train"])];

/// `channel.hype_train.begin`.
pub const BEGIN: Kind = Kind {
    tracked: true,
    summarize: Some(hype_train_begin),
    dedupe_key: Some(event_id),
    #[cfg(feature = "fixtures")]
    fixture: Some(begin_fixture),
    ..scoped(
        "channel.hype_train.begin",
        "2",
        "Hype train started",
        HYPE,
        HYPE_TRAIN_BEGIN,
    )
};

/// `channel.hype_train.progress`.
pub const PROGRESS: Kind = Kind {
    summarize: Some(hype_train_progress),
    #[cfg(feature = "fixtures")]
    fixture: Some(progress_fixture),
    ..scoped(
        "channel.hype_train.progress",
        "2",
        "Hype train progress",
        HYPE,
        HYPE_TRAIN_PROGRESS,
    )
};

/// `channel.hype_train.end`.
pub const END: Kind = Kind {
    tracked: true,
    summarize: Some(hype_train_end),
    dedupe_key: Some(event_id),
    #[cfg(feature = "fixtures")]
    fixture: Some(end_fixture),
    ..scoped(
        "channel.hype_train.end",
        "2",
        "Hype train ended",
        HYPE,
        HYPE_TRAIN_END,
    )
};

/// `channel.hype_train.begin`.
pub fn hype_train_begin(event: &Value) -> Summary {
    let level = n(event, "level").unwrap_or(1);
    let line = format!(
        "A hype train started in {}'s channel (level {level})",
        channel(event)
    );
    summary(None, "hype_train_started", Some(level), line)
}

/// `channel.hype_train.progress`: the level, and how far it is toward the
/// next one (in Twitch's hype points: bits and subs counted alike).
pub fn hype_train_progress(event: &Value) -> Summary {
    let level = n(event, "level").unwrap_or(1);
    let mut line = format!(
        "The hype train in {}'s channel is at level {level}",
        channel(event)
    );
    if let (Some(progress), Some(goal)) = (n(event, "progress"), n(event, "goal")) {
        line = format!("{line}: {progress} of {goal} points to level {}", level + 1);
    }
    summary(None, "hype_train_progress", Some(level), line)
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

#[cfg(feature = "fixtures")]
fn begin_fixture(scene: &Scene) -> Value {
    let (seq, at) = (scene.seq, &scene.at);
    scene.in_channel(json!({
        "id": format!("1b0AsbInCHZW2SQFQkCzqN07Ib2-{seq}"), "total": 137, "progress": 137, "goal": 500,
        "level": 1, "top_contributions": [], "started_at": at, "expires_at": at,
        "type": "regular", "is_shared_train": false, "all_time_high_level": 4, "all_time_high_total": 2845
    }))
}

#[cfg(feature = "fixtures")]
fn progress_fixture(scene: &Scene) -> Value {
    let (seq, at) = (scene.seq, &scene.at);
    scene.in_channel(json!({
        "id": format!("1b0AsbInCHZW2SQFQkCzqN07Ib2-{seq}"), "total": 700, "progress": 200, "goal": 1000,
        "level": 2, "top_contributions": [
            {"user_id": "123", "user_login": "pogchamp", "user_name": "PogChamp", "type": "bits", "total": 50}
        ],
        "shared_train_participants": null, "started_at": at, "expires_at": at,
        "type": "regular", "is_shared_train": false
    }))
}

#[cfg(feature = "fixtures")]
fn end_fixture(scene: &Scene) -> Value {
    let (seq, at) = (scene.seq, &scene.at);
    scene.in_channel(json!({
        "id": format!("1b0AsbInCHZW2SQFQkCzqN07Ib2-{seq}"), "total": 1500, "level": 3,
        "top_contributions": [], "started_at": at, "ended_at": at, "cooldown_ends_at": at,
        "type": "regular", "is_shared_train": false
    }))
}

/// `channel.hype_train.begin` v2.
pub const HYPE_TRAIN_BEGIN: &str = r#"{
    "id": "1b0AsbInCHZW2SQFQkCzqN07Ib2",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "total": 137,
    "progress": 137,
    "goal": 500,
    "top_contributions": [
        {"user_id": "123", "user_login": "pogchamp", "user_name": "PogChamp", "type": "bits", "total": 50},
        {"user_id": "456", "user_login": "kappa", "user_name": "Kappa", "type": "subscription", "total": 45}
    ],
    "level": 2,
    "all_time_high_level": 4,
    "all_time_high_total": 2845,
    "shared_train_participants": null,
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "expires_at": "2020-07-15T17:16:11.17106713Z",
    "type": "golden_kappa",
    "is_shared_train": false
}"#;

/// `channel.hype_train.progress` v2.
pub const HYPE_TRAIN_PROGRESS: &str = r#"{
    "id": "1b0AsbInCHZW2SQFQkCzqN07Ib2",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "total": 700,
    "progress": 200,
    "goal": 1000,
    "top_contributions": [
        {"user_id": "123", "user_login": "pogchamp", "user_name": "PogChamp", "type": "bits", "total": 50}
    ],
    "level": 2,
    "shared_train_participants": null,
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "expires_at": "2020-07-15T17:16:11.17106713Z",
    "type": "regular",
    "is_shared_train": false
}"#;

/// `channel.hype_train.end` v2.
pub const HYPE_TRAIN_END: &str = r#"{
    "id": "1b0AsbInCHZW2SQFQkCzqN07Ib2",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "level": 2,
    "total": 137,
    "top_contributions": [
        {"user_id": "123", "user_login": "pogchamp", "user_name": "PogChamp", "type": "bits", "total": 50}
    ],
    "shared_train_participants": null,
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "ended_at": "2020-07-15T17:16:11.17106713Z",
    "cooldown_ends_at": "2020-07-15T18:16:11.17106713Z",
    "type": "regular",
    "is_shared_train": false
}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventsub::types::{sample_line, sample_text};
    use serde_json::json;

    #[test]
    fn the_samples_read_as_one_line_each() {
        assert_eq!(
            sample_line(&BEGIN).as_deref(),
            Some("A hype train started in Cool_User's channel (level 2)")
        );
        assert_eq!(
            sample_line(&END).as_deref(),
            Some("The hype train in Cool_User's channel ended at level 2")
        );
        assert_eq!(
            sample_line(&PROGRESS).as_deref(),
            Some("The hype train in Cool_User's channel is at level 2: 200 of 1000 points to level 3")
        );
    }

    #[test]
    fn progress_reads_as_its_level_and_the_way_to_the_next() {
        assert_eq!(
            sample_text(hype_train_progress, HYPE_TRAIN_PROGRESS),
            "The hype train in Cool_User's channel is at level 2: 200 of 1000 points to level 3"
        );
        assert_eq!(
            hype_train_progress(&json!({"goal": "x"})).text,
            "The hype train in The channel's channel is at level 1"
        );
    }
}

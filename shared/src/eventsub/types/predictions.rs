//! Predictions: `channel.prediction.begin`, `.progress`, `.lock`, `.end`.
//! Known (the simulator accepts them) but not tracked; stored raw. The
//! broadcaster authorizes with `channel:read:predictions` or
//! `channel:manage:predictions`.

use crate::eventsub::kind::{broadcaster, scoped, Grant, Kind};

const PREDICTIONS: &[Grant] = &[broadcaster(&[
    "channel:read:predictions",
    "channel:manage:predictions",
])];

/// `channel.prediction.begin`.
pub const BEGIN: Kind = scoped(
    "channel.prediction.begin",
    "1",
    "Prediction started",
    PREDICTIONS,
    PREDICTION_BEGIN,
);

/// `channel.prediction.progress`.
pub const PROGRESS: Kind = scoped(
    "channel.prediction.progress",
    "1",
    "Prediction points",
    PREDICTIONS,
    PREDICTION_PROGRESS,
);

/// `channel.prediction.lock`.
pub const LOCK: Kind = scoped(
    "channel.prediction.lock",
    "1",
    "Prediction locked",
    PREDICTIONS,
    PREDICTION_LOCK,
);

/// `channel.prediction.end`.
pub const END: Kind = scoped(
    "channel.prediction.end",
    "1",
    "Prediction ended",
    PREDICTIONS,
    PREDICTION_END,
);

/// `channel.prediction.begin` v1.
pub const PREDICTION_BEGIN: &str = r#"{
    "id": "1243456",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "title": "Aren't shoes just really hard socks?",
    "outcomes": [
        {"id": "1243456", "title": "Yeah!", "color": "blue"},
        {"id": "2243456", "title": "No!", "color": "pink"}
    ],
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "locks_at": "2020-07-15T17:21:03.17106713Z"
}"#;

/// `channel.prediction.progress` v1.
pub const PREDICTION_PROGRESS: &str = r#"{
    "id": "1243456",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "title": "Aren't shoes just really hard socks?",
    "outcomes": [
        {"id": "1243456", "title": "Yeah!", "color": "blue", "users": 10, "channel_points": 15000, "top_predictors": [
            {"user_name": "Cool_User", "user_login": "cool_user", "user_id": "1234", "channel_points_won": null, "channel_points_used": 500}
        ]},
        {"id": "2243456", "title": "No!", "color": "pink", "users": 2, "channel_points": 100, "top_predictors": []}
    ],
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "locks_at": "2020-07-15T17:21:03.17106713Z"
}"#;

/// `channel.prediction.lock` v1.
pub const PREDICTION_LOCK: &str = r#"{
    "id": "1243456",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "title": "Aren't shoes just really hard socks?",
    "outcomes": [
        {"id": "1243456", "title": "Yeah!", "color": "blue", "users": 10, "channel_points": 15000, "top_predictors": []},
        {"id": "2243456", "title": "No!", "color": "pink", "users": 2, "channel_points": 100, "top_predictors": []}
    ],
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "locked_at": "2020-07-15T17:21:03.17106713Z"
}"#;

/// `channel.prediction.end` v1.
pub const PREDICTION_END: &str = r#"{
    "id": "1243456",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "title": "Aren't shoes just really hard socks?",
    "winning_outcome_id": "12345",
    "outcomes": [
        {"id": "12345", "title": "Yeah!", "color": "blue", "users": 2, "channel_points": 15000, "top_predictors": []},
        {"id": "22435", "title": "No!", "color": "pink", "users": 2, "channel_points": 200, "top_predictors": []}
    ],
    "status": "resolved",
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "ended_at": "2020-07-15T17:16:11.17106713Z"
}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventsub::types::assert_raw_sample_about;

    #[test]
    fn the_samples_name_the_channel_and_are_stored_raw() {
        for kind in [BEGIN, PROGRESS, LOCK, END] {
            assert_raw_sample_about(&kind, "1337");
        }
    }
}

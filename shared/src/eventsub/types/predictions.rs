//! Predictions: `channel.prediction.begin`, `.progress`, `.lock`, `.end`.
//! Known (the simulator accepts them) but not tracked. The
//! broadcaster authorizes with `channel:read:predictions` or
//! `channel:manage:predictions`.

use serde_json::Value;

use crate::eventsub::kind::{broadcaster, scoped, Grant, Kind};
use crate::eventsub::summary::{
    count, items, n, s, summary, titled, titles, with_message, Summary,
};

const PREDICTIONS: &[Grant] = &[broadcaster(&[
    "channel:read:predictions",
    "channel:manage:predictions",
])];

/// `channel.prediction.begin`.
pub const BEGIN: Kind = Kind {
    summarize: Some(prediction_begin),
    ..scoped(
        "channel.prediction.begin",
        "1",
        "Prediction started",
        PREDICTIONS,
        PREDICTION_BEGIN,
    )
};

/// `channel.prediction.progress`.
pub const PROGRESS: Kind = Kind {
    summarize: Some(prediction_progress),
    ..scoped(
        "channel.prediction.progress",
        "1",
        "Prediction points",
        PREDICTIONS,
        PREDICTION_PROGRESS,
    )
};

/// `channel.prediction.lock`.
pub const LOCK: Kind = Kind {
    summarize: Some(prediction_lock),
    ..scoped(
        "channel.prediction.lock",
        "1",
        "Prediction locked",
        PREDICTIONS,
        PREDICTION_LOCK,
    )
};

/// `channel.prediction.end`.
pub const END: Kind = Kind {
    summarize: Some(prediction_end),
    ..scoped(
        "channel.prediction.end",
        "1",
        "Prediction ended",
        PREDICTIONS,
        PREDICTION_END,
    )
};

/// The prediction's name as the feed says it.
fn prediction(event: &Value) -> String {
    titled(event, "Prediction", "A prediction")
}

/// The points on an outcome and how many predicted it
/// (`15000 points from 10 viewers`).
fn backing(outcome: &Value) -> String {
    format!(
        "{} from {}",
        count(n(outcome, "channel_points").unwrap_or(0), "point"),
        count(n(outcome, "users").unwrap_or(0), "viewer")
    )
}

/// An outcome's title and its backing (`Yeah! 15000 points from 10 viewers`).
fn stake(outcome: &Value) -> String {
    format!("{} {}", title(outcome), backing(outcome))
}

/// An outcome's title.
fn title(outcome: &Value) -> &str {
    s(outcome, "title").unwrap_or("?")
}

/// `line`, then every outcome's stake after a colon; and the points on all.
fn with_stakes(line: String, event: &Value) -> (String, i64) {
    let outcomes = items(event, "outcomes");
    let points = outcomes.iter().filter_map(|o| n(o, "channel_points")).sum();
    let stakes: Vec<String> = outcomes.iter().map(stake).collect();
    (with_message(line, Some(&stakes.join(", "))), points)
}

/// `channel.prediction.begin`: the prediction and its outcomes.
pub fn prediction_begin(event: &Value) -> Summary {
    let outcomes = titles(event, "outcomes").join(" or ");
    let line = with_message(format!("{} started", prediction(event)), Some(&outcomes));
    summary(None, "prediction_started", None, line)
}

/// `channel.prediction.progress`: the points on each outcome so far.
pub fn prediction_progress(event: &Value) -> Summary {
    if items(event, "outcomes").is_empty() {
        let line = format!("{} is running", prediction(event));
        return summary(None, "prediction_points", None, line);
    }
    let (line, points) = with_stakes(format!("{} so far", prediction(event)), event);
    summary(None, "prediction_points", Some(points), line)
}

/// `channel.prediction.lock`: no more predictions; the points as they stand.
pub fn prediction_lock(event: &Value) -> Summary {
    let (line, points) = with_stakes(format!("{} locked", prediction(event)), event);
    summary(None, "prediction_locked", Some(points), line)
}

/// `channel.prediction.end`: the winning outcome when resolved; a
/// cancelled prediction gave its points back.
pub fn prediction_end(event: &Value) -> Summary {
    let name = prediction(event);
    if s(event, "status") == Some("canceled") {
        let line = format!("{name} was cancelled and its points refunded");
        return summary(None, "prediction_cancelled", None, line);
    }
    let winner = s(event, "winning_outcome_id").and_then(|id| {
        items(event, "outcomes")
            .iter()
            .find(|o| s(o, "id") == Some(id))
    });
    match winner {
        Some(outcome) => {
            let line = format!(
                "{name} resolved: {} won ({})",
                title(outcome),
                backing(outcome)
            );
            let points = n(outcome, "channel_points");
            summary(None, "prediction_resolved", points, line)
        }
        None => summary(None, "prediction_ended", None, format!("{name} ended")),
    }
}

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
    use crate::eventsub::types::assert_sample_about;
    use crate::eventsub::types::sample_text;
    use serde_json::json;

    #[test]
    fn the_samples_name_the_channel_and_have_a_line() {
        for kind in [BEGIN, PROGRESS, LOCK, END] {
            assert_sample_about(&kind, "1337");
        }
    }

    #[test]
    fn the_samples_read_as_one_line_each() {
        let title = "Prediction \"Aren't shoes just really hard socks?\"";
        assert_eq!(
            sample_text(prediction_begin, PREDICTION_BEGIN),
            format!("{title} started: Yeah! or No!")
        );
        assert_eq!(
            sample_text(prediction_progress, PREDICTION_PROGRESS),
            format!(
                "{title} so far: Yeah! 15000 points from 10 viewers, No! 100 points from 2 viewers"
            )
        );
        assert_eq!(
            sample_text(prediction_lock, PREDICTION_LOCK),
            format!(
                "{title} locked: Yeah! 15000 points from 10 viewers, No! 100 points from 2 viewers"
            )
        );
        assert_eq!(
            sample_text(prediction_end, PREDICTION_END),
            format!("{title} resolved: Yeah! won (15000 points from 2 viewers)")
        );
    }

    #[test]
    fn cancelled_and_incomplete_predictions_read_plainly() {
        let cancelled = json!({"title": "Win?", "status": "canceled", "outcomes": []});
        assert_eq!(
            prediction_end(&cancelled).text,
            "Prediction \"Win?\" was cancelled and its points refunded"
        );
        let unknown_winner = json!({"status": "resolved", "winning_outcome_id": "9"});
        assert_eq!(prediction_end(&unknown_winner).text, "A prediction ended");
        assert_eq!(prediction_begin(&json!({})).text, "A prediction started");
        assert_eq!(
            prediction_lock(&json!({"outcomes": [{"users": 1, "channel_points": 1}]})).text,
            "A prediction locked: ? 1 point from 1 viewer"
        );
        assert_eq!(
            prediction_progress(&json!({})).text,
            "A prediction is running"
        );
    }
}

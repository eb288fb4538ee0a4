//! Coverage: the gaps in what this deployment received for a streamer.

use shared::store::coverage::{GapKey, GapState, GapStore, Recovered};

use super::*;

fn key(streamer: &str, kind: &str, from_ms: i64) -> GapKey {
    GapKey {
        streamer_id: streamer.into(),
        event_type: kind.into(),
        from_ms,
    }
}

#[tokio::test]
async fn coverage_lists_the_gaps_in_a_window_with_their_cause_in_words_and_what_was_recovered() {
    let f = Fixture::new();
    f.track("1337", "user1337").await;
    let now = f.now_ms();
    let s = &f.store;
    // Over before the window; ended and partly recovered; still open.
    let old = key("1337", "channel.cheer", now - 3 * DAY_MS);
    s.open_gap(&old, "notification_failures_exceeded", now)
        .await
        .unwrap();
    s.end_gap("1337", "channel.cheer", now - 2 * DAY_MS)
        .await
        .unwrap();
    let ended = key("1337", "channel.follow", now - 3_600_000);
    s.open_gap(&ended, "notification_failures_exceeded", now)
        .await
        .unwrap();
    s.end_gap("1337", "channel.follow", now - 1_800_000)
        .await
        .unwrap();
    let found = Recovered {
        exact: 3,
        approximate: 0,
        note: None,
        attempts: 0,
    };
    s.settle_gap(&ended, GapState::Closed, &found, now)
        .await
        .unwrap();
    let open = key("1337", "channel.subscribe", now - 600_000);
    s.open_gap(&open, "authorization_revoked", now)
        .await
        .unwrap();

    let a = f.get("/api/streamers/user1337/coverage").await;

    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["streamer_id"], "1337");
    let gaps = a.body["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 2, "the last 24 hours only: {}", a.body);
    assert_eq!(gaps[0]["type"], "channel.follow");
    assert_eq!(gaps[0]["label"], "New follower");
    assert_eq!(gaps[0]["from_ms"], now - 3_600_000);
    assert_eq!(gaps[0]["to_ms"], now - 1_800_000);
    assert_eq!(gaps[0]["state"], "closed");
    assert_eq!(gaps[0]["recovered"]["exact"], 3);
    assert_eq!(
        gaps[0]["cause_text"],
        "Twitch stopped sending them after deliveries to this site failed"
    );
    assert_eq!(gaps[1]["type"], "channel.subscribe");
    assert_eq!(gaps[1]["to_ms"], Value::Null, "still open");
    assert_eq!(gaps[1]["state"], "open");
    assert_eq!(gaps[1]["cause"], "authorization_revoked");

    // A window that holds the old one; by id as well as by login.
    let from = now - 4 * DAY_MS;
    let a = f
        .get(&format!("/api/streamers/1337/coverage?from={from}"))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["gaps"].as_array().unwrap().len(), 3);
    assert_eq!(a.body["gaps"][0]["type"], "channel.cheer");
}

#[tokio::test]
async fn coverage_of_an_unknown_streamer_is_404_and_a_bad_window_is_400() {
    let f = Fixture::new();
    f.track("1337", "user1337").await;
    let a = f.get("/api/streamers/nobody_here/coverage").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    let a = f
        .get("/api/streamers/user1337/coverage?from=yesterday")
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let a = f.get("/api/streamers/user1337/coverage?days=3").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let a = f.get("/api/streamers/user1337/coverage").await;
    assert_eq!(a.body["gaps"], json!([]), "no gap: covered all along");
}

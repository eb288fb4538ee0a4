//! Events per type per day.

use super::*;

#[tokio::test]
async fn stats_count_per_type_per_day_listing_every_day() {
    let f = Fixture::new();
    f.track("1337", "user1337").await;
    let now = f.now_ms();
    f.append("1337", "a", now, "channel.follow").await;
    f.append("1337", "b", now, "channel.follow").await;
    f.append("1337", "c", now, "channel.cheer").await;
    f.append("1337", "d", now - 2 * DAY_MS, "channel.cheer")
        .await;
    f.append("1337", "e", now - 9 * DAY_MS, "channel.cheer")
        .await;

    let a = f.get("/api/streamers/user1337/stats?days=3").await;

    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let day = |ms| shared::store::day_of(ms);
    assert_eq!(
        a.body,
        json!({
            "streamer_id": "1337",
            "from": day(now - 2 * DAY_MS),
            "to": day(now),
            "days": [
                {"day": day(now - 2 * DAY_MS), "total": 1, "counts": {"channel.cheer": 1}, "gaps": []},
                {"day": day(now - DAY_MS), "total": 0, "counts": {}, "gaps": []},
                {"day": day(now), "total": 3, "counts": {"channel.cheer": 1, "channel.follow": 2}, "gaps": []},
            ],
            "totals": {"channel.cheer": 2, "channel.follow": 2},
        })
    );
}

#[tokio::test]
async fn stats_default_to_seven_days() {
    let f = Fixture::new();
    f.track("1337", "user1337").await;

    let a = f.get("/api/streamers/1337/stats").await;

    assert_eq!(a.body["days"].as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn each_day_names_the_types_a_coverage_gap_touched() {
    use shared::store::coverage::{GapKey, GapStore};
    let f = Fixture::new();
    f.track("1337", "user1337").await;
    let now = f.now_ms();
    let today = now.div_euclid(DAY_MS) * DAY_MS;
    let key = |kind: &str, from_ms| GapKey {
        streamer_id: "1337".into(),
        event_type: kind.into(),
        from_ms,
    };
    // Follows: from the evening two days ago to the morning of yesterday.
    let follows = key("channel.follow", today - DAY_MS - 3_600_000);
    f.store
        .open_gap(&follows, "notification_failures_exceeded", now)
        .await
        .unwrap();
    f.store
        .end_gap("1337", "channel.follow", today - DAY_MS + 3_600_000)
        .await
        .unwrap();
    // Cheers: open since today began.
    let cheers = key("channel.cheer", today);
    f.store
        .open_gap(&cheers, "authorization_revoked", now)
        .await
        .unwrap();
    // Another streamer's gap is not this one's.
    let other = GapKey {
        streamer_id: "42".into(),
        ..key("channel.raid", today)
    };
    f.store.open_gap(&other, "user_removed", now).await.unwrap();

    let a = f.get("/api/streamers/user1337/stats?days=4").await;

    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let gaps: Vec<Value> = a.body["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["gaps"].clone())
        .collect();
    assert_eq!(
        gaps,
        vec![
            json!([]),
            json!(["channel.follow"]),
            json!(["channel.follow"]),
            json!(["channel.cheer"])
        ]
    );
}

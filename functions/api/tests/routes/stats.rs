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
                {"day": day(now - 2 * DAY_MS), "total": 1, "counts": {"channel.cheer": 1}},
                {"day": day(now - DAY_MS), "total": 0, "counts": {}},
                {"day": day(now), "total": 3, "counts": {"channel.cheer": 1, "channel.follow": 2}},
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

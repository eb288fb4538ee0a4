//! Stream snapshots and the viewer series.

use super::*;

#[tokio::test]
async fn streams_default_to_the_last_24_hours_oldest_first() {
    let f = Fixture::new();
    f.track("1337", "user1337").await;
    let now = f.now_ms();
    f.snapshot("1337", now - 25 * 3_600_000, 1).await;
    f.snapshot("1337", now - 2 * 3_600_000, 2).await;
    f.snapshot("1337", now - 3_600_000, 3).await;

    let a = f.get("/api/streamers/user1337/streams").await;

    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let viewers: Vec<u64> = a.body["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["viewer_count"].as_u64().unwrap())
        .collect();
    assert_eq!(viewers, [2, 3]);
    assert_eq!(a.body["from_ms"], now - 24 * 3_600_000);
    assert_eq!(a.body["to_ms"], now);
    assert_eq!(a.body["truncated"], false);
    assert_eq!(a.body["snapshots"][0]["game_name"], "Chess");
}

#[tokio::test]
async fn streams_take_rfc3339_or_epoch_ms_and_say_when_truncated() {
    let f = Fixture::new();
    f.track("1337", "user1337").await;
    let base = f.now_ms() - 3 * DAY_MS;
    for i in 0..5 {
        f.snapshot("1337", base + i * 60_000, i as u64).await;
    }
    let from = OffsetDateTime::from_unix_timestamp_nanos(i128::from(base) * 1_000_000)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let uri = format!(
        "/api/streamers/1337/streams?from={}&to={}&limit=3",
        from.replace('+', "%2B"),
        base + DAY_MS
    );

    let a = f.get(&uri).await;

    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["snapshots"].as_array().unwrap().len(), 3);
    assert_eq!(a.body["truncated"], true);
    assert_eq!(a.body["next_from_ms"], base + 2 * 60_000 + 1);
    let rest = f
        .get(&format!(
            "/api/streamers/1337/streams?from={}&to={}",
            base + 2 * 60_000 + 1,
            base + DAY_MS
        ))
        .await;
    assert_eq!(rest.body["snapshots"].as_array().unwrap().len(), 2);
    assert_eq!(rest.body["truncated"], false);
}

#[tokio::test]
async fn viewers_come_as_a_bounded_series_of_peaks_over_a_week() {
    let f = Fixture::new();
    f.track("1337", "user1337").await;
    let now = f.now_ms();
    // A poll every 10 minutes for 7 days, then a raid's jump 5 minutes ago.
    let week = 7 * DAY_MS;
    for i in 0..(week / 600_000) {
        f.snapshot("1337", now - week + i * 600_000, 100).await;
    }
    f.snapshot("1337", now - 300_000, 900).await;
    f.snapshot("1337", now - 8 * DAY_MS, 5).await;

    let a = f
        .get(&format!(
            "/api/streamers/user1337/viewers?from={}&points=336",
            now - week
        ))
        .await;

    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let bucket = a.body["bucket_ms"].as_i64().unwrap();
    assert_eq!(bucket, (week + 1 + 335) / 336, "a week in 336 buckets");
    let points = a.body["points"].as_array().unwrap();
    assert!(
        points.len() <= 336 && points.len() >= 335,
        "{}",
        points.len()
    );
    assert_eq!(points[0]["at_ms"], now - week);
    assert!(points.iter().all(|p| p["polls"].as_u64().unwrap() >= 1));
    assert_eq!(
        points.last().unwrap()["viewers"],
        900,
        "the jump is the last bucket's peak"
    );
    assert_eq!(points[0]["viewers"], 100, "nothing from before the window");
    // The default: the last 24 hours in 288 buckets of 5 minutes.
    let day = f.get("/api/streamers/1337/viewers").await;
    assert_eq!(day.body["from_ms"], now - DAY_MS);
    assert_eq!(day.body["bucket_ms"], (DAY_MS + 1 + 287) / 288);
    // Never a bucket under a second, however many points are asked for.
    let short = f
        .get(&format!(
            "/api/streamers/1337/viewers?from={}&points=1000",
            now - 10_000
        ))
        .await;
    assert_eq!(short.body["bucket_ms"], 1000);
}

#[tokio::test]
async fn a_user_id_the_poller_saw_live_is_known() {
    let f = Fixture::new();
    f.live("777", "user777", true).await;
    f.snapshot("777", f.now_ms() - 60_000, 5).await;

    let a = f.get("/api/streamers/777/streams").await;

    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["snapshots"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_window_wholly_in_the_past_may_be_cached_and_one_reaching_now_may_not() {
    let f = Fixture::new();
    f.track("1337", "user1337").await;
    let now = f.now_ms();
    f.snapshot("1337", now - 2 * DAY_MS, 7).await;
    let past = format!("from={}&to={}", now - 3 * DAY_MS, now - DAY_MS);
    for uri in [
        format!("/api/streamers/user1337/viewers?{past}&points=1000"),
        format!("/api/streamers/user1337/streams?{past}"),
    ] {
        let a = f.get(&uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.body);
        assert_eq!(a.headers["cache-control"], "public, max-age=3600", "{uri}");
        let etag = a.headers["etag"].to_str().unwrap().to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
        // The same answer again: the client's copy is still good.
        let request = http::Request::builder()
            .uri(&uri)
            .header("if-none-match", &etag)
            .body(Body::Empty)
            .unwrap();
        let again = api::handle_at(&f.state, request, f.now).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{uri}");
        assert_eq!(again.headers()["etag"], etag.as_str());
    }
    // The last minutes can still change (a poll is written after it ran).
    for uri in [
        "/api/streamers/user1337/viewers".to_owned(),
        format!("/api/streamers/user1337/viewers?to={}", now - 60_000),
    ] {
        let a = f.get(&uri).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.headers["cache-control"], "no-store", "{uri}");
        assert!(a.headers.get("etag").is_none());
    }
}

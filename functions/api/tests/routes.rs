//! The read API as a client sees it: `api::handle` called with HTTP requests
//! over a real SQLite store (in memory).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use api::router::ROUTES;
use api::ApiState;
use lambda_http::http::{self, StatusCode};
use lambda_http::Body;
use serde_json::{json, Value};
use shared::config::Retention;
use shared::eventsub::summary::summarize;
use shared::store::snapshots::{LiveState, Snapshot, SnapshotStore};
use shared::store::sqlite::{Durability, SqliteStore};
use shared::store::streamers::{StreamerStore, TypeRecord, TypeState, Wish};
use shared::store::{Event, EventStore, DAY_MS};
use time::OffsetDateTime;

/// The admin token the samples in `events/` carry.
const TOKEN: &str = "local-admin-token-local-admin-token-0000";

/// The API over a fresh store, and the store to arrange data in.
struct Fixture {
    state: ApiState,
    store: Arc<SqliteStore>,
    now: OffsetDateTime,
}

/// What the handler answered, with the body parsed.
struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Value,
}

impl Fixture {
    fn new() -> Self {
        let store = Arc::new(
            SqliteStore::open(":memory:", Durability::PowerLoss, Retention::default()).unwrap(),
        );
        // Whole milliseconds, so `now_ms` below is exactly the handler's now.
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        let now = OffsetDateTime::from_unix_timestamp_nanos(nanos - nanos % 1_000_000).unwrap();
        Self {
            state: ApiState {
                events: store.clone(),
                streamers: store.clone(),
                snapshots: store.clone(),
                admin_token: TOKEN.into(),
                door: None,
                site: None,
            },
            store,
            now,
        }
    }

    fn now_ms(&self) -> i64 {
        (self.now.unix_timestamp_nanos() / 1_000_000) as i64
    }

    async fn call(&self, method: &str, uri: &str, authorization: Option<&str>) -> Answer {
        let mut builder = http::Request::builder().method(method).uri(uri);
        if let Some(a) = authorization {
            builder = builder.header("authorization", a);
        }
        let request = builder.body(Body::Empty).unwrap();
        answer(api::handle_at(&self.state, request, self.now).await)
    }

    /// Status, content type and text of a `GET` whose answer is not JSON.
    async fn raw(&self, uri: &str) -> (StatusCode, String, String) {
        let request = http::Request::builder().uri(uri).body(Body::Empty).unwrap();
        let (parts, body) = api::handle_at(&self.state, request, self.now)
            .await
            .into_parts();
        let text = match body {
            Body::Text(t) => t,
            Body::Binary(b) => String::from_utf8(b).unwrap(),
            _ => String::new(),
        };
        let kind = parts
            .headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (parts.status, kind, text)
    }

    async fn get(&self, uri: &str) -> Answer {
        self.call("GET", uri, None).await
    }

    /// Tracks `id` under `login`.
    async fn track(&self, id: &str, login: &str) {
        self.store
            .want(&Wish {
                broadcaster_id: id.into(),
                login: Some(login.into()),
                by: "test".into(),
                at_ms: self.now_ms() - 1_000,
            })
            .await
            .unwrap();
    }

    /// Stores a `channel.follow` of `broadcaster` at `ms` with message id `id`.
    async fn follow(&self, broadcaster: &str, id: &str, ms: i64) {
        self.append(broadcaster, id, ms, "channel.follow").await;
    }

    async fn append(&self, broadcaster: &str, id: &str, ms: i64, kind: &str) {
        let payload = json!({
            "user_id": "9", "user_login": "fan", "user_name": "Fan",
            "broadcaster_user_id": broadcaster, "broadcaster_user_login": "x",
            "broadcaster_user_name": "X", "followed_at": "2026-03-01T12:00:00Z",
            "bits": 100, "is_anonymous": false, "message": "hi",
        });
        let event = Event {
            message_id: id.into(),
            broadcaster_id: broadcaster.into(),
            event_type: kind.into(),
            event_version: if kind == "channel.follow" { "2" } else { "1" }.into(),
            subscription_id: "sub-1".into(),
            received_at_ms: ms,
            summary: summarize(kind, &payload),
            payload: payload.to_string(),
        };
        self.store.append_once(&event, None).await.unwrap();
    }

    async fn live(&self, id: &str, login: &str, live: bool) {
        self.store
            .put_live_states(&[LiveState {
                broadcaster_id: id.into(),
                login: login.into(),
                live,
                stream_id: format!("stream-{id}"),
                started_at: "2026-03-01T10:00:00Z".into(),
                viewer_count: 42,
                game_name: "Chess".into(),
                title: "hello".into(),
                changed_at_ms: self.now_ms() - 60_000,
                last_seen_ms: self.now_ms(),
                misses: 0,
            }])
            .await
            .unwrap();
    }

    async fn snapshot(&self, id: &str, polled_at_ms: i64, viewers: u64) {
        self.store
            .put_snapshots(&[Snapshot {
                stream_id: format!("stream-{id}"),
                broadcaster_id: id.into(),
                broadcaster_login: format!("user{id}"),
                game_id: "1".into(),
                game_name: "Chess".into(),
                title: "hello".into(),
                language: "en".into(),
                viewer_count: viewers,
                started_at: "2026-03-01T10:00:00Z".into(),
                tags: vec!["English".into()],
                polled_at_ms,
            }])
            .await
            .unwrap();
    }
}

fn answer(response: http::Response<Body>) -> Answer {
    let (parts, body) = response.into_parts();
    let text = match body {
        Body::Text(t) => t,
        Body::Binary(b) => String::from_utf8(b).unwrap(),
        _ => String::new(),
    };
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

fn ids(events: &Value) -> Vec<String> {
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

/// `n` events of streamer 1337 (login `user1337`), several sharing a
/// millisecond; returns their message ids oldest first.
async fn feed(f: &Fixture, n: usize) -> Vec<String> {
    f.track("1337", "user1337").await;
    let mut ids = Vec::new();
    for i in 0..n {
        // Three events per millisecond: the message id breaks the tie.
        let ms = f.now_ms() - 3_600_000 + (i / 3) as i64;
        let id = format!("m{i:03}");
        f.follow("1337", &id, ms).await;
        ids.push(id);
    }
    ids
}

// ------------------------------------------------------------------ exports

#[tokio::test]
async fn exports_carry_the_window_oldest_first_as_csv_and_json_lines() {
    let f = Fixture::new();
    let ids = feed(&f, 5).await;
    // Outside the default 24-hour window: left out.
    f.follow("1337", "ancient", f.now_ms() - 3 * DAY_MS).await;
    let (status, kind, csv) = f.raw("/api/streamers/user1337/events.csv").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "received_at,message_id,type,version,actor,action,amount,text"
    );
    assert_eq!(lines.len(), 1 + ids.len(), "{csv}");
    let in_csv: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(in_csv, ids, "oldest first, the window only");
    let (status, kind, jsonl) = f.raw("/api/streamers/user1337/events.jsonl").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "application/x-ndjson")
    );
    let parsed: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        parsed
            .iter()
            .map(|e| e["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ids
    );
    // A window of its own, and the usual refusals.
    let from = f.now_ms() - 4 * DAY_MS;
    let to = f.now_ms() - 2 * DAY_MS;
    let (_, _, old) = f
        .raw(&format!(
            "/api/streamers/user1337/events.csv?from={from}&to={to}"
        ))
        .await;
    assert_eq!(old.lines().count(), 2, "{old}");
    assert_eq!(
        f.get("/api/streamers/nobody/events.csv").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.get("/api/streamers/user1337/events.csv?from=yesterday")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[test]
fn csv_fields_are_quoted_and_never_run_as_formulas() {
    use shared::eventsub::summary::Summary;
    use shared::store::{Cursor, Event, StoredEvent};
    let event = Event {
        message_id: "m1".into(),
        broadcaster_id: "1".into(),
        event_type: "channel.cheer".into(),
        event_version: "1".into(),
        subscription_id: "s".into(),
        received_at_ms: 0,
        summary: Some(Summary {
            actor: Some("=HYPERLINK(\"evil\")".into()),
            action: "cheered".into(),
            amount: Some(100),
            text: "a, \"quoted\"\nline".into(),
        }),
        payload: "{}".into(),
    };
    let stored = StoredEvent {
        cursor: Cursor::of(&event),
        event,
    };
    let csv = api::views::events_csv(&[stored]);
    let row = csv.lines().nth(1).unwrap();
    assert!(
        row.starts_with("1970-01-01T00:00:00Z,m1,channel.cheer,1,"),
        "{row}"
    );
    assert!(csv.contains("\"'=HYPERLINK(\"\"evil\"\")\""), "{csv}");
    assert!(csv.contains("\"a, \"\"quoted\"\"\nline\""), "{csv}");
}

// ---------------------------------------------------------------- streamers

#[tokio::test]
async fn streamers_lists_tracked_ones_with_live_and_type_states() {
    let f = Fixture::new();
    f.track("1", "alice").await;
    f.track("2", "bob").await;
    f.track("3", "carol").await;
    f.store.release("3", f.now_ms()).await.unwrap();
    f.live("1", "alice", true).await;
    let types = BTreeMap::from([(
        "channel.follow".to_owned(),
        TypeRecord {
            state: TypeState::NeedsAuthorization {
                scopes: vec!["moderator:read:followers".into()],
                from: "broadcaster or a moderator".into(),
            },
            recreated: 0,
            updated_at_ms: 7,
        },
    )]);
    f.store.set_types("2", &types).await.unwrap();

    let a = f.get("/api/streamers").await;

    assert_eq!(a.status, StatusCode::OK);
    let list = a.body["streamers"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{}", a.body);
    assert_eq!(list[0]["id"], "1");
    assert_eq!(list[0]["login"], "alice");
    assert_eq!(list[0]["wanted_since_ms"], f.now_ms() - 1_000);
    assert_eq!(list[0]["last_watched_ms"], f.now_ms() - 1_000);
    assert_eq!(list[0]["live"]["live"], true);
    assert_eq!(list[0]["live"]["viewer_count"], 42);
    assert_eq!(list[0]["types"], json!({}));
    assert_eq!(list[1]["live"], Value::Null);
    assert_eq!(
        list[1]["types"]["channel.follow"],
        json!({"state": "needs_authorization", "scopes": ["moderator:read:followers"],
               "from": "broadcaster or a moderator", "updated_at_ms": 7})
    );
    assert_eq!(a.body["next"], Value::Null);
}

#[tokio::test]
async fn streamers_pages_with_cursor_without_gaps_or_repeats() {
    let f = Fixture::new();
    for i in 1..=5 {
        f.track(&i.to_string(), &format!("user{i}")).await;
    }
    let mut seen = Vec::new();
    let mut uri = "/api/streamers?limit=2".to_owned();
    loop {
        let a = f.get(&uri).await;
        assert_eq!(a.status, StatusCode::OK);
        for s in a.body["streamers"].as_array().unwrap() {
            seen.push(s["id"].as_str().unwrap().to_owned());
        }
        match a.body["next"].as_str() {
            Some(next) => uri = format!("/api/streamers?limit=2&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ["1", "2", "3", "4", "5"]);
}

// ------------------------------------------------------------------- events

#[tokio::test]
async fn events_are_newest_first_with_every_field() {
    let f = Fixture::new();
    f.track("1337", "user1337").await;
    f.follow("1337", "old", f.now_ms() - 2_000).await;
    f.follow("1337", "new", f.now_ms() - 1_000).await;

    let a = f.get("/api/streamers/user1337/events").await;

    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(ids(&a.body["events"]), ["new", "old"]);
    let e = &a.body["events"][0];
    assert_eq!(e["type"], "channel.follow");
    assert_eq!(e["version"], "2");
    assert_eq!(e["received_at_ms"], f.now_ms() - 1_000);
    assert_eq!(e["summary"]["action"], "followed");
    assert_eq!(e["event"]["user_login"], "fan");
    assert!(e["cursor"].as_str().is_some_and(|c| !c.is_empty()));
    assert_eq!(a.body["next"], Value::Null);
}

#[tokio::test]
async fn events_default_to_20_and_pages_back_without_gaps_or_repeats() {
    let f = Fixture::new();
    let stored = feed(&f, 47).await;

    let first = f.get("/api/streamers/user1337/events").await;
    assert_eq!(first.body["events"].as_array().unwrap().len(), 20);

    let mut seen = Vec::new();
    let mut uri = "/api/streamers/user1337/events?limit=10".to_owned();
    loop {
        let a = f.get(&uri).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        seen.extend(ids(&a.body["events"]));
        match a.body["next"].as_str() {
            Some(next) => uri = format!("/api/streamers/user1337/events?limit=10&cursor={next}"),
            None => break,
        }
    }
    let newest_first: Vec<String> = stored.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);
}

#[tokio::test]
async fn events_after_a_cursor_are_oldest_first_without_gaps_or_repeats() {
    let f = Fixture::new();
    let stored = feed(&f, 31).await;
    // The client has read up to the 8th oldest event (newest-first page of 24).
    let page = f.get("/api/streamers/user1337/events?limit=24").await;
    let last_read = page.body["events"][23]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(page.body["events"][23]["id"], stored[7]);

    let mut seen = Vec::new();
    let mut uri = format!("/api/streamers/user1337/events?after={last_read}&limit=5");
    loop {
        let a = f.get(&uri).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        seen.extend(ids(&a.body["events"]));
        match a.body["next"].as_str() {
            Some(next) => uri = format!("/api/streamers/user1337/events?after={next}&limit=5"),
            None => break,
        }
    }
    assert_eq!(seen, stored[8..]);
}

#[tokio::test]
async fn events_after_the_newest_cursor_are_empty_until_something_new_arrives() {
    let f = Fixture::new();
    feed(&f, 3).await;
    let page = f.get("/api/streamers/1337/events?limit=1").await;
    let newest = page.body["events"][0]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let uri = format!("/api/streamers/1337/events?after={newest}");

    assert_eq!(f.get(&uri).await.body, json!({"events": [], "next": null}));
    f.follow("1337", "later", f.now_ms()).await;
    assert_eq!(ids(&f.get(&uri).await.body["events"]), ["later"]);
}

#[tokio::test]
async fn a_login_and_its_user_id_read_the_same_feed() {
    let f = Fixture::new();
    feed(&f, 5).await;

    let by_login = f.get("/api/streamers/User1337/events").await;
    let by_id = f.get("/api/streamers/1337/events").await;

    assert_eq!(by_login.status, StatusCode::OK);
    assert_eq!(by_login.body, by_id.body);
}

#[tokio::test]
async fn a_user_id_with_only_stored_events_is_known() {
    let f = Fixture::new();
    f.follow("4242", "m1", f.now_ms()).await;

    let a = f.get("/api/streamers/4242/events").await;

    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(ids(&a.body["events"]), ["m1"]);
}

#[tokio::test]
async fn an_unknown_streamer_is_404_saying_so() {
    let f = Fixture::new();
    for uri in [
        "/api/streamers/nobody/events",
        "/api/streamers/999/events",
        "/api/streamers/nobody/stats",
        "/api/streamers/999/streams",
    ] {
        let a = f.get(uri).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(a.body["error"], "unknown_streamer", "{uri}");
        let message = a.body["message"].as_str().unwrap();
        assert!(
            message.contains("no such streamer is tracked or known"),
            "{message}"
        );
    }
}

// -------------------------------------------------------------------- stats

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

// ------------------------------------------------------------------ streams

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

// --------------------------------------------------------------------- live

#[tokio::test]
async fn live_lists_who_is_live_in_pages() {
    let f = Fixture::new();
    for i in 1..=5 {
        f.live(&i.to_string(), &format!("user{i}"), i != 3).await;
    }
    let mut seen = Vec::new();
    let mut uri = "/api/live?limit=2".to_owned();
    loop {
        let a = f.get(&uri).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        for s in a.body["live"].as_array().unwrap() {
            assert_eq!(s["live"], true);
            seen.push(s["broadcaster_id"].as_str().unwrap().to_owned());
        }
        match a.body["next"].as_str() {
            Some(next) => uri = format!("/api/live?limit=2&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ["1", "2", "4", "5"]);
}

// ------------------------------------------------------------------- poller

#[tokio::test]
async fn poller_status_starts_unpaused() {
    let f = Fixture::new();

    let a = f.get("/api/poller").await;

    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["paused"], false);
}

#[tokio::test]
async fn pausing_without_the_admin_token_is_401_and_changes_nothing() {
    let f = Fixture::new();
    for auth in [None, Some("Bearer wrong"), Some(TOKEN), Some("Basic abc")] {
        let a = f.call("POST", "/api/poller/pause", auth).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(a.body["error"], "unauthorized");
        assert_eq!(a.headers["www-authenticate"], "Bearer");
    }
    assert_eq!(f.get("/api/poller").await.body["paused"], false);
}

#[tokio::test]
async fn pause_then_status_shows_paused_and_resume_undoes_it() {
    let f = Fixture::new();
    let bearer = format!("Bearer {TOKEN}");

    let paused = f.call("POST", "/api/poller/pause", Some(&bearer)).await;
    assert_eq!(paused.status, StatusCode::OK);
    assert_eq!(paused.body["paused"], true);
    assert_eq!(f.get("/api/poller").await.body["paused"], true);

    let resumed = f.call("POST", "/api/poller/resume", Some(&bearer)).await;
    assert_eq!(resumed.body["paused"], false);
    assert_eq!(f.get("/api/poller").await.body["paused"], false);
}

#[tokio::test]
async fn an_empty_admin_token_lets_no_one_pause() {
    let mut f = Fixture::new();
    f.state.admin_token = String::new();

    let a = f.call("POST", "/api/poller/pause", Some("Bearer ")).await;

    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

// ------------------------------------------------------- bad input, 404, 405

#[tokio::test]
async fn every_bad_parameter_is_400_with_a_json_error() {
    let f = Fixture::new();
    feed(&f, 2).await;
    let cursor = f.get("/api/streamers/1337/events").await.body["events"][0]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases = [
        ("/api/streamers/1337/events?limit=0", "invalid_parameter"),
        ("/api/streamers/1337/viewers?points=0", "invalid_parameter"),
        (
            "/api/streamers/1337/viewers?points=1001",
            "invalid_parameter",
        ),
        (
            "/api/streamers/1337/viewers?from=yesterday",
            "invalid_parameter",
        ),
        ("/api/streamers/1337/events?limit=101", "invalid_parameter"),
        ("/api/streamers/1337/events?limit=-1", "invalid_parameter"),
        ("/api/streamers/1337/events?limit=abc", "invalid_parameter"),
        ("/api/streamers/1337/events?limit=", "invalid_parameter"),
        (
            "/api/streamers/1337/events?limit=99999999999999999999",
            "invalid_parameter",
        ),
        (
            "/api/streamers/1337/events?cursor=nope",
            "invalid_parameter",
        ),
        ("/api/streamers/1337/events?after=%00", "invalid_parameter"),
        (
            &format!("/api/streamers/1337/events?cursor={cursor}&after={cursor}"),
            "conflicting_parameters",
        ),
        ("/api/streamers/1337/events?limt=5", "unknown_parameter"),
        (
            "/api/streamers/1337/events?limit=5&limit=6",
            "repeated_parameter",
        ),
        ("/api/streamers/bad-login/events", "invalid_streamer"),
        (
            &format!("/api/streamers/{}/events", "x".repeat(26)),
            "invalid_streamer",
        ),
        ("/api/streamers/%C3%A9/events", "invalid_streamer"),
        ("/api/streamers/1337/stats?days=0", "invalid_parameter"),
        ("/api/streamers/1337/stats?days=91", "invalid_parameter"),
        ("/api/streamers/1337/stats?days=1.5", "invalid_parameter"),
        (
            "/api/streamers/1337/streams?from=yesterday",
            "invalid_parameter",
        ),
        (
            "/api/streamers/1337/streams?to=2026-13-01T00:00:00Z",
            "invalid_parameter",
        ),
        (
            "/api/streamers/1337/streams?from=2026-03-01T00:00:00+02:00",
            "invalid_parameter",
        ),
        (
            "/api/streamers/1337/streams?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z",
            "invalid_parameter",
        ),
        (
            "/api/streamers/1337/streams?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z",
            "invalid_parameter",
        ),
        (
            "/api/streamers/1337/streams?from=99999999999999999",
            "invalid_parameter",
        ),
        (
            "/api/streamers/1337/streams?limit=5001",
            "invalid_parameter",
        ),
        ("/api/streamers?limit=101", "invalid_parameter"),
        ("/api/streamers?cursor=%%%", "invalid_parameter"),
        ("/api/live?limit=0", "invalid_parameter"),
        ("/api/live?cursor=not*base64", "invalid_parameter"),
        ("/api/poller?verbose=1", "unknown_parameter"),
    ];
    for (uri, code) in cases {
        let a = f.get(uri).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{uri}: {}", a.body);
        assert_eq!(a.body["error"], code, "{uri}: {}", a.body);
        assert!(
            a.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{uri}"
        );
        assert_eq!(a.headers["content-type"], "application/json", "{uri}");
    }
}

#[tokio::test]
async fn a_bad_parameter_is_reported_before_an_unknown_streamer() {
    let f = Fixture::new();

    let a = f.get("/api/streamers/nobody/events?limit=0").await;

    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_paths_under_api_are_404_json() {
    let f = Fixture::new();
    for uri in [
        "/api",
        "/api/",
        "/api/nope",
        "/api/streamers/1337",
        "/api/streamers/1337/events/extra",
        "/api/streamers//events",
        "/api/poller/pause/now",
    ] {
        let a = f.get(uri).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(a.body["error"], "not_found", "{uri}");
    }
}

#[tokio::test]
async fn a_wrong_method_is_405_json_with_allow() {
    let f = Fixture::new();
    for (method, uri, allow) in [
        ("POST", "/api/streamers", "GET"),
        ("DELETE", "/api/streamers/1337/events", "GET"),
        ("GET", "/api/poller/pause", "POST"),
        ("PUT", "/api/poller", "GET"),
    ] {
        let a = f.call(method, uri, None).await;
        assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        assert_eq!(a.body["error"], "method_not_allowed");
        assert_eq!(a.headers["allow"], allow);
    }
}

#[tokio::test]
async fn a_failing_store_is_503_store_unavailable_and_nothing_else_is_5xx() {
    let f = Fixture::new();
    let broken = Arc::new(failing::Broken);
    let state = ApiState {
        events: broken.clone(),
        streamers: broken.clone(),
        snapshots: broken,
        admin_token: TOKEN.into(),
        door: None,
        site: None,
    };
    let bearer = format!("Bearer {TOKEN}");
    for (method, uri) in [
        ("GET", "/api/streamers"),
        ("GET", "/api/streamers/user1/events"),
        ("GET", "/api/streamers/1/stats"),
        ("GET", "/api/streamers/1/streams"),
        ("GET", "/api/live"),
        ("GET", "/api/poller"),
        ("POST", "/api/poller/pause"),
    ] {
        let request = http::Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", &bearer)
            .body(Body::Empty)
            .unwrap();
        let a = answer(api::handle_at(&state, request, f.now).await);
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{uri}");
        assert_eq!(a.body["error"], "store_unavailable", "{uri}");
    }
}

// ------------------------------------------------------------------ OpenAPI

/// `(path, method)` pairs the document describes.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((path.clone(), method.to_ascii_uppercase()));
        }
    }
    out
}

#[tokio::test]
async fn the_openapi_document_is_served_as_checked_in() {
    let f = Fixture::new();

    let a = f.get("/api/openapi.json").await;

    assert_eq!(a.status, StatusCode::OK);
    let file: Value =
        serde_json::from_str(include_str!("../openapi.json")).expect("openapi.json is JSON");
    assert_eq!(a.body, file);
    assert!(a.body["openapi"].as_str().unwrap().starts_with("3.0"));
}

#[test]
fn every_route_is_documented_with_its_query_parameters_and_nothing_more_under_api() {
    let doc: Value = serde_json::from_str(api::OPENAPI).unwrap();
    let documented_api: BTreeSet<_> = documented(&doc)
        .into_iter()
        .filter(|(path, _)| path.starts_with("/api"))
        .collect();
    let routed: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| (r.path.to_owned(), r.method.to_owned()))
        .chain(
            api::door::ROUTES
                .iter()
                .filter(|(_, path)| path.starts_with("/api"))
                .map(|(m, p)| ((*p).to_owned(), (*m).to_owned())),
        )
        .collect();
    assert_eq!(routed, documented_api);

    for route in ROUTES {
        let op = &doc["paths"][route.path][route.method.to_ascii_lowercase()];
        let query: BTreeSet<&str> = op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "query")
                    .map(|p| p["name"].as_str().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        let taken: BTreeSet<&str> = route.query.iter().copied().collect();
        assert_eq!(query, taken, "{} {}", route.method, route.path);
    }
}

/// Found by schemathesis (scripts/api-contract.sh): `cursor=`, `after=`,
/// `from=` and `to=` were schema-valid (a bare string) but refused. The code
/// is right: an empty cursor is none the API handed out (restarting from the
/// first page would loop a client that sent a null `next`), and an empty time
/// would silently widen the window. So the document says `minLength: 1`, and
/// this holds every such parameter of every read route to it.
#[tokio::test]
async fn every_parameter_documented_as_non_empty_is_refused_empty() {
    let f = Fixture::new();
    feed(&f, 1).await;
    let doc: Value = serde_json::from_str(api::OPENAPI).unwrap();
    let mut checked = BTreeSet::new();
    for route in ROUTES.iter().filter(|r| r.method == "GET") {
        let op = &doc["paths"][route.path]["get"];
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] != "query" || p["schema"]["minLength"].as_u64() != Some(1) {
                continue;
            }
            let name = p["name"].as_str().unwrap();
            let uri = format!("{}?{name}=", route.path.replace("{login}", "1337"));
            let a = f.get(&uri).await;
            assert_eq!(a.status, StatusCode::BAD_REQUEST, "{uri}: {}", a.body);
            assert_eq!(a.body["error"], "invalid_parameter", "{uri}");
            checked.insert(format!("{} {name}", route.path));
        }
    }
    let expected: BTreeSet<String> = [
        "/api/streamers cursor",
        "/api/live cursor",
        "/api/streamers/{login}/events cursor",
        "/api/streamers/{login}/events after",
        "/api/streamers/{login}/streams from",
        "/api/streamers/{login}/streams to",
        "/api/streamers/{login}/viewers from",
        "/api/streamers/{login}/viewers to",
        "/api/streamers/{login}/events.csv from",
        "/api/streamers/{login}/events.csv to",
        "/api/streamers/{login}/events.jsonl from",
        "/api/streamers/{login}/events.jsonl to",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(checked, expected);
}

#[test]
fn the_document_also_describes_the_webhook_and_admin_routes() {
    let doc: Value = serde_json::from_str(api::OPENAPI).unwrap();
    let all = documented(&doc);
    for (path, method) in [
        ("/eventsub", "POST"),
        ("/admin/streamers", "GET"),
        ("/admin/streamers", "POST"),
        ("/admin/streamers/{id}", "DELETE"),
        ("/auth/login", "GET"),
        ("/auth/callback", "GET"),
        ("/auth/logout", "POST"),
    ] {
        assert!(
            all.contains(&(path.into(), method.into())),
            "{method} {path}"
        );
    }
}

#[test]
fn every_schema_reference_in_the_document_resolves() {
    fn walk<'a>(v: &'a Value, refs: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    refs.push(r);
                }
                m.values().for_each(|v| walk(v, refs));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, refs)),
            _ => {}
        }
    }
    let doc: Value = serde_json::from_str(api::OPENAPI).unwrap();
    let mut refs = Vec::new();
    walk(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let pointer = r.strip_prefix('#').expect("local reference");
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
}

#[tokio::test]
async fn every_documented_api_route_is_answered() {
    let f = Fixture::new();
    feed(&f, 1).await;
    let doc: Value = serde_json::from_str(api::OPENAPI).unwrap();
    let bearer = format!("Bearer {TOKEN}");
    for (path, method) in documented(&doc) {
        // The front door's routes need a session: tests/door.rs and the
        // local stack's front-door suite answer them.
        let door = api::door::ROUTES.iter().any(|(_, p)| *p == path);
        if !path.starts_with("/api") || door {
            continue;
        }
        let uri = path.replace("{login}", "user1337");
        if path.ends_with(".csv") || path.ends_with(".jsonl") {
            let (status, _, _) = f.raw(&uri).await;
            assert_eq!(status, StatusCode::OK, "{method} {uri}");
            continue;
        }
        let a = f.call(&method, &uri, Some(&bearer)).await;
        assert_eq!(a.status, StatusCode::OK, "{method} {uri}: {}", a.body);
    }
}

// --------------------------------------------------- API Gateway and samples

#[tokio::test]
async fn a_request_behind_a_named_stage_is_routed_by_its_raw_path() {
    let f = Fixture::new();
    let event = json!({
        "version": "2.0",
        "routeKey": "GET /api/poller",
        "rawPath": "/api/poller",
        "rawQueryString": "",
        "headers": {"host": "abc123.execute-api.us-east-1.amazonaws.com"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "http": {"method": "GET", "path": "/prod/api/poller", "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
            "requestId": "id", "routeKey": "GET /api/poller", "stage": "prod",
            "time": "23/Nov/2026:12:00:00 +0000", "timeEpoch": 1795435200000_i64
        },
        "isBase64Encoded": false
    });
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    assert_eq!(request.uri().path(), "/prod/api/poller");

    let a = answer(api::handle_at(&f.state, request, f.now).await);

    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
}

#[tokio::test]
async fn every_sample_event_in_events_api_is_answered() {
    let f = Fixture::new();
    feed(&f, 3).await;
    f.live("1337", "user1337", true).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/api");
    // The front door's samples (events/api/door/) have their own test.
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    assert!(names.len() >= 8, "{names:?}");
    for path in names {
        let text = std::fs::read_to_string(&path).unwrap();
        let request = lambda_http::request::from_str(&text).unwrap();
        let a = answer(api::handle_at(&f.state, request, f.now).await);
        assert_eq!(a.status, StatusCode::OK, "{}: {}", path.display(), a.body);
    }
}

/// A store whose every call fails as an unreachable backend would.
mod failing {
    use async_trait::async_trait;
    use shared::store::snapshots::{LivePage, LiveState, PollerStatus, Snapshot, SnapshotStore};
    use shared::store::streamers::{Streamer, StreamerStore, TrackedPage, TypeRecord, Wish};
    use shared::store::{Appended, Cursor, DailyCount, Event, EventStore, Page, StoreError};
    use std::collections::BTreeMap;

    pub struct Broken;

    fn down<T>() -> Result<T, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }

    #[async_trait]
    impl EventStore for Broken {
        async fn append_once(&self, _: &Event, _: Option<&str>) -> Result<Appended, StoreError> {
            down()
        }
        async fn recent(&self, _: &str, _: usize, _: Option<&Cursor>) -> Result<Page, StoreError> {
            down()
        }
        async fn after(&self, _: &str, _: &Cursor, _: usize) -> Result<Page, StoreError> {
            down()
        }
        async fn daily_counts(
            &self,
            _: &str,
            _: &str,
            _: &str,
        ) -> Result<Vec<DailyCount>, StoreError> {
            down()
        }
    }

    #[async_trait]
    impl StreamerStore for Broken {
        async fn want(&self, _: &Wish) -> Result<(), StoreError> {
            down()
        }
        async fn streamer(&self, _: &str) -> Result<Option<Streamer>, StoreError> {
            down()
        }
        async fn id_of_login(&self, _: &str) -> Result<Option<String>, StoreError> {
            down()
        }
        async fn tracked(&self, _: Option<&str>, _: usize) -> Result<TrackedPage, StoreError> {
            down()
        }
        async fn set_types(
            &self,
            _: &str,
            _: &BTreeMap<String, TypeRecord>,
        ) -> Result<(), StoreError> {
            down()
        }
        async fn set_scopes(&self, _: &str, _: &[String], _: i64) -> Result<(), StoreError> {
            down()
        }
        async fn release(&self, _: &str, _: i64) -> Result<(), StoreError> {
            down()
        }
    }

    #[async_trait]
    impl SnapshotStore for Broken {
        async fn put_snapshots(&self, _: &[Snapshot]) -> Result<(), StoreError> {
            down()
        }
        async fn snapshots(
            &self,
            _: &str,
            _: i64,
            _: i64,
            _: usize,
        ) -> Result<Vec<Snapshot>, StoreError> {
            down()
        }
        async fn live_state(&self, _: &str) -> Result<Option<LiveState>, StoreError> {
            down()
        }
        async fn live_states(&self, _: &[String]) -> Result<Vec<LiveState>, StoreError> {
            down()
        }
        async fn put_live_states(&self, _: &[LiveState]) -> Result<(), StoreError> {
            down()
        }
        async fn live_now(&self, _: Option<&str>, _: usize) -> Result<LivePage, StoreError> {
            down()
        }
        async fn acquire_lease(&self, _: &str, _: i64, _: i64) -> Result<bool, StoreError> {
            down()
        }
        async fn release_lease(&self, _: &str) -> Result<(), StoreError> {
            down()
        }
        async fn poller_status(&self) -> Result<PollerStatus, StoreError> {
            down()
        }
        async fn set_poller_status(&self, _: &PollerStatus) -> Result<(), StoreError> {
            down()
        }
        async fn set_paused(&self, _: bool) -> Result<(), StoreError> {
            down()
        }
    }
}

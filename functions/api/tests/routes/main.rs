//! The read API as a client sees it: `api::handle` called with HTTP requests
//! over a real SQLite store (in memory). The fixture and helpers live here;
//! each module holds the tests of one route family.

mod bad_input;
mod coverage;
mod event_types;
mod events;
mod exports;
mod failing;
mod gateway;
mod live;
mod openapi;
mod poller;
mod stats;
mod streamers;
mod streams;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use api::router::ROUTES;
use api::ApiState;
use lambda_http::http::{self, StatusCode};
use lambda_http::Body;
use serde_json::{json, Value};
use shared::config::Retention;
use shared::eventsub::catalog::summarize;
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
                gaps: store.clone(),
                admin_token: TOKEN.into(),
                account: None,
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
            recovery: None,
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

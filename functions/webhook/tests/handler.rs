//! The webhook handler, case by case: what it answers and what it stores.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use async_trait::async_trait;
use lambda_http::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use lambda_http::Body;
use shared::config::{EventSubSecret, Retention};
use shared::eventsub::catalog;
use shared::eventsub::fixtures::{self, Channel, Delivery};
use shared::eventsub::headers as h;
use shared::eventsub::verify::signature_header;
use shared::store::sqlite::{Durability, SqliteStore};
use shared::store::{
    Appended, Cursor, DailyCount, Event, EventStore, Page, StoreError, SubscriptionStore,
};
use time::{Duration, OffsetDateTime};
use webhook::{handle, metric_of, process, respond, Outcome, WebhookState, MAX_BODY_BYTES};

const SECRET: &str = "handler-test-secret-0123";

fn secret() -> EventSubSecret {
    EventSubSecret::new(SECRET).unwrap()
}

struct Harness {
    state: WebhookState,
    store: Arc<SqliteStore>,
}

fn harness() -> Harness {
    let store = Arc::new(
        SqliteStore::open(":memory:", Durability::PowerLoss, Retention::default()).unwrap(),
    );
    Harness {
        state: WebhookState::new(secret(), store.clone(), store.clone()),
        store,
    }
}

fn headers_of(d: &Delivery) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in d.headers(&secret()) {
        map.insert(
            HeaderName::from_static(k),
            HeaderValue::from_str(&v).unwrap(),
        );
    }
    map
}

fn channel() -> Channel {
    Channel::new("1337")
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

impl Harness {
    async fn send(&self, d: &Delivery) -> lambda_http::Response<Body> {
        self.send_raw(headers_of(d), d.body.as_bytes()).await
    }

    async fn send_raw(&self, headers: HeaderMap, body: &[u8]) -> lambda_http::Response<Body> {
        respond(process(&self.state, &headers, body, now()).await)
    }

    async fn stored(&self) -> Vec<Event> {
        self.store
            .recent("1337", 100, None)
            .await
            .unwrap()
            .events
            .into_iter()
            .map(|e| e.event)
            .collect()
    }
}

fn body_text(r: &lambda_http::Response<Body>) -> String {
    match r.body() {
        Body::Text(t) => t.clone(),
        Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    }
}

/// Asserts a JSON error answer with this status and code.
fn assert_error(r: &lambda_http::Response<Body>, status: StatusCode, code: &str) {
    assert_eq!(r.status(), status, "{}", body_text(r));
    assert_eq!(r.headers()["content-type"], "application/json");
    let v: serde_json::Value = serde_json::from_str(&body_text(r)).unwrap();
    assert_eq!(v["error"], code);
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn challenge_is_answered_with_exactly_its_text_and_recorded() {
    let t = harness();
    let d = fixtures::verification("channel.follow", &channel(), now());
    let r = t.send(&d).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/plain");
    let challenge = serde_json::from_str::<serde_json::Value>(&d.body).unwrap()["challenge"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(body_text(&r), challenge);
    let sub_id = fixtures::subscription_id("channel.follow", "1337");
    let state = t.store.subscription(&sub_id).await.unwrap().unwrap();
    assert!(state.callback_verified_at_ms.is_some());
    assert!(t.stored().await.is_empty());
}

#[tokio::test]
async fn notification_is_stored_with_its_summary_and_answered_204() {
    let t = harness();
    let d = fixtures::notification("channel.follow", &channel(), 7, now());
    let r = t.send(&d).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let stored = t.stored().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].message_id, d.message_id);
    assert_eq!(stored[0].event_type, "channel.follow");
    assert_eq!(stored[0].event_version, "2");
    let summary = stored[0].summary.as_ref().unwrap();
    assert_eq!(summary.text, "Viewer_100007 followed Streamer_1337");
    // The payload is the event object exactly as sent.
    let sent: serde_json::Value = serde_json::from_str(&d.body).unwrap();
    assert_eq!(stored[0].payload, sent["event"].to_string());
}

#[tokio::test]
async fn every_known_type_gets_a_summary() {
    let t = harness();
    let tracked: Vec<&str> = catalog::tracked().map(|k| k.name).collect();
    for (i, kind) in tracked.iter().enumerate() {
        let d = fixtures::notification(kind, &channel(), i as u64, now());
        assert_eq!(t.send(&d).await.status(), StatusCode::NO_CONTENT, "{kind}");
    }
    let stored = t.stored().await;
    assert_eq!(stored.len(), tracked.len());
    assert!(stored.iter().all(|e| e.summary.is_some()));
}

#[tokio::test]
async fn unknown_subscription_types_are_stored_raw() {
    let t = harness();
    let d = fixtures::notification("channel.poll.begin", &channel(), 1, now());
    assert_eq!(t.send(&d).await.status(), StatusCode::NO_CONTENT);
    let stored = t.stored().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].event_type, "channel.poll.begin");
    assert_eq!(stored[0].summary, None);
}

#[tokio::test]
async fn signature_covers_the_exact_bytes_received() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 1, now());
    let headers = headers_of(&d);
    // Same JSON, different bytes: what a parse-and-reserialize verifier would accept.
    let value: serde_json::Value = serde_json::from_str(&d.body).unwrap();
    let reserialized = serde_json::to_string_pretty(&value).unwrap();
    assert_ne!(reserialized, d.body);
    let r = t.send_raw(headers.clone(), reserialized.as_bytes()).await;
    assert_error(&r, StatusCode::FORBIDDEN, "invalid_signature");
    let r = t.send_raw(headers, format!("{} ", d.body).as_bytes()).await;
    assert_error(&r, StatusCode::FORBIDDEN, "invalid_signature");
    assert!(t.stored().await.is_empty());
}

#[tokio::test]
async fn a_forgery_signed_with_another_secret_is_refused() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 1, now());
    let mut headers = headers_of(&d);
    let other = EventSubSecret::new("attacker-guessed-secret").unwrap();
    let forged = signature_header(&other, &d.message_id, &d.timestamp, d.body.as_bytes());
    headers.insert(
        h::MESSAGE_SIGNATURE,
        HeaderValue::from_str(&forged).unwrap(),
    );
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::FORBIDDEN,
        "invalid_signature",
    );
    assert_eq!(t.state.metrics.rejected.load(Relaxed), 1);
    assert!(t.stored().await.is_empty());
}

#[tokio::test]
async fn missing_and_malformed_headers_are_named() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 1, now());
    for name in [
        h::MESSAGE_ID,
        h::MESSAGE_TIMESTAMP,
        h::MESSAGE_TYPE,
        h::SUBSCRIPTION_TYPE,
        h::SUBSCRIPTION_VERSION,
    ] {
        let mut headers = headers_of(&d);
        headers.remove(name);
        let r = t.send_raw(headers, d.body.as_bytes()).await;
        assert_error(&r, StatusCode::BAD_REQUEST, "missing_header");
        assert!(body_text(&r).contains(name));
    }
    let mut headers = headers_of(&d);
    headers.remove(h::MESSAGE_SIGNATURE);
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::FORBIDDEN,
        "missing_signature",
    );
    let mut headers = headers_of(&d);
    headers.insert(
        h::MESSAGE_SIGNATURE,
        HeaderValue::from_static("sha256=nothex"),
    );
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::FORBIDDEN,
        "malformed_signature",
    );
    let mut headers = headers_of(&d);
    headers.insert(h::MESSAGE_TIMESTAMP, HeaderValue::from_static("23/11/2026"));
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::BAD_REQUEST,
        "malformed_header",
    );
    assert!(t.stored().await.is_empty());
}

#[tokio::test]
async fn unknown_message_types_are_refused() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 1, now());
    let mut headers = headers_of(&d);
    headers.insert(
        h::MESSAGE_TYPE,
        HeaderValue::from_static("subscription_ping"),
    );
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::BAD_REQUEST,
        "unknown_message_type",
    );
}

/// Signs `body` as a notification with the harness secret, stamped now.
fn signed(body: &str, kind: &str, version: &str) -> Delivery {
    Delivery {
        message_id: uuid_like(),
        timestamp: now()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap(),
        message_type: h::MessageType::Notification,
        subscription_type: kind.into(),
        subscription_version: version.into(),
        body: body.into(),
    }
}

fn uuid_like() -> String {
    format!("{:032x}", now().unix_timestamp_nanos())
}

#[tokio::test]
async fn validly_signed_malformed_json_is_a_400_and_stores_nothing() {
    let t = harness();
    for body in [
        "{not json",
        r#"{"event":{}}"#,
        r#"{"subscription":{"id":"s","type":"channel.cheer","version":"1","status":"enabled"},"event":"text"}"#,
    ] {
        let r = t.send(&signed(body, "channel.cheer", "1")).await;
        assert_error(&r, StatusCode::BAD_REQUEST, "malformed_body");
    }
    assert!(t.stored().await.is_empty());
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let t = harness();
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(MAX_BODY_BYTES));
    let r = t.send(&signed(&big, "channel.cheer", "1")).await;
    assert_error(&r, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
}

#[tokio::test]
async fn subscription_type_headers_must_agree_with_the_signed_body() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 1, now());
    let mut headers = headers_of(&d);
    headers.insert(
        h::SUBSCRIPTION_TYPE,
        HeaderValue::from_static("channel.follow"),
    );
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::BAD_REQUEST,
        "subscription_type_mismatch",
    );
    let mut headers = headers_of(&d);
    headers.insert(h::SUBSCRIPTION_VERSION, HeaderValue::from_static("2"));
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::BAD_REQUEST,
        "subscription_type_mismatch",
    );
    assert!(t.stored().await.is_empty());
}

#[tokio::test]
async fn a_notification_relabelled_as_a_revocation_is_refused() {
    let t = harness();
    let d = fixtures::notification("channel.follow", &channel(), 1, now());
    let mut headers = headers_of(&d);
    headers.insert(h::MESSAGE_TYPE, HeaderValue::from_static("revocation"));
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::BAD_REQUEST,
        "malformed_body",
    );
    let sub_id = fixtures::subscription_id("channel.follow", "1337");
    assert_eq!(t.store.subscription(&sub_id).await.unwrap(), None);
}

#[tokio::test]
async fn stale_and_future_messages_are_acknowledged_but_never_processed() {
    let t = harness();
    for stamp in [now() - Duration::minutes(11), now() + Duration::minutes(6)] {
        for d in [
            fixtures::notification("channel.cheer", &channel(), 1, stamp),
            fixtures::verification("channel.cheer", &channel(), stamp),
            fixtures::revocation("channel.cheer", &channel(), "user_removed", stamp),
        ] {
            let r = t.send(&d).await;
            assert_eq!(r.status(), StatusCode::NO_CONTENT);
            assert_eq!(body_text(&r), "");
        }
    }
    assert_eq!(t.state.metrics.stale.load(Relaxed), 6);
    assert!(t.stored().await.is_empty());
    let sub_id = fixtures::subscription_id("channel.cheer", "1337");
    assert_eq!(t.store.subscription(&sub_id).await.unwrap(), None);
}

#[tokio::test]
async fn a_stale_message_with_a_bad_signature_is_a_forgery() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 1, now() - Duration::hours(1));
    let mut headers = headers_of(&d);
    headers.insert(
        h::MESSAGE_SIGNATURE,
        HeaderValue::from_str(&format!("sha256={}", "0".repeat(64))).unwrap(),
    );
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::FORBIDDEN,
        "invalid_signature",
    );
    assert_eq!(t.state.metrics.stale.load(Relaxed), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_duplicate_deliveries_store_one_event() {
    let t = Arc::new(harness());
    let d = fixtures::notification("channel.subscribe", &channel(), 3, now());
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (t, d) = (Arc::clone(&t), d.clone());
            tokio::spawn(async move { t.send(&d).await.status() })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::NO_CONTENT);
    }
    assert_eq!(t.stored().await.len(), 1);
    assert_eq!(t.state.metrics.stored.load(Relaxed), 1);
    assert_eq!(t.state.metrics.duplicates.load(Relaxed), 31);
}

#[tokio::test]
async fn a_retry_with_a_new_timestamp_is_a_duplicate() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 1, now() - Duration::minutes(2));
    assert_eq!(t.send(&d).await.status(), StatusCode::NO_CONTENT);
    let retry = Delivery {
        timestamp: now()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap(),
        ..d
    };
    assert_eq!(t.send(&retry).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(t.stored().await.len(), 1);
    assert_eq!(t.state.metrics.duplicates.load(Relaxed), 1);
}

#[tokio::test]
async fn each_outcome_counts_under_its_own_cloudwatch_metric() {
    let t = harness();
    let metric = |d: &Delivery, headers: HeaderMap| {
        let body = d.body.clone();
        let state = &t.state;
        async move {
            let outcome = process(state, &headers, body.as_bytes(), now()).await;
            metric_of(&outcome)
        }
    };
    let cheer = fixtures::notification("channel.cheer", &channel(), 1, now());
    assert_eq!(metric(&cheer, headers_of(&cheer)).await, ("Stored", None));
    assert_eq!(
        metric(&cheer, headers_of(&cheer)).await,
        ("Duplicates", None)
    );
    let old = fixtures::notification("channel.cheer", &channel(), 2, now() - Duration::hours(1));
    assert_eq!(metric(&old, headers_of(&old)).await, ("Stale", None));
    let v = fixtures::verification("channel.follow", &channel(), now());
    assert_eq!(metric(&v, headers_of(&v)).await, ("Challenges", None));
    let r = fixtures::revocation("channel.follow", &channel(), "user_removed", now());
    assert_eq!(metric(&r, headers_of(&r)).await, ("Revocations", None));
    let forged = fixtures::notification("channel.cheer", &channel(), 3, now());
    let mut headers = headers_of(&forged);
    headers.insert(
        HeaderName::from_static(h::MESSAGE_SIGNATURE),
        HeaderValue::from_str(&format!("sha256={}", "0".repeat(64))).unwrap(),
    );
    assert_eq!(
        metric(&forged, headers).await,
        ("Rejected", Some("invalid_signature"))
    );
    // The line CloudWatch reads carries the reason as a dimension.
    let line = shared::metrics::line(
        shared::metrics::NAMESPACE,
        "webhook",
        &[("Reason", "invalid_signature")],
        &[shared::metrics::count("Rejected", 1)],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["Reason"], "invalid_signature");
    assert_eq!(v["Rejected"], 1.0);
}

#[tokio::test]
async fn revocation_records_the_new_status_and_reason() {
    let t = harness();
    let d = fixtures::revocation("channel.follow", &channel(), "moderator_removed", now());
    assert_eq!(t.send(&d).await.status(), StatusCode::NO_CONTENT);
    let sub_id = fixtures::subscription_id("channel.follow", "1337");
    let state = t.store.subscription(&sub_id).await.unwrap().unwrap();
    assert_eq!(state.status, "moderator_removed");
    assert_eq!(
        state.revocation_reason.as_deref(),
        Some("moderator_removed")
    );
    assert!(state.revoked_at_ms.is_some());
}

/// A store whose backend is down.
struct DownStore;

#[async_trait]
impl EventStore for DownStore {
    async fn append_once(&self, _: &Event, _: Option<&str>) -> Result<Appended, StoreError> {
        Err(StoreError::Unavailable("table unreachable".into()))
    }
    async fn recent(&self, _: &str, _: usize, _: Option<&Cursor>) -> Result<Page, StoreError> {
        Err(StoreError::Unavailable("table unreachable".into()))
    }
    async fn after(&self, _: &str, _: &Cursor, _: usize) -> Result<Page, StoreError> {
        Err(StoreError::Unavailable("table unreachable".into()))
    }
    async fn daily_counts(&self, _: &str, _: &str, _: &str) -> Result<Vec<DailyCount>, StoreError> {
        Err(StoreError::Unavailable("table unreachable".into()))
    }
}

#[async_trait]
impl SubscriptionStore for DownStore {
    async fn record(&self, _: &shared::store::SubscriptionUpdate) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("table unreachable".into()))
    }
    async fn subscription(
        &self,
        _: &str,
    ) -> Result<Option<shared::store::SubscriptionState>, StoreError> {
        Err(StoreError::Unavailable("table unreachable".into()))
    }
}

#[tokio::test]
async fn a_store_failure_is_a_500_so_twitch_retries() {
    let down = Arc::new(DownStore);
    let state = WebhookState::new(secret(), down.clone(), down);
    for d in [
        fixtures::notification("channel.cheer", &channel(), 1, now()),
        fixtures::verification("channel.cheer", &channel(), now()),
        fixtures::revocation("channel.cheer", &channel(), "user_removed", now()),
    ] {
        let outcome = process(&state, &headers_of(&d), d.body.as_bytes(), now()).await;
        assert!(matches!(outcome, Outcome::StoreFailed(_)), "{outcome:?}");
        assert_error(
            &respond(outcome),
            StatusCode::INTERNAL_SERVER_ERROR,
            "store_unavailable",
        );
    }
}

/// An API Gateway HTTP API (payload 2.0) event, as Lambda receives it.
fn api_gateway(d: &Delivery, base64_body: bool) -> String {
    fixtures::api_gateway_event(d, &secret(), base64_body).to_string()
}

#[tokio::test]
async fn a_base64_body_from_api_gateway_is_verified_over_its_decoded_bytes() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 5, now());
    let request = lambda_http::request::from_str(&api_gateway(&d, true)).unwrap();
    let r = handle(&t.state, request).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", body_text(&r));
    assert_eq!(t.stored().await.len(), 1);
}

#[tokio::test]
async fn a_plain_api_gateway_challenge_is_answered_through_the_lambda_entry() {
    let t = harness();
    let d = fixtures::verification("channel.raid", &channel(), now());
    let request = lambda_http::request::from_str(&api_gateway(&d, false)).unwrap();
    let r = handle(&t.state, request).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(d.body.contains(&body_text(&r)));
}

/// A notification of `kind` whose subscription condition and event are given.
fn notification(kind: &str, condition: &str, event: &str) -> Delivery {
    let body = format!(
        r#"{{"subscription":{{"id":"sub-1","type":"{kind}","version":"1","status":"enabled","cost":0,"condition":{condition},"transport":{{"method":"webhook","callback":"https://x/eventsub"}},"created_at":"2026-01-01T00:00:00Z"}},"event":{event}}}"#
    );
    signed(&body, kind, "1")
}

#[tokio::test]
async fn a_deeply_nested_event_is_refused_not_stored() {
    // Twitch's payloads are a few levels deep; 200 levels is an attack on
    // whatever parses it next (the fan-out's frame, a reader's JSON).
    let t = harness();
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let event = format!(r#"{{"broadcaster_user_id":"1337","x":{deep}}}"#);
    let r = t
        .send(&notification(
            "channel.cheer",
            r#"{"broadcaster_user_id":"1337"}"#,
            &event,
        ))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "malformed_body");
    assert!(t.stored().await.is_empty());
}

#[tokio::test]
async fn ids_that_become_keys_are_validated() {
    let t = harness();
    // Empty: filed under the documented bucket, never under "".
    let r = t
        .send(&notification(
            "channel.cheer",
            r#"{"broadcaster_user_id":""}"#,
            r#"{"broadcaster_user_id":""}"#,
        ))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(t
        .store
        .recent("", 10, None)
        .await
        .unwrap()
        .events
        .is_empty());
    assert_eq!(
        t.store
            .recent(webhook::UNATTRIBUTED, 10, None)
            .await
            .unwrap()
            .events
            .len(),
        1
    );
    // Longer than any Twitch id (and than a DynamoDB key may be): refused.
    let long = "9".repeat(5_000);
    let r = t
        .send(&notification(
            "channel.cheer",
            &format!(r#"{{"broadcaster_user_id":"{long}"}}"#),
            r#"{}"#,
        ))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "malformed_body");
    assert!(t
        .store
        .recent(&long, 10, None)
        .await
        .unwrap()
        .events
        .is_empty());
}

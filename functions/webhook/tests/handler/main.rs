//! The webhook handler, case by case: what it answers and what it stores.
//! The harness and the helpers live here; each module holds one kind of case.

mod bad_input;
mod delivery;
mod forgeries;
mod function_url;
mod messages;

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
use shared::store::coverage::{GapState, GapStore};
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
    let mut state = WebhookState::new(secret(), store.clone(), store.clone());
    state.gaps = Some(store.clone());
    Harness { state, store }
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

/// An API Gateway HTTP API (payload 2.0) event, as Lambda receives it.
fn api_gateway(d: &Delivery, base64_body: bool) -> String {
    fixtures::api_gateway_event(d, &secret(), base64_body).to_string()
}

/// A notification of `kind` whose subscription condition and event are given.
fn notification(kind: &str, condition: &str, event: &str) -> Delivery {
    let body = format!(
        r#"{{"subscription":{{"id":"sub-1","type":"{kind}","version":"1","status":"enabled","cost":0,"condition":{condition},"transport":{{"method":"webhook","callback":"https://x/eventsub"}},"created_at":"2026-01-01T00:00:00Z"}},"event":{event}}}"#
    );
    signed(&body, kind, "1")
}

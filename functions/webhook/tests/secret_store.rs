//! The webhook with its secret in Secrets Manager (a stand-in on loopback):
//! while the store cannot be reached each delivery is answered 503, which
//! Twitch retries, and logged once, never with the secret; the first
//! delivery after the store is up is verified with the stored secret.
//!
//! A test binary of its own: it sets the process's environment, and reads
//! the log lines through a subscriber of its own.

use std::net::TcpListener;
use std::sync::Arc;

use lambda_http::http::StatusCode;
use shared::aws::deferred::Deferred;
use shared::aws::secrets::stand_in::{set_loopback_env, unused_port, StandIn};
use shared::config::EventSubSecret;
use shared::eventsub::fixtures::{self, Channel};
use time::{Duration, OffsetDateTime};

const ID: &str = "streamer-events/webhook-test";
const SECRET: &str = "stored-eventsub-secret-0123";

/// A log sink the test reads back.
#[derive(Clone, Default)]
struct Sink(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A delivery signed with the stored secret, an hour old: the handler
/// verifies it and acknowledges it (204) without touching the tables.
fn stale_delivery() -> lambda_http::Request {
    let secret = EventSubSecret::new(SECRET).unwrap();
    let d = fixtures::verification(
        "channel.raid",
        &Channel::new("1337"),
        OffsetDateTime::now_utc() - Duration::hours(1),
    );
    let event = fixtures::api_gateway_event(&d, &secret, false).to_string();
    lambda_http::request::from_str(&event).unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn unreachable_store_answers_503_then_the_stored_secret_verifies() {
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let port = unused_port().unwrap();
    set_loopback_env(ID, &format!("http://127.0.0.1:{port}"));
    std::env::set_var("EVENTS_TABLE", "events");
    std::env::set_var("SUBSCRIPTIONS_TABLE", "subscriptions");
    std::env::remove_var("EVENTSUB_SECRET");

    let state = Deferred::init(webhook::aws::state_from)
        .await
        .expect("init");
    for _ in 0..2 {
        let response = webhook::aws::serve(&state, stale_delivery()).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body: serde_json::Value = match response.body() {
            lambda_http::Body::Text(t) => serde_json::from_str(t).unwrap(),
            other => panic!("{other:?}"),
        };
        assert_eq!(body["error"], "unavailable");
    }

    let stored = serde_json::json!({ "eventsub_secret": SECRET });
    let store = StandIn::one(TcpListener::bind(("127.0.0.1", port)).unwrap(), ID, &stored).unwrap();
    let response = webhook::aws::serve(&state, stale_delivery()).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = webhook::aws::serve(&state, stale_delivery()).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(store.requests(), 1, "fetched once");

    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(!text.contains(SECRET), "a log line holds the secret");
    let unavailable: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("is unavailable"))
        .collect();
    // One line for init, then one for each of the two refused deliveries.
    assert_eq!(unavailable.len(), 3, "{text}");
    assert!(unavailable.iter().all(|l| l.contains(ID)), "{text}");
}

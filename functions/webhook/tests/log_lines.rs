//! The webhook's log lines, read back through a subscriber of the test's own.
//!
//! A test binary of its own: tracing caches each call site's interest for the
//! whole process, so another test hitting the same `info!` at the same moment
//! without a subscriber could leave it switched off for this one.

use std::sync::Arc;

use lambda_http::http::StatusCode;
use shared::config::{EventSubSecret, Retention};
use shared::eventsub::fixtures::{self, Channel};
use shared::store::sqlite::{Durability, SqliteStore};
use time::OffsetDateTime;
use webhook::{handle, WebhookState};

const SECRET: &str = "log-lines-test-secret-0123";

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

#[tokio::test(flavor = "current_thread")]
async fn every_log_line_of_a_delivery_names_its_message_id() {
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let secret = EventSubSecret::new(SECRET).unwrap();
    let store = Arc::new(
        SqliteStore::open(":memory:", Durability::PowerLoss, Retention::default()).unwrap(),
    );
    let state = WebhookState::new(secret.clone(), store.clone(), store);
    let d = fixtures::verification(
        "channel.raid",
        &Channel::new("1337"),
        OffsetDateTime::now_utc(),
    );
    let event = fixtures::api_gateway_event(&d, &secret, false).to_string();
    let request = lambda_http::request::from_str(&event).unwrap();
    assert_eq!(handle(&state, request).await.status(), StatusCode::OK);
    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty(), "the challenge is logged");
    for line in &lines {
        assert_eq!(line["span"]["message_id"], d.message_id.as_str(), "{line}");
    }
}

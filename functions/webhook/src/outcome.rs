//! What the handler decided about a delivery ([`Outcome`]), how each outcome
//! is answered ([`respond`]) and counted ([`Metrics`], [`metric_of`]).

use std::sync::atomic::{AtomicU64, Ordering};

use lambda_http::http::{header::CONTENT_TYPE, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde_json::json;
use shared::eventsub::envelope::EnvelopeError;
use shared::eventsub::headers::HeaderError;
use shared::store::StoreError;

use crate::MAX_BODY_BYTES;

/// Counters of what the handler did, one per way a delivery can end (see
/// `counted`), for logs, tests and the local stack, whose `/healthz` shows
/// them under these field names.
#[derive(Debug, Default, serde::Serialize)]
pub struct Metrics {
    pub stored: AtomicU64,
    pub duplicates: AtomicU64,
    pub challenges: AtomicU64,
    pub revocations: AtomicU64,
    /// Validly signed but outside the freshness window: a skewed clock or a replay.
    pub stale: AtomicU64,
    pub rejected: AtomicU64,
    pub store_failures: AtomicU64,
}

impl Metrics {
    /// Counts one delivery under its outcome.
    pub(crate) fn count(&self, outcome: &Outcome) {
        (counted(outcome).counter)(self).fetch_add(1, Ordering::Relaxed);
    }
}

/// How a delivery is counted: its counter and its CloudWatch metric.
struct Counted {
    counter: fn(&Metrics) -> &AtomicU64,
    metric: &'static str,
}

/// The one list of how each outcome is counted: [`Metrics::count`] and
/// [`metric_of`] both read it, `/healthz` shows the counters it names.
fn counted(outcome: &Outcome) -> Counted {
    let (counter, metric): (fn(&Metrics) -> &AtomicU64, _) = match outcome {
        Outcome::Challenge(_) => (|m| &m.challenges, "Challenges"),
        Outcome::Acknowledged(Ack::Stored) => (|m| &m.stored, "Stored"),
        Outcome::Acknowledged(Ack::Duplicate) => (|m| &m.duplicates, "Duplicates"),
        Outcome::Acknowledged(Ack::Stale) => (|m| &m.stale, "Stale"),
        Outcome::Acknowledged(Ack::Revocation) => (|m| &m.revocations, "Revocations"),
        Outcome::Rejected(_) => (|m| &m.rejected, "Rejected"),
        Outcome::StoreFailed(_) => (|m| &m.store_failures, "StoreFailures"),
    };
    Counted { counter, metric }
}

/// What an acknowledged delivery was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ack {
    Stored,
    Duplicate,
    /// Validly signed but outside the freshness window: not processed.
    Stale,
    Revocation,
}

/// Why a delivery was refused; each maps to one status and error code.
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    #[error("body is {0} bytes; the limit is {MAX_BODY_BYTES}")]
    TooLarge(usize),
    #[error(transparent)]
    Header(#[from] HeaderError),
    #[error("signature does not match the body, message id and timestamp")]
    BadSignature,
    #[error(transparent)]
    Body(#[from] EnvelopeError),
    #[error("subscription {field} header {header:?} disagrees with the signed body's {body:?}")]
    TypeMismatch {
        field: &'static str,
        header: String,
        body: String,
    },
}

impl Rejection {
    fn status(&self) -> StatusCode {
        match self {
            Rejection::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::BadSignature => StatusCode::FORBIDDEN,
            Rejection::Header(h) if h.is_authenticity() => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    pub(crate) fn code(&self) -> &'static str {
        match self {
            Rejection::TooLarge(_) => "body_too_large",
            Rejection::Header(HeaderError::MissingSignature) => "missing_signature",
            Rejection::Header(HeaderError::MalformedSignature) => "malformed_signature",
            Rejection::Header(HeaderError::UnknownMessageType(_)) => "unknown_message_type",
            Rejection::Header(HeaderError::Missing(_)) => "missing_header",
            Rejection::Header(HeaderError::Malformed { .. }) => "malformed_header",
            Rejection::BadSignature => "invalid_signature",
            Rejection::Body(_) => "malformed_body",
            Rejection::TypeMismatch { .. } => "subscription_type_mismatch",
        }
    }
}

/// What the handler decided, before it becomes an HTTP response.
#[derive(Debug)]
pub enum Outcome {
    /// Answer the challenge: 200, `text/plain`, exactly these bytes.
    Challenge(String),
    /// Stored, already stored, recorded, or deliberately ignored: 204.
    Acknowledged(Ack),
    Rejected(Rejection),
    /// The store failed: 500, so Twitch retries.
    StoreFailed(StoreError),
}

/// The CloudWatch metric a delivery counts under (each outcome's is named
/// in `counted`), and a rejection's reason.
pub fn metric_of(outcome: &Outcome) -> (&'static str, Option<&'static str>) {
    let reason = match outcome {
        Outcome::Rejected(r) => Some(r.code()),
        _ => None,
    };
    (counted(outcome).metric, reason)
}

/// Turns an outcome into the HTTP answer Twitch expects.
pub fn respond(outcome: Outcome) -> Response<Body> {
    let (status, content_type, body) = match outcome {
        Outcome::Challenge(c) => (StatusCode::OK, "text/plain", Body::Text(c)),
        Outcome::Acknowledged(_) => (StatusCode::NO_CONTENT, "text/plain", Body::Empty),
        Outcome::Rejected(r) => (r.status(), "application/json", error_body(r.code(), &r)),
        Outcome::StoreFailed(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "application/json",
            error_body("store_unavailable", &e),
        ),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    if status != StatusCode::NO_CONTENT {
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

/// The JSON error body for a status this handler rejects with.
pub fn error_body(code: &str, message: &dyn std::fmt::Display) -> Body {
    Body::Text(json!({"error": code, "message": message.to_string()}).to_string())
}

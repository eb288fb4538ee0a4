//! The EventSub webhook: check a delivery's headers, signature and freshness,
//! then answer the challenge, record the revocation, or store the notification
//! exactly once — and acknowledge only what is durable.
//!
//! [`handle`] is the whole handler; the Lambda (`main.rs`) and the local stack
//! both call it with an API Gateway–shaped request; `aws` (feature `aws`)
//! builds the Lambda's state on DynamoDB.

#[cfg(feature = "aws")]
pub mod aws;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use lambda_http::http::{header::CONTENT_TYPE, HeaderMap, HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use shared::clock::unix_ms;
use shared::config::EventSubSecret;
use shared::eventsub::catalog::{semantic_key, summarize};
use shared::eventsub::envelope::{self, EnvelopeError, Message};
use shared::eventsub::headers::{DeliveryHeaders, HeaderError, MAX_MESSAGE_ID_LEN, MESSAGE_ID};
use shared::eventsub::subscription::{valid_user_id, Subscription};
use shared::eventsub::verify::{freshness, signature_matches, Freshness};
use shared::push::Push;
use shared::store::connections::ConnectionStore;
use shared::store::streamers::StreamerStore;
use shared::store::users::{OverlayStore, SessionStore};
use shared::store::{
    Appended, Event, EventStore, StoreError, SubscriptionChange, SubscriptionStore,
    SubscriptionUpdate,
};
use time::OffsetDateTime;
use tracing::Instrument;

/// Largest body accepted. EventSub payloads are a few KB; this leaves room for
/// the largest (predictions, chat) and stays under DynamoDB's 400 KB item limit.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Feed bucket for notifications whose condition names no broadcaster.
pub const UNATTRIBUTED: &str = "_unattributed";

/// What the handler needs, built once per process.
pub struct WebhookState {
    pub secret: EventSubSecret,
    pub events: Arc<dyn EventStore>,
    pub subscriptions: Arc<dyn SubscriptionStore>,
    pub metrics: Metrics,
    /// Where a user's revocation of our app takes effect; `None` (no login
    /// configured): the notification is only stored.
    pub revocations: Option<Revocations>,
}

/// What `user.authorization.revoke` changes at once: the user's sessions
/// end (and with them their unused tickets and what their open sockets may
/// ask for), their overlay keys pause until they log in again, their open
/// sockets are closed, and their broadcaster grant is forgotten (Twitch
/// requires the sessions and the grant).
pub struct Revocations {
    pub sessions: Arc<dyn SessionStore>,
    pub overlays: Arc<dyn OverlayStore>,
    pub streamers: Arc<dyn StreamerStore>,
    /// Where the user's open sockets are found and closed; `None` (no
    /// WebSocket API configured): they can no longer act, but stay open.
    pub sockets: Option<Sockets>,
}

/// The WebSocket API's connections, as a revocation closes them.
pub struct Sockets {
    pub connections: Arc<dyn ConnectionStore>,
    pub push: Arc<dyn Push>,
}

impl Revocations {
    /// Applies a revocation of `user_id`; safe to repeat (a redelivery does
    /// it again, which changes nothing).
    async fn apply(&self, user_id: &str, now_ms: i64) -> Result<(), StoreError> {
        let ended = self.sessions.end_sessions_of(user_id).await?;
        self.overlays
            .suspend_overlays(user_id, now_ms / 1000)
            .await?;
        if self.streamers.streamer(user_id).await?.is_some() {
            self.streamers.set_scopes(user_id, &[], now_ms).await?;
        }
        let mut closed = 0;
        if let Some(sockets) = &self.sockets {
            for id in sockets.connections.connections_of(user_id, now_ms).await? {
                // Their session is gone: a socket left open can no longer
                // act, only watch what anyone may watch. Not worth a retry
                // of the whole delivery.
                match sockets.push.close(&id).await {
                    Ok(()) => closed += 1,
                    Err(e) => tracing::warn!(error = %e, "could not close a revoked user's socket"),
                }
            }
        }
        tracing::info!(user = %user_id, sessions_ended = ended, sockets_closed = closed, "a user revoked our app");
        Ok(())
    }
}

impl WebhookState {
    /// A state over the given stores.
    pub fn new(
        secret: EventSubSecret,
        events: Arc<dyn EventStore>,
        subscriptions: Arc<dyn SubscriptionStore>,
    ) -> Self {
        Self {
            secret,
            events,
            subscriptions,
            metrics: Metrics::default(),
            revocations: None,
        }
    }
}

/// Counters of what the handler did, for logs, tests and the local stack.
#[derive(Debug, Default)]
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
    fn count(&self, outcome: &Outcome) {
        let counter = match outcome {
            Outcome::Challenge(_) => &self.challenges,
            Outcome::Acknowledged(Ack::Stored) => &self.stored,
            Outcome::Acknowledged(Ack::Duplicate) => &self.duplicates,
            Outcome::Acknowledged(Ack::Stale) => &self.stale,
            Outcome::Acknowledged(Ack::Revocation) => &self.revocations,
            Outcome::Rejected(_) => &self.rejected,
            Outcome::StoreFailed(_) => &self.store_failures,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
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

    fn code(&self) -> &'static str {
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

/// Lambda entry: an API Gateway HTTP API request in, a response out.
/// (`lambda_http` has already base64-decoded the body when API Gateway said so.)
pub async fn handle(state: &WebhookState, request: Request) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let bytes: &[u8] = match &body {
        Body::Empty => &[],
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    };
    // Every line of this delivery carries its message id (as claimed, before
    // the signature is checked: bounded, and visible ASCII by `to_str`).
    let message_id = parts
        .headers
        .get(MESSAGE_ID)
        .and_then(|v| v.to_str().ok())
        .map(|s| &s[..s.len().min(MAX_MESSAGE_ID_LEN)])
        .unwrap_or("");
    let span = tracing::info_span!("delivery", message_id);
    let outcome = process(state, &parts.headers, bytes, OffsetDateTime::now_utc())
        .instrument(span)
        .await;
    let (metric, reason) = metric_of(&outcome);
    let dims: &[(&str, &str)] = match &reason {
        Some(r) => &[("Reason", r)],
        None => &[],
    };
    shared::metrics::emit("webhook", dims, &[shared::metrics::count(metric, 1)]);
    respond(outcome)
}

/// The metric a delivery counts under (and a rejection's reason): `Stored`,
/// `Duplicates`, `Stale`, `Challenges`, `Revocations`, `Rejected`,
/// `StoreFailures`.
pub fn metric_of(outcome: &Outcome) -> (&'static str, Option<&'static str>) {
    match outcome {
        Outcome::Challenge(_) => ("Challenges", None),
        Outcome::Rejected(r) => ("Rejected", Some(r.code())),
        Outcome::StoreFailed(_) => ("StoreFailures", None),
        Outcome::Acknowledged(Ack::Stored) => ("Stored", None),
        Outcome::Acknowledged(Ack::Duplicate) => ("Duplicates", None),
        Outcome::Acknowledged(Ack::Stale) => ("Stale", None),
        Outcome::Acknowledged(Ack::Revocation) => ("Revocations", None),
    }
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

/// The whole decision, independent of transport: what tests call directly.
pub async fn process(
    state: &WebhookState,
    headers: &HeaderMap,
    body: &[u8],
    now: OffsetDateTime,
) -> Outcome {
    let outcome = match accept(state, headers, body, now).await {
        Ok(outcome) => outcome,
        Err(rejection) => {
            tracing::info!(code = rejection.code(), reason = %rejection, "rejected delivery");
            Outcome::Rejected(rejection)
        }
    };
    state.metrics.count(&outcome);
    outcome
}

async fn accept(
    state: &WebhookState,
    headers: &HeaderMap,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<Outcome, Rejection> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Rejection::TooLarge(body.len()));
    }
    let h = DeliveryHeaders::parse(headers)?;
    if !signature_matches(
        &state.secret,
        &h.message_id,
        &h.timestamp_raw,
        body,
        &h.signature,
    ) {
        return Err(Rejection::BadSignature);
    }
    // Authentic but outside the window: never processed, yet answered 2xx so
    // Twitch counts no failure against the subscription.
    if let f @ (Freshness::Stale(_) | Freshness::Future(_)) = freshness(h.timestamp, now) {
        tracing::warn!(
            metric = "eventsub_stale",
            message_id = %h.message_id,
            timestamp = %h.timestamp_raw,
            window = ?f,
            "ignored a validly signed message outside the freshness window (clock skew or replay)"
        );
        return Ok(Outcome::Acknowledged(Ack::Stale));
    }
    let message = envelope::parse(h.message_type, body)?;
    check_type_headers(&h, message.subscription())?;
    let at_ms = unix_ms(h.timestamp);
    Ok(match message {
        Message::Verification {
            subscription,
            challenge,
        } => {
            let update = update(&subscription, SubscriptionChange::CallbackVerified, at_ms);
            if let Err(e) = state.subscriptions.record(&update).await {
                return Ok(store_failed(e));
            }
            tracing::info!(subscription_id = %subscription.id, kind = %subscription.kind, "answered callback verification");
            Outcome::Challenge(challenge)
        }
        Message::Revocation { subscription } => {
            let update = update(&subscription, SubscriptionChange::Revoked, at_ms);
            if let Err(e) = state.subscriptions.record(&update).await {
                return Ok(store_failed(e));
            }
            tracing::warn!(subscription_id = %subscription.id, kind = %subscription.kind, reason = %subscription.status, "subscription revoked");
            Outcome::Acknowledged(Ack::Revocation)
        }
        Message::Notification {
            subscription,
            event,
        } => {
            let fields = event.fields();
            let from_event = fields
                .get("broadcaster_user_id")
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty());
            if from_event.is_some_and(|v| !valid_user_id(v)) {
                return Err(Rejection::Body(EnvelopeError::BadId(
                    "event.broadcaster_user_id",
                )));
            }
            let broadcaster_id = subscription
                .broadcaster_id()
                .or(from_event)
                .unwrap_or(UNATTRIBUTED)
                .to_owned();
            let semantic = semantic_key(&subscription.kind, &broadcaster_id, fields);
            let record = Event {
                message_id: h.message_id.clone(),
                summary: summarize(&subscription.kind, fields),
                broadcaster_id,
                event_type: subscription.kind,
                event_version: subscription.version,
                subscription_id: subscription.id,
                received_at_ms: unix_ms(now),
                payload: event.raw().to_owned(),
            };
            let ack = match state.events.append_once(&record, semantic.as_deref()).await {
                Ok(Appended::Stored(_)) => Ack::Stored,
                Ok(Appended::Duplicate) => {
                    tracing::debug!(message_id = %record.message_id, retry = ?h.retry, "duplicate delivery");
                    Ack::Duplicate
                }
                Err(e) => return Ok(store_failed(e)),
            };
            // On a duplicate too: if applying failed the first time, Twitch's
            // retry (answered 5xx) is how it gets applied.
            if record.event_type == "user.authorization.revoke" {
                if let (Some(r), Some(user)) = (
                    &state.revocations,
                    fields.get("user_id").and_then(Value::as_str),
                ) {
                    if let Err(e) = r.apply(user, record.received_at_ms).await {
                        return Ok(store_failed(e));
                    }
                }
            }
            Outcome::Acknowledged(ack)
        }
    })
}

/// The subscription type/version headers are unsigned: they must agree with the body.
fn check_type_headers(h: &DeliveryHeaders, sub: &Subscription) -> Result<(), Rejection> {
    for (field, header, body) in [
        ("type", &h.subscription_type, &sub.kind),
        ("version", &h.subscription_version, &sub.version),
    ] {
        if header != body {
            return Err(Rejection::TypeMismatch {
                field,
                header: header.clone(),
                body: body.clone(),
            });
        }
    }
    Ok(())
}

fn update(sub: &Subscription, change: SubscriptionChange, at_ms: i64) -> SubscriptionUpdate {
    SubscriptionUpdate {
        id: sub.id.clone(),
        kind: sub.kind.clone(),
        version: sub.version.clone(),
        broadcaster_id: sub.broadcaster_id().map(str::to_owned),
        condition: sub.condition_json(),
        status: sub.status.to_string(),
        change,
        at_ms,
    }
}

fn store_failed(e: StoreError) -> Outcome {
    tracing::error!(error = %e, "store failed; answering 500 so Twitch retries");
    Outcome::StoreFailed(e)
}

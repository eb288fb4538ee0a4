//! The EventSub webhook: check a delivery's headers, signature and freshness,
//! then answer the challenge, record the revocation, or store the notification
//! exactly once — and acknowledge only what is durable.
//!
//! [`handle`] is the whole handler; the Lambda (`main.rs`, behind the HTTP API
//! or its function URL) and the local stack
//! both call it with an API Gateway–shaped request.
//!
//! - this file: the handler's state ([`WebhookState`], with what a user's
//!   revocation of our app changes: [`Revocations`]) and [`handle`].
//! - [`delivery`]: one delivery, independent of transport ([`process`]).
//! - [`gaps`]: the coverage gap a revocation opens, and from when.
//! - [`outcome`]: what the handler decided ([`Outcome`]), how it is
//!   answered ([`respond`]) and counted ([`Metrics`], [`metric_of`]).
//! - `aws` (feature `aws`): the Lambda's state on DynamoDB.

#[cfg(feature = "aws")]
pub mod aws;
pub mod delivery;
pub mod gaps;
pub mod outcome;

use std::sync::Arc;

use lambda_http::{Body, Request, Response};
use shared::config::EventSubSecret;
use shared::eventsub::headers::{MAX_MESSAGE_ID_LEN, MESSAGE_ID};
/// The sockets a revocation closes (re-exported: the stack builds them).
pub use shared::push::Sockets;
use shared::store::coverage::GapStore;
use shared::store::grants::GrantStore;
use shared::store::streamers::StreamerStore;
use shared::store::users::{OverlayStore, SessionStore};
use shared::store::{EventStore, StoreError, SubscriptionStore};
use time::OffsetDateTime;
use tracing::Instrument;

pub use delivery::process;
pub use outcome::{error_body, metric_of, respond, Ack, Metrics, Outcome, Rejection};

/// Largest body accepted. EventSub payloads are a few KB; this leaves room for
/// the largest (predictions, chat) and stays under DynamoDB's 400 KB item limit.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

pub use shared::store::coverage::UNATTRIBUTED;

/// What the handler needs, built once per process.
pub struct WebhookState {
    pub secret: EventSubSecret,
    pub events: Arc<dyn EventStore>,
    pub subscriptions: Arc<dyn SubscriptionStore>,
    pub metrics: Metrics,
    /// Where a user's revocation of our app takes effect; `None` (no login
    /// configured): the notification is only stored.
    pub revocations: Option<Revocations>,
    /// Where a subscription's revocation opens a coverage gap; `None`: it is
    /// only recorded.
    pub gaps: Option<Arc<dyn GapStore>>,
}

/// What `user.authorization.revoke` changes at once: the user's sessions
/// end (and with them their unused tickets and what their open sockets may
/// ask for), their overlay keys pause until they log in again, their open
/// sockets are closed, and their broadcaster grant is forgotten: its scopes
/// on the streamer and its kept tokens (Twitch requires the sessions and the
/// tokens).
pub struct Revocations {
    pub sessions: Arc<dyn SessionStore>,
    pub overlays: Arc<dyn OverlayStore>,
    /// The broadcaster's kept tokens (deleted: recovery can no longer act).
    pub grants: Arc<dyn GrantStore>,
    pub streamers: Arc<dyn StreamerStore>,
    /// Where the user's open sockets are found and closed; `None` (no
    /// WebSocket API configured): they can no longer act, but stay open.
    pub sockets: Option<Sockets>,
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
        let grant_deleted = self.grants.delete_grant(user_id, None).await?;
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
        tracing::info!(user = %user_id, sessions_ended = ended, grant_deleted, sockets_closed = closed, "a user revoked our app");
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
            gaps: None,
        }
    }
}

/// Lambda entry: an API Gateway HTTP API request, or the webhook's function
/// URL's (the same payload 2.0: `lambda_http` reads both as one request
/// type), in; a response out. The path is not routed on (a function URL hands
/// the function any path), and `lambda_http` has already base64-decoded the
/// body when the event said so.
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

//! API Gateway's WebSocket side, played on one machine: the registry of live
//! connections and the `@connections` management API
//! (`POST`/`GET`/`DELETE /@connections/{id}`, also under `/{stage}/`), with
//! AWS's status codes and error types so the real SDK client works against it.
//! The local stack's own handlers skip the HTTP hop: [`Connections`] is their
//! [`Push`] port, with the same outcomes as the `@connections` routes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::json;
use shared::push::{Push, PushError, MAX_FRAME_BYTES};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use tokio::sync::mpsc;

use crate::sigv4::Credentials;

/// Frames a connection may have waiting before posts are throttled.
const QUEUE: usize = 1024;

/// Bytes a connection may have waiting before posts are throttled: a client
/// that never reads holds this much, not `QUEUE` frames of 128 KB.
pub const QUEUE_BYTES: usize = 1 << 20;

/// What the gateway tells a connection's socket task to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    /// Send this text frame.
    Frame(Bytes),
    /// Close the socket (`DELETE /@connections/{id}`).
    Close,
}

struct Live {
    sender: mpsc::Sender<Outbound>,
    /// Bytes of frames queued and not yet taken by the socket task.
    queued: Arc<AtomicUsize>,
    connected_at: OffsetDateTime,
    source_ip: String,
    user_agent: String,
}

/// The live connections, by API Gateway–style connection id.
#[derive(Default)]
pub struct Connections {
    live: Mutex<HashMap<String, Live>>,
    /// Set by [`Connections::close_all`]: later arrivals are closed at once.
    closing: std::sync::atomic::AtomicBool,
}

impl Connections {
    /// Registers a connection; its socket task drains the returned receiver.
    pub fn register(&self, id: &str, source_ip: &str, user_agent: &str) -> Inbox {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let queued = Arc::new(AtomicUsize::new(0));
        let live = Live {
            sender,
            queued: Arc::clone(&queued),
            connected_at: OffsetDateTime::now_utc(),
            source_ip: source_ip.to_owned(),
            user_agent: user_agent.to_owned(),
        };
        if self.closing.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = live.sender.try_send(Outbound::Close);
        }
        if let Ok(mut map) = self.live.lock() {
            map.insert(id.to_owned(), live);
        }
        Inbox { receiver, queued }
    }

    /// Forgets a connection (its socket closed).
    pub fn remove(&self, id: &str) {
        if let Ok(mut map) = self.live.lock() {
            map.remove(id);
        }
    }

    /// Asks every live connection to close (shutdown: upgraded sockets would
    /// otherwise keep a graceful stop waiting for as long as clients stay).
    pub fn close_all(&self) {
        self.closing
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if let Ok(map) = self.live.lock() {
            for live in map.values() {
                let _ = live.sender.try_send(Outbound::Close);
            }
        }
    }

    /// How many connections are live.
    pub fn len(&self) -> usize {
        self.live.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// True when no connection is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes a connection as `DELETE /@connections/{id}` does; `false`
    /// when it was gone already.
    fn shut(&self, id: &str) -> bool {
        let Some((sender, _)) = self.sender(id) else {
            return false;
        };
        // The socket task closes and then removes itself; a full queue still closes.
        let _ = sender.try_send(Outbound::Close);
        self.remove(id);
        true
    }

    fn sender(&self, id: &str) -> Option<(mpsc::Sender<Outbound>, Arc<AtomicUsize>)> {
        let map = self.live.lock().ok()?;
        let live = map.get(id)?;
        Some((live.sender.clone(), Arc::clone(&live.queued)))
    }

    /// Queues one frame for a connection: what `POST /@connections/{id}`
    /// does (410 gone, 413 too large, 429 queue full).
    fn deliver(&self, id: &str, frame: Bytes) -> Result<(), PushError> {
        if frame.len() > MAX_FRAME_BYTES {
            return Err(PushError::TooLarge(frame.len()));
        }
        let Some((sender, queued)) = self.sender(id) else {
            return Err(PushError::Gone);
        };
        let len = frame.len();
        if queued.fetch_add(len, Ordering::SeqCst) + len > QUEUE_BYTES {
            queued.fetch_sub(len, Ordering::SeqCst);
            return Err(PushError::Transient(
                "too many bytes waiting for this connection".into(),
            ));
        }
        let sent = sender.try_send(Outbound::Frame(frame));
        if sent.is_err() {
            queued.fetch_sub(len, Ordering::SeqCst);
        }
        match sent {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => Err(PushError::Transient(
                "too many messages waiting for this connection".into(),
            )),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.remove(id);
                Err(PushError::Gone)
            }
        }
    }
}

/// A connection's queue of frames, as its socket task drains it.
pub struct Inbox {
    receiver: mpsc::Receiver<Outbound>,
    queued: Arc<AtomicUsize>,
}

impl Inbox {
    /// The next thing to do; `None` once the gateway forgot the connection.
    pub async fn recv(&mut self) -> Option<Outbound> {
        let next = self.receiver.recv().await;
        self.taken(next.as_ref());
        next
    }

    /// The next thing to do if one is waiting.
    pub fn try_recv(&mut self) -> Result<Outbound, mpsc::error::TryRecvError> {
        let next = self.receiver.try_recv();
        self.taken(next.as_ref().ok());
        next
    }

    fn taken(&self, out: Option<&Outbound>) {
        if let Some(Outbound::Frame(f)) = out {
            self.queued.fetch_sub(f.len(), Ordering::SeqCst);
        }
    }
}

#[async_trait]
impl Push for Connections {
    async fn post(&self, connection_id: &str, frame: &[u8]) -> Result<(), PushError> {
        self.deliver(connection_id, Bytes::copy_from_slice(frame))
    }

    async fn close(&self, connection_id: &str) -> Result<(), PushError> {
        self.shut(connection_id);
        Ok(())
    }
}

/// An error as API Gateway's management API sends it: the SDK reads the type
/// from `x-amzn-ErrorType`.
fn aws_error(status: StatusCode, kind: &'static str, message: &str) -> Response {
    let mut r = (status, axum::Json(json!({ "message": message }))).into_response();
    r.headers_mut()
        .insert("x-amzn-ErrorType", HeaderValue::from_static(kind));
    r
}

fn too_large() -> Response {
    aws_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PayloadTooLargeException",
        "Message too long",
    )
}

fn gone() -> Response {
    aws_error(StatusCode::GONE, "GoneException", "Gone")
}

async fn post_frame(
    State(connections): State<Arc<Connections>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    match connections.deliver(&id, body) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(PushError::Gone) => gone(),
        Err(PushError::TooLarge(_)) => too_large(),
        Err(PushError::Transient(_)) => aws_error(
            StatusCode::TOO_MANY_REQUESTS,
            "LimitExceededException",
            "Too many messages waiting for this connection",
        ),
    }
}

async fn get_connection(
    State(connections): State<Arc<Connections>>,
    Path(id): Path<String>,
) -> Response {
    let info = connections.live.lock().ok().and_then(|m| {
        m.get(&id).map(|l| {
            json!({
                "connectedAt": l.connected_at.format(&Rfc3339).unwrap_or_default(),
                "lastActiveAt": OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default(),
                "identity": {"sourceIp": l.source_ip, "userAgent": l.user_agent},
            })
        })
    });
    match info {
        Some(body) => axum::Json(body).into_response(),
        None => gone(),
    }
}

async fn delete_connection(
    State(connections): State<Arc<Connections>>,
    Path(id): Path<String>,
) -> Response {
    if connections.shut(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        gone()
    }
}

async fn staged_post(
    state: State<Arc<Connections>>,
    Path((_stage, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    post_frame(state, Path(id), body).await
}

async fn staged_get(
    state: State<Arc<Connections>>,
    Path((_stage, id)): Path<(String, String)>,
) -> Response {
    get_connection(state, Path(id)).await
}

async fn staged_delete(
    state: State<Arc<Connections>>,
    Path((_stage, id)): Path<(String, String)>,
) -> Response {
    delete_connection(state, Path(id)).await
}

/// API Gateway answers an `@connections` call that is not signed by the
/// account's credentials 403 (see [`crate::sigv4`]).
async fn signed_only(
    State(credentials): State<Arc<Credentials>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    // The signature covers the body: read it (bounded) before anything runs.
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return too_large();
    };
    match crate::sigv4::verify(
        &credentials,
        &parts.method,
        &parts.uri,
        &parts.headers,
        &body,
        std::time::SystemTime::now(),
    ) {
        Ok(()) => {
            next.run(axum::extract::Request::from_parts(parts, body.into()))
                .await
        }
        Err(refusal) => aws_error(
            StatusCode::FORBIDDEN,
            refusal.error_type(),
            &refusal.to_string(),
        ),
    }
}

/// Larger than a frame may be, so an oversized post gets API Gateway's 413
/// from the route rather than a cut-off body.
const BODY_LIMIT: usize = MAX_FRAME_BYTES * 2;

/// The `@connections` routes, at the root and under a stage prefix, open to
/// calls signed with `credentials`.
pub fn routes(connections: Arc<Connections>, credentials: Arc<Credentials>) -> Router {
    Router::new()
        .route(
            "/@connections/{id}",
            post(post_frame)
                .get(get_connection)
                .delete(delete_connection),
        )
        .route(
            "/{stage}/@connections/{id}",
            post(staged_post).get(staged_get).delete(staged_delete),
        )
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            credentials,
            signed_only,
        ))
        .with_state(connections)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_push_port_answers_like_the_connections_routes() {
        let gateway = Connections::default();
        assert_eq!(gateway.post("nobody", b"{}").await, Err(PushError::Gone));
        let mut rx = gateway.register("c1", "127.0.0.1", "t");
        let big = vec![b'x'; MAX_FRAME_BYTES + 1];
        assert_eq!(
            gateway.post("c1", &big).await,
            Err(PushError::TooLarge(big.len()))
        );
        for _ in 0..QUEUE {
            gateway.post("c1", b"{}").await.unwrap();
        }
        assert!(matches!(
            gateway.post("c1", b"{}").await,
            Err(PushError::Transient(_))
        ));
        assert_eq!(
            rx.recv().await,
            Some(Outbound::Frame(Bytes::from_static(b"{}")))
        );
        drop(rx);
        assert_eq!(gateway.post("c1", b"{}").await, Err(PushError::Gone));
        assert!(gateway.is_empty(), "a closed socket is forgotten");
    }

    #[tokio::test]
    async fn a_client_that_never_reads_holds_at_most_the_byte_bound() {
        let gateway = Connections::default();
        let mut rx = gateway.register("slow", "127.0.0.1", "t");
        let frame = vec![b'x'; MAX_FRAME_BYTES];
        let mut accepted = 0;
        while gateway.post("slow", &frame).await.is_ok() {
            accepted += 1;
            assert!(accepted < QUEUE, "never throttled");
        }
        assert_eq!(accepted, QUEUE_BYTES / MAX_FRAME_BYTES);
        // Taking a frame makes room for exactly one more.
        assert!(matches!(rx.recv().await, Some(Outbound::Frame(_))));
        assert_eq!(gateway.post("slow", &frame).await, Ok(()));
        assert!(matches!(
            gateway.post("slow", &frame).await,
            Err(PushError::Transient(_))
        ));
    }
}

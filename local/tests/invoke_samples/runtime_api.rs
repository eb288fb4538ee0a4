//! A Lambda Runtime API emulator on loopback, as documented by AWS
//! (`/2018-06-01/runtime/...`): `GET invocation/next` hands the function one
//! event with its `Lambda-Runtime-*` headers, `POST invocation/{id}/response`
//! and `POST invocation/{id}/error` answer it, `POST init/error` reports a
//! failed start. One emulator serves one function process, one event at a time.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

/// How long a function has for one event (Lambda's deadline header).
const DEADLINE: Duration = Duration::from_secs(60);

/// What a function answered to one event.
#[derive(Debug)]
pub enum Outcome {
    /// `POST .../response`: the handler's result.
    Response(Value),
    /// `POST .../error`: the runtime reported a handler error.
    Error { error_type: String, body: String },
}

struct Pending {
    id: String,
    event: Bytes,
}

#[derive(Default)]
struct Shared {
    answers: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_error: Mutex<Option<String>>,
}

struct ApiState {
    shared: Arc<Shared>,
    queue: tokio::sync::Mutex<mpsc::Receiver<Pending>>,
    function_arn: String,
}

/// A running emulator; `AWS_LAMBDA_RUNTIME_API` is [`RuntimeApi::address`].
pub struct RuntimeApi {
    addr: SocketAddr,
    queue: mpsc::Sender<Pending>,
    shared: Arc<Shared>,
}

impl RuntimeApi {
    /// Serves on an ephemeral port of 127.0.0.1 for `function_name`.
    pub async fn start(function_name: &str) -> Self {
        let (queue, rx) = mpsc::channel(1);
        let shared = Arc::new(Shared::default());
        let state = Arc::new(ApiState {
            shared: Arc::clone(&shared),
            queue: tokio::sync::Mutex::new(rx),
            function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{function_name}"),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(respond),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            addr,
            queue,
            shared,
        }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// What the function posted to `init/error`, if it did.
    pub fn init_error(&self) -> Option<String> {
        self.shared.init_error.lock().unwrap().clone()
    }

    /// Queues `event` for the function's next `GET next`; resolves with its
    /// answer. The caller bounds the wait (the process may have died).
    pub async fn invoke(&self, event: &Value) -> oneshot::Receiver<Outcome> {
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        self.shared.answers.lock().unwrap().insert(id.clone(), tx);
        let event = Bytes::from(serde_json::to_vec(event).unwrap());
        self.queue.send(Pending { id, event }).await.unwrap();
        rx
    }
}

async fn next(State(state): State<Arc<ApiState>>) -> Response {
    // Long-poll, as Lambda does: the runtime waits here between events.
    let Some(pending) = state.queue.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let deadline_ms = shared::clock::now_ms() + DEADLINE.as_millis() as i64;
    (
        [
            ("lambda-runtime-aws-request-id", pending.id),
            ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                state.function_arn.clone(),
            ),
            (
                "lambda-runtime-trace-id",
                "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1".into(),
            ),
            ("content-type", "application/json".into()),
        ],
        pending.event,
    )
        .into_response()
}

fn answer(state: &ApiState, id: &str, outcome: Outcome) -> StatusCode {
    match state.shared.answers.lock().unwrap().remove(id) {
        Some(tx) => {
            let _ = tx.send(outcome);
            StatusCode::ACCEPTED
        }
        // Lambda answers an unknown or already answered request id 400.
        None => StatusCode::BAD_REQUEST,
    }
}

async fn respond(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    answer(&state, &id, Outcome::Response(value))
}

async fn fail(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let error_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown")
        .to_owned();
    let body = String::from_utf8_lossy(&body).into_owned();
    answer(&state, &id, Outcome::Error { error_type, body })
}

async fn init_error(State(state): State<Arc<ApiState>>, body: Bytes) -> StatusCode {
    *state.shared.init_error.lock().unwrap() = Some(String::from_utf8_lossy(&body).into_owned());
    StatusCode::ACCEPTED
}

//! What happens before a handler runs: every request is counted and may be
//! answered by an injected failure; Helix requests also need a valid app
//! token with a matching `Client-Id`, and spend a point from the bucket.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::ratelimit::{Bucket, Headers};
use super::{Failure, Sim};

/// A Helix error: `{"error": <reason>, "status": <code>, "message": ...}`.
pub fn helix_error(status: StatusCode, message: &str) -> Response {
    let body = json!({
        "error": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "message": message,
    });
    (status, Json(body)).into_response()
}

/// An OAuth error: `{"status": <code>, "message": ...}` (no `error` field).
pub fn oauth_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"status": status.as_u16(), "message": message})),
    )
        .into_response()
}

/// Helix's answer for a path it does not have.
pub async fn not_found() -> Response {
    helix_error(StatusCode::NOT_FOUND, "no such endpoint in the simulator")
}

/// Where requests to no route are counted.
const UNROUTED: &str = "(no route)";

/// The route (as [`Sim::routes`] mounts it) a path is served by; the two
/// with a parameter by their template.
fn route_of(path: &str) -> &str {
    const FIXED: &[&str] = &[
        "/oauth2/token",
        "/oauth2/validate",
        "/oauth2/authorize",
        "/oauth2/revoke",
        "/oauth2/userinfo",
        "/oauth2/keys",
        "/oauth2/.well-known/openid-configuration",
        "/helix/users",
        "/helix/streams",
        "/helix/eventsub/subscriptions",
        "/helix/channels/followers",
        "/helix/subscriptions",
        "/helix/videos",
        "/helix/channel_points/custom_rewards",
        "/helix/channel_points/custom_rewards/redemptions",
        "/sim/outage",
        "/sim/ledger",
    ];
    if let Some(fixed) = FIXED.iter().find(|r| **r == path) {
        return fixed;
    }
    let one_segment = |prefix: &str, suffix: &str| {
        path.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(suffix))
            .is_some_and(|segment| !segment.is_empty() && !segment.contains('/'))
    };
    if one_segment("/sim/users/", "/disconnect") {
        "/sim/users/{id}/disconnect"
    } else if one_segment("/sim/avatars/", "") {
        "/sim/avatars/{file}"
    } else {
        UNROUTED
    }
}

/// Counts the request, holds it if the test asked to ([`super::Sim::hold_next`]),
/// then serves an injected failure if one is due. Counted per route (its
/// template), not per path: any web page can make a browser send GETs to
/// endless made-up paths.
pub async fn observe(State(sim): State<Arc<Sim>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let (failure, hold) = {
        let mut state = sim.state();
        *state
            .requests
            .entry(route_of(&path).to_owned())
            .or_default() += 1;
        let hold = state.take_hold(request.method().as_str(), &path);
        (state.take_failure(&path), hold)
    };
    if let Some(hold) = hold {
        let _ = hold.arrived.send(());
        // Released, or the test dropped its handle: either way, on we go.
        let _ = hold.release.await;
    }
    match failure {
        None => next.run(request).await,
        Some(Failure::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            helix_error(status, "injected failure")
        }
        Some(Failure::RateLimited { reset_in_secs }) => {
            let mut response = helix_error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit exceeded (injected)",
            );
            let headers = Headers {
                limit: sim.config.rate_limit_per_minute,
                remaining: 0,
                reset: sim.epoch_secs() + reset_in_secs,
            };
            put_headers(response.headers_mut(), headers);
            response
        }
    }
}

/// Who a Helix request is made as, put in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An app access token (client credentials).
    App,
    /// A user access token: whose, and the scopes it carries.
    User {
        user_id: String,
        scopes: Vec<String>,
    },
}

impl Caller {
    /// True for a user token carrying `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        matches!(self, Caller::User { scopes, .. } if scopes.iter().any(|s| s == scope))
    }
}

/// A Helix error as a value, for handlers that return early with `?`;
/// answered as [`helix_error`].
#[derive(Debug, thiserror::Error)]
#[error("{status}: {message}")]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    /// A refusal with this status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// A 400.
    pub fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        helix_error(self.status, &self.message)
    }
}

/// Refuses (401, Twitch's messages) a request for `broadcaster`'s data not
/// made with that broadcaster's user token carrying one of `scopes`.
pub fn broadcaster_token(
    caller: &Caller,
    broadcaster: &str,
    scopes: &[&str],
) -> Result<(), Refusal> {
    let refuse = |message: &str| Err(Refusal::new(StatusCode::UNAUTHORIZED, message));
    let Caller::User { user_id, .. } = caller else {
        return refuse(
            "The Authorization header is required and must contain a user access token.",
        );
    };
    if !scopes.iter().any(|s| caller.has_scope(s)) {
        return refuse(&format!("Missing scope: {}", scopes.join(" or ")));
    }
    if user_id != broadcaster {
        return refuse(
            "The ID in broadcaster_id must match the user ID found in the request's OAuth token.",
        );
    }
    Ok(())
}

/// Authenticates a Helix request and charges it to its bucket: one per
/// client for app tokens, one per client and user for user tokens (Twitch's
/// buckets). EventSub webhook subscriptions take app tokens only.
pub async fn helix(State(sim): State<Arc<Sim>>, mut request: Request, next: Next) -> Response {
    let (client_id, caller) = match authenticate(&sim, request.headers()) {
        Ok(found) => found,
        Err(message) => return helix_error(StatusCode::UNAUTHORIZED, message),
    };
    let bucket_key = match &caller {
        Caller::App => client_id,
        Caller::User { user_id, .. } if !request.uri().path().contains("/eventsub/") => {
            format!("{client_id}:{user_id}")
        }
        Caller::User { .. } => {
            return helix_error(
                StatusCode::UNAUTHORIZED,
                "webhook subscriptions need an app access token",
            )
        }
    };
    request.extensions_mut().insert(caller);
    let (allowed, headers) = {
        let now = sim.now();
        let epoch = sim.epoch_secs();
        let per_minute = sim.config.rate_limit_per_minute;
        let mut state = sim.state();
        let bucket = state
            .buckets
            .entry(bucket_key)
            .or_insert_with(|| Bucket::full(per_minute, now));
        let allowed = bucket.take(now);
        (allowed, bucket.headers(now, epoch))
    };
    let mut response = if allowed {
        next.run(request).await
    } else {
        helix_error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded")
    };
    put_headers(response.headers_mut(), headers);
    response
}

/// The client id and caller behind a valid `Authorization: Bearer` token
/// (an app's or a user's) whose `Client-Id` matches, or why the request is
/// unauthorized.
fn authenticate(sim: &Sim, headers: &HeaderMap) -> Result<(String, Caller), &'static str> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let token = header("authorization")
        .and_then(|v| strip_scheme(v, "Bearer"))
        .ok_or("OAuth token is missing")?;
    let client = header("client-id").ok_or("Client ID is missing")?;
    let now = sim.now();
    let app = sim
        .state()
        .tokens
        .get(token)
        .filter(|t| t.expires_at > now)
        .map(|t| (t.client_id.clone(), Caller::App));
    let user = || {
        let books = sim.accounts.books();
        let t = books.access.get(token).filter(|t| t.expires_at > now)?;
        let caller = Caller::User {
            user_id: t.user_id.clone(),
            scopes: t.scopes.clone(),
        };
        Some((t.client_id.clone(), caller))
    };
    let (client_id, caller) = app.or_else(user).ok_or("Invalid OAuth token")?;
    if client_id != client {
        return Err("Client ID and OAuth token do not match");
    }
    Ok((client_id, caller))
}

/// The token after `<scheme> ` in an `Authorization` value (scheme case-insensitive).
pub fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, token) = value.split_once(' ')?;
    let token = token.trim();
    (given.eq_ignore_ascii_case(scheme) && !token.is_empty()).then_some(token)
}

fn put_headers(map: &mut HeaderMap, headers: Headers) {
    map.insert("ratelimit-limit", HeaderValue::from(headers.limit));
    map.insert("ratelimit-remaining", HeaderValue::from(headers.remaining));
    map.insert("ratelimit-reset", HeaderValue::from(headers.reset));
}

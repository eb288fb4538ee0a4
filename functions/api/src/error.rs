//! Every way a request can fail, each with one status and one error code.
//! Bad input is a 4xx that says what to send instead; the only 5xx is 503
//! `store_unavailable` (try again).

use lambda_http::http::header::{HeaderValue, ALLOW, WWW_AUTHENTICATE};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::json;
use shared::store::StoreError;

/// Why a request was not answered with data.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query parameter's value is out of range or malformed.
    #[error("{name}: {why}")]
    InvalidParameter { name: &'static str, why: String },
    /// A query parameter this route does not take (a typo would otherwise be ignored).
    #[error("unknown parameter {name:?}; this route takes {takes}")]
    UnknownParameter { name: String, takes: String },
    /// The same query parameter given twice.
    #[error("{0} is given more than once")]
    RepeatedParameter(&'static str),
    /// Two query parameters that exclude each other.
    #[error("{0} and {1} cannot be used together: {2}")]
    ConflictingParameters(&'static str, &'static str, &'static str),
    /// The `{login}` path segment is neither a login nor a user id.
    #[error("{0:?} is neither a Twitch login (1-25 letters, digits, underscores) nor a user id (digits)")]
    InvalidStreamer(String),
    /// A well-formed login or id the system has never seen.
    #[error("no such streamer is tracked or known: {0}")]
    UnknownStreamer(String),
    /// No route has this path.
    #[error("no route {method} {path}")]
    NotFound { method: String, path: String },
    /// The path exists, the method does not.
    #[error("{method} is not allowed on {path}; use {}", allowed.join(" or "))]
    MethodNotAllowed {
        method: String,
        path: String,
        allowed: Vec<&'static str>,
    },
    /// An admin route without the right bearer token.
    #[error("an admin bearer token is required (Authorization: Bearer <ADMIN_TOKEN>)")]
    Unauthorized,
    /// A route for logged-in users, without a live session cookie.
    #[error("log in first (GET /auth/login)")]
    NotLoggedIn,
    /// A state-changing request from another origin (or none).
    #[error("{0}")]
    Forbidden(String),
    /// A per-user cap is reached; nothing was changed.
    #[error("at most {cap} {what} per user")]
    OverCap { what: &'static str, cap: usize },
    /// A per-user allowance is spent for now.
    #[error("{0}")]
    TooManyRequests(String),
    /// The deployment's new tracks this hour are spent; streamers already
    /// tracked still work.
    #[error("this deployment starts tracking at most {0} new streamers an hour; streamers already tracked can still be added; try this one later")]
    NewTracksSpent(u32),
    /// Twitch's rate limit is under the reserve kept for the poller and the
    /// manager: no lookup for users now.
    #[error("{}", shared::helix::ratelimit::LOOKUPS_BUSY)]
    LookupsBusy,
    /// An overlay key that is unknown, replaced or revoked.
    #[error("this overlay key is not valid (revoked, replaced, or its favourite removed)")]
    OverlayKey,
    /// An overlay key whose owner disconnected our app at Twitch: paused
    /// until they log in again.
    #[error("this overlay is paused: its owner disconnected Streamer Events from their Twitch account; it resumes when they log in again")]
    OverlaySuspended,
    /// A file stored only compressed, asked for without that encoding in `Accept-Encoding`.
    #[error("this file is served {0}-compressed only; send Accept-Encoding: {0}")]
    NotAcceptable(&'static str),
    /// Twitch could not be asked; nothing was changed.
    #[error("Twitch is unavailable; try again shortly")]
    TwitchUnavailable,
    /// The store failed (or refused a cursor it did not hand out).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiError {
    /// The HTTP status this failure is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidParameter { .. }
            | ApiError::UnknownParameter { .. }
            | ApiError::RepeatedParameter(_)
            | ApiError::ConflictingParameters(..)
            | ApiError::InvalidStreamer(_)
            | ApiError::Store(StoreError::InvalidCursor) => StatusCode::BAD_REQUEST,
            ApiError::UnknownStreamer(_) | ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unauthorized
            | ApiError::NotLoggedIn
            | ApiError::OverlayKey
            | ApiError::OverlaySuspended => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::OverCap { .. } => StatusCode::CONFLICT,
            ApiError::TooManyRequests(_) | ApiError::NewTracksSpent(_) | ApiError::LookupsBusy => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::TwitchUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            // A corrupt record is as unreadable as an unreachable table: the
            // caller can only try again later; the log says which it was.
            ApiError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The machine-readable `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidParameter { .. } => "invalid_parameter",
            ApiError::UnknownParameter { .. } => "unknown_parameter",
            ApiError::RepeatedParameter(_) => "repeated_parameter",
            ApiError::ConflictingParameters(..) => "conflicting_parameters",
            ApiError::InvalidStreamer(_) => "invalid_streamer",
            ApiError::UnknownStreamer(_) => "unknown_streamer",
            ApiError::NotFound { .. } => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Unauthorized => "unauthorized",
            ApiError::NotLoggedIn => "not_logged_in",
            ApiError::OverlayKey => "invalid_overlay_key",
            ApiError::OverlaySuspended => "overlay_suspended",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::OverCap { .. } => "over_cap",
            ApiError::TooManyRequests(_) => "rate_limited",
            ApiError::NewTracksSpent(_) | ApiError::LookupsBusy => "deployment_busy",
            ApiError::NotAcceptable(_) => "not_acceptable",
            ApiError::TwitchUnavailable => "twitch_unavailable",
            ApiError::Store(StoreError::InvalidCursor) => "invalid_parameter",
            ApiError::Store(_) => "store_unavailable",
        }
    }

    /// `{"error": code, "message": …}` with the status and the headers it calls for.
    pub fn into_response(self) -> Response<Body> {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "store failed; answering 503");
        } else {
            tracing::debug!(code = self.code(), reason = %self, "refused a request");
        }
        // A store failure's text names tables, roles and accounts: logged
        // above, never sent.
        let message = match &self {
            ApiError::Store(e) if !matches!(e, StoreError::InvalidCursor) => {
                "the store is unavailable; try again shortly".to_owned()
            }
            other => other.to_string(),
        };
        let body = json!({"error": self.code(), "message": message}).to_string();
        let mut response = crate::json(status, body);
        let headers = response.headers_mut();
        match &self {
            ApiError::MethodNotAllowed { allowed, .. } => {
                if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
                    headers.insert(ALLOW, v);
                }
            }
            ApiError::Unauthorized => {
                headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

/// A path segment as the client typed it (percent-decoded: a login typed
/// with a space reads "a b", not "a%20b"), shortened like [`shown`].
pub fn shown_segment(segment: &str) -> String {
    shown(&percent_encoding::percent_decode_str(segment).decode_utf8_lossy())
}

/// At most 64 characters of what a client sent, for echoing it in a message.
pub fn shown(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

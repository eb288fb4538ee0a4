//! `POST /oauth2/token` and `GET /oauth2/validate` (<https://dev.twitch.tv/docs/authentication/validate-tokens/>).
//! Client credentials are served here (app tokens cannot be refreshed: a
//! client that gets a 401 asks for a new one); the user grants
//! (`authorization_code`, `refresh_token`) and user tokens at `/validate`
//! are [`super::login`]'s.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::gate::{oauth_error, strip_scheme};
use super::params::request_params;
use super::state::Token;
use super::Sim;

/// Issues tokens for the configured client: app tokens here, user tokens
/// through [`super::login`].
pub async fn token(
    State(sim): State<Arc<Sim>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| strip_scheme(v, "Basic").is_some())
        && !body.windows(10).any(|w| w == b"client_id=")
    {
        // Twitch takes client_secret_post only; Basic auth reads as no client.
        return oauth_error(StatusCode::BAD_REQUEST, "missing client id");
    }
    let Some(params) = request_params(query.as_deref(), &body) else {
        return oauth_error(StatusCode::BAD_REQUEST, "malformed request");
    };
    let (Some(client_id), Some(secret), Some(grant)) = (
        params.first("client_id"),
        params.first("client_secret"),
        params.first("grant_type"),
    ) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "missing client_id, client_secret or grant_type",
        );
    };
    if client_id != sim.config.client_id {
        return oauth_error(StatusCode::FORBIDDEN, "invalid client");
    }
    if secret != sim.config.client_secret {
        return oauth_error(StatusCode::FORBIDDEN, "invalid client secret");
    }
    match grant {
        "client_credentials" => {}
        "authorization_code" => return super::login::exchange(&sim, &params, &headers),
        "refresh_token" => return super::login::refresh(&sim, &params),
        _ => return oauth_error(StatusCode::BAD_REQUEST, "unsupported grant type"),
    }
    let ttl = sim.config.token_ttl_secs;
    let value = uuid::Uuid::new_v4().simple().to_string();
    sim.state().tokens.insert(
        value.clone(),
        Token {
            client_id: client_id.to_owned(),
            expires_at: sim.now() + Duration::from_secs(ttl),
        },
    );
    Json(json!({"access_token": value, "expires_in": ttl, "token_type": "bearer"})).into_response()
}

/// Says whose a token is and how long it has left; 401 if it is not valid.
pub async fn validate(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> Response {
    // The docs use `OAuth <token>`; `Bearer` is accepted too, as by Twitch.
    let Some(token) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| strip_scheme(v, "OAuth").or_else(|| strip_scheme(v, "Bearer")))
    else {
        return oauth_error(StatusCode::UNAUTHORIZED, "missing authorization token");
    };
    let now = sim.now();
    if let Some(user) = sim.accounts.validate_json(token, now) {
        return Json(user).into_response();
    }
    let state = sim.state();
    match state.tokens.get(token).filter(|t| t.expires_at > now) {
        Some(issued) => Json(json!({
            "client_id": issued.client_id,
            "scopes": [],
            "expires_in": issued.expires_at.saturating_duration_since(now).as_secs(),
        }))
        .into_response(),
        None => oauth_error(StatusCode::UNAUTHORIZED, "invalid access token"),
    }
}

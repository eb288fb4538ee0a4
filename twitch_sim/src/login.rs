//! The user side of a faithful id.twitch.tv (Twitch's OAuth and OIDC endpoints,
//! <https://dev.twitch.tv/docs/authentication/>): the
//! authorize page (a user picker with Authorize / Cancel, or headless with
//! `sim_user` and `sim_decision`), the code exchange and refresh grants
//! (refresh rotates: the old refresh and access tokens die), user tokens at
//! `/validate`, `/revoke`, `/userinfo`, the key set and discovery document,
//! and RS256 ID tokens carrying the nonce. Error texts are Twitch's. Its
//! books are [`super::accounts`], its page [`super::consent`].

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::accounts::{Code, Refresh, UserToken, MAX_PENDING_CODES};
use super::consent::{consent_page, page, redirect_with};
use super::gate::{oauth_error, strip_scheme};
use super::params::{request_params, Params};
use super::{users, Sim};

/// How long an authorization code can be exchanged.
const CODE_TTL: Duration = Duration::from_secs(600);
/// ID tokens live 15 minutes, as Twitch's do.
const ID_TOKEN_TTL_SECS: i64 = 900;

fn random() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The issuer: this simulator's own `/oauth2` base, as the caller reached it.
fn issuer(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}/oauth2")
}

/// `GET /oauth2/.well-known/openid-configuration`.
pub async fn discovery(headers: HeaderMap) -> Json<Value> {
    let iss = issuer(&headers);
    Json(json!({
        "authorization_endpoint": format!("{iss}/authorize"),
        "claims_parameter_supported": true,
        "claims_supported": ["email", "email_verified", "picture", "preferred_username", "exp", "iss", "sub", "azp", "aud", "iat", "updated_at"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "issuer": iss,
        "jwks_uri": format!("{iss}/keys"),
        "response_types_supported": ["id_token", "code", "token", "code id_token", "token id_token"],
        "scopes_supported": ["openid"],
        "subject_types_supported": ["public"],
        "token_endpoint": format!("{iss}/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "userinfo_endpoint": format!("{iss}/userinfo"),
    }))
}

/// `GET /oauth2/keys`.
pub async fn keys(State(sim): State<Arc<Sim>>) -> Json<Value> {
    Json(json!(sim.accounts.signer.jwks()))
}

/// `GET /oauth2/authorize`: the consent page, or (with `sim_user` and
/// `sim_decision`) the redirect back that the page's buttons lead to.
pub async fn authorize(State(sim): State<Arc<Sim>>, RawQuery(query): RawQuery) -> Response {
    let Ok(params) = Params::parse(query.as_deref().unwrap_or("")) else {
        return page(StatusCode::BAD_REQUEST, "<p>Malformed request.</p>");
    };
    let get = |k: &str| params.first(k).unwrap_or("");
    if get("client_id") != sim.config.client_id {
        // Twitch shows an error and does not redirect for an unknown client.
        return page(StatusCode::BAD_REQUEST, "<p>invalid client</p>");
    }
    let redirect_uri = get("redirect_uri");
    let registered = &sim.config.redirect_uris;
    if !registered.iter().any(|r| r == redirect_uri) {
        // Sent to the first registered URL, as Twitch does.
        return match registered.first() {
            Some(first) => redirect_with(
                first,
                &[
                    ("error", "redirect_mismatch"),
                    (
                        "error_description",
                        "Parameter redirect_uri does not match registered URI",
                    ),
                    ("state", get("state")),
                ],
            ),
            None => page(StatusCode::BAD_REQUEST, "<p>redirect_mismatch</p>"),
        };
    }
    let scopes: Vec<String> = get("scope")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if get("response_type") != "code" {
        return redirect_with(
            redirect_uri,
            &[
                ("error", "unsupported_response_type"),
                ("error_description", "Response type is not supported"),
                ("state", get("state")),
            ],
        );
    }
    match (params.first("sim_user"), params.first("sim_decision")) {
        (_, Some("deny")) => redirect_with(
            redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "The user denied you access"),
                ("state", get("state")),
            ],
        ),
        (Some(user), Some("allow")) if users::exists(user) => {
            let code = random();
            let granted: Vec<&str> = scopes.iter().map(String::as_str).collect();
            sim.authorize(user, &granted);
            let now = sim.now();
            let mut books = sim.accounts.books();
            // A code is good for its ten minutes; after that it is only
            // memory (any page can make a browser mint them).
            books.codes.retain(|_, c| c.expires_at > now);
            if books.codes.len() >= MAX_PENDING_CODES {
                let oldest = books
                    .codes
                    .iter()
                    .min_by_key(|(_, c)| c.expires_at)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    books.codes.remove(&oldest);
                }
            }
            books.codes.insert(
                code.clone(),
                Code {
                    client_id: sim.config.client_id.clone(),
                    redirect_uri: redirect_uri.to_owned(),
                    user_id: user.to_owned(),
                    scopes: scopes.clone(),
                    nonce: params.first("nonce").map(str::to_owned),
                    expires_at: now + CODE_TTL,
                },
            );
            drop(books);
            redirect_with(
                redirect_uri,
                &[
                    ("code", &code),
                    ("scope", &scopes.join(" ")),
                    ("state", get("state")),
                ],
            )
        }
        _ => consent_page(&params, &scopes),
    }
}

/// `grant_type=authorization_code` (client already authenticated).
pub(super) fn exchange(sim: &Sim, params: &Params, headers: &HeaderMap) -> Response {
    let (Some(code), Some(redirect_uri)) = (params.first("code"), params.first("redirect_uri"))
    else {
        return oauth_error(StatusCode::BAD_REQUEST, "missing code or redirect_uri");
    };
    let now = sim.now();
    // Single use: taken out whether or not the rest matches.
    let taken = sim.accounts.books().codes.remove(code);
    let Some(grant) = taken.filter(|c| {
        c.expires_at > now && c.redirect_uri == redirect_uri && c.client_id == sim.config.client_id
    }) else {
        return oauth_error(StatusCode::BAD_REQUEST, "Invalid authorization code");
    };
    let (access, refresh) = issue(sim, &grant.user_id, &grant.scopes);
    let mut body = json!({
        "access_token": access,
        "expires_in": sim.config.user_token_ttl_secs,
        "refresh_token": refresh,
        "scope": grant.scopes,
        "token_type": "bearer",
    });
    if grant.scopes.iter().any(|s| s == "openid") {
        body["id_token"] = json!(id_token(sim, headers, &grant, &access));
    }
    Json(body).into_response()
}

/// `grant_type=refresh_token`: rotates, killing the old refresh and access tokens.
pub(super) fn refresh(sim: &Sim, params: &Params) -> Response {
    let Some(token) = params.first("refresh_token") else {
        return oauth_error(StatusCode::BAD_REQUEST, "missing refresh token");
    };
    let old = {
        let mut books = sim.accounts.books();
        let old = books.refresh.remove(token);
        if let Some(r) = &old {
            books.access.remove(&r.access);
        }
        old
    };
    let Some(old) = old.filter(|r| r.client_id == sim.config.client_id) else {
        return oauth_error(StatusCode::BAD_REQUEST, "Invalid refresh token");
    };
    let (access, refresh) = issue(sim, &old.user_id, &old.scopes);
    Json(json!({
        "access_token": access,
        "expires_in": sim.config.user_token_ttl_secs,
        "refresh_token": refresh,
        "scope": old.scopes,
        "token_type": "bearer",
    }))
    .into_response()
}

/// A new access + refresh token pair for `user_id`.
fn issue(sim: &Sim, user_id: &str, scopes: &[String]) -> (String, String) {
    let (access, refresh) = (random(), random());
    let mut books = sim.accounts.books();
    books.access.insert(
        access.clone(),
        UserToken {
            client_id: sim.config.client_id.clone(),
            user_id: user_id.to_owned(),
            scopes: scopes.to_vec(),
            expires_at: sim.now() + Duration::from_secs(sim.config.user_token_ttl_secs),
        },
    );
    books.refresh.insert(
        refresh.clone(),
        Refresh {
            client_id: sim.config.client_id.clone(),
            user_id: user_id.to_owned(),
            scopes: scopes.to_vec(),
            access: access.clone(),
        },
    );
    (access, refresh)
}

fn id_token(sim: &Sim, headers: &HeaderMap, grant: &Code, access: &str) -> String {
    let iat = sim.epoch_secs() as i64;
    let digest = Sha256::digest(access.as_bytes());
    let mut claims = json!({
        "aud": grant.client_id,
        "azp": grant.client_id,
        "exp": iat + ID_TOKEN_TTL_SECS,
        "iat": iat,
        "iss": issuer(headers),
        "sub": grant.user_id,
        "at_hash": URL_SAFE_NO_PAD.encode(&digest[..16]),
        "preferred_username": users::display_name(&grant.user_id),
        // Twitch's pictures live on its CDN; the simulator serves its own.
        "picture": format!("{}/sim/avatars/{}.svg", issuer(headers).trim_end_matches("/oauth2"), grant.user_id),
    });
    if let Some(nonce) = &grant.nonce {
        claims["nonce"] = json!(nonce);
    }
    sim.accounts.signer.sign(&claims)
}

/// `POST /oauth2/revoke` (form: `client_id`, `token`).
pub async fn revoke(
    State(sim): State<Arc<Sim>>,
    RawQuery(query): RawQuery,
    body: axum::body::Bytes,
) -> Response {
    let Some(params) = request_params(query.as_deref(), &body) else {
        return oauth_error(StatusCode::BAD_REQUEST, "malformed request");
    };
    if params.first("client_id") != Some(sim.config.client_id.as_str()) {
        return oauth_error(StatusCode::NOT_FOUND, "client does not exist");
    }
    let token = params.first("token").unwrap_or_default();
    let removed = {
        let mut books = sim.accounts.books();
        let access = books.access.remove(token).is_some();
        access || books.refresh.remove(token).is_some()
    };
    if removed || sim.state().tokens.remove(token).is_some() {
        StatusCode::OK.into_response()
    } else {
        oauth_error(StatusCode::BAD_REQUEST, "Invalid token")
    }
}

/// `GET /oauth2/userinfo` (Bearer user access token).
pub async fn userinfo(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| strip_scheme(v, "Bearer"));
    let now = sim.now();
    let owner = token.and_then(|t| {
        sim.accounts
            .books()
            .access
            .get(t)
            .filter(|t| t.expires_at > now)
            .cloned()
    });
    let Some(owner) = owner.filter(|t| t.scopes.iter().any(|s| s == "openid")) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid access token");
    };
    let iat = sim.epoch_secs() as i64;
    Json(json!({
        "aud": owner.client_id,
        "exp": iat + ID_TOKEN_TTL_SECS,
        "iat": iat,
        "iss": issuer(&headers),
        "sub": owner.user_id,
        "preferred_username": users::display_name(&owner.user_id),
        "updated_at": "2022-02-03T16:16:16.968509Z",
    }))
    .into_response()
}

/// `POST /sim/users/{id}/disconnect`: the user disconnects the app at Twitch.
pub async fn disconnect(State(sim): State<Arc<Sim>>, Path(user_id): Path<String>) -> Response {
    let killed = sim.disconnect_and_notify(&user_id).await;
    Json(json!({"user_id": user_id, "tokens_revoked": killed})).into_response()
}

/// `GET /sim/avatars/{id}.svg`: a simulated user's profile picture.
pub async fn avatar(Path(file): Path<String>) -> Response {
    let id = file.trim_end_matches(".svg");
    let hue = id
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 360;
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\"><rect width=\"64\" height=\"64\" fill=\"hsl({hue},60%,50%)\"/></svg>"
    );
    ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
}

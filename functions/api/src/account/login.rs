//! `GET /auth/login`, `GET /auth/callback`, `POST /auth/logout`.
//!
//! The flow (Twitch's authorization code flow with OpenID Connect,
//! <https://dev.twitch.tv/docs/authentication/getting-tokens-oidc/>): `login` stores a random single-use
//! `state` (by hash) with a `nonce` and sets the same `state` in a 10-minute
//! `SameSite=Lax` cookie, then sends the browser to Twitch. `callback` takes
//! the stored state out (once), requires the cookie to match it (so a login
//! cannot be finished in a browser that did not start it), handles `error`
//! as well as `code`, exchanges the code with the secret in the body, checks
//! the ID token (signature, issuer, audience, expiry, nonce), asks
//! `/validate` for the login, keys the user on `sub`, and starts a session
//! with a fresh id. Nothing that could be replayed is logged.

use std::collections::HashMap;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::auth::cookies;
use shared::auth::guard;
use shared::auth::session::{self, NewSessionId, LOGIN_STATE_SECONDS};
use shared::auth::{random_token, same_secret, sha256_hex};
use shared::helix::login::renew::sealed;
use shared::helix::login::{Authorize, LoginError, Validation};
use shared::store::users::{LoginState, Session, User};

use super::grant;
use super::pages::{page, redirect};
use super::visitor::{same_origin, visitor};
use super::AccountRoutes;
use crate::error::ApiError;

/// The first value of each query parameter.
pub(super) fn query(request: &Request) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes()) {
        out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    out
}

fn unavailable() -> Response<Body> {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Try again in a moment",
        "The login could not be completed just now. Nothing was changed; please try again.",
        &[],
    )
}

/// `GET /auth/login?return_to=/path&channel=1&switch=1`.
pub async fn start(account: &AccountRoutes, request: &Request, now_s: i64) -> Response<Body> {
    let q = query(request);
    let Ok(return_to) = guard::return_to(q.get("return_to").map(String::as_str)) else {
        return page(
            StatusCode::BAD_REQUEST,
            "That link cannot be used",
            "return_to must be a path on this site.",
            &[],
        );
    };
    let channel = q.get("channel").is_some_and(|v| v == "1");
    let (state, nonce) = (random_token(), random_token());
    let login = LoginState {
        state_hash: sha256_hex(&state),
        nonce: nonce.clone(),
        return_to,
        channel,
        expires_at_s: now_s + LOGIN_STATE_SECONDS,
    };
    if let Err(e) = account.users.begin_login(&login).await {
        tracing::error!(error = %e, "could not store a login state");
        return unavailable();
    }
    let no_scopes = Vec::new();
    let redirect_uri = account.redirect_uri(request);
    let url = account.login.authorize_url(&Authorize {
        redirect_uri: &redirect_uri,
        state: &state,
        nonce: &nonce,
        scopes: if channel {
            &account.channel_scopes
        } else {
            &no_scopes
        },
        force_verify: q.get("switch").is_some_and(|v| v == "1"),
    });
    let cookie = account
        .cookies
        .set(account.cookies.login(), &state, LOGIN_STATE_SECONDS);
    redirect(&url, &[cookie])
}

/// Why a callback did not log anyone in, as the page says it.
fn refused(title: &str, text: &str, clear: &str) -> Response<Body> {
    page(StatusCode::BAD_REQUEST, title, text, &[clear.to_owned()])
}

/// `GET /auth/callback?code=…&state=…` or `?error=…&state=…`.
pub async fn callback(account: &AccountRoutes, request: &Request, now_ms: i64) -> Response<Body> {
    let now_s = now_ms / 1000;
    let q = query(request);
    let clear = account.cookies.clear(account.cookies.login());
    let Some(state) = q.get("state").filter(|s| !s.is_empty()) else {
        return refused(
            "That login link is incomplete",
            "Twitch's answer carried no state. Start the login again.",
            &clear,
        );
    };
    // Taken out first, whatever follows: a state is good for one answer.
    let taken = match account.users.take_login(&sha256_hex(state), now_s).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "could not read a login state");
            return unavailable();
        }
    };
    let bound = cookies::read(request.headers(), account.cookies.login())
        .is_some_and(|c| same_secret(c, state));
    if let Some(error) = q.get("error") {
        tracing::info!(error = %crate::error::shown(error), "Twitch sent the login back with an error");
        return if error == "access_denied" {
            // A choice, not a failure: 200, so the browser logs no error.
            page(
                StatusCode::OK,
                "You did not log in",
                "You chose not to connect your Twitch account. You can still watch streamers; log in any time to keep favourites.",
                &[clear],
            )
        } else {
            refused(
                "Twitch did not log you in",
                "Twitch refused the login. Start it again from the page.",
                &clear,
            )
        };
    }
    let Some(login) = taken.filter(|_| bound) else {
        return refused(
            "That login has expired",
            "This login was already used, is older than 10 minutes, or was started in another browser. Start it again from the page.",
            &clear,
        );
    };
    let Some(code) = q.get("code").filter(|c| !c.is_empty()) else {
        return refused(
            "That login link is incomplete",
            "Twitch's answer carried no code.",
            &clear,
        );
    };
    match finish(account, request, &login, code, now_ms).await {
        Ok(session_cookie) => {
            // A session this browser held before is replaced, not left behind.
            if let Some(old) = cookies::read(request.headers(), account.cookies.session()) {
                if let Err(e) = account.users.end_session(&sha256_hex(old)).await {
                    tracing::warn!(error = %e, "could not end the replaced session");
                }
            }
            // A broadcaster's grant: the page says what it now receives.
            let back = if login.channel {
                grant::granted_marker(&login.return_to)
            } else {
                login.return_to.clone()
            };
            redirect(&back, &[clear, session_cookie])
        }
        Err(Finish::Unavailable) => unavailable(),
        Err(Finish::Refused(why)) => {
            tracing::warn!(reason = %why, "a login callback was refused");
            refused(
                "Twitch did not log you in",
                "The answer from Twitch could not be verified. Start the login again.",
                &clear,
            )
        }
    }
}

enum Finish {
    Unavailable,
    Refused(String),
}

impl From<LoginError> for Finish {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Unavailable(why) => {
                tracing::warn!(reason = %why, "Twitch unavailable during a login");
                Finish::Unavailable
            }
            other => Finish::Refused(other.to_string()),
        }
    }
}

impl From<shared::store::StoreError> for Finish {
    fn from(e: shared::store::StoreError) -> Self {
        tracing::error!(error = %e, "store failed during a login");
        Finish::Unavailable
    }
}

/// Exchanges the code, checks who it is, records the user (and a
/// broadcaster's grant), starts a session; the session cookie to set.
async fn finish(
    account: &AccountRoutes,
    request: &Request,
    login: &LoginState,
    code: &str,
    now_ms: i64,
) -> Result<String, Finish> {
    let now_s = now_ms / 1000;
    let tokens = account
        .login
        .exchange_code(code, &account.redirect_uri(request))
        .await?;
    let id_token = tokens
        .id_token
        .as_deref()
        .ok_or_else(|| Finish::Refused("no ID token (openid not granted)".into()))?;
    let claims = account
        .login
        .verify_id_token(id_token, &login.nonce, now_s)
        .await?;
    let Validation::Valid {
        user_id,
        login: name,
        scopes,
        expires_in,
    } = account.login.validate(&tokens.access_token).await?
    else {
        return Err(Finish::Refused("a fresh token failed validation".into()));
    };
    if user_id != claims.sub {
        return Err(Finish::Refused(
            "the token and the ID token name different users".into(),
        ));
    }
    let user = User {
        id: claims.sub.clone(),
        login: name.to_ascii_lowercase(),
        display_name: claims
            .preferred_username
            .clone()
            .unwrap_or_else(|| name.clone()),
        picture: claims.picture.clone(),
        scopes: scopes.clone(),
        created_at_s: now_s,
    };
    account.users.put_user(&user).await?;
    let token_expires_at_s = now_s + expires_in.max(tokens.expires_in);
    if login.channel {
        grant::record(account, &user, &scopes, now_ms).await?;
        grant::keep(
            account,
            &user.id,
            &tokens,
            token_expires_at_s,
            &scopes,
            now_s,
        )
        .await?;
    }
    let id = NewSessionId::generate();
    let expires_at_s = session::expiry(now_s, now_s);
    // A channel login's tokens are the grant's, not the session's: its
    // logout must not revoke what recovery acts with (and a refresh to mint
    // a second pair would kill the first).
    let sealed =
        (!login.channel).then(|| sealed(&account.seal, &id.hash, &tokens, token_expires_at_s));
    account
        .users
        .create_session(&Session {
            hash: id.hash.clone(),
            user_id: user.id.clone(),
            created_at_s: now_s,
            expires_at_s,
            tokens: sealed,
            validated_at_s: now_s,
        })
        .await?;
    tracing::info!(user = %user.id, channel = login.channel, "logged in");
    // The browser keeps the cookie for the cap; the store decides sooner.
    Ok(account
        .cookies
        .set(account.cookies.session(), &id.cookie, session::MAX_SECONDS))
}

/// `POST /auth/logout`: revokes this session's Twitch token (a failure there
/// never blocks the logout), ends the session, clears the cookie. A
/// broadcaster's grant is not the session's and stays.
pub async fn logout(account: &AccountRoutes, request: &Request, now_s: i64) -> Response<Body> {
    if let Err(e) = same_origin(account, request) {
        return e.into_response();
    }
    let clear = account.cookies.clear(account.cookies.session());
    let who = match visitor(account, request, now_s).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    if let Some(v) = &who {
        if let Some(tokens) = &v.session.tokens {
            // Both tokens: whether revoking the access token also kills the
            // refresh token is not documented.
            let sealed = std::iter::once(&tokens.access).chain(tokens.refresh.as_ref());
            for token in sealed {
                match account.seal.open(&v.session.hash, token) {
                    Ok(plain) => {
                        if let Err(e) = account.login.revoke(&plain).await {
                            tracing::warn!(error = %e, "could not revoke a token at logout");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "a session's token does not open"),
                }
            }
        }
        if let Err(e) = account.users.end_session(&v.session.hash).await {
            return ApiError::from(e).into_response();
        }
        tracing::info!(user = %v.user.id, "logged out");
    }
    let mut response = crate::json(
        StatusCode::OK,
        json!({"logged_out": who.is_some()}).to_string(),
    );
    super::pages::set_cookies(&mut response, &[clear]);
    response
}

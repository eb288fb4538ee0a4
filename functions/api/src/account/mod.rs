//! The account routes: log in with Twitch, sessions, favourites, WebSocket
//! tickets. Served by the api function in AWS and on the local stack alike.
//!
//! - [`visitor`]: who is calling (the session cookie) and whether a
//!   state-changing request comes from our own origin.
//! - [`login`]: `GET /auth/login`, `GET /auth/callback`, `POST /auth/logout`.
//! - [`grant`]: what a broadcaster's channel login records, their tokens
//!   kept apart from sessions.
//! - [`me`]: `GET /api/me`, `PUT`/`DELETE /api/me/favourites/{login}`,
//!   `POST /api/ws-ticket`.
//! - [`overlay`]: alert-overlay keys for OBS, their read-only tickets, and
//!   where each key's alerts resume.
//! - [`overlay_settings`]: what an overlay alerts and how (validated).
//! - [`overlay_remote`]: the page's remote control of the open overlays:
//!   settings, test alert, replay/skip/pause.
//! - [`pages`]: the small HTML pages the browser routes answer with.

pub mod grant;
pub mod login;
pub mod me;
pub mod overlay;
pub mod overlay_remote;
pub mod overlay_settings;
pub mod pages;
pub mod visitor;

use std::sync::Arc;

use lambda_http::http::header::HOST;
use lambda_http::{Body, Request, Response};
use shared::auth::cookies::CookiePolicy;
use shared::auth::seal::SealKey;
use shared::helix::login::Login;
use shared::helix::Helix;
use shared::store::snapshots::SnapshotStore;
use shared::store::streamers::StreamerStore;
use shared::store::users::UserStore;
use shared::store::EventStore;
use shared::ticket::TicketKey;

use crate::error::{shown, ApiError};

/// Favourites one user may have.
pub const DEFAULT_MAX_FAVOURITES: usize = 50;
/// Twitch lookups (Get Users) one user may cause per minute.
pub const DEFAULT_LOOKUPS_PER_MINUTE: u32 = 10;

/// What the account routes need, built once per process.
pub struct AccountRoutes {
    pub users: Arc<dyn UserStore>,
    pub streamers: Arc<dyn StreamerStore>,
    /// Live states of favourites.
    pub snapshots: Arc<dyn SnapshotStore>,
    /// Favourites' feeds, for what is new since the user last looked.
    pub events: Arc<dyn EventStore>,
    /// The user side of Twitch's OAuth.
    pub login: Arc<Login>,
    /// Get Users, for favourites named by a login the store does not know.
    pub helix: Arc<Helix>,
    /// Seals the Twitch tokens kept on sessions.
    pub seal: SealKey,
    pub cookies: CookiePolicy,
    /// This site's origin (`https://host`), when configured; otherwise the
    /// request's `Host` with the scheme the cookie policy implies.
    pub site_url: Option<String>,
    /// Further origins allowed to send state-changing requests.
    pub extra_origins: Vec<String>,
    /// Signs WebSocket tickets.
    pub tickets: TicketKey,
    /// The WebSocket API's URL: where the page connects, and the tickets' audience.
    pub websocket_url: String,
    /// Anyone may open a WebSocket (a public feed): tickets for anonymous visitors.
    pub open: bool,
    /// The scopes a broadcaster's "read my channel's events" login asks for.
    pub channel_scopes: Vec<String>,
    pub max_favourites: usize,
    pub lookups_per_minute: u32,
    /// Deployment-wide ceilings (new tracks an hour, the Helix reserve).
    pub budgets: shared::config::Budgets,
    /// The WebSocket API's connections, to reach the overlays open now;
    /// `None`: settings still apply, at each overlay's next connect.
    pub sockets: Option<shared::push::Sockets>,
}

impl AccountRoutes {
    /// This site's origin for `request`: the configured one, else the host
    /// the request was sent to (API Gateway's domain, or the local stack's).
    pub fn site(&self, request: &Request) -> String {
        if let Some(url) = &self.site_url {
            return url.trim_end_matches('/').to_owned();
        }
        let host = request
            .headers()
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let scheme = if self.cookies.secure { "https" } else { "http" };
        format!("{scheme}://{host}")
    }

    /// The redirect URI registered at Twitch: `<site>/auth/callback`.
    pub fn redirect_uri(&self, request: &Request) -> String {
        format!("{}/auth/callback", self.site(request))
    }

    /// Origins allowed to change state: this site's and the configured ones.
    pub fn origins(&self, request: &Request) -> Vec<String> {
        let mut all = vec![self.site(request)];
        all.extend(self.extra_origins.iter().cloned());
        all
    }
}

/// The account routes (method, path template), as the OpenAPI
/// document lists them.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/auth/login"),
    ("GET", "/auth/callback"),
    ("POST", "/auth/logout"),
    ("GET", "/api/me"),
    ("PUT", "/api/me/favourites/{login}"),
    ("DELETE", "/api/me/favourites/{login}"),
    ("PUT", "/api/me/favourites/{login}/read"),
    ("POST", "/api/me/favourites/{login}/overlay"),
    ("DELETE", "/api/me/favourites/{login}/overlay"),
    ("POST", "/api/me/favourites/{login}/overlay/reset"),
    ("GET", "/api/me/favourites/{login}/overlay/settings"),
    ("PUT", "/api/me/favourites/{login}/overlay/settings"),
    ("POST", "/api/me/favourites/{login}/overlay/test"),
    ("POST", "/api/me/favourites/{login}/overlay/control"),
    ("POST", "/api/overlay/ticket"),
    ("POST", "/api/overlay/shown"),
    ("POST", "/api/ws-ticket"),
];

const FAVOURITES: &str = "/api/me/favourites/";

/// What a path under [`FAVOURITES`] names: the login and the sub-resource.
/// Split with `strip_*`, never by offsets: `/api/me/favourites/read` is the
/// favourite `read` (a valid login), not an empty login's `/read`.
fn favourite_path(path: &str) -> Option<(&str, Option<&'static str>)> {
    let rest = path.strip_prefix(FAVOURITES)?;
    for sub in [
        "/overlay/reset",
        "/overlay/settings",
        "/overlay/test",
        "/overlay/control",
        "/overlay",
        "/read",
    ] {
        if let Some(login) = rest.strip_suffix(sub) {
            return Some((login, Some(sub)));
        }
    }
    Some((rest, None))
}

/// `/api/me/favourites/{login}[/read|/overlay[/reset|/settings|/test|/control]]`, every method.
async fn favourite(
    account: &AccountRoutes,
    request: &Request,
    method: &str,
    path: &str,
    now_ms: i64,
) -> Response<Body> {
    let now_s = now_ms / 1000;
    use overlay::KeyAction::{Reset, Revoke, Show};
    let Some((login, sub)) = favourite_path(path) else {
        return ApiError::NotFound {
            method: shown(method),
            path: shown(path),
        }
        .into_response();
    };
    match (sub, method) {
        (Some("/overlay"), "POST") => overlay::key(account, request, login, Show, now_s).await,
        (Some("/overlay"), "DELETE") => overlay::key(account, request, login, Revoke, now_s).await,
        (Some("/overlay"), _) => me::not_allowed(method, path, "POST, DELETE"),
        (Some("/overlay/reset"), "POST") => {
            overlay::key(account, request, login, Reset, now_s).await
        }
        (Some("/overlay/reset"), _) => me::not_allowed(method, path, "POST"),
        (Some("/overlay/settings"), "GET") => {
            overlay_remote::get_settings(account, request, login, now_s).await
        }
        (Some("/overlay/settings"), "PUT") => {
            overlay_remote::put_settings(account, request, login, now_ms).await
        }
        (Some("/overlay/settings"), _) => me::not_allowed(method, path, "GET, PUT"),
        (Some("/overlay/test"), "POST") => {
            overlay_remote::test_alert(account, request, login, now_ms).await
        }
        (Some("/overlay/control"), "POST") => {
            overlay_remote::control(account, request, login, now_ms).await
        }
        (Some("/overlay/test" | "/overlay/control"), _) => me::not_allowed(method, path, "POST"),
        (Some(_), "PUT") => me::mark_read(account, request, login, now_s).await,
        (Some(_), _) => me::not_allowed(method, path, "PUT"),
        (None, "PUT") => me::add_favourite(account, request, login, now_ms).await,
        (None, "DELETE") => me::remove_favourite(account, request, login, now_ms).await,
        (None, _) => me::not_allowed(method, path, "PUT, DELETE"),
    }
}

/// Answers `path` when it is one of the account routes.
pub async fn answer(
    account: &AccountRoutes,
    request: &Request,
    path: &str,
    now_ms: i64,
) -> Option<Response<Body>> {
    let method = request.method().as_str();
    let now_s = now_ms / 1000;
    let response = match (method, path) {
        ("GET", "/auth/login") => login::start(account, request, now_s).await,
        ("GET", "/auth/callback") => login::callback(account, request, now_ms).await,
        ("POST", "/auth/logout") => login::logout(account, request, now_s).await,
        ("GET", "/api/me") => me::me(account, request, now_s).await,
        ("POST", "/api/ws-ticket") => me::ticket(account, request, now_s).await,
        ("POST", "/api/overlay/ticket") => overlay::ticket(account, request, now_ms).await,
        ("POST", "/api/overlay/shown") => overlay::shown(account, request, now_ms).await,
        (_, "/api/overlay/ticket" | "/api/overlay/shown") => me::not_allowed(method, path, "POST"),
        (_, p) if p.starts_with(FAVOURITES) => favourite(account, request, method, p, now_ms).await,
        (_, "/auth/login" | "/auth/callback") => me::not_allowed(method, path, "GET"),
        (_, "/auth/logout" | "/api/ws-ticket") => me::not_allowed(method, path, "POST"),
        (_, "/api/me") => me::not_allowed(method, path, "GET"),
        _ => return None,
    };
    Some(response)
}

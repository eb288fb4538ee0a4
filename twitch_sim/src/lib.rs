//! A Twitch simulator for the local stack and the tests of what calls Twitch:
//! app and user tokens (`/oauth2`), Get Users, Get Streams and EventSub
//! subscription management (`/helix`), with rate-limit headers, injected
//! failures, the signed callback challenge and signed notifications, retried
//! and revoked as its stated model says, outages, a ledger of what it
//! generated and the Helix reads that look back on it, following Twitch's
//! documentation (<https://dev.twitch.tv/docs/eventsub/> and
//! <https://dev.twitch.tv/docs/api/reference/>).
//!
//! - [`config`]: its settings, and its model of Twitch's retries ([`RetryModel`]).
//! - [`state`]: what the simulator remembers (tokens, grants, subscriptions, counters).
//! - [`gate`]: request counting, held requests, injected failures, Helix auth
//!   (app and user tokens) and rate limiting.
//! - [`random`]: seeded, dependency-free pseudo-randomness.
//! - [`ratelimit`]: the per-client token bucket behind the `Ratelimit-*` headers.
//! - [`params`]: query strings and form bodies with repeated keys; opaque cursors.
//! - [`oauth`]: `POST /oauth2/token` (client credentials) and `GET /oauth2/validate`.
//! - [`login`]: the user side of id.twitch.tv: the authorize page, code and
//!   refresh grants, revoke, userinfo, the key set and RS256 ID tokens.
//! - [`accounts`]: its books: codes waiting, users' tokens, the ID-token key.
//! - [`consent`]: its authorize page and the redirects back to the client.
//! - [`users`]: `GET /helix/users` over a deterministic population.
//! - [`streams`]: `GET /helix/streams` over live channels whose viewers drift.
//! - [`eventsub`]: `POST`, `GET`, `DELETE /helix/eventsub/subscriptions` (the catalog's types).
//! - [`payload`]: realistic `event` objects for each type.
//! - [`delivery`]: signed challenges, notifications, redeliveries and revocations.
//! - [`traffic`]: a background stream of notifications at a given rate.
//! - [`retries`]: unacknowledged notifications retried; failures end in revocation.
//! - [`outage`]: `POST /sim/outage`, callbacks unreachable for a while.
//! - [`ledger`]: `GET /sim/ledger`, every event generated per broadcaster.
//! - [`history`]: the followers, subscribers, archives and redemptions the generated events left.
//! - [`followers`]: `GET /helix/channels/followers` from that history.
//! - [`subscribers`]: `GET /helix/subscriptions` from that history.
//! - [`videos`]: `GET /helix/videos`, the archives of the generated streams.
//! - [`rewards`]: Get Custom Reward and its redemptions, from the generated ones.

pub mod accounts;
pub mod config;
pub mod consent;
pub mod delivery;
pub mod eventsub;
pub mod followers;
pub mod gate;
pub mod history;
pub mod ledger;
pub mod login;
pub mod oauth;
pub mod outage;
pub mod params;
pub mod payload;
pub mod random;
pub mod ratelimit;
pub mod retries;
pub mod rewards;
pub mod state;
pub mod streams;
pub mod subscribers;
pub mod traffic;
pub mod users;
pub mod videos;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::routing::{get, post};
use axum::{middleware, Router};
use tokio::time::Instant;

pub use config::{RetryModel, SimConfig};
pub use state::SimSubscription;

use state::{Injected, State};

/// The header the simulator's control routes require. A web page cannot
/// send a custom header to loopback without a CORS preflight, which is never
/// granted: so no page the user visits can drive the simulator.
pub const CONTROL_HEADER: &str = "x-sim-control";

/// Refuses a control request without [`CONTROL_HEADER`] (403).
pub async fn control_only(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    if request.headers().contains_key(CONTROL_HEADER) {
        next.run(request).await
    } else {
        gate::helix_error(
            axum::http::StatusCode::FORBIDDEN,
            "simulator controls need the x-sim-control header",
        )
    }
}

/// A failure to inject into the next requests on a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 429 with `Ratelimit-Remaining: 0` and a reset this many seconds ahead.
    RateLimited { reset_in_secs: u64 },
    /// This status with a Twitch-shaped error body (e.g. 500, 503).
    Status(u16),
}

/// A request held at the simulator's door ([`Sim::hold_next`]); dropping
/// the handle lets it through too.
pub struct Hold {
    arrived: tokio::sync::oneshot::Receiver<()>,
    release: tokio::sync::oneshot::Sender<()>,
}

impl Hold {
    /// Waits until the held request has arrived (and is waiting).
    pub async fn arrived(&mut self) {
        // The sender lives in the simulator's state until the request comes.
        let _ = (&mut self.arrived).await;
    }

    /// Lets the held request through.
    pub fn release(self) {
        let _ = self.release.send(());
    }
}

/// Why a simulator control could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("no subscription {0}")]
    UnknownSubscription(String),
    #[error("subscription {id} is {status}; only enabled subscriptions get notifications")]
    NotEnabled { id: String, status: String },
    #[error("no remembered message {0}")]
    UnknownMessage(String),
    #[error("the subscription's secret cannot sign: {0}")]
    Secret(#[from] shared::config::ConfigError),
    #[error("the callback could not be reached: {0}")]
    Callback(#[from] reqwest::Error),
    #[error("the callback is unreachable (a simulated outage)")]
    Unreachable,
}

/// The simulator: shared by its routes, its background tasks and the test.
pub struct Sim {
    config: SimConfig,
    // A std mutex: every critical section is short and none spans an await.
    state: Mutex<State>,
    live: streams::Population,
    http: reqwest::Client,
    started: Instant,
    /// Milliseconds added to the simulator's clock by [`Sim::advance_clock`].
    skew_ms: AtomicU64,
    /// Users' tokens and the ID-token signing key.
    accounts: accounts::Accounts,
    /// Itself, for the background tasks its methods start (retries).
    me: Weak<Sim>,
}

impl Sim {
    /// A simulator with no tokens, grants or subscriptions yet.
    pub fn new(config: SimConfig) -> Arc<Sim> {
        // Twitch does not follow redirects and gives up on slow callbacks.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .no_proxy()
            .build()
            .unwrap_or_default();
        Arc::new_cyclic(|me| Sim {
            me: me.clone(),
            live: streams::Population::new(config.live_streams, config.seed),
            config,
            state: Mutex::new(State::default()),
            http,
            started: Instant::now(),
            skew_ms: AtomicU64::new(0),
            accounts: accounts::Accounts::new(),
        })
    }

    /// Routes mounted at the root: `/oauth2/*`, `/helix/users`,
    /// `/helix/streams`, `/helix/eventsub/subscriptions`,
    /// `/helix/channels/followers`, `/helix/subscriptions`, `/helix/videos`,
    /// `/helix/channel_points/custom_rewards[/redemptions]` and the `/sim/*` controls.
    pub fn routes(self: &Arc<Self>) -> Router {
        let helix = Router::new()
            .route("/users", get(users::get_users))
            .route("/streams", get(streams::get_streams))
            .route("/channels/followers", get(followers::get_followers))
            .route("/subscriptions", get(subscribers::get_subscriptions))
            .route("/videos", get(videos::get_videos))
            .route("/channel_points/custom_rewards", get(rewards::get_rewards))
            .route(
                "/channel_points/custom_rewards/redemptions",
                get(rewards::get_redemptions),
            )
            .route(
                "/eventsub/subscriptions",
                post(eventsub::create)
                    .get(eventsub::list)
                    .delete(eventsub::delete),
            )
            .fallback(gate::not_found)
            .layer(middleware::from_fn_with_state(
                Arc::clone(self),
                gate::helix,
            ));
        Router::new()
            .route("/oauth2/token", post(oauth::token))
            .route("/oauth2/validate", get(oauth::validate))
            .route("/oauth2/authorize", get(login::authorize))
            .route("/oauth2/revoke", post(login::revoke))
            .route("/oauth2/userinfo", get(login::userinfo))
            .route("/oauth2/keys", get(login::keys))
            .route(
                "/oauth2/.well-known/openid-configuration",
                get(login::discovery),
            )
            .route(
                "/sim/users/{id}/disconnect",
                post(login::disconnect).layer(middleware::from_fn(control_only)),
            )
            .route("/sim/avatars/{file}", get(login::avatar))
            .route(
                "/sim/outage",
                post(outage::post_outage).layer(middleware::from_fn(control_only)),
            )
            .route(
                "/sim/ledger",
                get(ledger::get_ledger).layer(middleware::from_fn(control_only)),
            )
            .nest("/helix", helix)
            .layer(middleware::from_fn_with_state(
                Arc::clone(self),
                gate::observe,
            ))
            .with_state(Arc::clone(self))
    }

    /// Serves the simulator on 127.0.0.1:0 in a background task; returns its
    /// base URL (Helix is under `/helix`, OAuth under `/oauth2`).
    pub async fn spawn(self: &Arc<Self>) -> std::io::Result<String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let app = self.routes();
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(error = %e, "twitch simulator stopped");
            }
        });
        Ok(base)
    }

    /// Records that `user_id` granted our client these scopes (adds to earlier grants).
    pub fn authorize(&self, user_id: &str, scopes: &[&str]) {
        let mut state = self.state();
        let granted = state.grants.entry(user_id.to_owned()).or_default();
        granted.extend(scopes.iter().map(|s| (*s).to_owned()));
    }

    /// The user disconnects our app at Twitch: their tokens die and their
    /// grants are forgotten. Returns how many access tokens died.
    pub fn disconnect_user(&self, user_id: &str) -> usize {
        self.state().grants.remove(user_id);
        self.accounts.disconnect(user_id)
    }

    /// [`Sim::disconnect_user`], then what Twitch sends: a signed
    /// `user.authorization.revoke` to every enabled subscription of that
    /// type for our client. Returns how many access tokens died.
    pub async fn disconnect_and_notify(&self, user_id: &str) -> usize {
        let killed = self.disconnect_user(user_id);
        let targets: Vec<String> = self
            .subscriptions()
            .into_iter()
            .filter(|s| s.kind == "user.authorization.revoke" && s.status.is_working())
            .map(|s| s.id)
            .collect();
        for id in targets {
            let event = serde_json::json!({
                "client_id": self.config.client_id,
                "user_id": user_id,
                "user_login": users::login(user_id),
                "user_name": users::display_name(user_id),
            });
            if let Err(e) = self.deliver_event(&id, Some(event)).await {
                tracing::warn!(error = %e, "could not deliver a user.authorization.revoke");
            }
        }
        killed
    }

    /// Live user access tokens of `user_id` (a test's view of logout).
    pub fn user_tokens(&self, user_id: &str) -> usize {
        self.accounts.live_tokens(user_id, self.now())
    }

    /// Makes every app token issued so far answer 401.
    pub fn invalidate_tokens(&self) {
        self.state().tokens.clear();
    }

    /// Answers the next `count` requests whose path starts with `path_prefix` with `failure`.
    pub fn fail_next(&self, path_prefix: &str, failure: Failure, count: u32) {
        self.state().failures.push(Injected {
            path_prefix: path_prefix.to_owned(),
            failure,
            remaining: count,
        });
    }

    /// Holds the next `method` request whose path starts with `path_prefix`
    /// at the door, before it is served, until [`Hold::release`]: how a test
    /// forces an interleaving instead of hoping for it.
    pub fn hold_next(&self, method: &str, path_prefix: &str) -> Hold {
        let (arrived_tx, arrived) = tokio::sync::oneshot::channel();
        let (release, release_rx) = tokio::sync::oneshot::channel();
        self.state().holds.push(state::Held {
            method: method.to_owned(),
            path_prefix: path_prefix.to_owned(),
            arrived: arrived_tx,
            release: release_rx,
        });
        Hold { arrived, release }
    }

    /// Every subscription, oldest first, as the simulator holds it.
    pub fn subscriptions(&self) -> Vec<SimSubscription> {
        self.state().oldest_first().into_iter().cloned().collect()
    }

    /// Plants a subscription as is: no validation, no 409, no challenge.
    pub fn insert_subscription(&self, sub: SimSubscription) {
        self.state().subscriptions.push(sub);
    }

    /// Sets a subscription's status (e.g. `authorization_revoked`); unknown ids are ignored.
    pub fn set_status(&self, id: &str, status: &str) {
        if let Some(sub) = self.state().subscription_mut(id) {
            sub.status = shared::eventsub::status::Status::from(status);
        }
    }

    /// How many request counters and pending authorization codes the
    /// simulator holds (what a flood of plain GETs could grow).
    pub fn tables(&self) -> (usize, usize) {
        (self.state().requests.len(), self.accounts.pending_codes())
    }

    /// How many requests have hit paths starting with `path_prefix`.
    pub fn requests(&self, path_prefix: &str) -> usize {
        self.state()
            .requests
            .iter()
            .filter(|(path, _)| path.starts_with(path_prefix))
            .map(|(_, n)| n)
            .sum()
    }

    /// Moves the simulator's clock forward: viewer drift, token expiry and
    /// bucket refill see the time pass; message timestamps stay wall-clock.
    pub fn advance_clock(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.skew_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// The configuration the simulator runs with.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock must not take every
        // later request down with it; the state itself stays consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The simulator's monotonic clock (real time plus any advance).
    fn now(&self) -> Instant {
        Instant::now() + Duration::from_millis(self.skew_ms.load(Ordering::Relaxed))
    }

    /// Seconds since the simulator started, on its own clock.
    fn elapsed_secs(&self) -> f64 {
        (self.now() - self.started).as_secs_f64()
    }

    /// Unix seconds on the simulator's clock, for `Ratelimit-Reset`.
    fn epoch_secs(&self) -> u64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        wall + self.skew_ms.load(Ordering::Relaxed) / 1000
    }
}

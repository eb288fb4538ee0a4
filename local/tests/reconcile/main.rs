//! The subscription manager against the Twitch simulator, with the local
//! stack's real webhook as the callback: a fresh streamer, duplicates and
//! orphans, 409, 429, 401, authorizations, a callback that fails
//! verification, revocations, untracking and idle release, and the admin
//! routes, two managers at once (leases), and the open-gap pass, the app's
//! gaps and a stop of the stack (coverage_pass). The world and its helpers are here; the tests are in one module
//! per concern, all one test binary (each binary links the whole stack).

#[path = "../support/mod.rs"]
mod support;

mod admin_routes;
mod authorization;
mod budget;
mod coverage_pass;
mod fresh;
mod leases;
mod moving;
mod release;
mod revocations;
mod sweeps;
mod twitch_errors;
mod users;
mod verification;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::routing::post;
use axum::Router;
use eventsub_manager::admin::{self, AdminRequest, AdminResponse};
use eventsub_manager::apply::{Outcome, Target};
use eventsub_manager::manager::{Manager, StreamerRef, SweepReport};
use eventsub_manager::plan::MAX_RECREATE;
use serde_json::{json, Value};
use shared::clock::now_ms;
use shared::config::EventSubSecret;
use shared::eventsub::catalog::kind;
use shared::helix::config::ClientSecret;
use shared::helix::eventsub::{Created, NewSubscription};
use shared::helix::{Helix, HelixConfig};
use shared::store::coverage::{GapState, GapStore};
use shared::store::leases::LeaseStore;
use shared::store::sqlite::SqliteStore;
use shared::store::streamers::{Streamer, StreamerStore, TypeState, Wish};
use shared::store::SubscriptionStore;
use support::wait_until;
use time::OffsetDateTime;
use twitch_sim::{Failure, Sim, SimConfig, SimSubscription};

const SECRET: &str = "reconcile-tests-eventsub-secret";
const STREAMER: &str = "1337";
const LOGIN: &str = "user1337";
/// A streamer nobody tracks.
const STRANGER: &str = "4242";
const ADMIN_TOKEN: &str = "an-admin-token-for-the-tests";
/// Another deployment's webhook (same client id).
const OTHER_CALLBACK: &str = "https://other.example/eventsub";
const SUBSCRIPTIONS: &str = "/helix/eventsub/subscriptions";
const PENDING: &str = "webhook_callback_verification_pending";
const HOUR_MS: i64 = 3_600_000;
/// The types an app token may create for anyone's channel.
const OPEN: [&str; 4] = [
    "channel.raid",
    "channel.update",
    "stream.offline",
    "stream.online",
];

fn secret() -> EventSubSecret {
    EventSubSecret::new(SECRET).unwrap()
}

/// The simulator, the stack serving the webhook on the same store, and a
/// manager that subscribes to `callback`; the stack runs until dropped.
struct World {
    sim: Arc<Sim>,
    store: Arc<SqliteStore>,
    manager: Manager,
    callback: String,
    /// Where the simulator serves, for a second manager.
    base: String,
    _stack: support::Running,
}

async fn world() -> World {
    world_with(None, HOUR_MS).await
}

/// A world whose subscriptions deliver to `callback` (default: the stack's
/// `/eventsub`) and whose sweep releases streamers idle for `release_after_ms`.
async fn world_with(callback: Option<String>, release_after_ms: i64) -> World {
    let sim = SimConfig {
        live_streams: 10,
        viewer_drift: false,
        ..SimConfig::default()
    };
    let reserve = shared::config::Budgets::default().eventsub_reserve_percent;
    world_of(sim, callback, release_after_ms, reserve).await
}

/// [`world_with`] over a simulator configured as `sim`, the manager keeping
/// `reserve_percent` of the EventSub budget for streamers already tracked.
async fn world_of(
    sim: SimConfig,
    callback: Option<String>,
    release_after_ms: i64,
    reserve_percent: u32,
) -> World {
    let stack = support::local_stack(secret(), None).await;
    let (store, addr) = (stack.store.clone(), stack.addr);

    let sim = Sim::new(sim);
    let base = sim.spawn().await.unwrap();
    let callback = callback.unwrap_or_else(|| format!("http://{addr}/eventsub"));
    let target = Target {
        callback: callback.clone(),
        former_callbacks: Vec::new(),
        secret: secret(),
        reserve_percent,
    };
    let manager = manager_for(&base, &sim, target, store.clone(), store.clone())
        .release_after_ms(release_after_ms);
    World {
        sim,
        store,
        manager,
        callback,
        base,
        _stack: stack,
    }
}

/// A manager of its own (its own Helix client and token, as another Lambda
/// instance would have) over the simulator at `base`, `store` and `leases`.
fn manager_at(
    base: &str,
    sim: &Sim,
    callback: &str,
    store: Arc<SqliteStore>,
    leases: Arc<dyn LeaseStore>,
) -> Manager {
    let target = Target {
        callback: callback.to_owned(),
        former_callbacks: Vec::new(),
        secret: secret(),
        reserve_percent: shared::config::Budgets::default().eventsub_reserve_percent,
    };
    manager_for(base, sim, target, store, leases)
}

/// [`manager_at`] delivering to `target`.
fn manager_for(
    base: &str,
    sim: &Sim,
    target: Target,
    store: Arc<SqliteStore>,
    leases: Arc<dyn LeaseStore>,
) -> Manager {
    let helix = Helix::new(HelixConfig::at(
        &format!("{base}/helix"),
        &format!("{base}/oauth2"),
        &sim.config().client_id,
        ClientSecret::new(sim.config().client_secret.clone()),
    ))
    .unwrap();
    Manager::new(
        Arc::new(helix),
        target,
        store.clone(),
        store.clone(),
        leases,
    )
    .with_gaps(store.clone())
    .with_deliveries(store)
}

/// A callback that answers every POST 200 "nope": never the challenge.
async fn refusing_callback() -> String {
    let app = Router::new().route("/eventsub", post(|| async { "nope" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/eventsub", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// A subscription to plant on the simulator as is.
fn planted(kind_name: &str, version: &str, condition: Value, callback: &str) -> SimSubscription {
    SimSubscription::new(kind_name, version, condition, callback, SECRET)
}

/// The catalog's condition for `kind_name` about `broadcaster`, as JSON.
fn condition(kind_name: &str, broadcaster: &str) -> Value {
    let k = kind(kind_name).unwrap();
    serde_json::to_value(k.condition(broadcaster)).unwrap()
}

fn needs_authorization(scopes: &[&str], from: &str) -> TypeState {
    TypeState::NeedsAuthorization {
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        from: from.into(),
    }
}

impl World {
    /// Our subscriptions (our callback) about `broadcaster`, oldest first.
    fn ours(&self, broadcaster: &str) -> Vec<SimSubscription> {
        self.sim
            .subscriptions()
            .into_iter()
            .filter(|s| s.callback == self.callback && s.user_ids().any(|u| u == broadcaster))
            .collect()
    }

    /// Ids of our subscriptions of one type about the streamer.
    fn ours_of(&self, kind_name: &str) -> Vec<String> {
        self.ours(STREAMER)
            .into_iter()
            .filter(|s| s.kind == kind_name)
            .map(|s| s.id)
            .collect()
    }

    /// Our subscription of each type about the streamer, by type.
    fn ours_by_kind(&self) -> BTreeMap<String, String> {
        self.ours(STREAMER)
            .into_iter()
            .map(|s| (s.kind, s.id))
            .collect()
    }

    /// Waits until Twitch has challenged every one of ours about the streamer.
    async fn challenged(&self) {
        wait_until("no subscription of ours is pending verification", || {
            self.ours(STREAMER).iter().all(|s| s.status != PENDING)
        })
        .await;
    }

    async fn want(&self, id: &str, at_ms: i64) {
        self.store
            .want(&Wish {
                broadcaster_id: id.into(),
                login: None,
                by: "test".into(),
                at_ms,
            })
            .await
            .unwrap();
    }

    async fn track(&self) -> Streamer {
        self.manager
            .track(&StreamerRef::Id(STREAMER.into()), "test", now_ms())
            .await
            .unwrap_or_else(|e| panic!("tracking failed: {e}"))
    }

    async fn reconcile(&self) -> Outcome {
        self.manager
            .reconcile_one(STREAMER, now_ms())
            .await
            .unwrap_or_else(|e| panic!("reconcile failed: {e}"))
    }

    async fn stored(&self, id: &str) -> Streamer {
        self.store.streamer(id).await.unwrap().unwrap()
    }

    async fn stored_states(&self) -> BTreeMap<String, TypeState> {
        self.stored(STREAMER)
            .await
            .types
            .into_iter()
            .map(|(k, r)| (k, r.state))
            .collect()
    }

    async fn admin(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> AdminResponse {
        let req = AdminRequest {
            method: method.into(),
            path: path.into(),
            authorization: token.map(|t| format!("Bearer {t}")),
            body: body.into(),
        };
        admin::route(&self.manager, ADMIN_TOKEN, &req, now_ms()).await
    }
}

/// The sweep reports the account's budget as Twitch listed it (the alarm's source).
fn assert_budget_listed(report: &SweepReport) {
    let budget = report
        .budget
        .unwrap_or_else(|| panic!("the list carries the budget"));
    assert!(
        budget.max_total_cost > 0 && budget.total_cost <= budget.max_total_cost,
        "{budget:?}"
    );
}

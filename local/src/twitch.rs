//! The Twitch side of the local stack: the simulator (or real Twitch), the
//! subscription manager driven by the store's streamer changes (the local
//! stand-in for the streamers table's stream) and a periodic sweep, and the
//! admin routes.

use shared::clock::now_ms;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use eventsub_manager::admin::{self, AdminRequest};
use eventsub_manager::apply::Target;
use eventsub_manager::manager::{release_after_ms_from_env, Manager};
use shared::config::{Budgets, EventSubSecret};
use shared::helix::config::ClientSecret;
use shared::helix::{Helix, HelixConfig};
use shared::store::sqlite::SqliteStore;

use crate::heartbeat::StopRule;
use twitch_sim::{Sim, SimConfig};

/// Which Twitch the stack talks to.
pub enum Twitch {
    /// The built-in simulator, served by the stack itself.
    Sim(SimConfig),
    /// Real Twitch: app credentials and a public HTTPS callback that reaches
    /// this stack's `/eventsub`.
    Real {
        client_id: String,
        client_secret: ClientSecret,
        callback: String,
    },
}

/// The running Twitch side.
pub struct LocalTwitch {
    pub manager: Arc<Manager>,
    /// The user side of Twitch's OAuth (log in with Twitch).
    pub login: Arc<shared::helix::login::Login>,
    pub sim: Option<Arc<Sim>>,
    pub admin_token: String,
    /// Which stop of the stack is a coverage fact: down past this Twitch's
    /// retry window (`crate::heartbeat`).
    pub stop_rule: StopRule,
}

impl LocalTwitch {
    /// Builds the Twitch side for a stack answering at `base` (`http://host:port`).
    pub fn new(
        twitch: Twitch,
        base: &str,
        secret: EventSubSecret,
        store: Arc<SqliteStore>,
        admin_token: String,
    ) -> anyhow::Result<Self> {
        // The simulator states its retry window; Twitch documents none, so
        // with it every stop longer than a beat counts.
        let retry_window = match &twitch {
            Twitch::Sim(config) => config.retries.window(),
            Twitch::Real { .. } => Duration::ZERO,
        };
        let (config, callback, sim) = match twitch {
            Twitch::Sim(mut config) => {
                // The stack's own callback is registered, by either name a
                // browser may use for loopback.
                let port = base.rsplit(':').next().unwrap_or_default();
                config.callbacks = Some(vec![format!("{base}/eventsub")]);
                config.redirect_uris.extend([
                    format!("{base}/auth/callback"),
                    format!("http://localhost:{port}/auth/callback"),
                ]);
                let helix = HelixConfig::at(
                    &format!("{base}/helix"),
                    &format!("{base}/oauth2"),
                    &config.client_id,
                    ClientSecret::new(config.client_secret.clone()),
                );
                (helix, format!("{base}/eventsub"), Some(Sim::new(config)))
            }
            Twitch::Real {
                client_id,
                client_secret,
                callback,
            } => (
                HelixConfig::twitch(&client_id, client_secret),
                callback,
                None,
            ),
        };
        let helix = Arc::new(Helix::new(config)?);
        let login = Arc::new(shared::helix::login::Login::new(Arc::clone(&helix)));
        let manager = Manager::new(
            helix,
            Target {
                callback,
                former_callbacks: Vec::new(),
                secret,
                reserve_percent: Budgets::read_or_default().eventsub_reserve_percent,
            },
            store.clone(),
            store.clone(),
            store.clone(),
        )
        .release_after_ms(release_after_ms_from_env()?)
        .with_gaps(store.clone())
        .with_deliveries(store.clone())
        .with_users(store);
        Ok(Self {
            manager: Arc::new(manager),
            login,
            sim,
            admin_token,
            stop_rule: StopRule { retry_window },
        })
    }

    /// Reconciles each streamer whose wanted state changed, as it changes,
    /// sweeps every `sweep_every`, and passes over the streamers with an
    /// open coverage gap every `gap_pass_every` (AWS: the one-minute schedule).
    pub fn spawn_manager(
        &self,
        store: &SqliteStore,
        sweep_every: Duration,
        gap_pass_every: Duration,
    ) {
        let manager = Arc::clone(&self.manager);
        let mut changes = store.streamer_changes();
        tokio::spawn(async move {
            let mut sweep = tokio::time::interval(sweep_every);
            sweep.tick().await; // the first tick is immediate: nothing to sweep yet
            let mut gap_pass = tokio::time::interval(gap_pass_every);
            gap_pass.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    change = changes.recv() => match change {
                        Ok(id) => {
                            if let Err(e) = manager.reconcile_one(&id, now_ms()).await {
                                tracing::warn!(broadcaster = %id, error = %e, "reconcile failed; the sweep retries");
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                            tracing::warn!(skipped = n, "streamer changes fell behind; sweeping");
                            let _ = manager.sweep(now_ms()).await;
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    },
                    _ = gap_pass.tick() => match manager.gap_pass(now_ms()).await {
                        Ok(r) if r.reconciled + r.failed > 0 => tracing::info!(open = r.open, reconciled = r.reconciled, failed = r.failed, "open-gap pass"),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "open-gap pass failed"),
                    },
                    _ = sweep.tick() => match manager.sweep(now_ms()).await {
                        Ok(r) => tracing::info!(reconciled = r.reconciled, released = r.released, orphans = r.orphans_deleted, "sweep"),
                        Err(e) => tracing::warn!(error = %e, "sweep failed"),
                    },
                }
            }
        });
    }

    /// Runs the poller in `mode` every `every` (the schedule's part).
    pub fn spawn_poller(&self, store: Arc<SqliteStore>, mode: poller::Mode, every: Duration) {
        let poller = poller::Poller::new(
            Arc::clone(&self.manager.helix),
            store.clone(),
            store.clone(),
            store,
        )
        .write_concurrency(4)
        .lease_ms(every.as_millis().max(60_000) as i64 * 2);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match poller.run(mode).await {
                    Ok(s) => tracing::info!(
                        mode = %s.mode, outcome = %s.outcome, pages = s.pages, streams = s.streams,
                        transitions = s.transitions, ms = s.duration_ms, "poll"
                    ),
                    Err(e) => tracing::warn!(error = %e, "poll failed"),
                }
            }
        });
    }

    /// `/admin/streamers` (and the simulator's `/helix` and `/oauth2`).
    pub fn routes(self: &Arc<Self>) -> Router {
        let admin = Router::new()
            .route("/admin/streamers", get(admin_route).post(admin_route))
            .route("/admin/streamers/{id}", delete(admin_route))
            .with_state(Arc::clone(self));
        match &self.sim {
            Some(sim) => admin.merge(sim.routes()).merge(
                Router::new()
                    .route(
                        "/sim/deliver",
                        axum::routing::post(sim_deliver)
                            .layer(axum::middleware::from_fn(twitch_sim::control_only)),
                    )
                    .with_state(Arc::clone(sim)),
            ),
            None => admin,
        }
    }
}

async fn admin_route(
    State(side): State<Arc<LocalTwitch>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = AdminRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let answer = admin::route(&side.manager, &side.admin_token, &req, now_ms()).await;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(answer.body)).into_response()
}

/// `POST /sim/deliver?type=<type>&broadcaster=<id>`: the simulator sends a
/// notification for its enabled subscription of that type about that
/// streamer (its real subscription id, signed with its secret). What the
/// trigger command's `--via-sim` calls.
async fn sim_deliver(
    State(sim): State<Arc<Sim>>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let (Some(kind), Some(broadcaster)) = (q.get("type"), q.get("broadcaster")) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": "invalid_request", "message": "type and broadcaster are required"})),
        )
            .into_response();
    };
    let found = sim.subscriptions().into_iter().find(|s| {
        &s.kind == kind
            && s.status == shared::eventsub::status::Status::Enabled
            && s.user_ids().any(|u| u == broadcaster)
    });
    let Some(sub) = found else {
        return (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": "no_subscription", "message": format!("no live {kind} subscription about {broadcaster}: track the streamer first (and authorize the type if it needs it)")})),
        )
            .into_response();
    };
    match sim.deliver(&sub.id).await {
        Ok((status, message_id)) => Json(serde_json::json!({
            "subscription_id": sub.id, "message_id": message_id, "callback_status": status,
        }))
        .into_response(),
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            Json(serde_json::json!({"error": "delivery_failed", "message": e.to_string()})),
        )
            .into_response(),
    }
}

//! The Lambda entry: one function, three triggers, told apart by shape.
//!
//! - DynamoDB stream of the streamers table: reconcile the streamers whose
//!   wanted state or scopes changed, or one of whose types just opened a
//!   coverage gap, right away (a refreshed "last watched" alone does not
//!   cost a Twitch call). Partial-batch failures: a streamer
//!   another instance is reconciling (its lease is held, see
//!   [`crate::lease`]) fails its record, and Lambda retries it.
//! - EventBridge schedule: the sessions' and grants' hourly validation
//!   (each broadcaster whose grant validated gets their subscriber list
//!   kept, Get Broadcaster Subscriptions, unless a subscription-type gap of
//!   theirs is unsettled), then the full sweep, both under the sweep lease (`"skipped": true`, neither done,
//!   while another instance's sweep runs).
//! - The one-minute schedule whose input is `{"pass": "open_gaps"}`: the
//!   open-gap pass (`manager/gap_pass.rs`), with the open-gaps metrics; then
//!   a recovery run over the gaps that are recovering (its own bounded
//!   Helix budget), so what a gap missed is read back within a minute of
//!   its end.
//! - HTTP API (payload 2.0): the admin routes (503 `busy` when the streamer's
//!   lease stays held). An anonymous request is answered 401 before any
//!   store or Twitch call.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::dynamodb::Event as StreamBatch;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use shared::aws::deferred::{Deferred, Unavailable};
use shared::clock::now_ms;
use shared::store::dynamo::changed_streamer;

use crate::admin::{self, AdminRequest};
use crate::manager::{GapPassReport, Manager, SweepReport};

/// The `pass` the one-minute schedule's input names (template.yaml).
pub const GAP_PASS_INPUT: &str = "open_gaps";

/// What the function needs besides the manager.
pub struct Settings {
    pub admin_token: String,
    /// The hourly validation of users' sessions and broadcasters' grants,
    /// run with each sweep; `None` when login is not configured.
    pub sessions: Option<SessionSweep>,
    /// Recovery from Helix of what the gaps that are `recovering` missed,
    /// run after each open-gap pass ([`recover`]); `None`: not configured.
    pub recovery: Option<shared::recovery::Recoverer>,
}

/// One recovery run (a bounded number of Helix calls), its report as the
/// invocation answers it; `None` when recovery is not configured. One call,
/// so that it can run wherever the schedule wants it.
pub async fn recover(settings: &Settings, now_ms: i64) -> Option<Value> {
    let recoverer = settings.recovery.as_ref()?;
    Some(match recoverer.run(now_ms).await {
        Ok(report) => json!(report),
        Err(e) => {
            tracing::error!(error = %e, "recovery run failed");
            json!({"error": e.to_string()})
        }
    })
}

/// What validating sessions' and broadcasters' grants' Twitch tokens needs.
pub struct SessionSweep {
    pub users: std::sync::Arc<dyn shared::store::users::SessionStore>,
    /// Broadcasters' grants, validated (refreshed or deleted) with the sessions.
    pub grants: std::sync::Arc<dyn shared::store::grants::GrantStore>,
    pub login: shared::helix::login::Login,
    pub seal: shared::auth::seal::SealKey,
    /// Takes each validated broadcaster's subscriber list (the baseline a
    /// `channel.subscribe` gap is diffed against); `None`: not kept.
    pub lists: Option<shared::recovery::baseline::ListKeeper>,
}

/// One invocation, by the shape of its payload.
#[derive(Debug, Deserialize)]
#[serde(try_from = "Value")]
pub enum Trigger {
    /// An HTTP API (payload 2.0) request to the admin routes.
    Admin(Box<ApiGatewayV2httpRequest>),
    /// A batch of the streamers table's stream.
    Stream(StreamBatch),
    /// The EventBridge schedule of the sweep.
    Schedule(EventBridgeEvent),
    /// The one-minute schedule of the open-gap pass (its input names it).
    GapPass,
    /// Anything else: answered with an error, never retried.
    Unknown,
}

impl TryFrom<Value> for Trigger {
    type Error = serde_json::Error;

    // The request types default every field, so an untagged enum would take
    // any payload for an HTTP request: the shape decides, then the type parses.
    fn try_from(event: Value) -> Result<Self, Self::Error> {
        if event.pointer("/requestContext/http").is_some() {
            return serde_json::from_value(event).map(|r| Self::Admin(Box::new(r)));
        }
        if event["Records"].is_array() {
            return serde_json::from_value(event).map(Self::Stream);
        }
        if event["pass"] == GAP_PASS_INPUT {
            return Ok(Self::GapPass);
        }
        if event["source"] == "aws.events" || event["detail-type"] == "Scheduled Event" {
            return serde_json::from_value(event).map(Self::Schedule);
        }
        Ok(Self::Unknown)
    }
}

/// One invocation once the state is built. Until it can be, an admin
/// request is answered 503 and a stream batch or a sweep fails (Lambda
/// retries the batch; the next schedule sweeps).
pub async fn serve(
    state: &Deferred<(Manager, Settings)>,
    trigger: Trigger,
) -> Result<Value, Unavailable> {
    match (state.get().await, trigger) {
        (Ok((m, settings)), trigger) => Ok(handle(m, settings, trigger).await),
        (Err(unavailable), Trigger::Admin(_)) => Ok(http_response(
            503,
            &json!({"error": "unavailable", "message": unavailable.to_string()}),
        )),
        (Err(unavailable), _) => Err(unavailable),
    }
}

/// Handles one invocation.
pub async fn handle(m: &Manager, settings: &Settings, trigger: Trigger) -> Value {
    match trigger {
        Trigger::Admin(request) => http(m, settings, *request).await,
        Trigger::Stream(batch) => stream(m, batch).await,
        Trigger::Schedule(_) => {
            // Sessions and grants first: Twitch audits the hourly
            // validation, and the streamer sweep can take the rest of the
            // invocation. All under the sweep lease: two validations at once
            // would race on the same refresh tokens.
            let sessions = async {
                let s = settings.sessions.as_ref()?;
                let now_s = now_ms() / 1000;
                let sessions =
                    shared::sessions::validate_due(s.users.as_ref(), &s.login, &s.seal, now_s)
                        .await;
                let lists = s.lists.as_ref().map(|l| l as &dyn shared::grants::OnValid);
                let grants = shared::grants::validate_due(
                    s.grants.as_ref(),
                    &s.login,
                    &s.seal,
                    lists,
                    now_s,
                )
                .await;
                Some((reported("session", sessions), reported("grant", grants)))
            };
            let (sessions, swept) = m.sweep_after(now_ms(), sessions).await;
            let mut out = match swept {
                Ok(r) => {
                    emit_sweep_metrics(&r);
                    let mut out = json!({"skipped": r.skipped, "reconciled": r.reconciled, "released": r.released, "failed": r.failed, "busy": r.busy, "orphans_deleted": r.orphans_deleted, "app_created": r.app_created});
                    if let Some(b) = r.budget {
                        out["budget"] = json!(b);
                    }
                    out
                }
                Err(e) => {
                    tracing::error!(error = %e, "sweep failed");
                    json!({"error": e.to_string()})
                }
            };
            if let Some((sessions, grants)) = sessions.flatten() {
                if let Some(report) = sessions {
                    out["sessions"] = report;
                }
                if let Some(report) = grants {
                    out["grants"] = report;
                }
            }
            out
        }
        Trigger::GapPass => {
            let mut out = match m.gap_pass(now_ms()).await {
                Ok(r) => {
                    emit_gap_metrics(&r);
                    json!({"unsettled": r.unsettled, "open": r.open, "oldest_open_ms": r.oldest_open_ms,
                           "reconciled": r.reconciled, "failed": r.failed, "busy": r.busy})
                }
                Err(e) => {
                    tracing::error!(error = %e, "open-gap pass failed");
                    json!({"error": e.to_string()})
                }
            };
            // After the pass: the gaps it just ended are recovering now.
            if let Some(report) = recover(settings, now_ms()).await {
                out["recovery"] = report;
            }
            out
        }
        Trigger::Unknown => {
            tracing::warn!("ignored an event of unknown shape");
            json!({"error": "unknown event"})
        }
    }
}

/// A validation sweep's report as the invocation answers it; `None` (and
/// logged) when the store failed.
fn reported(
    what: &str,
    swept: Result<shared::sessions::SweepReport, shared::store::StoreError>,
) -> Option<Value> {
    match swept {
        Ok(report) => Some(json!(report)),
        Err(e) => {
            tracing::error!(error = %e, "{what} validation failed");
            None
        }
    }
}

fn emit_sweep_metrics(r: &SweepReport) {
    use shared::metrics::{count, emit, Metric, Unit};
    let mut metrics = vec![
        count("Reconciled", r.reconciled as u64),
        count("Released", r.released as u64),
        count("ReconcileFailures", r.failed as u64),
        count("ReconcileBusy", r.busy as u64),
        count("SweepsSkipped", u64::from(r.skipped)),
        count("OrphansDeleted", r.orphans_deleted as u64),
    ];
    if let Some(b) = &r.budget {
        metrics.push(count("SubscriptionCost", b.total_cost));
        metrics.push(Metric {
            name: "BudgetUsed",
            value: b.used_percent(),
            unit: Unit::Percent,
        });
    }
    emit("eventsub_manager", &[], &metrics);
}

/// The open-gaps metrics (the `OpenGapAgeAlarm` watches the age).
fn emit_gap_metrics(r: &GapPassReport) {
    use shared::metrics::{count, emit, Metric, Unit};
    let mut metrics = vec![
        count("UnsettledGaps", r.unsettled as u64),
        count("OpenGaps", r.open as u64),
    ];
    // No open gap: an age of 0, so the alarm's metric never goes missing.
    metrics.push(Metric {
        name: "OldestOpenGapAge",
        value: r.oldest_open_ms.unwrap_or(0) as f64,
        unit: Unit::Milliseconds,
    });
    emit("eventsub_manager", &[], &metrics);
}

async fn http(m: &Manager, settings: &Settings, request: ApiGatewayV2httpRequest) -> Value {
    let raw = request.body.unwrap_or_default();
    let body = if request.is_base64_encoded {
        base64::engine::general_purpose::STANDARD
            .decode(raw.as_bytes())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default()
    } else {
        raw
    };
    let req = AdminRequest {
        method: request.request_context.http.method.to_string(),
        path: request.raw_path.unwrap_or_default(),
        authorization: request
            .headers
            .get(aws_lambda_events::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body,
    };
    let answer = admin::route(m, &settings.admin_token, &req, now_ms()).await;
    http_response(answer.status, &answer.body)
}

/// An HTTP API (payload 2.0) answer with a JSON body.
fn http_response(status: u16, body: &Value) -> Value {
    json!({
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": body.to_string(),
    })
}

async fn stream(m: &Manager, batch: StreamBatch) -> Value {
    let mut failures = Vec::new();
    for record in &batch.records {
        let Some(id) = changed_streamer(record) else {
            continue;
        };
        if let Err(e) = m.reconcile_one(&id, now_ms()).await {
            tracing::warn!(broadcaster = %id, error = %e, "reconcile failed; retrying the record");
            if let Some(seq) = &record.change.sequence_number {
                failures.push(json!({"itemIdentifier": seq}));
            }
            // Lambda retries from the first failure; the rest come again.
            break;
        }
    }
    json!({"batchItemFailures": failures})
}

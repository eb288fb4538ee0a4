//! `POST`, `GET` and `DELETE /helix/eventsub/subscriptions` (<https://dev.twitch.tv/docs/api/reference/#create-eventsub-subscription>):
//! create answers 202 and then challenges the callback, list is oldest first
//! with one filter at a time, delete is 204 / 404.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use shared::config::EventSubSecret;
use shared::eventsub::status::Status;

use super::gate::helix_error;
use super::params::{self, Params};
use super::state::{SimSubscription, State as SimState};
use super::{delivery, users, Sim};
use shared::eventsub::catalog::{self, Kind};

/// Subscriptions allowed with one type, version and condition, listed or
/// not (RFC 0014: "no more than three times"); past it, Twitch's 429.
pub const MAX_PER_TYPE_AND_CONDITION: usize = 3;

/// The list filters; Twitch allows at most one per request.
const FILTERS: [&str; 4] = ["status", "type", "user_id", "subscription_id"];

/// A create request that passed validation.
struct CreateRequest {
    spec: &'static Kind,
    condition: Map<String, Value>,
    callback: String,
    secret: String,
}

/// Creates a webhook subscription: 202 pending, then the challenge.
pub async fn create(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let request = match read_create(&body) {
        Ok(request) => request,
        Err(message) => return helix_error(StatusCode::BAD_REQUEST, &message),
    };
    // Inside the local stack, only the stack's own webhook: its fixed
    // credentials must not make it POST to other loopback ports (SSRF).
    if let Some(allowed) = &sim.config.callbacks {
        if !allowed.contains(&request.callback) {
            return helix_error(
                StatusCode::BAD_REQUEST,
                "transport.callback must be this stack's own /eventsub",
            );
        }
    }
    let spec = request.spec;
    let mut fields = request.condition;
    // Twitch lists a raid's unused side as an empty string.
    if spec.name == "channel.raid" {
        for side in ["from_broadcaster_user_id", "to_broadcaster_user_id"] {
            fields
                .entry(side)
                .or_insert_with(|| Value::String(String::new()));
        }
    }
    let condition = Value::Object(fields);
    let max_total_cost = sim.config.max_total_cost;
    let (sub, answer) = {
        let mut state = sim.state();
        if !authorized(&state, spec, &condition) {
            return helix_error(
                StatusCode::FORBIDDEN,
                "subscription missing proper authorization",
            );
        }
        let duplicate = state.subscriptions.iter().any(|s| {
            s.is_live()
                && s.kind == spec.name
                && s.version == spec.version
                && s.condition == condition
                && (!sim.config.duplicates_across_callbacks || s.callback == request.callback)
        });
        if duplicate {
            return helix_error(StatusCode::CONFLICT, "subscription already exists");
        }
        // Every one with this type and condition counts, listed or not (a
        // failed one not yet deleted, an orphan): Twitch's documented 429,
        // with points left in the rate-limit bucket.
        let same = |kind: &str, version: &str, c: &Value| {
            kind == spec.name && version == spec.version && *c == condition
        };
        let counted = state
            .subscriptions
            .iter()
            .filter(|s| same(&s.kind, &s.version, &s.condition))
            .count()
            + state
                .orphans
                .iter()
                .filter(|(k, v, c)| same(k, v, c))
                .count();
        if counted >= MAX_PER_TYPE_AND_CONDITION {
            return helix_error(
                StatusCode::TOO_MANY_REQUESTS,
                "maximum subscriptions with type and condition exceeded",
            );
        }
        let mut sub = SimSubscription::new(
            spec.name,
            spec.version,
            condition,
            &request.callback,
            &request.secret,
        );
        sub.status = Status::WebhookCallbackVerificationPending;
        sub.cost = cost(&state, spec, &sub);
        // Twitch does not document the answer to going over max_total_cost;
        // 403 with a message is the simulator's choice (kept: the manager
        // reads the budget from the totals, never from this status).
        if state.total_cost() + sub.cost > max_total_cost {
            return helix_error(StatusCode::FORBIDDEN, "maximum total cost exceeded");
        }
        state.subscriptions.push(sub.clone());
        let answer = json!({
            "data": [sub.to_json()],
            "total": state.subscriptions.len(),
            "total_cost": state.total_cost(),
            "max_total_cost": max_total_cost,
        });
        (sub, answer)
    };
    // Twitch challenges the callback right after answering 202.
    tokio::spawn(delivery::challenge(Arc::clone(&sim), sub.id));
    (StatusCode::ACCEPTED, Json(answer)).into_response()
}

fn read_create(body: &[u8]) -> Result<CreateRequest, String> {
    let body: Value =
        serde_json::from_slice(body).map_err(|e| format!("malformed JSON body: {e}"))?;
    let text =
        |value: &Value, field: &str| value.get(field).and_then(Value::as_str).map(str::to_owned);
    let kind = text(&body, "type").ok_or("type is required")?;
    let version = text(&body, "version").ok_or("version is required, as a string")?;
    let condition = body
        .get("condition")
        .and_then(Value::as_object)
        .cloned()
        .ok_or("condition is required")?;
    let transport = body.get("transport").ok_or("transport is required")?;
    let spec = catalog::find(&kind, &version)
        .ok_or_else(|| format!("invalid type and version combination: {kind} version {version}"))?;
    spec.check_condition(&condition)?;
    for (field, id) in &condition {
        if field.ends_with("user_id") && !id.as_str().is_some_and(users::exists) {
            return Err(format!("the user in condition.{field} does not exist"));
        }
    }
    match text(transport, "method").as_deref() {
        Some("webhook") => {}
        Some("websocket" | "conduit") => {
            return Err("the simulator only supports the webhook transport".into())
        }
        _ => return Err("transport.method must be webhook, websocket or conduit".into()),
    }
    let callback =
        text(transport, "callback").ok_or("transport.callback is required for webhook")?;
    if !callback_allowed(&callback) {
        return Err("transport.callback must use https on port 443".into());
    }
    let secret = text(transport, "secret").ok_or("transport.secret is required for webhook")?;
    EventSubSecret::new(secret.as_str())
        .map_err(|_| "transport.secret must be 10 to 100 ASCII characters".to_owned())?;
    Ok(CreateRequest {
        spec,
        condition,
        callback,
        secret,
    })
}

/// Twitch accepts only `https` on port 443. The simulator also accepts plain
/// `http://127.0.0.1:<any port>`, where the local stack and tests listen.
fn callback_allowed(callback: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(callback) else {
        return false;
    };
    match url.scheme() {
        "https" => url.port_or_known_default() == Some(443),
        "http" => url.host_str() == Some("127.0.0.1"),
        _ => false,
    }
}

/// True when every grant the type needs was given by a user its condition names.
fn authorized(state: &SimState, spec: &Kind, condition: &Value) -> bool {
    spec.grants.iter().all(|grant| {
        grant.by.iter().any(|field| {
            condition
                .get(*field)
                .and_then(Value::as_str)
                .is_some_and(|user| grant.scopes.iter().any(|s| state.has_grant(user, s)))
        })
    })
}

/// 0 for types that need authorization, or when a user in the condition has
/// authorized the client with any scope; 1 otherwise (Twitch's subscription
/// cost rules, <https://dev.twitch.tv/docs/eventsub/manage-subscriptions/>).
fn cost(state: &SimState, spec: &Kind, sub: &SimSubscription) -> u64 {
    let authorized_user = sub.user_ids().any(|u| state.has_any_grant(u));
    u64::from(!(spec.needs_authorization() || authorized_user))
}

/// Lists subscriptions oldest first, filtered by at most one of
/// `status`, `type`, `user_id`, `subscription_id`, one page at a time.
pub async fn list(State(sim): State<Arc<Sim>>, RawQuery(query): RawQuery) -> Response {
    let Ok(params) = Params::parse(query.as_deref().unwrap_or("")) else {
        return helix_error(StatusCode::BAD_REQUEST, "malformed query string");
    };
    let given: Vec<(&str, &str)> = FILTERS
        .iter()
        .filter_map(|&name| params.first(name).map(|value| (name, value)))
        .collect();
    if given.len() > 1 {
        return helix_error(
            StatusCode::BAD_REQUEST,
            "only one of status, type, user_id and subscription_id may be given",
        );
    }
    match given.first() {
        Some(("status", s)) if !Status::from(*s).is_known() => {
            return helix_error(StatusCode::BAD_REQUEST, "invalid status")
        }
        Some(("type", t)) if catalog::lookup(t).is_none() => {
            return helix_error(StatusCode::BAD_REQUEST, "invalid type")
        }
        _ => {}
    }
    let offset = match params::page_start(&params) {
        Ok(offset) => offset,
        Err(message) => return helix_error(StatusCode::BAD_REQUEST, message),
    };
    let page_size = sim.config.list_page_size.max(1);
    let state = sim.state();
    let matching: Vec<&SimSubscription> = state
        .oldest_first()
        .into_iter()
        .filter(|sub| {
            given
                .first()
                .is_none_or(|&(name, value)| filter_matches(sub, name, value))
        })
        .collect();
    let (page, pagination) = params::page(&matching, offset, page_size);
    let data: Vec<Value> = page.iter().map(|s| s.to_json()).collect();
    Json(json!({
        "data": data,
        "total": state.subscriptions.len(),
        "total_cost": state.total_cost(),
        "max_total_cost": sim.config.max_total_cost,
        "pagination": pagination,
    }))
    .into_response()
}

fn filter_matches(sub: &SimSubscription, name: &str, value: &str) -> bool {
    match name {
        "status" => sub.status == value,
        "type" => sub.kind == value,
        "user_id" => sub.user_ids().any(|u| u == value),
        "subscription_id" => sub.id == value,
        _ => true,
    }
}

/// Deletes one subscription by `id`: 204, or 404 if there is none.
pub async fn delete(State(sim): State<Arc<Sim>>, RawQuery(query): RawQuery) -> Response {
    let params = Params::parse(query.as_deref().unwrap_or("")).unwrap_or_default();
    let Some(id) = params.first("id").filter(|id| !id.is_empty()) else {
        return helix_error(StatusCode::BAD_REQUEST, "id is required");
    };
    let mut state = sim.state();
    let before = state.subscriptions.len();
    state.subscriptions.retain(|s| s.id != id);
    if state.subscriptions.len() == before {
        return helix_error(StatusCode::NOT_FOUND, "subscription not found");
    }
    StatusCode::NO_CONTENT.into_response()
}

impl Sim {
    /// Leaves an orphan of `kind` (`version`) with `condition`: a subscription
    /// Twitch no longer lists (nor charges or delivers) but still counts
    /// towards the subscriptions allowed with that type and condition, as
    /// reported in twitchdev/issues #1094.
    pub fn orphan(&self, kind: &str, version: &str, condition: Value) {
        self.state()
            .orphans
            .push((kind.to_owned(), version.to_owned(), condition));
    }
}

#[cfg(test)]
mod tests {
    use super::callback_allowed;

    #[test]
    fn callbacks_are_https_on_443_or_plain_http_on_loopback() {
        for ok in [
            "https://example.com/eventsub",
            "https://example.com:443/eventsub",
            "http://127.0.0.1:8080/eventsub",
        ] {
            assert!(callback_allowed(ok), "{ok}");
        }
        for bad in [
            "http://example.com/eventsub",
            "https://example.com:8443/eventsub",
            "http://localhost:8080/eventsub",
            "ftp://127.0.0.1/x",
            "not a url",
        ] {
            assert!(!callback_allowed(bad), "{bad}");
        }
    }
}

//! Channel points from the generated redemptions: Get Custom Reward
//! (`GET /helix/channel_points/custom_rewards`) lists the rewards they
//! redeemed, Get Custom Reward Redemption
//! (`GET /helix/channel_points/custom_rewards/redemptions`) the redemptions
//! of one reward (<https://dev.twitch.tv/docs/api/reference/#get-custom-reward-redemption>).
//! The broadcaster's own user token with `channel:read:redemptions` or
//! `channel:manage:redemptions`. Twitch answers redemptions only for rewards
//! the calling client created (403 otherwise); the simulator has one client
//! and counts every reward as its own. Redemptions stay `UNFULFILLED`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::gate::{broadcaster_token, Caller, Refusal};
use super::params::{self, Params};
use super::{users, Sim};

/// Either scope opens both endpoints.
pub const SCOPES: [&str; 2] = ["channel:read:redemptions", "channel:manage:redemptions"];

/// Most `id`s in one request.
const MAX_IDS: usize = 50;

/// The parameters both endpoints share, checked: the query and the broadcaster.
fn read(query: &Option<String>, caller: &Caller) -> Result<(Params, String), Refusal> {
    let params = Params::parse(query.as_deref().unwrap_or(""))
        .map_err(|_| Refusal::bad("malformed query string"))?;
    let broadcaster = params
        .first("broadcaster_id")
        .filter(|b| !b.is_empty())
        .ok_or_else(|| Refusal::bad("Missing required parameter broadcaster_id"))?
        .to_owned();
    broadcaster_token(caller, &broadcaster, &SCOPES)?;
    if params.all("id").len() > MAX_IDS {
        return Err(Refusal::bad("The maximum number of id is 50"));
    }
    Ok((params, broadcaster))
}

/// Get Custom Reward: `broadcaster_id`, `id` (up to 50), `only_manageable_rewards`.
pub async fn get_rewards(
    State(sim): State<Arc<Sim>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Response {
    rewards(&sim, &caller, &query).unwrap_or_else(IntoResponse::into_response)
}

fn rewards(sim: &Sim, caller: &Caller, query: &Option<String>) -> Result<Response, Refusal> {
    let (params, broadcaster) = read(query, caller)?;
    let ids = params.all("id");
    let mut rewards: Vec<Value> = Vec::new();
    for redemption in sim.state().history.redemptions(&broadcaster) {
        let Some(reward) = redemption.get("reward") else {
            continue;
        };
        let id = reward.get("id").and_then(Value::as_str).unwrap_or_default();
        let listed = rewards.iter().any(|r| r["id"] == id);
        if !listed && (ids.is_empty() || ids.contains(&id)) {
            rewards.push(reward_json(&broadcaster, reward));
        }
    }
    if !ids.is_empty() && rewards.is_empty() {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "No custom rewards with the specified IDs were found.",
        ));
    }
    Ok(Json(json!({"data": rewards})).into_response())
}

/// Get Custom Reward Redemption: `broadcaster_id`, `reward_id` (required),
/// `status` (required without `id`), `id` (up to 50), `sort` (OLDEST or
/// NEWEST), `first` (1 to 50, default 20), `after`.
pub async fn get_redemptions(
    State(sim): State<Arc<Sim>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Response {
    redemptions(&sim, &caller, &query).unwrap_or_else(IntoResponse::into_response)
}

fn redemptions(sim: &Sim, caller: &Caller, query: &Option<String>) -> Result<Response, Refusal> {
    let (params, broadcaster) = read(query, caller)?;
    let reward_id = params
        .first("reward_id")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| Refusal::bad("Missing required parameter reward_id"))?;
    let ids = params.all("id");
    let status = params.first("status");
    match status {
        None if ids.is_empty() => return Err(Refusal::bad(
            "The status query parameter is required if you didn't specify the id query parameter.",
        )),
        Some(s) if !["CANCELED", "FULFILLED", "UNFULFILLED"].contains(&s) => {
            return Err(Refusal::bad(
                "status must be CANCELED, FULFILLED or UNFULFILLED",
            ))
        }
        _ => {}
    }
    let newest_first = match params.first("sort") {
        None | Some("OLDEST") => false,
        Some("NEWEST") => true,
        Some(_) => return Err(Refusal::bad("sort must be OLDEST or NEWEST")),
    };
    let (start, size) = params::paging(&params, 20, 50).map_err(Refusal::bad)?;
    let of_reward: Vec<Value> = sim
        .state()
        .history
        .redemptions(&broadcaster)
        .iter()
        .filter(|r| r.pointer("/reward/id").and_then(Value::as_str) == Some(reward_id))
        .cloned()
        .collect();
    if of_reward.is_empty() {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "The custom reward specified in the reward_id query parameter was not found.",
        ));
    }
    let mut matching: Vec<Value> = of_reward
        .into_iter()
        .filter(|_| status.is_none_or(|s| s == "UNFULFILLED"))
        .filter(|r| ids.is_empty() || r["id"].as_str().is_some_and(|id| ids.contains(&id)))
        .map(|r| redemption_json(&broadcaster, &r))
        .collect();
    if newest_first {
        matching.reverse();
    }
    let (data, pagination) = params::page(&matching, start, size);
    Ok(Json(json!({"data": data, "pagination": pagination})).into_response())
}

fn redemption_json(broadcaster: &str, event: &Value) -> Value {
    let field = |name: &str| event.get(name).cloned().unwrap_or(Value::Null);
    let reward = event.get("reward").cloned().unwrap_or(Value::Null);
    json!({
        "broadcaster_id": broadcaster,
        "broadcaster_login": users::login(broadcaster),
        "broadcaster_name": users::display_name(broadcaster),
        "id": field("id"),
        "user_id": field("user_id"),
        "user_login": field("user_login"),
        "user_name": field("user_name"),
        "user_input": field("user_input"),
        "status": "UNFULFILLED",
        "redeemed_at": field("redeemed_at"),
        "reward": {
            "id": reward["id"], "title": reward["title"],
            "prompt": reward["prompt"], "cost": reward["cost"],
        },
    })
}

fn reward_json(broadcaster: &str, reward: &Value) -> Value {
    json!({
        "broadcaster_id": broadcaster,
        "broadcaster_login": users::login(broadcaster),
        "broadcaster_name": users::display_name(broadcaster),
        "id": reward["id"],
        "title": reward["title"],
        "prompt": reward["prompt"],
        "cost": reward["cost"],
        "image": null,
        "default_image": {
            "url_1x": "https://static-cdn.jtvnw.net/custom-reward-images/default-1.png",
            "url_2x": "https://static-cdn.jtvnw.net/custom-reward-images/default-2.png",
            "url_4x": "https://static-cdn.jtvnw.net/custom-reward-images/default-4.png",
        },
        "background_color": "#9147FF",
        "is_enabled": true,
        "is_user_input_required": false,
        "max_per_stream_setting": {"is_enabled": false, "max_per_stream": 0},
        "max_per_user_per_stream_setting": {"is_enabled": false, "max_per_user_per_stream": 0},
        "global_cooldown_setting": {"is_enabled": false, "global_cooldown_seconds": 0},
        "is_paused": false,
        "is_in_stock": true,
        "should_redemptions_skip_request_queue": false,
        "redemptions_redeemed_current_stream": null,
        "cooldown_expires_at": null,
    })
}

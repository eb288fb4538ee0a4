//! `GET /helix/subscriptions` (Get Broadcaster Subscriptions,
//! <https://dev.twitch.tv/docs/api/reference/#get-broadcaster-subscriptions>):
//! the channel's current subscribers from the generated `channel.subscribe`
//! and `channel.subscription.end` events, with `total` and `points`. Only
//! the broadcaster's own user token with `channel:read:subscriptions`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::gate::{broadcaster_token, helix_error, Caller};
use super::history::Subscriber;
use super::params::{self, Params};
use super::{users, Sim};

/// The scope the endpoint needs.
pub const SCOPE: &str = "channel:read:subscriptions";

/// Most `user_id` filters in one request.
const MAX_USER_IDS: usize = 100;

/// Get Broadcaster Subscriptions: `broadcaster_id` (required, the token's
/// user), `user_id` (up to 100, no paging then), `first` (1 to 100, default
/// 20), `after`.
pub async fn get_subscriptions(
    State(sim): State<Arc<Sim>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Response {
    let Ok(params) = Params::parse(query.as_deref().unwrap_or("")) else {
        return helix_error(StatusCode::BAD_REQUEST, "malformed query string");
    };
    let Some(broadcaster) = params.first("broadcaster_id").filter(|b| !b.is_empty()) else {
        return helix_error(
            StatusCode::BAD_REQUEST,
            "Missing required parameter \"broadcaster_id\"",
        );
    };
    if let Err(refused) = broadcaster_token(&caller, broadcaster, &[SCOPE]) {
        return refused.into_response();
    }
    let wanted = params.all("user_id");
    if wanted.len() > MAX_USER_IDS {
        return helix_error(
            StatusCode::BAD_REQUEST,
            "The maximum number of user_id is 100",
        );
    }
    let (start, size) = match params::paging(&params, 20, 100) {
        Ok(paging) => paging,
        Err(message) => return helix_error(StatusCode::BAD_REQUEST, &message),
    };
    let subscribers = sim.state().history.subscribers(broadcaster);
    let total = subscribers.len();
    let points: u64 = subscribers.iter().map(points).sum();
    let (page, pagination) = if wanted.is_empty() {
        params::page(&subscribers, start, size)
    } else {
        let matching: Vec<Subscriber> = subscribers
            .into_iter()
            .filter(|s| wanted.contains(&s.user_id.as_str()))
            .collect();
        (matching, json!({}))
    };
    let data: Vec<Value> = page.iter().map(|s| to_json(broadcaster, s)).collect();
    Json(json!({"data": data, "pagination": pagination, "total": total, "points": points}))
        .into_response()
}

/// Twitch's subscriber points: Tier 1 counts 1, Tier 2 counts 2, Tier 3 counts 6.
fn points(sub: &Subscriber) -> u64 {
    match sub.tier.as_str() {
        "2000" => 2,
        "3000" => 6,
        _ => 1,
    }
}

fn to_json(broadcaster: &str, sub: &Subscriber) -> Value {
    let login = users::login(broadcaster);
    let tier_name = match sub.tier.as_str() {
        "2000" => "Tier 2",
        "3000" => "Tier 3",
        _ => "Tier 1",
    };
    // A gift's giver is not in the subscribe event; Twitch names one, the
    // simulator leaves it empty as Twitch does for a non-gift.
    json!({
        "broadcaster_id": broadcaster,
        "broadcaster_login": login,
        "broadcaster_name": users::display_name(broadcaster),
        "gifter_id": "",
        "gifter_login": "",
        "gifter_name": "",
        "is_gift": sub.is_gift,
        "tier": sub.tier,
        "plan_name": format!("Channel Subscription ({login}): {tier_name}"),
        "user_id": sub.user_id,
        "user_name": sub.user_name,
        "user_login": sub.user_login,
    })
}

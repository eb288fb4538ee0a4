//! `GET /helix/channels/followers` (Get Channel Followers,
//! <https://dev.twitch.tv/docs/api/reference/#get-channel-followers>): the
//! channel's followers from the generated follows, most recent first, each
//! with the `followed_at` of its `channel.follow`. A user token is needed;
//! the list itself only for the broadcaster's own token with
//! `moderator:read:followers` (the simulator has no moderators), any other
//! user token gets only `total`, as Twitch answers.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::gate::{helix_error, Caller};
use super::history::Follower;
use super::params::{self, Params};
use super::Sim;

/// The scope that opens the list.
pub const SCOPE: &str = "moderator:read:followers";

/// Get Channel Followers: `broadcaster_id` (required), `user_id`, `first`
/// (1 to 100, default 20), `after`.
pub async fn get_followers(
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
            "The broadcaster_id query parameter is required.",
        );
    };
    let (start, size) = match params::paging(&params, 20, 100) {
        Ok(paging) => paging,
        Err(message) => return helix_error(StatusCode::BAD_REQUEST, &message),
    };
    let Caller::User { user_id: owner, .. } = &caller else {
        return helix_error(
            StatusCode::UNAUTHORIZED,
            "The Authorization header is required and must contain a user access token.",
        );
    };
    let followers: Vec<Follower> = sim
        .state()
        .history
        .followers(broadcaster)
        .into_iter()
        .filter(|f| params.first("user_id").is_none_or(|u| f.user_id == u))
        .collect();
    let total = followers.len();
    if owner != broadcaster || !caller.has_scope(SCOPE) {
        return Json(json!({"total": total, "data": [], "pagination": {}})).into_response();
    }
    let (page, pagination) = params::page(&followers, start, size);
    let data: Vec<Value> = page
        .iter()
        .map(|f| {
            json!({
                "user_id": f.user_id,
                "user_login": f.user_login,
                "user_name": f.user_name,
                "followed_at": f.followed_at,
            })
        })
        .collect();
    Json(json!({"total": total, "data": data, "pagination": pagination})).into_response()
}

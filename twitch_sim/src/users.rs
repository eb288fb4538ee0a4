//! `GET /helix/users` over a population in which every id of 1–12 digits
//! exists, with login `user<id>` and display name `User<id>`.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use shared::eventsub::scene::Channel;

use super::gate::helix_error;
use super::params::Params;
use super::random::mix;
use super::Sim;

/// Most ids plus logins one request may ask for.
pub const MAX_LOOKUPS: usize = 100;

/// True when a user with this id exists.
pub fn exists(id: &str) -> bool {
    (1..=12).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

/// The login of user `id` (the same as the events `local trigger` sends name).
pub fn login(id: &str) -> String {
    Channel::new(id).login
}

/// The display name of user `id`.
pub fn display_name(id: &str) -> String {
    Channel::new(id).name
}

/// The id behind a login, if that user exists (logins match case-insensitively).
pub fn id_for_login(login: &str) -> Option<String> {
    let lower = login.to_ascii_lowercase();
    let id = lower.strip_prefix("user")?;
    exists(id).then(|| id.to_owned())
}

/// User `id` with every field Get Users returns to an app token.
pub fn user_json(id: &str, seed: u64) -> Value {
    let n = id.parse::<u64>().unwrap_or_default();
    let broadcaster_type = match mix(seed, n) % 100 {
        0..=1 => "partner",
        2..=19 => "affiliate",
        _ => "",
    };
    // Accounts created between mid-2007 and 2024.
    let created = 1_180_000_000 + (mix(seed ^ 0xc0ffee, n) % 540_000_000) as i64;
    let created_at = OffsetDateTime::from_unix_timestamp(created)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .format(&Rfc3339)
        .unwrap_or_default();
    let login = login(id);
    json!({
        "id": id,
        "login": login,
        "display_name": display_name(id),
        "type": "",
        "broadcaster_type": broadcaster_type,
        "description": format!("Simulated channel {login}."),
        "profile_image_url": format!("https://static-cdn.jtvnw.net/jtv_user_pictures/{login}-profile_image-300x300.png"),
        "offline_image_url": "",
        "view_count": 0,
        "created_at": created_at,
    })
}

/// Looks users up by repeated `id` and `login` (at least one, at most 100 together).
pub async fn get_users(State(sim): State<Arc<Sim>>, RawQuery(query): RawQuery) -> Response {
    let Ok(params) = Params::parse(query.as_deref().unwrap_or("")) else {
        return helix_error(StatusCode::BAD_REQUEST, "malformed query string");
    };
    let ids = params.all("id");
    let logins = params.all("login");
    if ids.is_empty() && logins.is_empty() {
        // A user token would get its own user; an app token must ask for someone.
        return helix_error(
            StatusCode::BAD_REQUEST,
            "Must provide an ID or login when using an app access token",
        );
    }
    if ids.len() + logins.len() > MAX_LOOKUPS {
        return helix_error(
            StatusCode::BAD_REQUEST,
            "The combined number of ids and logins must not exceed 100",
        );
    }
    let found = ids
        .iter()
        .filter(|id| exists(id))
        .map(|id| (*id).to_owned())
        .chain(logins.iter().filter_map(|l| id_for_login(l)));
    let mut seen = HashSet::new();
    let data: Vec<Value> = found
        .filter(|id| seen.insert(id.clone()))
        .map(|id| user_json(&id, sim.config.seed))
        .collect();
    Json(json!({ "data": data })).into_response()
}

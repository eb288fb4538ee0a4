//! `GET /helix/videos` (Get Videos,
//! <https://dev.twitch.tv/docs/api/reference/#get-videos>): the archives the
//! generated `stream.online` / `stream.offline` events left, most recent
//! first, each with the stream's id (`stream_id`), its `created_at` (the
//! stream's `started_at`) and its `duration` (to the offline, or to now while
//! live). No highlights or uploads; `game_id` finds none. App or user token.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::gate::helix_error;
use super::history::Video;
use super::params::{self, Params};
use super::{users, Sim};

/// Most `id`s in one request.
const MAX_IDS: usize = 100;

/// Get Videos: exactly one of `id` (up to 100), `user_id`, `game_id`; with
/// `user_id`: `type`, `period`, `sort`, `first` (1 to 100, default 20), `after`.
pub async fn get_videos(State(sim): State<Arc<Sim>>, RawQuery(query): RawQuery) -> Response {
    let Ok(params) = Params::parse(query.as_deref().unwrap_or("")) else {
        return helix_error(StatusCode::BAD_REQUEST, "malformed query string");
    };
    let ids = params.all("id");
    let given = [
        !ids.is_empty(),
        params.first("user_id").is_some(),
        params.first("game_id").is_some(),
    ];
    match given.iter().filter(|g| **g).count() {
        0 => {
            return helix_error(
                StatusCode::BAD_REQUEST,
                "Missing required parameter: one of id, user_id or game_id",
            )
        }
        1 => {}
        _ => {
            return helix_error(
                StatusCode::BAD_REQUEST,
                "The id, user_id, and game_id parameters are mutually exclusive.",
            )
        }
    }
    if ids.len() > MAX_IDS {
        return helix_error(StatusCode::BAD_REQUEST, "The maximum number of id is 100");
    }
    let now = OffsetDateTime::now_utc();
    if !ids.is_empty() {
        let found: Vec<Value> = {
            let state = sim.state();
            ids.iter()
                .filter_map(|id| state.history.video(id))
                .map(|(owner, video)| to_json(&owner, &video, now))
                .collect()
        };
        if found.is_empty() {
            return helix_error(
                StatusCode::NOT_FOUND,
                "The ID in the id query parameter was not found",
            );
        }
        return Json(json!({"data": found, "pagination": {}})).into_response();
    }
    if let Err(message) = check_filters(&params) {
        return helix_error(StatusCode::BAD_REQUEST, message);
    }
    let (start, size) = match params::paging(&params, 20, 100) {
        Ok(paging) => paging,
        Err(message) => return helix_error(StatusCode::BAD_REQUEST, &message),
    };
    let owner = params.first("user_id").unwrap_or_default();
    let archives = matches!(params.first("type"), None | Some("all" | "archive"));
    let videos = if archives {
        sim.state().history.videos(owner)
    } else {
        Vec::new()
    };
    let (page, pagination) = params::page(&videos, start, size);
    let data: Vec<Value> = page.iter().map(|v| to_json(owner, v, now)).collect();
    Json(json!({"data": data, "pagination": pagination})).into_response()
}

/// `type`, `period` and `sort` take only Twitch's values.
fn check_filters(params: &Params) -> Result<(), &'static str> {
    let allowed =
        |name: &str, values: &[&str]| params.first(name).is_none_or(|v| values.contains(&v));
    if !allowed("type", &["all", "archive", "highlight", "upload"]) {
        return Err("type must be all, archive, highlight or upload");
    }
    if !allowed("period", &["all", "day", "month", "week"]) {
        return Err("period must be all, day, month or week");
    }
    if !allowed("sort", &["time", "trending", "views"]) {
        return Err("sort must be time, trending or views");
    }
    Ok(())
}

fn to_json(owner: &str, video: &Video, now: OffsetDateTime) -> Value {
    let created = video.created_at.format(&Rfc3339).unwrap_or_default();
    let length = video.ended_at.unwrap_or(now) - video.created_at;
    json!({
        "id": video.id,
        "stream_id": video.stream_id,
        "user_id": owner,
        "user_login": users::login(owner),
        "user_name": users::display_name(owner),
        "title": "Simulated stream",
        "description": "",
        "created_at": created,
        "published_at": created,
        "url": format!("https://www.twitch.tv/videos/{}", video.id),
        "thumbnail_url": "",
        "viewable": "public",
        "view_count": 0,
        "language": "en",
        "type": "archive",
        "duration": duration(length.whole_seconds()),
        "muted_segments": null,
    })
}

/// Twitch's duration text: `1h2m3s`, `3m21s`, `45s`.
fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_like_twitchs() {
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(201), "3m21s");
        assert_eq!(duration(3723), "1h2m3s");
        assert_eq!(duration(5400), "1h30m0s");
        assert_eq!(duration(-3), "0s");
    }
}

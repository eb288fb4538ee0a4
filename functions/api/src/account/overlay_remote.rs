//! The page's remote control of the overlays open in OBS: their settings
//! (`GET`/`PUT …/overlay/settings`), a test alert (`POST …/overlay/test`)
//! and the queue (`POST …/overlay/control`: replay, skip, pause, resume).
//!
//! A change reaches an open overlay at once, over the socket it already
//! has: its ticket named the key (`overlay:<streamer>:<key id>`), so the
//! sockets one URL opened are found by that principal and sent a frame.
//! Nothing here is stored but the settings; an overlay opened later reads
//! them with its ticket.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use shared::auth::{random_token, sha256_hex};
use shared::eventsub::catalog;
use shared::frames;
use shared::push::PushError;
use shared::store::users::Favourite;

use super::me::{own, reply};
use super::overlay::kept_key;
use super::overlay_settings::OverlaySettings;
use super::visitor::{required, same_origin};
use super::AccountRoutes;
use crate::error::{shown, shown_segment, ApiError};

/// What `POST …/overlay/control` can ask of the open overlays.
const ACTIONS: &[&str] = &["replay", "skip", "pause", "resume"];
/// What a test alert shows when the page names no type.
const TEST_TYPE: &str = "channel.follow";

/// The caller's favourite named by `segment`, and who they are.
async fn favourite(
    account: &AccountRoutes,
    request: &Request,
    segment: &str,
    now_s: i64,
) -> Result<(String, Favourite), ApiError> {
    let v = required(account, request, now_s).await?;
    let have = account.users.favourites(&v.user.id).await?;
    let f = own(&have, segment)?.clone();
    Ok((v.user.id, f))
}

/// Posts `frame` to every socket the favourite's current key opened; how
/// many took it. None without a key or a WebSocket API configured.
async fn to_open_overlays(
    account: &AccountRoutes,
    user_id: &str,
    f: &Favourite,
    frame: &str,
    now_ms: i64,
) -> Result<usize, ApiError> {
    let (Some(sockets), Some(key)) = (&account.sockets, kept_key(account, user_id, f)) else {
        return Ok(0);
    };
    let hash = sha256_hex(&key);
    let principal =
        shared::ticket::overlay_principal(&f.streamer_id, shared::ticket::overlay_key_id(&hash));
    let mut reached = 0;
    for id in sockets
        .connections
        .connections_of(&principal, now_ms)
        .await?
    {
        match sockets.push.post(&id, frame.as_bytes()).await {
            Ok(()) => reached += 1,
            // Closed since: its `$disconnect` removes the record.
            Err(PushError::Gone) => {}
            Err(e) => tracing::warn!(error = %e, "could not reach an open overlay"),
        }
    }
    Ok(reached)
}

/// `GET …/overlay/settings`: the favourite's overlay settings (the
/// defaults until changed).
pub async fn get_settings(
    account: &AccountRoutes,
    request: &Request,
    segment: &str,
    now_s: i64,
) -> Response<Body> {
    reply(
        async {
            let (user, f) = favourite(account, request, segment, now_s).await?;
            let kept = account
                .users
                .overlay_settings(&user, &f.streamer_id)
                .await?;
            let settings = OverlaySettings::from_kept(kept.as_deref());
            Ok((
                StatusCode::OK,
                json!({"id": f.streamer_id, "login": f.login, "settings": settings.to_json()}),
            ))
        }
        .await,
    )
}

/// `PUT …/overlay/settings`: replaces the settings (fields left out take
/// their defaults) and applies them to the overlays open now.
pub async fn put_settings(
    account: &AccountRoutes,
    request: &Request,
    segment: &str,
    now_ms: i64,
) -> Response<Body> {
    reply(
        async {
            same_origin(account, request)?;
            let settings = OverlaySettings::from_body(request.body().as_ref())?;
            let (user, f) = favourite(account, request, segment, now_ms / 1000).await?;
            let value = settings.to_json();
            if !account
                .users
                .set_overlay_settings(&user, &f.streamer_id, &value.to_string())
                .await?
            {
                // Removed between the read and the write.
                return Err(ApiError::UnknownStreamer(shown_segment(segment)));
            }
            let frame = frames::overlay_settings(&value);
            let reached = to_open_overlays(account, &user, &f, &frame, now_ms).await?;
            Ok((
                StatusCode::OK,
                json!({"id": f.streamer_id, "login": f.login, "settings": value, "overlays_reached": reached}),
            ))
        }
        .await,
    )
}

/// The body's one string field `name`, if the body has one (an empty body
/// names none); a 400 naming it when it is there but not a string.
fn text_field(body: &[u8], name: &'static str, what: &str) -> Result<Option<String>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| ApiError::InvalidParameter {
        name,
        why: format!("send {{\"{name}\": \"<{what}>\"}} as JSON"),
    })?;
    match value.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::InvalidParameter {
            name,
            why: format!("a string: the {what}"),
        }),
    }
}

/// A type's documented sample as the favourite's own event: what a test
/// alert of that type shows.
fn sample_event(kind: &catalog::Kind, f: &Favourite) -> Value {
    let mut event: Value = serde_json::from_str(kind.sample).unwrap_or_else(|_| json!({}));
    if let Some(e) = event.as_object_mut() {
        for (field, value) in [
            ("broadcaster_user_id", &f.streamer_id),
            ("broadcaster_user_login", &f.login),
            ("broadcaster_user_name", &f.login),
        ] {
            if e.contains_key(field) {
                e.insert(field.into(), json!(value));
            }
        }
    }
    event
}

/// `POST …/overlay/test` `{"type": …}` (optional, a follow by default): a
/// test alert on the overlays open now, built from the type's documented
/// sample; never stored, never counted as shown.
pub async fn test_alert(
    account: &AccountRoutes,
    request: &Request,
    segment: &str,
    now_ms: i64,
) -> Response<Body> {
    reply(
        async {
            same_origin(account, request)?;
            let asked = text_field(request.body().as_ref(), "type", "event type")?;
            let name = asked.as_deref().unwrap_or(TEST_TYPE);
            let kind = catalog::lookup(name).ok_or_else(|| ApiError::InvalidParameter {
                name: "type",
                why: format!(
                    "{:?} is not an event type (GET /api/event-types lists them)",
                    shown(name)
                ),
            })?;
            let (user, f) = favourite(account, request, segment, now_ms / 1000).await?;
            let event = sample_event(kind, &f);
            let summary = catalog::summarize(kind.name, &event);
            let id = format!("test-{}", random_token());
            let frame = frames::overlay_test(
                &id,
                &f.streamer_id,
                kind.name,
                now_ms,
                summary.as_ref(),
                &event,
            );
            let reached = to_open_overlays(account, &user, &f, &frame, now_ms).await?;
            Ok((
                StatusCode::OK,
                json!({"id": f.streamer_id, "type": kind.name, "overlays_reached": reached}),
            ))
        }
        .await,
    )
}

/// `POST …/overlay/control` `{"action": "replay" | "skip" | "pause" |
/// "resume"}`: the open overlays replay their last alert, skip the one
/// showing, hold their queue or let it play again.
pub async fn control(
    account: &AccountRoutes,
    request: &Request,
    segment: &str,
    now_ms: i64,
) -> Response<Body> {
    reply(
        async {
            same_origin(account, request)?;
            let action = text_field(request.body().as_ref(), "action", "action")?
                .filter(|a| ACTIONS.contains(&a.as_str()))
                .ok_or_else(|| ApiError::InvalidParameter {
                    name: "action",
                    why: format!("one of {}", ACTIONS.join(", ")),
                })?;
            let (user, f) = favourite(account, request, segment, now_ms / 1000).await?;
            let frame = frames::overlay_control(&action);
            let reached = to_open_overlays(account, &user, &f, &frame, now_ms).await?;
            Ok((
                StatusCode::OK,
                json!({"id": f.streamer_id, "action": action, "overlays_reached": reached}),
            ))
        }
        .await,
    )
}

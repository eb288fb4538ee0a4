//! Alert overlays for OBS: a logged-in user gets a key for one of their
//! favourites (`POST /api/me/favourites/{login}/overlay`: the overlay's
//! URL, the same on every visit, so the one pasted into OBS keeps working;
//! the key is kept hashed, for tickets, and sealed, to show it again),
//! replaces it only when they ask (`POST …/overlay/reset`) and can revoke
//! it (`DELETE`). The key buys read-only WebSocket tickets for that one
//! streamer (`POST /api/overlay/ticket`) and records which alert the
//! overlay showed last (`POST /api/overlay/shown`), nothing else: no
//! session, no wishes, no lookups.
//!
//! A user who disconnects our app at Twitch has their keys paused (their
//! tickets refused, `overlay_suspended`) until they log in again.
//!
//! Where to resume is kept on the server, per key, not in the browser
//! source (some keep no storage): the ticket's answer carries it
//! (`resume_after`), and it only ever moves forward, so two overlays with
//! one key, or a late retry, never make an alert play twice.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use shared::auth::{random_token, sha256_hex};
use shared::store::users::{Favourite, OverlayKey};
use shared::store::Cursor;

use super::me::{own, reply};
use super::overlay_settings::OverlaySettings;
use super::visitor::{required, same_origin};
use super::AccountRoutes;
use crate::error::{shown as shown_text, ApiError};

/// What `POST …/overlay`, `POST …/overlay/reset` and `DELETE …/overlay` do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAction {
    /// The favourite's overlay URL: the one it has (200), else a new one (201).
    Show,
    /// A new key, the old one revoked (201): "Reset URL".
    Reset,
    /// No key any more.
    Revoke,
}

/// Who a sealed overlay key belongs to: it opens for that favourite only.
fn seal_owner(user_id: &str, streamer_id: &str) -> String {
    format!("overlay:{user_id}:{streamer_id}")
}

/// The favourite's overlay key, opened from its sealed copy; `None`
/// without one (or for a key made before keys were kept sealed).
pub(super) fn kept_key(account: &AccountRoutes, user_id: &str, f: &Favourite) -> Option<String> {
    let sealed = f.overlay_sealed.as_deref()?;
    account
        .seal
        .open(&seal_owner(user_id, &f.streamer_id), sealed)
        .ok()
}

/// A favourite's overlay key: shown again, made, replaced or revoked.
pub async fn key(
    account: &AccountRoutes,
    request: &Request,
    segment: &str,
    action: KeyAction,
    now_s: i64,
) -> Response<Body> {
    reply(
        async {
            same_origin(account, request)?;
            let v = required(account, request, now_s).await?;
            let have = account.users.favourites(&v.user.id).await?;
            let f = own(&have, segment)?;
            let owner = seal_owner(&v.user.id, &f.streamer_id);
            let url = |key: &str| {
                // The key rides in the fragment: browsers never send it to a server.
                format!("{}/overlay.html#key={key}", account.site(request))
            };
            match action {
                KeyAction::Revoke => {
                    let revoked = f.overlay
                        && account
                            .users
                            .set_overlay(&v.user.id, &f.streamer_id, None)
                            .await?;
                    return Ok((
                        StatusCode::OK,
                        json!({"id": f.streamer_id, "revoked": revoked}),
                    ));
                }
                KeyAction::Show => {
                    // The same URL on every visit, so the one in OBS keeps
                    // working. A key made before keys were kept sealed
                    // cannot be shown again: it is replaced once, below.
                    if let Some(key) = kept_key(account, &v.user.id, f) {
                        return Ok((
                            StatusCode::OK,
                            json!({"id": f.streamer_id, "login": f.login, "key": key, "url": url(&key)}),
                        ));
                    }
                }
                KeyAction::Reset => {}
            }
            let key = random_token();
            let stored = OverlayKey {
                hash: sha256_hex(&key),
                sealed: account.seal.seal(&owner, &key),
            };
            account
                .users
                .set_overlay(&v.user.id, &f.streamer_id, Some(stored))
                .await?;
            Ok((
                StatusCode::CREATED,
                json!({"id": f.streamer_id, "login": f.login, "key": key, "url": url(&key)}),
            ))
        }
        .await,
    )
}

#[derive(Deserialize)]
struct TicketRequest {
    key: String,
    /// `dock`: the recent-events dock, which the page's settings, test
    /// alerts and queue controls are not sent to; absent: an overlay.
    purpose: Option<String>,
}

#[derive(Deserialize)]
struct ShownRequest {
    key: String,
    cursor: String,
}

/// A shown alert's cursor may be this far ahead of the server's clock (its
/// arrival was stamped by this system, so a real one never is).
const MAX_CURSOR_AHEAD_MS: i64 = 60_000;

/// A resume position as the overlay compares it with frames: arrival time
/// and message id (`null`: a point in time, every event from it on is new).
fn resume(position: &Cursor) -> serde_json::Value {
    let (received_at_ms, id) = position.position();
    json!({"received_at_ms": received_at_ms, "id": id})
}

/// `POST /api/overlay/ticket` `{"key": …}`: a ticket for the key's streamer.
pub async fn ticket(account: &AccountRoutes, request: &Request, now_ms: i64) -> Response<Body> {
    let now_s = now_ms / 1000;
    reply(
        async {
            let body: &[u8] = request.body().as_ref();
            let asked: TicketRequest =
                serde_json::from_slice(body).map_err(|_| ApiError::InvalidParameter {
                    name: "key",
                    why: "send {\"key\": \"<overlay key>\"} as JSON".into(),
                })?;
            let suffix = match asked.purpose.as_deref() {
                None | Some("overlay") => "",
                // Not found by the overlay's principal: the page's remote
                // control never reaches it.
                Some("dock") => ":dock",
                Some(other) => {
                    return Err(ApiError::InvalidParameter {
                        name: "purpose",
                        why: format!("{:?} is neither overlay nor dock", shown_text(other)),
                    })
                }
            };
            let hash = sha256_hex(&asked.key);
            let Some((owner, streamer)) = account.users.overlay(&hash).await? else {
                return Err(ApiError::OverlayKey);
            };
            if account.users.overlays_suspended(&owner).await? {
                return Err(ApiError::OverlaySuspended);
            }
            // A key's first use is where its alerts start.
            let start = Cursor::at_time(now_ms);
            let Some(position) = account.users.overlay_position(&hash, &start).await? else {
                return Err(ApiError::OverlayKey);
            };
            let mut principal =
                shared::ticket::overlay_principal(&streamer, shared::ticket::overlay_key_id(&hash));
            principal.push_str(suffix);
            let kept = account.users.overlay_settings(&owner, &streamer).await?;
            let settings = OverlaySettings::from_kept(kept.as_deref());
            let ticket = account
                .tickets
                .issue(&principal, &account.websocket_url, now_s);
            Ok((
                StatusCode::OK,
                json!({
                    "ticket": ticket,
                    "expires_in": shared::ticket::TICKET_TTL_SECONDS,
                    "websocket_url": account.websocket_url,
                    "broadcaster": streamer,
                    "resume_after": resume(&position),
                    "settings": settings.to_json(),
                }),
            ))
        }
        .await,
    )
}

/// `POST /api/overlay/shown` `{"key": …, "cursor": …}`: the overlay showed
/// the alert at `cursor`; answers where it resumes now (never earlier).
pub async fn shown(account: &AccountRoutes, request: &Request, now_ms: i64) -> Response<Body> {
    reply(
        async {
            let body: &[u8] = request.body().as_ref();
            let asked: ShownRequest =
                serde_json::from_slice(body).map_err(|_| ApiError::InvalidParameter {
                    name: "cursor",
                    why: "send {\"key\": \"<overlay key>\", \"cursor\": \"<the shown event's cursor>\"} as JSON".into(),
                })?;
            let cursor = Cursor::decode(&asked.cursor).map_err(|_| ApiError::InvalidParameter {
                name: "cursor",
                why: format!(
                    "{:?} is not an event cursor this API handed out",
                    shown_text(&asked.cursor)
                ),
            })?;
            if cursor.position().0 > now_ms + MAX_CURSOR_AHEAD_MS {
                return Err(ApiError::InvalidParameter {
                    name: "cursor",
                    why: "that event has not arrived yet (its time is in the future)".into(),
                });
            }
            let Some(position) = account
                .users
                .advance_overlay(&sha256_hex(&asked.key), &cursor)
                .await?
            else {
                return Err(ApiError::OverlayKey);
            };
            Ok((StatusCode::OK, json!({"resume_after": resume(&position)})))
        }
        .await,
    )
}

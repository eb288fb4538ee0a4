//! Alert overlays for OBS: a logged-in user makes a key for one of their
//! favourites (`POST /api/me/favourites/{login}/overlay`, answered once with
//! the key and the overlay's URL; only its hash is kept) and can revoke it
//! (`DELETE`). The key buys read-only WebSocket tickets for that one
//! streamer (`POST /api/overlay/ticket`), nothing else: no session, no
//! wishes, no lookups.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use shared::auth::{random_token, sha256_hex};

use super::me::{named, reply};
use super::visitor::{required, same_origin};
use super::FrontDoor;
use crate::error::{shown, ApiError};

/// `POST` (make or replace) and `DELETE` (revoke) of a favourite's overlay key.
pub async fn key(
    door: &FrontDoor,
    request: &Request,
    segment: &str,
    revoke: bool,
    now_s: i64,
) -> Response<Body> {
    reply(
        async {
            same_origin(door, request)?;
            let v = required(door, request, now_s).await?;
            let have = door.users.favourites(&v.user.id).await?;
            let Some(f) = named(&have, segment) else {
                return Err(ApiError::UnknownStreamer(shown(segment)));
            };
            if revoke {
                let revoked = f.overlay
                    && door
                        .users
                        .set_overlay(&v.user.id, &f.streamer_id, None)
                        .await?;
                return Ok((
                    StatusCode::OK,
                    json!({"id": f.streamer_id, "revoked": revoked}),
                ));
            }
            let key = random_token();
            door.users
                .set_overlay(&v.user.id, &f.streamer_id, Some(&sha256_hex(&key)))
                .await?;
            // The key rides in the fragment: browsers never send it to a server.
            let url = format!("{}/overlay.html#key={key}", door.site(request));
            Ok((
                StatusCode::CREATED,
                json!({"id": f.streamer_id, "login": f.login, "key": key, "url": url}),
            ))
        }
        .await,
    )
}

#[derive(Deserialize)]
struct TicketRequest {
    key: String,
}

/// `POST /api/overlay/ticket` `{"key": …}`: a ticket for the key's streamer.
pub async fn ticket(door: &FrontDoor, request: &Request, now_s: i64) -> Response<Body> {
    reply(
        async {
            let body: &[u8] = request.body().as_ref();
            let asked: TicketRequest =
                serde_json::from_slice(body).map_err(|_| ApiError::InvalidParameter {
                    name: "key",
                    why: "send {\"key\": \"<overlay key>\"} as JSON".into(),
                })?;
            let Some((_, streamer)) = door.users.overlay(&sha256_hex(&asked.key)).await? else {
                return Err(ApiError::OverlayKey);
            };
            let principal = shared::ticket::overlay_principal(&streamer);
            let ticket = door.tickets.issue(&principal, &door.websocket_url, now_s);
            Ok((
                StatusCode::OK,
                json!({
                    "ticket": ticket,
                    "expires_in": shared::ticket::TICKET_TTL_SECONDS,
                    "websocket_url": door.websocket_url,
                    "broadcaster": streamer,
                }),
            ))
        }
        .await,
    )
}

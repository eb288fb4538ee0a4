//! Who is calling: the session behind the cookie (slid forward at most once
//! an hour), and the `Origin` check every state-changing request passes.

use lambda_http::Request;
use shared::auth::{cookies, guard, session, sha256_hex};
use shared::store::users::{Session, User};

use super::FrontDoor;
use crate::error::ApiError;

/// A logged-in caller.
#[derive(Clone, Debug)]
pub struct Visitor {
    pub session: Session,
    pub user: User,
}

/// The caller's session and user, if the cookie names a live session.
pub async fn visitor(
    door: &FrontDoor,
    request: &Request,
    now_s: i64,
) -> Result<Option<Visitor>, ApiError> {
    let Some(cookie) = cookies::read(request.headers(), door.cookies.session()) else {
        return Ok(None);
    };
    let hash = sha256_hex(cookie);
    let Some(session) = door.users.session(&hash, now_s).await? else {
        return Ok(None);
    };
    if session::should_slide(session.created_at_s, session.expires_at_s, now_s) {
        door.users
            .slide_session(&hash, session::expiry(session.created_at_s, now_s))
            .await?;
    }
    let Some(user) = door.users.user(&session.user_id).await? else {
        return Ok(None);
    };
    Ok(Some(Visitor { session, user }))
}

/// The logged-in caller, or 401.
pub async fn required(
    door: &FrontDoor,
    request: &Request,
    now_s: i64,
) -> Result<Visitor, ApiError> {
    visitor(door, request, now_s)
        .await?
        .ok_or(ApiError::NotLoggedIn)
}

/// A state-changing request must come from one of our origins (403 otherwise).
pub fn same_origin(door: &FrontDoor, request: &Request) -> Result<(), ApiError> {
    guard::same_origin(request.headers(), &door.origins(request))
        .map_err(|e| ApiError::Forbidden(e.to_string()))
}

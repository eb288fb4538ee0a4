//! Who is calling: the session behind the cookie (slid forward at most once
//! an hour), and the `Origin` check every state-changing request passes.

use lambda_http::Request;
use shared::auth::{cookies, guard, session, sha256_hex};
use shared::store::users::{Session, User};

use super::AccountRoutes;
use crate::error::ApiError;

/// A logged-in caller.
#[derive(Clone, Debug)]
pub struct Visitor {
    pub session: Session,
    pub user: User,
}

/// The caller's session and user, if the cookie names a live session.
pub async fn visitor(
    account: &AccountRoutes,
    request: &Request,
    now_s: i64,
) -> Result<Option<Visitor>, ApiError> {
    let Some(cookie) = cookies::read(request.headers(), account.cookies.session()) else {
        return Ok(None);
    };
    let hash = sha256_hex(cookie);
    let Some(session) = account.users.session(&hash, now_s).await? else {
        return Ok(None);
    };
    if session::should_slide(session.created_at_s, session.expires_at_s, now_s) {
        account
            .users
            .slide_session(&hash, session::expiry(session.created_at_s, now_s))
            .await?;
    }
    let Some(user) = account.users.user(&session.user_id).await? else {
        return Ok(None);
    };
    Ok(Some(Visitor { session, user }))
}

/// The logged-in caller, or 401.
pub async fn required(
    account: &AccountRoutes,
    request: &Request,
    now_s: i64,
) -> Result<Visitor, ApiError> {
    visitor(account, request, now_s)
        .await?
        .ok_or(ApiError::NotLoggedIn)
}

/// A state-changing request must come from one of our origins (403 otherwise).
pub fn same_origin(account: &AccountRoutes, request: &Request) -> Result<(), ApiError> {
    guard::same_origin(request.headers(), &account.origins(request))
        .map_err(|e| ApiError::Forbidden(e.to_string()))
}

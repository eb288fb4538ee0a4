//! `GET /users`: by id and by login, at most 100 of both per call.

use reqwest::Method;
use serde::Deserialize;

use super::answer::Answer;
use super::{Helix, HelixError};
use crate::store::streamers::StreamerStore;
use crate::store::StoreError;

/// A Twitch user, as Get Users returns it (the fields this system reads).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub login: String,
    pub display_name: String,
    #[serde(default)]
    pub broadcaster_type: String,
    #[serde(default)]
    pub profile_image_url: String,
    #[serde(default)]
    pub created_at: String,
}

#[derive(Deserialize)]
struct Users {
    data: Vec<User>,
}

/// Helix's cap on ids plus logins in one Get Users call.
pub const PER_CALL: usize = 100;

impl Helix {
    /// The users with these ids or logins (unknown ones are simply absent),
    /// in as many calls of 100 as needed.
    pub async fn users(&self, ids: &[&str], logins: &[&str]) -> Result<Vec<User>, HelixError> {
        let params: Vec<(&str, &str)> = ids
            .iter()
            .map(|id| ("id", *id))
            .chain(logins.iter().map(|l| ("login", *l)))
            .collect();
        let mut users = Vec::with_capacity(params.len());
        for chunk in params.chunks(PER_CALL) {
            let path = format!("/users?{}", super::query(chunk));
            users.extend(parse(&self.request(Method::GET, &path, None).await?)?);
        }
        Ok(users)
    }
}

/// The users in a `GET /users` answer.
pub fn parse(answer: &Answer) -> Result<Vec<User>, HelixError> {
    Ok(answer.json::<Users>()?.data)
}

/// Why a login could not be turned into a user id.
#[derive(Debug, thiserror::Error)]
pub enum IdLookupError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("Twitch: {0}")]
    Twitch(#[from] HelixError),
}

/// The user id behind a (lowercased) login: the streamers store first, then
/// Twitch's Get Users when a client is given; `Ok(None)` when neither knows it.
pub async fn id_of_login(
    store: Option<&dyn StreamerStore>,
    twitch: Option<&Helix>,
    login: &str,
) -> Result<Option<String>, IdLookupError> {
    if let Some(store) = store {
        if let Some(id) = store.id_of_login(login).await? {
            return Ok(Some(id));
        }
    }
    let Some(twitch) = twitch else {
        return Ok(None);
    };
    let found = twitch.users(&[], &[login]).await?;
    Ok(found
        .into_iter()
        .find(|u| u.login.eq_ignore_ascii_case(login))
        .map(|u| u.id))
}

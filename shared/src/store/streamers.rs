//! Streamers: who is wanted (by whom, since when, last watched), the scopes
//! the broadcaster granted our client, and the state of each EventSub type as
//! the subscription manager last left it.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::StoreError;

/// The state of one EventSub type for one streamer, as a person can act on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TypeState {
    Enabled {
        subscription_id: String,
    },
    WaitingForVerification {
        subscription_id: String,
    },
    NeedsAuthorization {
        scopes: Vec<String>,
        from: String,
    },
    Failed {
        reason: String,
    },
    Revoked {
        reason: String,
    },
    /// About to be created (replaced once Twitch answers).
    Creating,
}

/// One type's record: its state and how often it was recreated after failing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeRecord {
    pub state: TypeState,
    pub recreated: u32,
    pub updated_at_ms: i64,
}

/// A streamer as people name one: a Twitch user id or a login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamerRef {
    /// A Twitch user id (1–20 digits).
    Id(String),
    /// A Twitch login, lowercased (logins are case-insensitive).
    Login(String),
}

impl StreamerRef {
    /// Digits are a user id, else a login of 1–25 letters, digits and
    /// underscores; anything else is no streamer.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if (1..=20).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_digit) {
            return Some(Self::Id(text.to_owned()));
        }
        if (1..=25).contains(&bytes.len())
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            return Some(Self::Login(text.to_ascii_lowercase()));
        }
        None
    }
}

/// Who a streamer tracked by an admin was requested by: such a streamer stays
/// tracked until an admin releases it, whatever users do.
pub const PINNED_BY: &str = "admin";

/// The `by` of a user's wish for `existing`: an admin's pin is kept (a user's
/// favourite or subscribe must not turn it into theirs, which their removal
/// would then release).
pub fn wished_by(existing: Option<&Streamer>, user: &str) -> String {
    match existing {
        Some(s) if s.wanted && s.requested_by == PINNED_BY => PINNED_BY.to_owned(),
        _ => user.to_owned(),
    }
}

/// A request to track a streamer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wish {
    pub broadcaster_id: String,
    pub login: Option<String>,
    /// Who asked (a ticket's user, `anonymous`, `admin`).
    pub by: String,
    pub at_ms: i64,
}

/// A streamer as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Streamer {
    pub id: String,
    pub login: Option<String>,
    pub wanted: bool,
    pub wanted_since_ms: i64,
    /// Last time anyone asked for or watched it (releases idle ones).
    pub last_watched_ms: i64,
    pub requested_by: String,
    pub scopes: Vec<String>,
    pub types: BTreeMap<String, TypeRecord>,
}

/// One page of tracked streamer ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrackedPage {
    pub ids: Vec<String>,
    /// Pass back for the next page; `None` after the last.
    pub next: Option<String>,
}

/// Streamers and their wanted state.
#[async_trait]
pub trait StreamerStore: Send + Sync {
    /// Tracks a streamer (again), or refreshes when it was last watched.
    async fn want(&self, wish: &Wish) -> Result<(), StoreError>;

    /// One streamer with its type states.
    async fn streamer(&self, id: &str) -> Result<Option<Streamer>, StoreError>;

    /// The id of a known login.
    async fn id_of_login(&self, login: &str) -> Result<Option<String>, StoreError>;

    /// Tracked (wanted) streamers, by id, a page at a time.
    async fn tracked(&self, after: Option<&str>, limit: usize) -> Result<TrackedPage, StoreError>;

    /// Replaces the records of the given types.
    async fn set_types(
        &self,
        id: &str,
        types: &BTreeMap<String, TypeRecord>,
    ) -> Result<(), StoreError>;

    /// Records the scopes the broadcaster granted our client.
    async fn set_scopes(&self, id: &str, scopes: &[String], at_ms: i64) -> Result<(), StoreError>;

    /// Stops tracking (the manager then deletes its subscriptions).
    async fn release(&self, id: &str, at_ms: i64) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::StreamerRef;

    #[test]
    fn ids_and_logins() {
        assert_eq!(
            StreamerRef::parse("1337"),
            Some(StreamerRef::Id("1337".into()))
        );
        assert_eq!(
            StreamerRef::parse("Some_User"),
            Some(StreamerRef::Login("some_user".into()))
        );
        for bad in ["", "a b", "../x", &"a".repeat(26), "é"] {
            assert_eq!(StreamerRef::parse(bad), None, "{bad:?}");
        }
    }
}

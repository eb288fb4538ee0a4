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

//! Storage: one small trait per aggregate, with the types they exchange.
//!
//! - [`EventStore`]: EventSub notifications, stored once per message id, with
//!   exact per-day counters (SQLite: at write time; DynamoDB: by the stream's
//!   counting consumer, `dynamo::day_counts`).
//! - [`SubscriptionStore`]: what the webhook learned about each EventSub
//!   subscription (callback verified, revoked and why).
//! - [`connections::ConnectionStore`]: WebSocket connections and the streamers
//!   each one watches.
//! - [`streamers::StreamerStore`]: which streamers are wanted, and the state of
//!   each of their EventSub types.
//! - [`snapshots::SnapshotStore`]: live-stream snapshots, who is live, and the
//!   poller's lease, pause flag and status.
//! - [`coverage::GapStore`]: gaps in what was received (a streamer's type
//!   wanted and not covered), from open to recovering to closed.
//! - [`grants::GrantStore`]: each broadcaster's grant (their sealed Twitch
//!   tokens, apart from sessions: what recovery acts with).
//! - [`subscribers::SubscriberListStore`]: each broadcaster's kept
//!   subscriber list (the baseline a subscription gap is diffed against).
//! - [`sealed::SealedTokens`]: a user's Twitch tokens as kept (sealed), by
//!   sessions and grants alike.
//! - [`leases::LeaseStore`]: named leases (owner, expiry) for work that must
//!   never run twice at once across processes.
//! - [`users`]: users who logged in with Twitch, one trait per role:
//!   [`users::LoginStore`] (login states, users), [`users::SessionStore`],
//!   [`users::FavouriteStore`], [`users::OverlayStore`],
//!   [`users::AllowanceStore`] (tickets, allowances); [`users::UserStore`] is
//!   all of them (and [`grants::GrantStore`], on the same table).
//!
//! Adapters: `sqlite` (embedded, the local stack) and `dynamo` (AWS). Both pass
//! the same contract suite (`shared/tests/contract.rs`).

pub mod connections;
pub mod coverage;
#[cfg(feature = "dynamo")]
pub mod dynamo;
pub mod grants;
pub mod leases;
pub mod sealed;
pub mod snapshots;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod streamers;
pub mod subscribers;
pub mod users;

use async_trait::async_trait;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use time::{macros::format_description, OffsetDateTime};

use crate::eventsub::summary::Summary;

/// Most events one page returns, whatever was asked.
pub const MAX_PAGE: usize = 100;

/// The events a page of `limit` holds: at least one, at most [`MAX_PAGE`];
/// every adapter's pages go by it.
pub fn page_size(limit: usize) -> usize {
    limit.clamp(1, MAX_PAGE)
}

/// Most records one read of a list takes (live streams, tracked streamers,
/// snapshots), whatever was asked: a DynamoDB `Query` page's worth.
pub const MAX_READ: usize = 1000;

/// The records one list read of `limit` takes: at least one, at most
/// [`MAX_READ`]; every adapter's list reads go by it.
pub fn read_size(limit: usize) -> usize {
    limit.clamp(1, MAX_READ)
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed or is unreachable: nothing was acknowledged, retry.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A stored record could not be read back into its type.
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
    /// A cursor that this store did not hand out.
    #[error("invalid cursor")]
    InvalidCursor,
}

/// One EventSub notification as the system keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub message_id: String,
    pub broadcaster_id: String,
    /// `subscription.type`, e.g. `channel.follow`.
    pub event_type: String,
    pub event_version: String,
    pub subscription_id: String,
    /// When we accepted it, in Unix milliseconds: the feed's order.
    pub received_at_ms: i64,
    /// Present for the types the feed knows.
    pub summary: Option<Summary>,
    /// The `event` object exactly as Twitch sent it (for a recovered event,
    /// as rebuilt from what Helix answered).
    pub payload: String,
    /// `Some` when the event was not delivered but recovered from Helix
    /// after a coverage gap; `None` for every delivered event.
    pub recovery: Option<Recovery>,
}

/// How a recovered event was found: the Helix endpoint it was read from and
/// whether its time is the one Twitch gives or only an estimate (at the
/// latest the gap's end, where it then sorts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The endpoint by its name in Twitch's reference, e.g. `Get Channel Followers`.
    pub source: String,
    /// True when `received_at_ms` is the time Twitch gives for it.
    pub time_exact: bool,
}

impl Event {
    /// The wire fields saying whether the event was recovered, the same in
    /// the read API's events and the WebSocket's event frames: always
    /// `recovered`; for a recovered one also `source` and `time_exact`.
    pub fn recovery_fields(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut fields = serde_json::Map::new();
        fields.insert("recovered".into(), self.recovery.is_some().into());
        if let Some(r) = &self.recovery {
            fields.insert("source".into(), r.source.clone().into());
            fields.insert("time_exact".into(), r.time_exact.into());
        }
        fields
    }
}

/// An opaque position in a streamer's feed; safe to hand to clients.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor(String);

impl Cursor {
    /// The position of `event` (arrival time, then message id as tie-break).
    pub fn of(event: &Event) -> Self {
        Self(sort_key(event.received_at_ms, &event.message_id))
    }

    /// The sort key this cursor stands for (what both adapters order by).
    pub fn sort_key(&self) -> &str {
        &self.0
    }

    /// The position just before every event that arrived at `ms` or later:
    /// what "after" reads from for a time window.
    pub fn at_time(ms: i64) -> Self {
        Self(format!("{ms:013}#"))
    }

    /// Rebuilds a cursor from a stored sort key.
    #[cfg(any(feature = "dynamo", feature = "sqlite"))]
    pub(crate) fn from_sort_key(key: String) -> Self {
        Self(key)
    }

    /// Arrival time (Unix ms) and message id of the position; no id for a
    /// position at a time ([`Cursor::at_time`]).
    pub fn position(&self) -> (i64, Option<&str>) {
        let (ms, id) = self.0.split_once('#').unwrap_or((self.0.as_str(), ""));
        (ms.parse().unwrap_or(0), (!id.is_empty()).then_some(id))
    }

    /// The opaque text form given to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }

    /// Parses what [`Cursor::encode`] produced; anything else is refused.
    pub fn decode(text: &str) -> Result<Self, StoreError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| StoreError::InvalidCursor)?;
        let key = String::from_utf8(bytes).map_err(|_| StoreError::InvalidCursor)?;
        let (ms, id) = key.split_once('#').ok_or(StoreError::InvalidCursor)?;
        let valid = ms.len() == 13
            && ms.bytes().all(|b| b.is_ascii_digit())
            && !id.is_empty()
            && id.len() <= crate::eventsub::headers::MAX_MESSAGE_ID_LEN;
        if valid {
            Ok(Self(key))
        } else {
            Err(StoreError::InvalidCursor)
        }
    }
}

/// Fixed-width milliseconds so that text order is time order.
fn sort_key(received_at_ms: i64, message_id: &str) -> String {
    format!("{received_at_ms:013}#{message_id}")
}

/// An event with its feed position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub cursor: Cursor,
    pub event: Event,
}

/// One page of a feed and where the next one starts, if there may be more.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub events: Vec<StoredEvent>,
    pub next: Option<Cursor>,
}

/// What `append_once` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// Stored now, durably, at this position.
    Stored(Cursor),
    /// Already stored (same message id, or the same happening under another id).
    Duplicate,
}

/// How many events of one type a streamer had on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyCount {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub event_type: String,
    pub count: u64,
}

/// The UTC day (`YYYY-MM-DD`) of a Unix-milliseconds instant.
pub fn day_of(ms: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    at.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

/// A day's length in milliseconds (UTC days have no leap seconds here).
pub const DAY_MS: i64 = 86_400_000;

/// Midnight UTC of a [`day_of`] day, in Unix milliseconds (`None` when `day`
/// is not one).
pub fn day_start_ms(day: &str) -> Option<i64> {
    let date = time::Date::parse(day, format_description!("[year]-[month]-[day]")).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp() * 1000)
}

/// EventSub notifications, each stored once.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Stores `event` unless its message id (or `semantic_key`) was stored
    /// before, and counts it for its streamer, type and day, all atomically.
    /// Returns only once the outcome is durable.
    async fn append_once(
        &self,
        event: &Event,
        semantic_key: Option<&str>,
    ) -> Result<Appended, StoreError>;

    /// A streamer's events, newest first, older than `before` when given.
    async fn recent(
        &self,
        broadcaster_id: &str,
        limit: usize,
        before: Option<&Cursor>,
    ) -> Result<Page, StoreError>;

    /// A streamer's events newer than `after`, oldest first ("what I have not read").
    async fn after(
        &self,
        broadcaster_id: &str,
        after: &Cursor,
        limit: usize,
    ) -> Result<Page, StoreError>;

    /// Counts per type per day for days `from..=to` (`YYYY-MM-DD`), oldest first.
    async fn daily_counts(
        &self,
        broadcaster_id: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<DailyCount>, StoreError>;
}

/// What happened to a subscription, as the webhook saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionChange {
    /// We answered its challenge.
    CallbackVerified,
    /// Twitch revoked it; the reason is its new status.
    Revoked,
}

/// One observation of a subscription, stamped with the message's time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionUpdate {
    pub id: String,
    pub kind: String,
    pub version: String,
    pub broadcaster_id: Option<String>,
    /// The `condition` object as compact JSON.
    pub condition: String,
    /// Twitch's status in that message.
    pub status: String,
    pub change: SubscriptionChange,
    /// The message timestamp in Unix ms: older observations never overwrite newer.
    pub at_ms: i64,
}

/// What the system knows of one EventSub subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionState {
    pub id: String,
    pub kind: String,
    pub version: String,
    pub broadcaster_id: Option<String>,
    pub condition: String,
    pub status: String,
    pub callback_verified_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
    /// The revocation reason (`authorization_revoked`, `user_removed`, …).
    pub revocation_reason: Option<String>,
    pub updated_at_ms: i64,
}

/// EventSub subscription state, by Twitch subscription id.
#[async_trait]
pub trait SubscriptionStore: Send + Sync {
    /// Records an observation unless a newer one is already recorded.
    async fn record(&self, update: &SubscriptionUpdate) -> Result<(), StoreError>;

    /// The state of one subscription.
    async fn subscription(&self, id: &str) -> Result<Option<SubscriptionState>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_order_by_time() {
        let mk = |ms, id: &str| Event {
            message_id: id.into(),
            broadcaster_id: "b".into(),
            event_type: "t".into(),
            event_version: "1".into(),
            subscription_id: "s".into(),
            received_at_ms: ms,
            summary: None,
            payload: "{}".into(),
            recovery: None,
        };
        let early = Cursor::of(&mk(999, "z"));
        let late = Cursor::of(&mk(1_000, "a"));
        assert!(early < late);
        assert_eq!(Cursor::decode(&late.encode()).unwrap(), late);
        assert_eq!(late.position(), (1_000, Some("a")));
        assert_eq!(Cursor::at_time(5).position(), (5, None));
        assert!(
            Cursor::at_time(1_000) < late,
            "a time sorts before its events"
        );
    }

    #[test]
    fn foreign_cursors_are_refused() {
        for bad in [
            "",
            "!!!",
            &URL_SAFE_NO_PAD.encode("12#x"),
            &URL_SAFE_NO_PAD.encode("0000000001000#"),
        ] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn days_are_utc() {
        assert_eq!(day_of(1_772_368_496_000), "2026-03-01");
    }
}

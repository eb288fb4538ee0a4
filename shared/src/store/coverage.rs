//! Coverage as data: the **gaps**, windows in which a tracked streamer's
//! EventSub type was wanted and not received (a subscription revoked, failed,
//! or waiting for its callback's verification).
//!
//! A gap is keyed by (streamer, type, start). Its life:
//! - **open** ([`GapStore::open_gap`]): it started, its end is not known. At
//!   most one gap per (streamer, type) is open: opening again while one is
//!   open (a revocation delivered twice, the manager finding what the webhook
//!   already reported) changes nothing.
//! - **recovering** ([`GapStore::end_gap`]): receiving works again (the
//!   replacement subscription is enabled); what Helix still knows of the
//!   window may be fetched.
//! - **closed** ([`GapStore::settle_gap`]): recovery is done (or impossible);
//!   what was recovered is kept with it. What was not is shown as the gap.
//!
//! Readers: a streamer's gaps over a window ([`GapStore::gaps`], for the
//! coverage API and the feed's gap line) and the gaps not yet closed across
//! all streamers ([`GapStore::unsettled_gaps`], for the recovery worker and
//! the open-gaps metric).
//!
//! Our app's own subscriptions (`user.authorization.grant` / `.revoke`,
//! condition `client_id`) name no streamer: their gaps are kept under the
//! client id as a pseudo-streamer ([`gap_owner`]), their events under
//! [`UNATTRIBUTED`] ([`delivery_home`]).
//!
//! Both adapters keep gaps beside the streamers (`sqlite/gaps.rs`,
//! `dynamo/gaps.rs`); the item or row mapping stays there.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{EventStore, StoreError, SubscriptionStore, MAX_PAGE};
use crate::eventsub::subscription::Subscription;

/// The feed bucket of notifications whose condition names no broadcaster
/// (our app's own `user.authorization.*`).
pub const UNATTRIBUTED: &str = "_unattributed";

/// Who a subscription's coverage gaps belong to: its streamer, or for a
/// subscription about our own client (condition `client_id`) that client id,
/// a pseudo-streamer no Twitch user id can equal (ids are digits).
pub fn gap_owner(subscription: &Subscription) -> Option<&str> {
    subscription.broadcaster_id().or_else(|| {
        subscription
            .condition
            .get("client_id")
            .and_then(|v| v.as_str())
            .filter(|id| !id.is_empty())
    })
}

/// Where a subscription's deliveries are stored: its streamer's feed, else
/// [`UNATTRIBUTED`].
pub fn delivery_home(subscription: &Subscription) -> &str {
    subscription.broadcaster_id().unwrap_or(UNATTRIBUTED)
}

/// Where a gap is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapState {
    /// Not receiving since `from_ms`; the end is not known yet.
    Open,
    /// Receiving again since `to_ms`; recovery from Helix may run.
    Recovering,
    /// Done: what could be recovered was.
    Closed,
}

impl GapState {
    /// The stored name (`open`, `recovering`, `closed`).
    pub fn as_str(self) -> &'static str {
        match self {
            GapState::Open => "open",
            GapState::Recovering => "recovering",
            GapState::Closed => "closed",
        }
    }

    /// The state a stored name stands for.
    pub fn parse(text: &str) -> Option<Self> {
        [GapState::Open, GapState::Recovering, GapState::Closed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// What recovery found for a gap: events stored with their exact time, events
/// stored with a time only "within the gap", and a word on the rest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovered {
    pub exact: u64,
    pub approximate: u64,
    /// Why nothing (more) can be recovered, e.g. no Helix endpoint for the
    /// type, or the broadcaster must log in again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Recovery runs that failed in a row (Helix errors, no grant): how
    /// long the next one waits. Zero once it succeeds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempts: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Recovered {
    /// The stored form (JSON), the same in both adapters.
    pub fn to_json(&self) -> Result<String, StoreError> {
        serde_json::to_string(self).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Reads the stored form back.
    pub fn from_json(text: &str) -> Result<Self, StoreError> {
        serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("recovered: {e}")))
    }
}

/// Which gap: its streamer, type and start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GapKey {
    pub streamer_id: String,
    pub event_type: String,
    pub from_ms: i64,
}

/// One gap as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    pub key: GapKey,
    /// When receiving worked again; `None` while open.
    pub to_ms: Option<i64>,
    /// Why: the revocation or failure status (`notification_failures_exceeded`,
    /// `authorization_revoked`, `webhook_callback_verification_pending`, …).
    pub cause: String,
    pub state: GapState,
    pub recovered: Recovered,
    pub updated_at_ms: i64,
}

impl Gap {
    /// True when the gap shares an instant with `[from_ms, to_ms]` (an open
    /// gap reaches to now).
    pub fn overlaps(&self, from_ms: i64, to_ms: i64) -> bool {
        self.key.from_ms <= to_ms && self.to_ms.is_none_or(|end| end >= from_ms)
    }
}

/// The gaps in what a deployment received.
#[async_trait]
pub trait GapStore: Send + Sync {
    /// Opens a gap for `key`'s streamer and type from `key.from_ms`, unless
    /// one is open for them already. True when opened now.
    async fn open_gap(&self, key: &GapKey, cause: &str, at_ms: i64) -> Result<bool, StoreError>;

    /// Ends the open gap of (`streamer_id`, `event_type`) at `to_ms` and
    /// marks it recovering; `None` when none is open.
    async fn end_gap(
        &self,
        streamer_id: &str,
        event_type: &str,
        to_ms: i64,
    ) -> Result<Option<Gap>, StoreError>;

    /// Records what recovery found for a recovering gap and moves it to
    /// `state` (recovering while it goes on, closed when done). A gap that is
    /// open, closed already or unknown is left alone: false.
    async fn settle_gap(
        &self,
        key: &GapKey,
        state: GapState,
        recovered: &Recovered,
        at_ms: i64,
    ) -> Result<bool, StoreError>;

    /// A streamer's gaps that overlap `[from_ms, to_ms]`, oldest first.
    async fn gaps(
        &self,
        streamer_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Gap>, StoreError>;

    /// Gaps not closed yet (open or recovering), of every streamer, up to
    /// `limit` ([`super::read_size`]).
    async fn unsettled_gaps(&self, limit: usize) -> Result<Vec<Gap>, StoreError>;
}

/// The last instant, no later than `until_ms`, at which the subscription
/// `subscription_id`, whose events go to `streamer`'s feed
/// ([`delivery_home`]), is known to have delivered: its newest event among
/// that feed's newest page, else its verification. Where a
/// gap after delivery failures starts: the webhook's on a revocation, the
/// manager's when it finds the subscription ended first.
pub async fn last_known_delivery(
    events: &dyn EventStore,
    subscriptions: &dyn SubscriptionStore,
    streamer: &str,
    subscription_id: &str,
    until_ms: i64,
) -> Result<Option<i64>, StoreError> {
    let newest = events.recent(streamer, MAX_PAGE, None).await?;
    let stored = newest
        .events
        .iter()
        .find(|e| e.event.subscription_id == subscription_id)
        .map(|e| e.event.received_at_ms);
    let verified = subscriptions
        .subscription(subscription_id)
        .await?
        .and_then(|s| s.callback_verified_at_ms);
    Ok(stored.max(verified).filter(|at| *at <= until_ms))
}

//! The kept subscriber list: who we know subscribes to a broadcaster (user,
//! tier, gift, gifter), as Get Broadcaster Subscriptions listed them when
//! the list was taken. Twitch lists only today's subscribers, with no time:
//! who subscribed within a coverage gap is found by diffing today's list
//! against one kept from before the gap (plus the subscribers delivered
//! live since it was taken). One list per broadcaster; taking it again
//! replaces it whole.
//!
//! Both adapters keep it beside the streamer (`sqlite/subscriber_lists.rs`,
//! `dynamo/subscriber_lists.rs`).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::StoreError;

/// Most subscribers one kept list holds; a channel with more keeps none
/// (its subscriptions stay unrecoverable, the gap's note says why).
pub const MAX_KEPT: usize = 100_000;

/// One subscriber as kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownSubscriber {
    /// The subscriber's Twitch user id.
    pub user_id: String,
    /// `1000`, `2000` or `3000`.
    pub tier: String,
    /// True when the subscription was gifted.
    #[serde(default)]
    pub is_gift: bool,
    /// Who gifted it, when gifted and Twitch named them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gifter_id: Option<String>,
}

/// A broadcaster's kept list and when it was taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriberList {
    /// The broadcaster whose subscribers these are.
    pub broadcaster_id: String,
    /// When Helix was read for it (ms since the epoch).
    pub taken_at_ms: i64,
    /// The subscribers, in Helix's order.
    pub subscribers: Vec<KnownSubscriber>,
}

/// Why a list cannot be kept.
#[derive(Debug, thiserror::Error)]
pub enum KeepError {
    /// More subscribers than [`MAX_KEPT`].
    #[error("{0} subscribers is more than the {MAX_KEPT} a kept list holds")]
    TooMany(usize),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Kept subscriber lists, one per broadcaster.
#[async_trait]
pub trait SubscriberListStore: Send + Sync {
    /// Keeps `list` as its broadcaster's, replacing the one kept before.
    async fn keep_subscribers(&self, list: &SubscriberList) -> Result<(), KeepError>;

    /// The broadcaster's kept list, if one was ever taken (read consistently).
    async fn kept_subscribers(
        &self,
        broadcaster_id: &str,
    ) -> Result<Option<SubscriberList>, StoreError>;
}

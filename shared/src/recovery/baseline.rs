//! The subscriber list a `channel.subscribe` gap is diffed against, and
//! that diff run for a recovering gap ([`subscribed_within`]).
//!
//! The list is taken ([`keep_list`]) only while the broadcaster has no
//! unsettled gap of a subscription type, so it never holds a subscriber
//! from inside a gap (who would then never be found). Known before a gap =
//! the kept list ∪ whoever a live `channel.subscribe` or
//! `.subscription.message` named since it was taken.

use std::collections::HashSet;
use std::sync::Arc;

use crate::grants::{GrantError, OnValid};

use crate::helix::Helix;
use crate::store::coverage::{GapKey, GapStore};
use crate::store::subscribers::{KeepError, SubscriberList, SubscriberListStore, MAX_KEPT};
use crate::store::{Cursor, Event, EventStore, StoreError, MAX_READ};

use super::fetch::{self, Budget, FetchError};
use super::rebuild::Channel;
use super::subscribers::{diff, known, message_id, rebuilt};

/// The types whose gaps make a list taken now untrustworthy.
pub const SUBSCRIPTION_TYPES: [&str; 4] = [
    "channel.subscribe",
    "channel.subscription.gift",
    "channel.subscription.message",
    "channel.subscription.end",
];

/// The note of a subscribe gap with no list from before it.
pub const NO_LIST: &str = "no subscriber list was kept from before this gap (it is taken hourly \
                           once the broadcaster has granted access)";

/// Helix pages one list may take: [`MAX_KEPT`] at 100 a page, and one more
/// to see that there are more.
const LIST_PAGES: u32 = (MAX_KEPT / 100) as u32 + 1;

/// Feed pages read for the subscribers delivered live since the list.
const FEED_PAGES: usize = 100;

/// Why a list was not kept.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// Helix could not be read (or the list is longer than the pages allowed).
    #[error("Get Broadcaster Subscriptions: {0}")]
    Fetch(#[from] FetchError),
    /// The list could not be kept.
    #[error(transparent)]
    Keep(#[from] KeepError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No token for the broadcaster.
    #[error(transparent)]
    Grant(#[from] GrantError),
}

/// True when `broadcaster` has an unsettled subscription-type gap other
/// than `except`.
pub async fn gap_unsettled(
    gaps: &dyn GapStore,
    broadcaster: &str,
    except: Option<&GapKey>,
) -> Result<bool, StoreError> {
    Ok(gaps.unsettled_gaps(MAX_READ).await?.iter().any(|g| {
        g.key.streamer_id == broadcaster
            && SUBSCRIPTION_TYPES.contains(&g.key.event_type.as_str())
            && Some(&g.key) != except
    }))
}

/// Keeps `broadcaster`'s subscriber list as Helix lists it now (read with
/// their `token`), unless a subscription-type gap of theirs is unsettled;
/// whether it was kept.
pub async fn keep_list(
    helix: &Helix,
    token: &str,
    broadcaster: &str,
    gaps: &dyn GapStore,
    lists: &dyn SubscriberListStore,
    now_ms: i64,
) -> Result<bool, ListError> {
    if gap_unsettled(gaps, broadcaster, None).await? {
        return Ok(false);
    }
    let listed =
        fetch::subscribers(helix, token, broadcaster, &mut Budget::new(LIST_PAGES)).await?;
    lists
        .keep_subscribers(&SubscriberList {
            broadcaster_id: broadcaster.to_owned(),
            taken_at_ms: now_ms,
            subscribers: listed.iter().map(known).collect(),
        })
        .await?;
    Ok(true)
}

/// Takes broadcasters' subscriber lists: hourly, as each grant validates
/// ([`OnValid`]), or for one broadcaster now ([`ListKeeper::keep`]).
pub struct ListKeeper {
    pub helix: Arc<Helix>,
    pub gaps: Arc<dyn GapStore>,
    pub lists: Arc<dyn SubscriberListStore>,
}

impl ListKeeper {
    /// Keeps `broadcaster`'s list as Helix lists it now ([`keep_list`]).
    pub async fn keep(
        &self,
        broadcaster: &str,
        token: &str,
        now_ms: i64,
    ) -> Result<bool, ListError> {
        let (gaps, lists) = (self.gaps.as_ref(), self.lists.as_ref());
        keep_list(&self.helix, token, broadcaster, gaps, lists, now_ms).await
    }
}

#[async_trait::async_trait]
impl OnValid for ListKeeper {
    async fn valid(&self, broadcaster_id: &str, access_token: &str, now_s: i64) {
        match self.keep(broadcaster_id, access_token, now_s * 1000).await {
            Ok(_) => {}
            // The grant's sweep goes on; the list is taken again next hour.
            Err(e) => {
                tracing::warn!(broadcaster = broadcaster_id, error = %e, "subscriber list not kept")
            }
        }
    }
}

/// What the diff of a recovering `channel.subscribe` gap came to.
pub enum Subscribed {
    /// No list was kept from before the gap.
    NoList,
    /// The new subscribers as recovered events (approximate, at the gap's
    /// end), and today's list, to keep as the new baseline once they are
    /// stored (`None` while another subscription-type gap is unsettled).
    Found(Vec<Event>, Option<SubscriberList>),
}

/// Where the diff reads and keeps.
pub struct Diffing<'a> {
    pub helix: &'a Helix,
    pub gaps: &'a dyn GapStore,
    pub events: &'a dyn EventStore,
    pub lists: &'a dyn SubscriberListStore,
}

impl Diffing<'_> {
    /// The subscriptions made within the gap `key` (ended at `to_ms`): listed
    /// now, not known before.
    pub async fn subscribed_within(
        &self,
        key: &GapKey,
        to_ms: i64,
        token: &str,
        budget: &mut Budget,
        now_ms: i64,
    ) -> Result<Subscribed, ListError> {
        let broadcaster = key.streamer_id.as_str();
        let Some(kept) = self.lists.kept_subscribers(broadcaster).await? else {
            return Ok(Subscribed::NoList);
        };
        let live = self.live_since(broadcaster, kept.taken_at_ms).await?;
        // The whole list, on its own bound (as the hourly one): paged
        // against the run's few calls, a channel of more than a few
        // thousand subscribers would stop every run at this gap. The pages
        // spend the broadcaster's token's rate limit, not the app's.
        let pages = &mut Budget::new(LIST_PAGES);
        let listed = fetch::subscribers(self.helix, token, broadcaster, pages).await?;
        let current: Vec<_> = listed.iter().map(known).collect();
        let live: Vec<&str> = live.iter().map(String::as_str).collect();
        let found = diff(&kept.subscribers, &live, &current);
        let mut events = Vec::new();
        if !found.new.is_empty() {
            let (login, name) = fetch::names(self.helix, broadcaster, budget).await?;
            let channel = Channel {
                id: broadcaster,
                login: &login,
                name: &name,
            };
            for sub in &found.new {
                let names = listed
                    .iter()
                    .find(|l| l.user_id == sub.user_id)
                    .map(|l| (l.user_login.as_str(), l.user_name.as_str()));
                let happening = rebuilt("channel.subscribe", &channel, sub, names, to_ms);
                let (mut event, _) = happening.into_event(broadcaster);
                // Keyless: the gap and the user name it, so a retry is a duplicate.
                event.message_id =
                    message_id("channel.subscribe", broadcaster, &sub.user_id, key.from_ms);
                events.push(event);
            }
        }
        let baseline = if gap_unsettled(self.gaps, broadcaster, Some(key)).await? {
            None
        } else {
            Some(SubscriberList {
                broadcaster_id: broadcaster.to_owned(),
                taken_at_ms: now_ms,
                subscribers: current,
            })
        };
        Ok(Subscribed::Found(events, baseline))
    }

    /// The subscribers a live `channel.subscribe` or `.subscription.message`
    /// named since `taken_at_ms` (a gift's `user_id` is its gifter, whose
    /// recipients arrive as `channel.subscribe` each).
    async fn live_since(
        &self,
        broadcaster: &str,
        taken_at_ms: i64,
    ) -> Result<Vec<String>, StoreError> {
        let mut users = HashSet::new();
        let mut cursor = Cursor::at_time(taken_at_ms);
        for _ in 0..FEED_PAGES {
            let page = self.events.after(broadcaster, &cursor, MAX_READ).await?;
            for stored in &page.events {
                let event = &stored.event;
                let live = event.recovery.is_none()
                    && matches!(
                        event.event_type.as_str(),
                        "channel.subscribe" | "channel.subscription.message"
                    );
                if !live {
                    continue;
                }
                let payload: serde_json::Value =
                    serde_json::from_str(&event.payload).unwrap_or_default();
                if let Some(user) = payload["user_id"].as_str() {
                    users.insert(user.to_owned());
                }
            }
            match page.next {
                Some(next) => cursor = next,
                None => break,
            }
        }
        Ok(users.into_iter().collect())
    }
}

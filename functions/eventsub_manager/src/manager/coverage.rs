//! Coverage gaps as the manager sees them.
//!
//! - **Lapsed**: a subscription Twitch lists as ended (delivery failures,
//!   or revoked) opens a gap, whether or not its `revocation` message ever
//!   reached the webhook. It may not: Twitch sends it once, the stack may be
//!   down, and once this run deletes the ended subscription (to replace it)
//!   no revocation for it follows. Opening is idempotent, so the webhook's
//!   gap, when it came first, stands. It starts where the webhook's would:
//!   the subscription's last stored delivery, else its verification, else
//!   its creation (`coverage::last_known_delivery`, one home for both).
//! - **Moved**: a subscription moved to a new callback is deleted only once
//!   its replacement is enabled, and opens no gap. Only when Twitch refused
//!   the replacement beside it (409) was it deleted first: from then until
//!   the replacement is enabled the type is not received, a gap (cause
//!   [`MOVED`]).
//! - **The end**: a type whose subscription just became enabled (a new
//!   subscription id, enabled where it was not before) is received again,
//!   so its gap ends and waits for its recovery (`recovering`). A
//!   subscription still waiting for its callback's verification receives
//!   nothing: its gap stays open.

use std::collections::{BTreeMap, BTreeSet};

use shared::eventsub::subscription::Subscription;
use shared::store::coverage::{last_known_delivery, GapKey, GapState};
use shared::store::streamers::{Streamer, TypeState};
use shared::store::StoreError;

use super::Manager;

/// The cause of the gap a move that had to delete first opens.
pub const MOVED: &str = "callback_moved";

impl Manager {
    /// The types of `id` with an open gap: wanted, and not received now.
    pub(super) async fn types_not_received(
        &self,
        id: &str,
        now_ms: i64,
    ) -> Result<BTreeSet<String>, StoreError> {
        let Some(gaps) = &self.gaps else {
            return Ok(BTreeSet::new());
        };
        Ok(gaps
            .gaps(id, now_ms, now_ms)
            .await?
            .into_iter()
            .filter(|g| g.state == GapState::Open)
            .map(|g| g.key.event_type)
            .collect())
    }

    /// Opens a gap for each subscription of `id` that Twitch ended (unless
    /// one is open for its type already).
    pub(super) async fn open_lapsed_gaps(
        &self,
        id: &str,
        lapsed: &[Subscription],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let Some(gaps) = &self.gaps else {
            return Ok(());
        };
        for sub in lapsed {
            let known = match &self.deliveries {
                Some(events) => {
                    last_known_delivery(
                        events.as_ref(),
                        self.subscriptions.as_ref(),
                        id,
                        &sub.id,
                        now_ms,
                    )
                    .await?
                }
                None => self
                    .subscriptions
                    .subscription(&sub.id)
                    .await?
                    .and_then(|s| s.callback_verified_at_ms),
            };
            let from_ms = known
                .or_else(|| shared::clock::rfc3339_ms(&sub.created_at))
                .unwrap_or(now_ms)
                .min(now_ms);
            let key = GapKey {
                streamer_id: id.to_owned(),
                event_type: sub.kind.clone(),
                from_ms,
            };
            if gaps.open_gap(&key, sub.status.as_str(), now_ms).await? {
                tracing::warn!(
                    broadcaster = id,
                    kind = %sub.kind,
                    from_ms,
                    cause = %sub.status,
                    "coverage gap opened by the manager (no revocation came first)"
                );
            }
        }
        Ok(())
    }

    /// Opens a gap, from now, for each type of `id` whose subscription was
    /// deleted before its replacement at the new callback could be made.
    pub(super) async fn open_moved_gaps(
        &self,
        id: &str,
        kinds: &[String],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let Some(gaps) = &self.gaps else {
            return Ok(());
        };
        for kind in kinds {
            let key = GapKey {
                streamer_id: id.to_owned(),
                event_type: kind.clone(),
                from_ms: now_ms,
            };
            if gaps.open_gap(&key, MOVED, now_ms).await? {
                tracing::warn!(broadcaster = id, kind = %kind, "coverage gap opened: a move deleted the former subscription first");
            }
        }
        Ok(())
    }

    /// Ends the open gap of each type of `id` that `states` has enabled and
    /// `before` did not (with that subscription), at the moment Twitch could
    /// first deliver to it: when our callback answered its challenge, else
    /// now.
    pub(super) async fn end_gaps(
        &self,
        id: &str,
        before: Option<&Streamer>,
        states: &BTreeMap<String, TypeState>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let Some(gaps) = &self.gaps else {
            return Ok(());
        };
        for (kind, state) in states {
            let TypeState::Enabled { subscription_id } = state else {
                continue;
            };
            let was = before.and_then(|s| s.types.get(kind)).map(|r| &r.state);
            if was == Some(state) {
                continue;
            }
            let verified = self
                .subscriptions
                .subscription(subscription_id)
                .await?
                .and_then(|s| s.callback_verified_at_ms);
            let to_ms = verified.unwrap_or(now_ms).min(now_ms);
            if let Some(gap) = gaps.end_gap(id, kind, to_ms).await? {
                tracing::info!(
                    broadcaster = id,
                    kind = %kind,
                    from_ms = gap.key.from_ms,
                    to_ms,
                    cause = %gap.cause,
                    "coverage gap ended; recovering"
                );
            }
        }
        Ok(())
    }
}

//! The end of a coverage gap: a type whose subscription just became enabled
//! (a new subscription id, enabled where it was not before) is received
//! again, so the gap the webhook opened for it ends, and waits for its
//! recovery (`recovering`). A subscription still waiting for its callback's
//! verification receives nothing: its gap stays open.

use std::collections::BTreeMap;

use shared::store::streamers::{Streamer, TypeState};
use shared::store::StoreError;

use super::Manager;

impl Manager {
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

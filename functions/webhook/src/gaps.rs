//! The coverage gap a revocation opens: from when nothing of that
//! (streamer, type) arrives any more, for the reason Twitch gives.
//!
//! A revocation carries no failure time and no last-delivered time (see
//! `shared/reference/twitch-catchup.md` §1), so the start is inferred:
//! - `notification_failures_exceeded`: our callback failed (unreachable,
//!   5xx, too slow) for a while before Twitch gave up, and every event of
//!   that subscription in that while is lost. The gap starts at the last
//!   delivery we stored for that subscription (the reference's bound), else
//!   when it was verified (it received nothing before), else at the
//!   revocation. Not the streamer's newest event of any type: Twitch revokes
//!   each subscription on its own count of failures, so another type may
//!   already be delivering again when this one is revoked, and its newest
//!   event would start the gap after the loss. A subscription whose events
//!   are rare gets a long gap: it says "may be missing" of a window we
//!   cannot prove covered.
//! - any other reason (`authorization_revoked`, `user_removed`,
//!   `version_removed`, …): deliveries worked until Twitch ended the
//!   subscription, so the gap starts at the revocation.

use shared::eventsub::status::Status;
use shared::eventsub::subscription::Subscription;
use shared::store::coverage::{delivery_home, gap_owner, last_known_delivery, GapKey, GapStore};
use shared::store::StoreError;

use crate::WebhookState;

/// Opens the gap `subscription`'s revocation at `revoked_at_ms` leaves, if
/// gaps are kept, under its streamer or, for our app's own subscriptions,
/// under our client id (`coverage::gap_owner`). Safe to repeat: a
/// redelivery finds the gap open and changes nothing.
pub async fn open_for_revocation(
    state: &WebhookState,
    gaps: &dyn GapStore,
    subscription: &Subscription,
    revoked_at_ms: i64,
) -> Result<(), StoreError> {
    let Some(streamer) = gap_owner(subscription) else {
        return Ok(());
    };
    let from_ms = if subscription.status == Status::NotificationFailuresExceeded {
        last_known_delivery(
            state.events.as_ref(),
            state.subscriptions.as_ref(),
            delivery_home(subscription),
            &subscription.id,
            revoked_at_ms,
        )
        .await?
        .unwrap_or(revoked_at_ms)
    } else {
        revoked_at_ms
    };
    let key = GapKey {
        streamer_id: streamer.to_owned(),
        event_type: subscription.kind.clone(),
        from_ms,
    };
    let cause = subscription.status.as_str();
    if gaps.open_gap(&key, cause, revoked_at_ms).await? {
        tracing::warn!(broadcaster = streamer, kind = %key.event_type, from_ms, cause, "coverage gap opened");
    }
    Ok(())
}

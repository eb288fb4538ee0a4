//! Coverage of our app's own subscriptions (`user.authorization.grant` /
//! `.revoke`, condition `client_id`), kept under the client id as a
//! pseudo-streamer ([`Manager::app_key`], `coverage::gap_owner`).
//!
//! Like a streamer's types: a subscription of ours Twitch lists as failed or
//! revoked opens a gap from its last stored delivery (its events go to the
//! `_unattributed` feed), and one listed enabled ends it at its
//! verification. The failed ones are then deleted, so that a later pass does
//! not take them for a new outage. What a gap of these types costs, and
//! what makes up for it (no Helix endpoint lists past grants or revokes):
//! a missed revoke is caught by the hourly validation of sessions and
//! grants (Twitch answers 401 for the revoked token); a missed grant of a
//! user who logged in through this site is known from that login; a grant
//! made elsewhere matters to nobody here.

use futures_util::TryStreamExt;
use shared::eventsub::catalog;
use shared::eventsub::status::Status;
use shared::eventsub::subscription::Subscription;
use shared::helix::eventsub::Filter;
use shared::store::coverage::{delivery_home, last_known_delivery, GapKey, GapState, Recovered};

use super::{Manager, ManagerError};
use crate::app_subscriptions::{self, about_us};

/// The note an app gap's recovery carries: why nothing is fetched.
pub const APP_GAP_NOTE: &str = "no Twitch endpoint lists past grants or revokes: a missed revoke is caught by the hourly token validation, a missed grant of a user who logged in here is known from the login";

impl Manager {
    /// The pseudo-streamer our app's own subscriptions' gaps are kept under:
    /// our client id.
    pub fn app_key(&self) -> &str {
        &self.helix.config().client_id
    }

    /// Lists the app's own subscriptions, records their coverage and keeps
    /// one of each type; how many were created.
    pub(super) async fn keep_app_subscriptions(&self, now_ms: i64) -> Result<usize, ManagerError> {
        let mut listed = Vec::new();
        for kind in catalog::app_types() {
            let pages: Vec<_> = self
                .helix
                .subscriptions(&Filter::Type(kind.name.to_owned()))
                .try_collect()
                .await?;
            listed.extend(pages.into_iter().flat_map(|p| p.subscriptions));
        }
        let refs: Vec<&Subscription> = listed.iter().collect();
        self.keep_app_listed(&refs, now_ms).await
    }

    /// [`Manager::keep_app_subscriptions`] over subscriptions already listed.
    pub(super) async fn keep_app_listed(
        &self,
        listed: &[&Subscription],
        now_ms: i64,
    ) -> Result<usize, ManagerError> {
        let client_id = self.app_key().to_owned();
        let ours: Vec<&Subscription> = listed
            .iter()
            .copied()
            .filter(|s| about_us(s, &client_id))
            .filter(|s| s.callback() == Some(self.target.callback.as_str()))
            .collect();
        self.cover_app(&ours, now_ms).await?;
        for sub in ours
            .iter()
            .filter(|s| s.status.is_failed() || s.status.is_revoked())
        {
            // Its gap is recorded; listed again it would look like a new outage.
            if let Err(e) = self.helix.delete_subscription(&sub.id).await {
                tracing::warn!(id = %sub.id, error = %e, "could not delete an ended app subscription");
            }
        }
        Ok(app_subscriptions::keep(&self.helix, &self.target, &ours).await)
    }

    /// Per app type: ends its gap when a subscription is enabled, else opens
    /// one for a subscription Twitch ended.
    async fn cover_app(&self, ours: &[&Subscription], now_ms: i64) -> Result<(), ManagerError> {
        let Some(gaps) = &self.gaps else {
            return Ok(());
        };
        let key = self.app_key().to_owned();
        for kind in catalog::app_types() {
            let of_kind = || ours.iter().filter(|s| s.kind == kind.name);
            if let Some(enabled) = of_kind().find(|s| s.status == Status::Enabled) {
                let verified = self
                    .subscriptions
                    .subscription(&enabled.id)
                    .await?
                    .and_then(|s| s.callback_verified_at_ms);
                let to_ms = verified.unwrap_or(now_ms).min(now_ms);
                if let Some(gap) = gaps.end_gap(&key, kind.name, to_ms).await? {
                    // Nothing to fetch: closed at once, saying why.
                    let note = Recovered {
                        note: Some(APP_GAP_NOTE.to_owned()),
                        ..Recovered::default()
                    };
                    gaps.settle_gap(&gap.key, GapState::Closed, &note, now_ms)
                        .await?;
                    tracing::info!(
                        kind = kind.name,
                        from_ms = gap.key.from_ms,
                        to_ms,
                        "app coverage gap ended"
                    );
                }
                continue;
            }
            for sub in of_kind().filter(|s| s.status.is_failed() || s.status.is_revoked()) {
                let known = match &self.deliveries {
                    Some(events) => {
                        let home = delivery_home(sub);
                        last_known_delivery(
                            events.as_ref(),
                            self.subscriptions.as_ref(),
                            home,
                            &sub.id,
                            now_ms,
                        )
                        .await?
                    }
                    None => None,
                };
                let from_ms = known
                    .or_else(|| shared::clock::rfc3339_ms(&sub.created_at))
                    .unwrap_or(now_ms)
                    .min(now_ms);
                let gap = GapKey {
                    streamer_id: key.clone(),
                    event_type: sub.kind.clone(),
                    from_ms,
                };
                if gaps.open_gap(&gap, sub.status.as_str(), now_ms).await? {
                    tracing::warn!(kind = %sub.kind, from_ms, cause = %sub.status, "app coverage gap opened");
                }
            }
        }
        Ok(())
    }
}

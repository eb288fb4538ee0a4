//! The sweep: every tracked streamer reconciled (idle ones released
//! first), then the subscriptions of ours about streamers nobody tracks
//! deleted, under the sweep lease so that one sweep runs at a time.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::TryStreamExt;
use shared::eventsub::subscription::Subscription;
use shared::helix::eventsub::{Filter, Totals};

use super::{Manager, ManagerError};
use crate::lease;

/// What a sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// Another sweep held the sweep lease: nothing was done.
    pub skipped: bool,
    pub reconciled: usize,
    pub released: usize,
    pub failed: usize,
    /// Streamers left alone because another run held their lease (it
    /// reconciles them; the next sweep looks again).
    pub busy: usize,
    /// Subscriptions of ours about streamers nobody tracks, deleted.
    pub orphans_deleted: usize,
    /// Subscriptions about our own client (user grants and revocations) created.
    pub app_created: usize,
    /// The account's subscription budget as Twitch last listed it.
    pub budget: Option<Totals>,
}

impl Manager {
    /// Every tracked streamer: idle ones released, all reconciled; then
    /// subscriptions of ours about streamers nobody tracks are deleted.
    /// One streamer's failure does not stop the others. Skipped (and said
    /// so) while another sweep runs.
    pub async fn sweep(&self, now_ms: i64) -> Result<SweepReport, ManagerError> {
        self.sweep_after(now_ms, async {}).await.1
    }

    /// [`Manager::sweep`], running `first` before it under the same sweep
    /// lease: scheduled work that must not run twice at once either (the
    /// hourly session validation, whose refreshes would race). `first`'s
    /// output is `None` when the sweep was skipped or the lease could not
    /// be asked for.
    pub async fn sweep_after<T>(
        &self,
        now_ms: i64,
        first: impl std::future::Future<Output = T>,
    ) -> (Option<T>, Result<SweepReport, ManagerError>) {
        let held = match self.leases.take(lease::SWEEP).await {
            Ok(Some(held)) => held,
            Ok(None) => {
                tracing::info!("another sweep holds the sweep lease; skipped");
                let skipped = SweepReport {
                    skipped: true,
                    ..SweepReport::default()
                };
                return (None, Ok(skipped));
            }
            Err(e) => return (None, Err(e.into())),
        };
        let before = first.await;
        let done = self.sweep_held(now_ms).await;
        self.leases.give_back(held).await;
        (Some(before), done)
    }

    /// [`Manager::sweep`] under the sweep lease.
    async fn sweep_held(&self, now_ms: i64) -> Result<SweepReport, ManagerError> {
        // Twitch asks apps to validate their token at start-up and hourly;
        // the sweep runs more often than that. An invalid one is renewed.
        if !self.helix.validate_token().await? {
            tracing::warn!("the app token was no longer valid; a new one is used");
        }
        let mut report = SweepReport::default();
        let mut tracked = BTreeSet::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.streamers.tracked(after.as_deref(), 100).await?;
            for id in &page.ids {
                let Some(held) = self.leases.take_within(&lease::streamer(id)).await? else {
                    // Whoever holds it is reconciling it; it is not an orphan.
                    tracing::info!(broadcaster = %id, "busy; left to the run that holds it");
                    tracked.insert(id.clone());
                    report.busy += 1;
                    continue;
                };
                let done = self.sweep_one(id, now_ms, &mut report).await;
                self.leases.give_back(held).await;
                if done? {
                    tracked.insert(id.clone());
                }
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        let all: Vec<_> = self.helix.subscriptions(&Filter::All).try_collect().await?;
        let listed: Vec<&Subscription> = all.iter().flat_map(|p| &p.subscriptions).collect();
        report.budget = all.first().map(|p| p.totals);
        report.app_created = match self.keep_app_listed(&listed, now_ms).await {
            Ok(created) => created,
            Err(e) => {
                tracing::warn!(error = %e, "app subscriptions' coverage not recorded; the next pass retries");
                0
            }
        };
        // Ours, about streamers not tracked when the pass above read them.
        let mut candidates: BTreeMap<&str, Vec<&Subscription>> = BTreeMap::new();
        for sub in listed {
            if crate::app_subscriptions::about_us(sub, &self.helix.config().client_id) {
                continue;
            }
            let ours = self.target.callbacks().is_ours(sub);
            let owner = sub.broadcaster_id().unwrap_or_default();
            if ours && !tracked.contains(owner) {
                candidates.entry(owner).or_default().push(sub);
            }
        }
        for (owner, subs) in candidates {
            // Under the broadcaster's lease, and re-read there: a streamer
            // tracked since is not an orphan, and its reconcile cannot see a
            // subscription this pass is about to delete.
            let Some(held) = self.leases.take_within(&lease::streamer(owner)).await? else {
                report.busy += 1;
                continue;
            };
            let done = self.delete_orphans(owner, &subs).await;
            self.leases.give_back(held).await;
            report.orphans_deleted += done?;
        }
        Ok(report)
    }

    /// One tracked streamer in a sweep, under its lease: released when idle
    /// and nobody's favourite, then reconciled (a failure counted, not
    /// returned). True when it stays tracked.
    async fn sweep_one(
        &self,
        id: &str,
        now_ms: i64,
        report: &mut SweepReport,
    ) -> Result<bool, ManagerError> {
        let idle = self
            .streamers
            .streamer(id)
            .await?
            .is_some_and(|s| now_ms - s.last_watched_ms > self.release_after_ms);
        let kept = !idle || self.has_fans(id).await?;
        if !kept {
            self.streamers.release(id, now_ms).await?;
            report.released += 1;
        }
        match self.reconcile_held(id, now_ms).await {
            Ok(_) => report.reconciled += 1,
            Err(e) => {
                tracing::warn!(broadcaster = %id, error = %e, "reconcile failed; next sweep retries");
                report.failed += 1;
            }
        }
        Ok(kept)
    }

    /// Deletes `subs` (ours, about `owner`) unless `owner` is wanted now;
    /// the caller holds `owner`'s lease. How many were deleted.
    async fn delete_orphans(
        &self,
        owner: &str,
        subs: &[&Subscription],
    ) -> Result<usize, ManagerError> {
        if self
            .streamers
            .streamer(owner)
            .await?
            .is_some_and(|s| s.wanted)
        {
            return Ok(0);
        }
        // Released streamers were reconciled above; this catches the ones
        // the store never knew (an earlier deployment, a crash).
        let mut deleted = 0;
        for sub in subs {
            if self.helix.delete_subscription(&sub.id).await? {
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}

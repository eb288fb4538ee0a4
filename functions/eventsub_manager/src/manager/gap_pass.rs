//! The open-gap pass: every minute (in AWS an EventBridge `rate(1 minute)`
//! schedule, locally `--gap-pass-secs`), each streamer with a coverage gap
//! not yet settled gets its turn in [`Manager::gap_pass_one`], the one place
//! where per-streamer work of the pass goes.
//!
//! Why: after an outage the subscriptions Twitch ended are replaced only by a
//! reconcile, and the revocations that would trigger one are gone with the
//! subscriptions the manager deleted; the 10-minute sweep alone would end a
//! gap up to 10 minutes after the callback answers again, every event of
//! those minutes inside the gap. The pass ends it within a minute.
//!
//! Only gaps a reconcile can end are worth a Twitch call: a type revoked for
//! good (`authorization_revoked`, `user_removed`, …) waits for a person,
//! and a recovering gap waits for its recovery, not for a subscription.
//! The pass also measures what the open-gaps metric and alarm report.

use std::collections::BTreeMap;

use shared::eventsub::status::Status;
use shared::store::coverage::{Gap, GapState};
use shared::store::MAX_READ;

use super::{Manager, ManagerError};
use crate::lease;

/// What one open-gap pass did and saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GapPassReport {
    /// Gaps not closed yet (open or recovering), of every streamer and the app.
    pub unsettled: usize,
    /// Of those, the ones still open (nothing received for their type).
    pub open: usize,
    /// How long the oldest open gap has lasted, in milliseconds.
    pub oldest_open_ms: Option<i64>,
    /// Streamers reconciled (and the app's subscriptions kept) by the pass.
    pub reconciled: usize,
    /// Reconciles that failed (the next pass retries).
    pub failed: usize,
    /// Streamers whose lease another run held (it reconciles them).
    pub busy: usize,
}

/// True when a reconcile may end a gap of this cause: the subscription was
/// ended by our callback's failures (or not verified yet, or the stack was
/// down), not revoked for good at Twitch.
fn replaceable(cause: &str) -> bool {
    !Status::from(cause).is_revoked()
}

impl Manager {
    /// One open-gap pass over every streamer with an unsettled gap; one
    /// streamer's failure does not stop the others.
    pub async fn gap_pass(&self, now_ms: i64) -> Result<GapPassReport, ManagerError> {
        let Some(gaps) = &self.gaps else {
            return Ok(GapPassReport::default());
        };
        let unsettled = gaps.unsettled_gaps(MAX_READ).await?;
        let open: Vec<&Gap> = unsettled
            .iter()
            .filter(|g| g.state == GapState::Open)
            .collect();
        let mut report = GapPassReport {
            unsettled: unsettled.len(),
            open: open.len(),
            oldest_open_ms: open
                .iter()
                .map(|g| g.key.from_ms)
                .min()
                .map(|from| (now_ms - from).max(0)),
            ..GapPassReport::default()
        };
        let mut by_streamer: BTreeMap<&str, Vec<&Gap>> = BTreeMap::new();
        for gap in &unsettled {
            by_streamer
                .entry(&gap.key.streamer_id)
                .or_default()
                .push(gap);
        }
        for (id, its) in by_streamer {
            self.gap_pass_one(id, &its, now_ms, &mut report).await;
        }
        Ok(report)
    }

    /// One streamer's (or the app's) turn in the pass, with its unsettled
    /// gaps: reconciled under its lease when one of them is open for a cause
    /// a new subscription can end. Per-streamer work of the pass belongs here
    /// (a recovery of its recovering gaps, say).
    async fn gap_pass_one(&self, id: &str, gaps: &[&Gap], now_ms: i64, report: &mut GapPassReport) {
        let due = gaps
            .iter()
            .any(|g| g.state == GapState::Open && replaceable(&g.cause));
        if !due {
            return;
        }
        if id == self.app_key() {
            match self.keep_app_subscriptions(now_ms).await {
                Ok(_) => report.reconciled += 1,
                Err(e) => {
                    tracing::warn!(error = %e, "app subscriptions not kept; the next pass retries");
                    report.failed += 1;
                }
            }
            return;
        }
        let held = match self.leases.take_within(&lease::streamer(id)).await {
            Ok(Some(held)) => held,
            Ok(None) => {
                report.busy += 1;
                return;
            }
            Err(e) => {
                tracing::warn!(broadcaster = %id, error = %e, "no lease; the next pass retries");
                report.failed += 1;
                return;
            }
        };
        let done = self.reconcile_held(id, now_ms).await;
        self.leases.give_back(held).await;
        match done {
            Ok(_) => report.reconciled += 1,
            Err(e) => {
                tracing::warn!(broadcaster = %id, error = %e, "reconcile failed; the next pass retries");
                report.failed += 1;
            }
        }
    }
}

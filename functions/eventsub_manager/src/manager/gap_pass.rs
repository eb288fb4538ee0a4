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
//! While the outage lasts every replacement fails its challenge, so a pass
//! reconciles one streamer first, the one with the fewest open gaps (the
//! probe: the fewest Twitch calls), and the others only when one of the probe's gaps ended: one
//! reconcile a minute, not one per streamer, until the callback answers;
//! then every streamer's gaps end within two passes.
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
    /// Streamers not reconciled because the probe's gap did not end: the
    /// callback still does not answer (their turn comes once it does).
    pub held_back: usize,
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
        // The cheapest reconcile first (fewest open gaps, then the oldest):
        // the first one due is the probe.
        let mut owners: Vec<(&str, Vec<&Gap>)> = by_streamer.into_iter().collect();
        owners.sort_by_key(|(_, its)| {
            let open = its.iter().filter(|g| g.state == GapState::Open);
            (open.clone().count(), open.map(|g| g.key.from_ms).min())
        });
        let mut replacing = true;
        let mut probed = false;
        for (id, its) in &owners {
            let turn = self
                .gap_pass_one(id, its, replacing, now_ms, &mut report)
                .await;
            if matches!(turn, Turn::Received | Turn::Probed) && !probed {
                probed = true;
                // While the callback still does not answer (the outage goes
                // on), every streamer's replacements would fail their
                // challenge: replacing them all each pass spends the Helix
                // budget for nothing. Only once the probe's gap ends do the
                // others get theirs (a pass later: within two passes).
                replacing = turn == Turn::Received;
            }
        }
        Ok(report)
    }

    /// One streamer's (or the app's) turn in the pass, with its unsettled
    /// gaps: reconciled under its lease when one of them is open for a cause
    /// a new subscription can end, and `replacing` (else held back). Per-
    /// streamer work of the pass belongs here (a recovery of its recovering
    /// gaps, say).
    async fn gap_pass_one(
        &self,
        id: &str,
        gaps: &[&Gap],
        replacing: bool,
        now_ms: i64,
        report: &mut GapPassReport,
    ) -> Turn {
        let due = gaps
            .iter()
            .any(|g| g.state == GapState::Open && replaceable(&g.cause));
        if !due {
            return Turn::NotDue;
        }
        if id != self.app_key() {
            match self.streamers.streamer(id).await {
                Ok(Some(s)) if s.wanted => {}
                Ok(_) => return self.end_unwanted(id, gaps, now_ms, report).await,
                Err(e) => {
                    tracing::warn!(broadcaster = %id, error = %e, "store failed; the next pass retries");
                    report.failed += 1;
                    return Turn::NotDue;
                }
            }
        }
        if !replacing {
            report.held_back += 1;
            return Turn::HeldBack;
        }
        let done = if id == self.app_key() {
            self.keep_app_subscriptions(now_ms).await.map(|_| ())
        } else {
            match self.leases.take_within(&lease::streamer(id)).await {
                Ok(Some(held)) => {
                    let done = self.reconcile_held(id, now_ms).await.map(|_| ());
                    self.leases.give_back(held).await;
                    done
                }
                Ok(None) => {
                    report.busy += 1;
                    return Turn::Busy;
                }
                Err(e) => Err(e.into()),
            }
        };
        if let Err(e) = done {
            tracing::warn!(broadcaster = %id, error = %e, "reconcile failed; the next pass retries");
            report.failed += 1;
            return Turn::Probed;
        }
        report.reconciled += 1;
        // Did a gap end (the callback answered a replacement's challenge)?
        let still = self
            .types_not_received(id, now_ms)
            .await
            .unwrap_or_default();
        let was_open = gaps.iter().filter(|g| g.state == GapState::Open);
        if was_open.clone().any(|g| !still.contains(&g.key.event_type)) {
            Turn::Received
        } else {
            Turn::Probed
        }
    }
}

impl Manager {
    /// A gap is a window in which a type was *wanted* and not received: a
    /// streamer nobody tracks any more gets no replacement, so its open gaps
    /// end now (and wait for their recovery like any other).
    async fn end_unwanted(
        &self,
        id: &str,
        gaps: &[&Gap],
        now_ms: i64,
        report: &mut GapPassReport,
    ) -> Turn {
        let Some(store) = &self.gaps else {
            return Turn::NotDue;
        };
        for gap in gaps.iter().filter(|g| g.state == GapState::Open) {
            if let Err(e) = store.end_gap(id, &gap.key.event_type, now_ms).await {
                tracing::warn!(broadcaster = %id, error = %e, "store failed; the next pass retries");
                report.failed += 1;
            }
        }
        Turn::NotDue
    }
}

/// How one streamer's turn in the pass went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    /// No gap a reconcile can end.
    NotDue,
    /// Reconciled, and one of its gaps ended: the callback answers.
    Received,
    /// Reconciled (or failed), and every gap still open.
    Probed,
    /// Left for a pass in which the callback answers.
    HeldBack,
    /// Another run holds its lease.
    Busy,
}

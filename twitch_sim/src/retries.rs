//! What happens to a notification its callback did not acknowledge (no 2xx,
//! or unreachable), by the simulator's [`crate::RetryModel`] (Twitch does not
//! publish its own): it is resent under the same message id with a rising
//! `Twitch-Eventsub-Message-Retry`, at the model's intervals. A callback
//! whose messages fail every retry, [`crate::RetryModel::failure_threshold`]
//! in a row, has its enabled subscriptions set to
//! `notification_failures_exceeded`; each then gets its `revocation`
//! (Twitch's documented body: the subscription, no `event`) once the callback
//! can be reached again.

use std::sync::Arc;
use std::time::Duration;

use shared::eventsub::status::Status;

use super::state::SimSubscription;
use super::{Sim, SimError};

/// Rounds a courier tries a revocation the callback does not acknowledge
/// before it gives up (outage time does not count).
const MAX_REVOCATION_ROUNDS: u32 = 1_000;

impl Sim {
    /// Settles a notification's first attempt: acknowledged, or retried
    /// in the background on the model's schedule.
    pub(crate) fn settle(
        &self,
        sub: &SimSubscription,
        message_id: &str,
        body: &str,
        acknowledged: bool,
    ) {
        if acknowledged {
            self.acknowledged(&sub.callback, message_id);
            return;
        }
        if let Some(sim) = self.me.upgrade() {
            tokio::spawn(retry(
                sim,
                sub.clone(),
                message_id.to_owned(),
                body.to_owned(),
            ));
        }
    }

    /// The callback answered a 2xx to `message_id`: the ledger says
    /// delivered, and the callback's run of failures ends.
    pub(crate) fn acknowledged(&self, callback: &str, message_id: &str) {
        let mut state = self.state();
        state.ledger.acknowledge(message_id);
        state.exhausted.remove(callback);
    }

    /// A message to `callback` failed its last retry; at the threshold its
    /// enabled subscriptions are revoked and their revocations queued.
    fn exhausted(&self, callback: &str) {
        let threshold = self.config.retries.failure_threshold.max(1);
        let mut state = self.state();
        let count = state.exhausted.entry(callback.to_owned()).or_default();
        *count += 1;
        if *count < threshold {
            return;
        }
        state.exhausted.remove(callback);
        let mut revoked = Vec::new();
        for sub in state
            .subscriptions
            .iter_mut()
            .filter(|s| s.callback == callback && s.status == Status::Enabled)
        {
            sub.status = Status::NotificationFailuresExceeded;
            revoked.push(sub.id.clone());
        }
        tracing::info!(
            callback,
            revoked = revoked.len(),
            "notification_failures_exceeded"
        );
        state.revocations.extend(revoked);
        if state.courier || state.revocations.is_empty() {
            return;
        }
        if let Some(sim) = self.me.upgrade() {
            state.courier = true;
            tokio::spawn(courier(sim));
        }
    }
}

/// Resends one message on the model's schedule until a 2xx, the
/// subscription stops being enabled, or the retries run out.
async fn retry(sim: Arc<Sim>, sub: SimSubscription, message_id: String, body: String) {
    for n in 1usize.. {
        let Some(wait) = sim.config.retries.wait_before(n) else {
            break;
        };
        tokio::time::sleep(wait).await;
        let retry = u32::try_from(n).unwrap_or(u32::MAX);
        match sim.resend(&sub.id, &message_id, &body, retry).await {
            Ok(status) if (200..300).contains(&status) => {
                sim.acknowledged(&sub.callback, &message_id);
                return;
            }
            // Revoked or deleted meanwhile: Twitch sends it nothing more.
            Err(SimError::NotEnabled { .. } | SimError::UnknownSubscription(_)) => return,
            Ok(_) | Err(_) => {}
        }
    }
    sim.exhausted(&sub.callback);
}

/// Sends the queued revocations, each once acknowledged, waiting out any
/// outage; ends when none is left.
async fn courier(sim: Arc<Sim>) {
    let pause = sim
        .config
        .retries
        .wait_before(1)
        .unwrap_or(Duration::from_secs(1))
        .max(Duration::from_millis(10));
    let mut rounds = 0;
    loop {
        let left = sim.outage_left();
        if !left.is_zero() {
            tokio::time::sleep(left).await;
            continue;
        }
        let due = std::mem::take(&mut sim.state().revocations);
        let mut again = Vec::new();
        for id in due {
            match sim.send_revocation(&id).await {
                Ok(status) if (200..300).contains(&status) => {}
                Err(SimError::UnknownSubscription(_)) => {}
                Ok(_) | Err(_) => again.push(id),
            }
        }
        rounds += 1;
        {
            let mut state = sim.state();
            if rounds >= MAX_REVOCATION_ROUNDS {
                tracing::warn!(dropped = again.len(), "revocations never acknowledged");
                again.clear();
            }
            // Those not acknowledged go before any queued meanwhile.
            let later = std::mem::replace(&mut state.revocations, again);
            state.revocations.extend(later);
            if state.revocations.is_empty() {
                state.courier = false;
                return;
            }
        }
        tokio::time::sleep(pause).await;
    }
}

//! A steady stream of notifications to the enabled subscriptions, round
//! robin, with about 2 % of the messages resent under an earlier message id
//! (EventSub delivers at least once).

use std::sync::Arc;
use std::time::Duration;

use shared::eventsub::status::Status;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use super::random::mix;
use super::Sim;

/// Resends per thousand messages.
const RESENDS_PER_MILLE: u64 = 20;
/// Deliveries in flight at once; beyond this the generator waits for one.
const MAX_IN_FLIGHT: usize = 256;
/// Keeps the traffic's draws apart from the population's for the same seed.
const TRAFFIC_SALT: u64 = 0x7aff_1c00_0000_0001;

/// What one tick sends.
enum Job {
    New {
        subscription_id: String,
    },
    Again {
        subscription_id: String,
        message_id: String,
    },
}

impl Sim {
    /// Delivers notifications to enabled subscriptions at `per_second`
    /// until the handle is aborted; about 2 % resend an earlier message id.
    pub fn start_traffic(self: &Arc<Self>, per_second: f64) -> JoinHandle<()> {
        let sim = Arc::clone(self);
        tokio::spawn(async move {
            if !(per_second.is_finite() && per_second > 0.0) {
                return;
            }
            let period = Duration::try_from_secs_f64(1.0 / per_second)
                .unwrap_or(Duration::MAX)
                .max(Duration::from_micros(1));
            // The default (burst) catch-up keeps the average rate even above
            // the timer's 1 ms resolution.
            let mut ticks = tokio::time::interval(period);
            let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
            for n in 0u64.. {
                ticks.tick().await;
                let Some(job) = sim.next_job(n) else {
                    continue;
                };
                let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else {
                    return;
                };
                let sim = Arc::clone(&sim);
                tokio::spawn(async move {
                    let result = match &job {
                        Job::New { subscription_id } => {
                            sim.deliver(subscription_id).await.map(|(status, _)| status)
                        }
                        Job::Again {
                            subscription_id,
                            message_id,
                        } => sim.redeliver(subscription_id, message_id).await,
                    };
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "simulated notification not delivered");
                    }
                    drop(permit);
                });
            }
        })
    }

    /// Tick `n`'s message: a resend now and then, else the next enabled
    /// subscription in turn; `None` when nothing is enabled.
    fn next_job(&self, n: u64) -> Option<Job> {
        let roll = mix(self.config.seed ^ TRAFFIC_SALT, n);
        let state = self.state();
        if roll % 1000 < RESENDS_PER_MILLE {
            let resend = state.sent.nth((roll >> 16) as usize).filter(|(_, m)| {
                state
                    .subscription(&m.subscription_id)
                    .is_some_and(|s| s.status == Status::Enabled)
            });
            if let Some((message_id, sent)) = resend {
                return Some(Job::Again {
                    subscription_id: sent.subscription_id.clone(),
                    message_id: message_id.to_owned(),
                });
            }
        }
        let enabled: Vec<&str> = state
            .subscriptions
            .iter()
            .filter(|s| s.status == Status::Enabled)
            .map(|s| s.id.as_str())
            .collect();
        let pick = usize::try_from(n)
            .unwrap_or_default()
            .checked_rem(enabled.len())?;
        Some(Job::New {
            subscription_id: enabled[pick].to_owned(),
        })
    }
}

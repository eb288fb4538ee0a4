//! Carries out a [`Plan`] for one streamer against Twitch.

use std::collections::BTreeMap;

use futures_util::TryStreamExt;
use shared::config::EventSubSecret;
use shared::eventsub::catalog::Kind;
use shared::eventsub::status::Status;
use shared::eventsub::subscription::Subscription;
use shared::helix::eventsub::{Created, Filter, NewSubscription, Totals};
use shared::helix::{Helix, HelixError};

use crate::budget;
use crate::plan::{plan, Action, Callbacks, Desired, Plan, TypeState};

/// Where our subscriptions deliver, and how they are signed.
pub struct Target {
    /// The webhook URL (`https://…/eventsub`, or the local stack's).
    pub callback: String,
    /// Our former webhook URLs (`FORMER_CALLBACK_URLS`: the other front
    /// door): subscriptions at them are ours, moved to `callback`.
    pub former_callbacks: Vec<String>,
    pub secret: EventSubSecret,
    /// Percent of `max_total_cost` kept for streamers already tracked
    /// (`config::Budgets::eventsub_reserve_percent`).
    pub reserve_percent: u32,
}

/// `FORMER_CALLBACK_URLS`' value as a list: comma-separated, blanks ignored.
pub fn callback_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Target {
    /// The current callback and the former ones.
    pub fn callbacks(&self) -> Callbacks<'_> {
        Callbacks {
            current: &self.callback,
            former: &self.former_callbacks,
        }
    }
}

/// What reconciling one streamer did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub states: BTreeMap<String, TypeState>,
    pub created: usize,
    pub deleted: usize,
    /// The account's budget after the last call that reported it.
    pub totals: Option<Totals>,
    /// Types whose failed subscription was recreated in this run.
    pub recreated: Vec<String>,
    /// Types Twitch refused for lack of authorization (403) in this run.
    pub refused: Vec<String>,
    /// Subscriptions Twitch ended (delivery failures, or revoked) that this
    /// run deleted: each is a gap in coverage, whether or not its
    /// revocation message ever reached the webhook.
    pub lapsed: Vec<Subscription>,
    /// Types whose move to the current callback Twitch refused while the
    /// former subscription existed (409: one per type and condition), so it
    /// was deleted first: unsubscribed until the new one is enabled, a gap.
    pub interrupted: Vec<String>,
    /// Types still delivered by a subscription at a former callback.
    pub moving: Vec<String>,
}

/// Everything Twitch lists about `broadcaster` (any user id in the condition).
pub async fn listed(
    helix: &Helix,
    broadcaster: &str,
) -> Result<(Vec<Subscription>, Option<Totals>), HelixError> {
    let filter = Filter::UserId(broadcaster.to_owned());
    let pages: Vec<_> = helix.subscriptions(&filter).try_collect().await?;
    let totals = pages.last().map(|p| p.totals);
    Ok((
        pages.into_iter().flat_map(|p| p.subscriptions).collect(),
        totals,
    ))
}

/// Reconciles one streamer: lists, plans, deletes, creates. A transient
/// Twitch failure is an error (try again later); answers that say a create
/// cannot work become states and are not retried. A streamer with none of
/// our subscriptions yet (newly tracked) gets no create that would leave
/// less than the reserve of the budget; one already tracked may use it.
pub async fn reconcile(
    helix: &Helix,
    target: &Target,
    desired: &Desired,
) -> Result<Outcome, HelixError> {
    let (actual, totals) = listed(helix, &desired.broadcaster).await?;
    let Plan {
        actions,
        mut states,
        moving,
    } = plan(desired, &actual, target.callbacks());
    let mut outcome = Outcome {
        totals,
        moving: moving.keys().cloned().collect(),
        ..Default::default()
    };
    let failed_before: Vec<String> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Delete { id, why: "failed" } => {
                actual.iter().find(|s| &s.id == id).map(|s| s.kind.clone())
            }
            _ => None,
        })
        .collect();
    outcome.lapsed = actions
        .iter()
        .filter_map(|a| match a {
            Action::Delete {
                id,
                why: "failed" | "revoked",
            } => actual.iter().find(|s| &s.id == id),
            _ => None,
        })
        .filter(|s| s.status == Status::NotificationFailuresExceeded || s.status.is_revoked())
        .cloned()
        .collect();
    // Already tracked: Twitch lists subscriptions of ours about it.
    let tracked = actual.iter().any(|s| target.callbacks().is_ours(s));
    // Moved types whose new subscription awaits its challenge: (type, new, old).
    let mut awaiting = Vec::new();
    // Deletes first: they free budget the creates may need.
    for action in &actions {
        if let Action::Delete { id, why } = action {
            tracing::info!(subscription = %id, why, broadcaster = %desired.broadcaster, "deleting subscription");
            helix.delete_subscription(id).await?;
            outcome.deleted += 1;
        }
    }
    for action in &actions {
        let Action::Create(kind) = action else {
            continue;
        };
        let cost = budget::cost(kind, &desired.scopes);
        if let Some(t) = outcome.totals.filter(|_| !tracked) {
            let kept = budget::reserve(&t, target.reserve_percent);
            if !budget::fits(&t, cost, kept) {
                let reason = budget::reserved(&t, kept);
                states.insert(kind.name.to_owned(), TypeState::Failed { reason });
                continue;
            }
        }
        let new = NewSubscription::webhook(
            kind.name,
            kind.version,
            kind.condition(&desired.broadcaster),
            &target.callback,
            &target.secret,
        );
        let mut answer = helix.create_subscription(&new).await;
        if let (Ok(Created::Exists), Some(old)) = (&answer, moving.get(kind.name)) {
            // Twitch holds one per type and condition whatever the callback:
            // the move can only delete first (a gap until the new one is
            // enabled, opened by the manager).
            tracing::warn!(subscription = %old, kind = kind.name, broadcaster = %desired.broadcaster, "moving a subscription: Twitch refused a second one, deleting the former first");
            helix.delete_subscription(old).await?;
            outcome.deleted += 1;
            outcome.interrupted.push(kind.name.to_owned());
            outcome.moving.retain(|k| k != kind.name);
            answer = helix.create_subscription(&new).await;
        }
        let state = match answer {
            // Moving: the former subscription delivers until this one is
            // enabled (`finish_moves`, or a later run, deletes it then).
            Ok(Created::New(sub, t)) if outcome.moving.iter().any(|k| k == kind.name) => {
                outcome.created += 1;
                outcome.totals = Some(t);
                if let Some(old) = moving.get(kind.name) {
                    awaiting.push((kind.name, sub.id, old.clone()));
                }
                continue;
            }
            Ok(Created::New(sub, t)) => {
                outcome.created += 1;
                outcome.totals = Some(t);
                if failed_before.iter().any(|k| k == kind.name) {
                    outcome.recreated.push(kind.name.to_owned());
                }
                if sub.status == Status::Enabled {
                    TypeState::Enabled {
                        subscription_id: sub.id,
                    }
                } else {
                    TypeState::WaitingForVerification {
                        subscription_id: sub.id,
                    }
                }
            }
            // 409: one with this type and condition exists. Ours (created
            // concurrently, or not listed yet) or another callback's.
            Ok(Created::Exists) => existing(helix, target, desired, kind).await?,
            Err(e) => match e.status() {
                // Refused, and Twitch's own totals say the cost does not
                // fit: the budget, whatever the status (Twitch documents none).
                Some(400 | 403 | 429) if cost > 0 => {
                    match full_at_twitch(helix, desired, cost).await? {
                        Some(t) => {
                            outcome.totals = Some(t);
                            TypeState::Failed {
                                reason: budget::refused(&t, &e.to_string()),
                            }
                        }
                        None => refused_state(&mut outcome, kind, &e),
                    }
                }
                Some(400 | 403 | 429) => refused_state(&mut outcome, kind, &e),
                _ => return Err(e),
            },
        };
        states.insert(kind.name.to_owned(), state);
    }
    finish_moves(helix, desired, awaiting, &mut outcome, &mut states).await?;
    outcome.states = states;
    Ok(outcome)
}

/// Lists taken while moved types await their new subscriptions' challenges:
/// the first after [`MOVE_POLL`], each later one after twice the wait before.
const MOVE_POLLS: u32 = 5;
/// 100 + 200 + 400 + 800 + 1,600 ms: a working door answers a challenge
/// well within it.
const MOVE_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// Deletes each moved type's former subscription as soon as its replacement
/// is enabled, within a few seconds, rather than at the next run: while both
/// are enabled Twitch sends every event on both under two message ids, and a
/// type without a semantic dedupe key would be stored twice. What is not
/// enabled by then (the new door does not answer) is left to the next run,
/// the former subscription still delivering.
async fn finish_moves(
    helix: &Helix,
    desired: &Desired,
    mut awaiting: Vec<(&'static str, String, String)>,
    outcome: &mut Outcome,
    states: &mut BTreeMap<String, TypeState>,
) -> Result<(), HelixError> {
    let mut wait = MOVE_POLL;
    for _ in 0..MOVE_POLLS {
        if awaiting.is_empty() {
            break;
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
        let (listed, _) = listed(helix, &desired.broadcaster).await?;
        let enabled = |id: &str| {
            listed
                .iter()
                .any(|s| s.id == id && s.status == Status::Enabled)
        };
        let mut still = Vec::new();
        for (kind, new, old) in awaiting {
            if !enabled(&new) {
                still.push((kind, new, old));
                continue;
            }
            tracing::info!(subscription = %old, kind, broadcaster = %desired.broadcaster, "deleting subscription: moved");
            helix.delete_subscription(&old).await?;
            outcome.deleted += 1;
            outcome.moving.retain(|k| k != kind);
            states.insert(
                kind.to_owned(),
                TypeState::Enabled {
                    subscription_id: new,
                },
            );
        }
        awaiting = still;
    }
    Ok(())
}

/// The account's totals when, listed afresh, they say a create costing
/// `cost` does not fit; `None` when it would.
async fn full_at_twitch(
    helix: &Helix,
    desired: &Desired,
    cost: u64,
) -> Result<Option<Totals>, HelixError> {
    let (_, totals) = listed(helix, &desired.broadcaster).await?;
    Ok(totals.filter(|t| !budget::fits(t, cost, 0)))
}

/// The state of a create Twitch refused for a reason other than the budget.
fn refused_state(outcome: &mut Outcome, kind: &Kind, e: &HelixError) -> TypeState {
    match e.status() {
        Some(403) => {
            outcome.refused.push(kind.name.to_owned());
            TypeState::NeedsAuthorization {
                scopes: kind.scopes().iter().map(|s| s.to_string()).collect(),
                from: format!("the broadcaster (Twitch: {e})"),
            }
        }
        // Too many with this type and condition (a 429 with points left:
        // the client does not wait it out): retrying cannot work.
        Some(429) => TypeState::Failed {
            reason: format!(
                "Twitch allows no more subscriptions of this type for this streamer \
                 (ones it no longer lists may count; its support can remove them): {e}"
            ),
        },
        // A bad request: retrying the same request cannot work.
        _ => TypeState::Failed {
            reason: e.to_string(),
        },
    }
}

/// The state of a type whose create answered 409.
async fn existing(
    helix: &Helix,
    target: &Target,
    desired: &Desired,
    kind: &Kind,
) -> Result<TypeState, HelixError> {
    let (listed, _) = listed(helix, &desired.broadcaster).await?;
    let same =
        |s: &&Subscription| s.kind == kind.name && kind.matches(&s.condition, &desired.broadcaster);
    let ours = listed
        .iter()
        .filter(same)
        .find(|s| s.callback() == Some(target.callback.as_str()));
    Ok(match ours {
        Some(s) if s.status == Status::Enabled => TypeState::Enabled {
            subscription_id: s.id.clone(),
        },
        Some(s) => TypeState::WaitingForVerification {
            subscription_id: s.id.clone(),
        },
        None => TypeState::Failed {
            reason: "Twitch has this subscription with another callback (another deployment \
                     with this client id?)"
                .into(),
        },
    })
}

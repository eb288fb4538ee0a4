//! What to do for one streamer, decided from what is wanted and what Twitch
//! lists — a pure function, so every case is a unit test.
//!
//! Only subscriptions whose callback is ours are touched (another deployment
//! may share the client id). Per wanted type:
//! - a working one (enabled, or pending verification) is kept; extra copies
//!   of it are deleted (duplicates cost budget);
//! - failed ones are deleted and recreated: after too many delivery failures
//!   (`notification_failures_exceeded`: our callback was down, and every
//!   event until the new one is enabled is a coverage gap) at once and
//!   without a cap; after a failed verification up to [`MAX_RECREATE`]
//!   times, then reported;
//! - revoked ones are deleted and not recreated: the reason says what a
//!   person must do (authorize again, or nothing for a removed user);
//! - a type that needs an authorization we do not have is never attempted.
//!
//! Everything else of ours about the streamer (orphans, other versions, types
//! no longer wanted, streamers released) is deleted.
//!
//! A moved callback (another front door for the webhook): subscriptions at a
//! former callback are ours too. A working one keeps its type received
//! while one is created at the current callback, and is deleted only once
//! that one is enabled (EventSub may hold both; the store's dedupe folds
//! what both deliver). Its deletion is a move, not a lapse: no gap.

use std::collections::BTreeMap;

use shared::eventsub::catalog::{Kind, Needs};
use shared::eventsub::status::Status;
use shared::eventsub::subscription::Subscription;
pub use shared::store::streamers::TypeState;

/// Recreations of a type whose verification failed before it is left failed.
pub const MAX_RECREATE: u32 = 3;

/// What is wanted for one streamer.
#[derive(Clone, Debug, Default)]
pub struct Desired {
    pub broadcaster: String,
    /// False: release everything of ours about this streamer.
    pub wanted: bool,
    pub kinds: Vec<&'static Kind>,
    /// Scopes the broadcaster granted our client.
    pub scopes: Vec<String>,
    /// Types revoked through the webhook, with Twitch's reason (a final one:
    /// not `notification_failures_exceeded`, which is recreated).
    pub revoked: BTreeMap<String, String>,
    /// Times each type was recreated after failing.
    pub recreated: BTreeMap<String, u32>,
    /// Types left failed earlier (given up on), with the reason: not
    /// recreated until someone asks again (tracking it anew resets them).
    pub failed: BTreeMap<String, String>,
}

fn created_at(s: &Subscription) -> i64 {
    shared::clock::rfc3339_ms(&s.created_at).unwrap_or(i64::MAX)
}

/// One call to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Create(&'static Kind),
    Delete { id: String, why: &'static str },
}

/// The calls and the resulting states.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub states: BTreeMap<String, TypeState>,
    /// Types being moved to the current callback: the working subscription
    /// at a former callback that delivers them meanwhile (their state names
    /// it), by type.
    pub moving: BTreeMap<String, String>,
}

/// Where our subscriptions deliver: the current callback, and the former
/// ones (the webhook's other front door) whose subscriptions are moved.
#[derive(Clone, Copy, Debug)]
pub struct Callbacks<'a> {
    pub current: &'a str,
    pub former: &'a [String],
}

impl<'a> From<&'a str> for Callbacks<'a> {
    fn from(current: &'a str) -> Self {
        Self {
            current,
            former: &[],
        }
    }
}

impl Callbacks<'_> {
    /// True for a subscription delivering to any callback of ours.
    pub fn is_ours(&self, sub: &Subscription) -> bool {
        sub.callback()
            .is_some_and(|c| c == self.current || self.former.iter().any(|f| f == c))
    }
}

/// The state a working subscription gives its type.
fn working_state(s: &Subscription) -> TypeState {
    if s.status == Status::Enabled {
        TypeState::Enabled {
            subscription_id: s.id.clone(),
        }
    } else {
        TypeState::WaitingForVerification {
            subscription_id: s.id.clone(),
        }
    }
}

/// Plans one streamer. `actual` may hold anything Twitch listed.
pub fn plan<'a>(
    desired: &Desired,
    actual: &[Subscription],
    callbacks: impl Into<Callbacks<'a>>,
) -> Plan {
    let callbacks = callbacks.into();
    let mut plan = Plan::default();
    let mine: Vec<&Subscription> = actual
        .iter()
        .filter(|s| {
            callbacks.is_ours(s) && s.broadcaster_id() == Some(desired.broadcaster.as_str())
        })
        .collect();
    let mut claimed = vec![false; mine.len()];
    let kinds: &[&Kind] = if desired.wanted { &desired.kinds } else { &[] };
    for kind in kinds {
        let matching: Vec<usize> = (0..mine.len())
            .filter(|&i| {
                mine[i].kind == kind.name
                    && mine[i].version == kind.version
                    && kind.matches(&mine[i].condition, &desired.broadcaster)
            })
            .collect();
        for &i in &matching {
            claimed[i] = true;
        }
        // Working ones here, and at a former callback (being moved).
        let working_at = |here: bool| {
            let mut w: Vec<&Subscription> = matching
                .iter()
                .map(|&i| mine[i])
                .filter(|s| s.status.is_working())
                .filter(|s| (s.callback() == Some(callbacks.current)) == here)
                .collect();
            // Keep an enabled one over a pending one, then the oldest (by
            // parsed time: RFC 3339 text with trimmed fractions does not sort).
            w.sort_by_key(|s| (s.status != Status::Enabled, created_at(s)));
            w
        };
        let working = working_at(true);
        let former = working_at(false);
        for extra in working.iter().skip(1) {
            plan.actions.push(Action::Delete {
                id: extra.id.clone(),
                why: "duplicate",
            });
        }
        // Moved: the former ones go once the new one is enabled, not before.
        let moved = working.first().is_some_and(|s| s.status == Status::Enabled);
        for (n, old) in former.iter().enumerate() {
            if moved || n > 0 {
                plan.actions.push(Action::Delete {
                    id: old.id.clone(),
                    why: if moved { "moved" } else { "duplicate" },
                });
            }
        }
        let delivering = former.first().filter(|_| !moved && working.is_empty());
        let mut last_failure = None;
        let mut revoked = desired.revoked.get(kind.name).cloned();
        for &i in &matching {
            let s = mine[i];
            if s.status.is_failed() {
                // Delivery failures end when our callback is back: no cap.
                if s.status != Status::NotificationFailuresExceeded {
                    last_failure = Some(s.status.to_string());
                }
                plan.actions.push(Action::Delete {
                    id: s.id.clone(),
                    why: "failed",
                });
            } else if s.status.is_revoked() {
                revoked = Some(s.status.to_string());
                plan.actions.push(Action::Delete {
                    id: s.id.clone(),
                    why: "revoked",
                });
            }
        }
        let state = if let Some(s) = working.first().filter(|_| moved || former.is_empty()) {
            working_state(s)
        } else if let Some(old) = former.first().filter(|_| !working.is_empty()) {
            // The new one awaits its verification: the former delivers.
            plan.moving.insert(kind.name.to_owned(), old.id.clone());
            working_state(old)
        } else if let Some(reason) = revoked {
            TypeState::Revoked { reason }
        } else if !kind.unlocked_by(&desired.scopes) {
            TypeState::NeedsAuthorization {
                scopes: kind.scopes().iter().map(|s| s.to_string()).collect(),
                from: match kind.needs() {
                    Needs::BroadcasterOrModerator(_) => "the broadcaster or a moderator".into(),
                    _ => "the broadcaster".into(),
                },
            }
        } else if let Some(old) = delivering.filter(|_| {
            desired.failed.contains_key(kind.name)
                || (last_failure.is_some()
                    && desired.recreated.get(kind.name).copied().unwrap_or(0) >= MAX_RECREATE)
        }) {
            // The move is given up on for now (the new callback did not
            // verify): the former subscription still delivers.
            plan.moving.insert(kind.name.to_owned(), old.id.clone());
            working_state(old)
        } else if let Some(reason) = desired.failed.get(kind.name) {
            TypeState::Failed {
                reason: reason.clone(),
            }
        } else if last_failure.is_some()
            && desired.recreated.get(kind.name).copied().unwrap_or(0) >= MAX_RECREATE
        {
            TypeState::Failed {
                reason: format!(
                    "{} (recreated {MAX_RECREATE} times)",
                    last_failure.unwrap_or_default()
                ),
            }
        } else if let Some(old) = delivering {
            plan.actions.push(Action::Create(kind));
            plan.moving.insert(kind.name.to_owned(), old.id.clone());
            working_state(old)
        } else {
            plan.actions.push(Action::Create(kind));
            TypeState::Creating
        };
        plan.states.insert(kind.name.to_owned(), state);
    }
    for (i, s) in mine.iter().enumerate() {
        if !claimed[i] {
            plan.actions.push(Action::Delete {
                id: s.id.clone(),
                why: if desired.wanted {
                    "not wanted"
                } else {
                    "streamer released"
                },
            });
        }
    }
    plan
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_moving;

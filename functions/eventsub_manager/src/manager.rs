//! The manager: desired state from the streamers store, actual state from
//! Twitch, and what the webhook learned (revocations), reconciled one
//! streamer at a time or in a sweep over all of them, under store leases
//! ([`crate::lease`]). Beside it: `sweep.rs` (every tracked streamer),
//! `coverage.rs` (gaps opened and ended), `gap_pass.rs` (the one-minute
//! pass over open gaps), `app_coverage.rs` (the app's own subscriptions'
//! gaps), `stop.rs` (a stop of the stack as gaps), `release.rs` (when a
//! streamer nobody watches is let go).

mod app_coverage;
mod coverage;
mod gap_pass;
mod release;
mod stop;
mod sweep;

use std::collections::BTreeMap;
use std::sync::Arc;

use shared::eventsub::catalog;
use shared::eventsub::status::Status;
use shared::helix::users::{id_of_login, IdLookupError};
use shared::helix::{Helix, HelixError};
use shared::store::coverage::GapStore;
use shared::store::leases::LeaseStore;
use shared::store::streamers::{Streamer, StreamerStore, TypeRecord, TypeState, Wish};
use shared::store::users::FavouriteStore;
use shared::store::{EventStore, StoreError, SubscriptionStore};

use crate::apply::{reconcile, Outcome, Target};
use crate::lease::{self, Held, Leases};
use crate::plan::Desired;

/// A type given up on is tried again after this long.
pub const RETRY_FAILED_AFTER_MS: i64 = 6 * 3_600_000;

/// Why the manager could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    #[error("Twitch: {0}")]
    Twitch(#[from] HelixError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("no Twitch user has the login {0:?}")]
    UnknownLogin(String),
    #[error("{0:?} is neither a Twitch user id nor a login")]
    InvalidStreamer(String),
    /// Another invocation is reconciling this streamer: retry shortly.
    #[error("streamer {0} is being reconciled by another run; retry")]
    Busy(String),
}

/// Everything the manager works with.
pub struct Manager {
    pub helix: Arc<Helix>,
    pub target: Target,
    pub streamers: Arc<dyn StreamerStore>,
    pub subscriptions: Arc<dyn SubscriptionStore>,
    /// Streamers nobody watched for this long are released.
    pub release_after_ms: i64,
    /// Who may reconcile which streamer, and sweep (see [`crate::lease`]).
    pub leases: Leases,
    /// Users' favourites: a streamer someone has as a favourite is never
    /// released for being idle; `None` (no login configured): idle releases.
    pub users: Option<Arc<dyn FavouriteStore>>,
    /// Coverage gaps, ended when their type is enabled again; `None`: not kept.
    pub gaps: Option<Arc<dyn GapStore>>,
    /// The stored events, where a lapsed subscription's last delivery is
    /// found (its gap's start); `None`: its verification stands for it.
    pub deliveries: Option<Arc<dyn EventStore>>,
}

pub use app_coverage::APP_GAP_NOTE;
pub use gap_pass::GapPassReport;
pub use release::{release_after_ms_from_env, RELEASE_AFTER_HOURS};
pub use shared::store::streamers::StreamerRef;
pub use stop::STACK_STOPPED;
pub use sweep::SweepReport;

/// What a person typed (an id or a login), surrounding spaces ignored.
pub fn parse_streamer(text: &str) -> Result<StreamerRef, ManagerError> {
    StreamerRef::parse(text.trim()).ok_or_else(|| ManagerError::InvalidStreamer(text.to_owned()))
}

impl Manager {
    /// A manager over these parts that releases streamers after
    /// [`RELEASE_AFTER_HOURS`] and waits up to [`lease::LEASE_WAIT`] for a
    /// streamer's lease.
    pub fn new(
        helix: Arc<Helix>,
        target: Target,
        streamers: Arc<dyn StreamerStore>,
        subscriptions: Arc<dyn SubscriptionStore>,
        leases: Arc<dyn LeaseStore>,
    ) -> Self {
        Self {
            helix,
            target,
            streamers,
            subscriptions,
            release_after_ms: RELEASE_AFTER_HOURS * 3_600_000,
            leases: Leases::new(leases),
            users: None,
            gaps: None,
            deliveries: None,
        }
    }

    /// The same manager, waiting up to `wait` for a streamer's lease.
    pub fn lease_wait(mut self, wait: std::time::Duration) -> Self {
        self.leases.wait = wait;
        self
    }

    /// Takes `id`'s lease within the wait, or fails as busy.
    async fn hold(&self, id: &str) -> Result<Held, ManagerError> {
        self.leases
            .take_within(&lease::streamer(id))
            .await?
            .ok_or_else(|| ManagerError::Busy(id.to_owned()))
    }

    /// The same manager, keeping streamers that are someone's favourite.
    pub fn with_users(mut self, users: Arc<dyn FavouriteStore>) -> Self {
        self.users = Some(users);
        self
    }

    /// The same manager, starting the gaps it opens at the last delivery
    /// stored in `events`.
    pub fn with_deliveries(mut self, events: Arc<dyn EventStore>) -> Self {
        self.deliveries = Some(events);
        self
    }

    /// The same manager, ending coverage gaps in `gaps`.
    pub fn with_gaps(mut self, gaps: Arc<dyn GapStore>) -> Self {
        self.gaps = Some(gaps);
        self
    }

    /// The user id behind `streamer`, asking Twitch for logins we do not know
    /// (`shared::helix::users::id_of_login`).
    pub async fn resolve(
        &self,
        streamer: &StreamerRef,
    ) -> Result<(String, Option<String>), ManagerError> {
        match streamer {
            StreamerRef::Id(id) => Ok((id.clone(), None)),
            StreamerRef::Login(login) => {
                let id = id_of_login(Some(self.streamers.as_ref()), Some(&self.helix), login)
                    .await
                    .map_err(|e| match e {
                        IdLookupError::Store(e) => ManagerError::Store(e),
                        IdLookupError::Twitch(e) => ManagerError::Twitch(e),
                    })?
                    .ok_or_else(|| ManagerError::UnknownLogin(login.clone()))?;
                Ok((id, Some(login.clone())))
            }
        }
    }

    /// Tracks a streamer and reconciles it right away.
    pub async fn track(
        &self,
        streamer: &StreamerRef,
        by: &str,
        now_ms: i64,
    ) -> Result<Streamer, ManagerError> {
        let (id, login) = self.resolve(streamer).await?;
        let held = self.hold(&id).await?;
        let done = self.track_held(&id, login, by, now_ms).await;
        self.leases.give_back(held).await;
        done?;
        Ok(self
            .streamers
            .streamer(&id)
            .await?
            .ok_or(StoreError::Corrupt("tracked streamer vanished".into()))?)
    }

    /// [`Manager::track`] under the streamer's lease.
    async fn track_held(
        &self,
        id: &str,
        login: Option<String>,
        by: &str,
        now_ms: i64,
    ) -> Result<(), ManagerError> {
        self.streamers
            .want(&Wish {
                broadcaster_id: id.to_owned(),
                login,
                by: by.to_owned(),
                at_ms: now_ms,
            })
            .await?;
        // Asking again is how a person retries what was given up on.
        if let Some(s) = self.streamers.streamer(id).await? {
            let reset: BTreeMap<String, TypeRecord> = s
                .types
                .into_iter()
                .filter(|(_, r)| matches!(r.state, TypeState::Failed { .. }))
                .map(|(k, _)| {
                    let fresh = TypeRecord {
                        state: TypeState::Creating,
                        recreated: 0,
                        updated_at_ms: now_ms,
                    };
                    (k, fresh)
                })
                .collect();
            if !reset.is_empty() {
                self.streamers.set_types(id, &reset).await?;
            }
        }
        self.reconcile_held(id, now_ms).await?;
        Ok(())
    }

    /// Stops tracking a streamer and deletes its subscriptions.
    pub async fn untrack(&self, id: &str, now_ms: i64) -> Result<(), ManagerError> {
        let held = self.hold(id).await?;
        let done = async {
            self.streamers.release(id, now_ms).await?;
            self.reconcile_held(id, now_ms).await
        }
        .await;
        self.leases.give_back(held).await;
        done.map(|_| ())
    }

    /// Types revoked for good according to the webhook (Twitch may no longer
    /// list them). A revocation for delivery failures is not final: the type
    /// is recreated at once ([`crate::plan`]).
    async fn revoked(&self, streamer: &Streamer) -> Result<BTreeMap<String, String>, StoreError> {
        let mut revoked = BTreeMap::new();
        let not_final = Status::NotificationFailuresExceeded;
        for (kind, record) in &streamer.types {
            match &record.state {
                TypeState::Revoked { reason } if *reason != not_final.as_str() => {
                    revoked.insert(kind.clone(), reason.clone());
                }
                TypeState::Enabled { subscription_id }
                | TypeState::WaitingForVerification { subscription_id }
                    if !subscription_id.is_empty() =>
                {
                    if let Some(sub) = self.subscriptions.subscription(subscription_id).await? {
                        if let Some(reason) = sub
                            .revocation_reason
                            .filter(|r| sub.revoked_at_ms.is_some() && *r != not_final.as_str())
                        {
                            revoked.insert(kind.clone(), reason);
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(revoked)
    }

    /// Reconciles one streamer (tracked or released) and stores the states,
    /// under its lease ([`ManagerError::Busy`] when another run holds it).
    pub async fn reconcile_one(&self, id: &str, now_ms: i64) -> Result<Outcome, ManagerError> {
        let held = self.hold(id).await?;
        let done = self.reconcile_held(id, now_ms).await;
        self.leases.give_back(held).await;
        done
    }

    /// [`Manager::reconcile_one`] for a caller that holds the lease.
    async fn reconcile_held(&self, id: &str, now_ms: i64) -> Result<Outcome, ManagerError> {
        let stored = self.streamers.streamer(id).await?;
        let lapsed = self.types_not_received(id, now_ms).await?;
        let desired = match &stored {
            Some(s) => Desired {
                broadcaster: id.to_owned(),
                wanted: s.wanted,
                kinds: catalog::tracked().collect(),
                scopes: s.scopes.clone(),
                revoked: self.revoked(s).await?,
                // A type whose gap is open is not being received: its
                // replacement's verification may fail while the callback is
                // still unreachable (the outage goes on), and that must not
                // spend the cap meant for a callback that never verifies.
                recreated: s
                    .types
                    .iter()
                    .map(|(k, r)| (k.clone(), if lapsed.contains(k) { 0 } else { r.recreated }))
                    .collect(),
                // Given up on for a while, not for ever: a webhook outage
                // must not switch types off permanently.
                failed: s
                    .types
                    .iter()
                    .filter(|(_, r)| now_ms - r.updated_at_ms < RETRY_FAILED_AFTER_MS)
                    .filter_map(|(k, r)| match &r.state {
                        TypeState::Failed { reason } => Some((k.clone(), reason.clone())),
                        _ => None,
                    })
                    .collect(),
            },
            None => Desired {
                broadcaster: id.to_owned(),
                ..Default::default()
            },
        };
        let outcome = reconcile(&self.helix, &self.target, &desired).await?;
        if !outcome.refused.is_empty() {
            // Twitch says the authorization we thought we had is not there:
            // forget those scopes so the types are not tried again until the
            // broadcaster grants them anew.
            let refused: Vec<&str> = outcome
                .refused
                .iter()
                .filter_map(|k| catalog::kind(k))
                .flat_map(|k| k.scopes().iter().copied())
                .collect();
            let kept: Vec<String> = desired
                .scopes
                .iter()
                .filter(|s| !refused.contains(&s.as_str()))
                .cloned()
                .collect();
            self.streamers.set_scopes(id, &kept, now_ms).await?;
        }
        if stored.is_some() {
            // Before the states are stored: should this fail, the next run
            // still sees the type newly enabled and ends the gap then.
            self.open_lapsed_gaps(id, &outcome.lapsed, now_ms).await?;
            self.open_moved_gaps(id, &outcome.interrupted, now_ms)
                .await?;
            self.end_gaps(id, stored.as_ref(), &outcome.states, now_ms)
                .await?;
            let records = outcome
                .states
                .iter()
                .map(|(kind, state)| {
                    let before = desired.recreated.get(kind).copied().unwrap_or(0);
                    let recreated = if outcome.recreated.contains(kind) {
                        before + 1
                    } else if matches!(state, TypeState::Enabled { .. })
                        && !outcome.moving.contains(kind)
                    {
                        // Received at our callback: the cap starts again
                        // (not while a former callback's subscription
                        // delivers and the new one fails to verify).
                        0
                    } else {
                        before
                    };
                    // "Since when": an unchanged state keeps its time.
                    let since = stored
                        .as_ref()
                        .and_then(|s| s.types.get(kind))
                        .filter(|r| &r.state == state)
                        .map_or(now_ms, |r| r.updated_at_ms);
                    (
                        kind.clone(),
                        TypeRecord {
                            state: state.clone(),
                            recreated,
                            updated_at_ms: since,
                        },
                    )
                })
                .collect();
            self.streamers.set_types(id, &records).await?;
        }
        tracing::info!(
            broadcaster = id,
            created = outcome.created,
            deleted = outcome.deleted,
            "reconciled"
        );
        Ok(outcome)
    }
}

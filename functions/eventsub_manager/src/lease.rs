//! The manager's leases: what keeps concurrent invocations from deleting a
//! subscription someone wants.
//!
//! Lambda runs as many instances of the manager as there is work: a
//! scheduled sweep (up to 900 s), single-streamer reconciles from the
//! streamers table's stream, and the admin routes (track, untrack), all at
//! once, on different machines. Nothing in memory is shared, so the store
//! decides who may touch what ([`shared::store::leases`]: an owner unique
//! per invocation, an expiry, one conditional write to take it, given back
//! only by its owner).
//!
//! - **`streamer#<id>`**, one per streamer: held by every reconcile of that
//!   streamer (stream batch, admin track and untrack, and the sweep while it
//!   reconciles or releases that streamer). Track and untrack take it before
//!   they change the wanted state, so a sweep's idle release cannot
//!   interleave with an admin's track. Two reconciles of one streamer never
//!   run together (they would list the same state and race on the same
//!   creates); different streamers go in parallel.
//! - **`sweep`**: held by the whole scheduled run (the sessions' hourly
//!   validation, then the sweep), so two never run together (the app
//!   subscriptions, the orphan pass and the session token refreshes are the
//!   holder's alone). A second run does nothing and reports itself skipped.
//! - **The orphan pass** deletes our subscriptions about streamers nobody
//!   wants. Before deleting a broadcaster's, it takes that broadcaster's
//!   streamer lease and re-reads whether it is wanted, deleting only under
//!   the lease. Every change of the wanted state is followed by a reconcile
//!   under the same lease (the stream trigger, or track itself), so either
//!   that reconcile runs after the deletion and creates the subscriptions
//!   again, or it ran before the re-read and the re-read sees the streamer
//!   wanted. Without the lease a reconcile could list a subscription as
//!   present, skip creating it, and the sweep delete it just after.
//!
//! Nobody waits behind a sweep: the sweep holds a streamer's lease only
//! while it works on that one streamer. A reconcile that cannot take its
//! streamer's lease within [`LEASE_WAIT`] fails with
//! [`crate::manager::ManagerError::Busy`]: the stream batch reports that
//! record as a batch item failure (Lambda retries it), an admin call answers
//! 503 "busy, retry". A sweep that finds a streamer busy leaves it to whoever
//! holds it (and to the next sweep) and counts it as busy.
//!
//! A lease lasts [`LEASE_MS`], longer than any invocation may run (Lambda's
//! hard limit is 15 minutes), so a live holder never loses it; every path
//! gives it back when done, and one that is killed (timeout, crash) blocks
//! that streamer, or the sweep, until it expires.

use std::sync::Arc;
use std::time::Duration;

use shared::clock::now_ms;
use shared::store::leases::LeaseStore;
use shared::store::StoreError;

/// How long a lease is held unless given back: a little over Lambda's
/// 15-minute limit, so it outlives the invocation that took it.
pub const LEASE_MS: i64 = 16 * 60 * 1000;

/// How long a reconcile waits for its streamer's lease before it fails as
/// busy, by default: well under the HTTP API's 30 s, and a single
/// streamer's reconcile is a few Twitch calls.
pub const LEASE_WAIT: Duration = Duration::from_secs(10);

/// How often a waiting reconcile tries the lease again.
const RETRY_EVERY: Duration = Duration::from_millis(100);

/// The sweep's lease.
pub const SWEEP: &str = "sweep";

/// The lease of one streamer's subscriptions.
pub fn streamer(id: &str) -> String {
    format!("streamer#{id}")
}

/// A lease this invocation holds; give it back with [`Leases::give_back`].
#[derive(Debug)]
#[must_use = "a held lease must be given back"]
pub struct Held {
    name: String,
    owner: String,
}

/// The leases, as the manager takes them.
pub struct Leases {
    store: Arc<dyn LeaseStore>,
    /// How long [`Leases::take_within`] tries.
    pub wait: Duration,
}

impl Leases {
    /// Leases in `store`, waited for up to [`LEASE_WAIT`].
    pub fn new(store: Arc<dyn LeaseStore>) -> Self {
        Self {
            store,
            wait: LEASE_WAIT,
        }
    }

    /// Takes `name` under a new owner if it is free now.
    pub async fn take(&self, name: &str) -> Result<Option<Held>, StoreError> {
        let owner = uuid::Uuid::new_v4().to_string();
        let now = now_ms();
        let taken = self
            .store
            .take_lease(name, &owner, now, now + LEASE_MS)
            .await?;
        Ok(taken.then(|| Held {
            name: name.to_owned(),
            owner,
        }))
    }

    /// Takes `name`, trying again until [`Leases::wait`] has passed.
    pub async fn take_within(&self, name: &str) -> Result<Option<Held>, StoreError> {
        let deadline = tokio::time::Instant::now() + self.wait;
        loop {
            if let Some(held) = self.take(name).await? {
                return Ok(Some(held));
            }
            if tokio::time::Instant::now() + RETRY_EVERY > deadline {
                return Ok(None);
            }
            tokio::time::sleep(RETRY_EVERY).await;
        }
    }

    /// Gives a lease back. A failure is logged, not returned: the work it
    /// guarded is done, and the lease expires on its own.
    pub async fn give_back(&self, held: Held) {
        if let Err(e) = self.store.return_lease(&held.name, &held.owner).await {
            tracing::warn!(lease = %held.name, error = %e, "could not give a lease back; it expires on its own");
        }
    }
}

//! Leases: who may do a piece of work that must never run twice at once,
//! across processes (the poller's run, the subscription manager's sweep and
//! each streamer's reconcile).
//!
//! A lease has a name, an owner (unique per invocation) and an expiry. It is
//! taken with one conditional write that succeeds when the lease is free, has
//! expired, or is already the owner's (a renewal); it is given back only by
//! its owner. A holder that crashes never gives it back: the lease expires,
//! so its expiry must outlast the longest run that may hold it.
//!
//! Both adapters keep the one conditional write in one place
//! (`dynamo/leases.rs`, `sqlite/leases.rs`); the poller's lease
//! ([`super::snapshots::SnapshotStore::acquire_lease`]) is the same write,
//! on its own item in DynamoDB (the snapshots table, where it always was)
//! and under the name [`POLLER`] in SQLite.

use async_trait::async_trait;

use super::StoreError;

/// The poller's lease.
pub const POLLER: &str = "poller";

/// Named leases.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes the lease `name` for `owner` until `until_ms`, unless another
    /// owner holds one that has not expired at `now_ms`. True when taken
    /// (or renewed by its owner).
    async fn take_lease(
        &self,
        name: &str,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Gives the lease `name` back, only if `owner` holds it.
    async fn return_lease(&self, name: &str, owner: &str) -> Result<(), StoreError>;
}

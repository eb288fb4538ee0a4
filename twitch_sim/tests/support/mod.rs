//! What the tests run against the simulator share, in this crate and in
//! the crates tested against it (`local`, `poller` include this file): an
//! in-memory store, and waiting for a condition with a deadline instead of
//! sleeping.

// Each test file compiles its own copy and uses only part of it.
#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use shared::config::Retention;
use shared::store::sqlite::{Durability, SqliteStore};
use tokio::time::Instant;

/// How long a test waits for anything before it fails instead of hanging.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A fresh in-memory store.
pub fn memory_store() -> Arc<SqliteStore> {
    Arc::new(SqliteStore::open(":memory:", Durability::PowerLoss, Retention::default()).unwrap())
}

/// Polls `check` every 10 ms until it holds; fails the test after [`PATIENCE`].
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + PATIENCE;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// [`eventually`] for a condition that needs no waiting to check.
pub async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    eventually(what, || std::future::ready(done())).await
}

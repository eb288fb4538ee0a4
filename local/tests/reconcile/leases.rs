//! Two managers at once, as two Lambda instances over one store and one
//! Twitch: the store leases keep a sweep from deleting what the other one
//! tracks, keep two sweeps apart, and never make an admin call wait behind
//! a sweep. Every interleaving is forced by holding one request at the
//! simulator's door, never by timing.

use std::time::Duration;

use async_trait::async_trait;
use shared::store::StoreError;
use tokio::sync::Notify;

use super::*;

/// Another streamer, tracked before the sweep.
const OTHER: &str = "2024";

/// The store's leases, telling the test each time one is refused.
struct Watched {
    inner: Arc<SqliteStore>,
    refused: Arc<Notify>,
}

#[async_trait]
impl LeaseStore for Watched {
    async fn take_lease(
        &self,
        name: &str,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let taken = self.inner.take_lease(name, owner, now_ms, until_ms).await?;
        if !taken {
            // A permit is kept if nobody waits yet: no wake-up is lost.
            self.refused.notify_one();
        }
        Ok(taken)
    }

    async fn return_lease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        self.inner.return_lease(name, owner).await
    }
}

impl World {
    /// A second manager over the same store and simulator, whose refused
    /// leases are told to `refused`, waiting up to `wait` for a lease.
    fn second(&self, refused: &Arc<Notify>, wait: Duration) -> Manager {
        let leases = Arc::new(Watched {
            inner: self.store.clone(),
            refused: Arc::clone(refused),
        });
        manager_at(
            &self.base,
            &self.sim,
            &self.callback,
            self.store.clone(),
            leases,
        )
        .lease_wait(wait)
    }

    /// The types of ours about `id` at Twitch.
    fn kinds_of(&self, id: &str) -> BTreeSet<String> {
        self.ours(id).into_iter().map(|s| s.kind).collect()
    }
}

fn open() -> BTreeSet<String> {
    OPEN.iter().map(|k| k.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_never_deletes_the_subscriptions_of_a_streamer_tracked_while_it_runs() {
    let w = world().await;
    w.track().await;
    w.challenged().await;
    assert_eq!(w.kinds_of(STREAMER), open());
    // Released in the store only, as after an untrack whose reconcile has
    // not run yet: to the sweep, its subscriptions are orphans.
    w.store.release(STREAMER, now_ms()).await.unwrap();

    let refused = Arc::new(Notify::new());
    let tracker = w.second(&refused, Duration::from_secs(30));
    // The sweep is stopped at its first DELETE: the orphan pass has decided
    // that the streamer is not wanted and is about to delete.
    let mut delete = w.sim.hold_next("DELETE", SUBSCRIPTIONS);
    let sweep = w.manager.sweep(now_ms());
    let race = async {
        delete.arrived().await;
        let streamer = StreamerRef::Id(STREAMER.into());
        let track = tracker.track(&streamer, "test", now_ms());
        tokio::pin!(track);
        // Without the lease the track runs to its end here: it lists the
        // subscriptions the sweep is about to delete and creates nothing.
        // With it, the track is refused the lease the sweep holds.
        let finished = tokio::select! {
            done = &mut track => Some(done),
            () = refused.notified() => None,
        };
        delete.release();
        match finished {
            Some(done) => done,
            None => track.await,
        }
    };
    let (swept, tracked) = tokio::join!(sweep, race);
    let swept = swept.unwrap();
    let tracked = tracked.unwrap_or_else(|e| panic!("tracking failed: {e}"));

    assert!(tracked.wanted);
    assert_eq!(swept.orphans_deleted, OPEN.len(), "{swept:?}");
    assert_eq!(
        w.kinds_of(STREAMER),
        open(),
        "every wanted type has its subscription at Twitch"
    );
    assert!(w.stored(STREAMER).await.wanted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sweep_is_skipped_while_one_runs() {
    let w = world().await;
    w.track().await;
    let refused = Arc::new(Notify::new());
    let other = w.second(&refused, Duration::from_millis(200));
    // The first sweep is stopped at its first call (the token validation),
    // holding the sweep lease.
    let mut validate = w.sim.hold_next("GET", "/oauth2/validate");
    let first = w.manager.sweep(now_ms());
    let second = async {
        validate.arrived().await;
        let report = other.sweep(now_ms()).await;
        validate.release();
        report
    };
    let (first, second) = tokio::join!(first, second);
    let (first, second) = (first.unwrap(), second.unwrap());
    assert!(second.skipped, "{second:?}");
    assert_eq!(second.reconciled, 0);
    assert!(!first.skipped, "{first:?}");
    assert_eq!(first.reconciled, 1);
    // Once the first is done the lease is free again.
    assert!(!other.sweep(now_ms()).await.unwrap().skipped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_calls_never_wait_behind_a_sweep_and_a_busy_streamer_answers_503() {
    let w = world().await;
    w.manager
        .track(&StreamerRef::Id(OTHER.into()), "test", now_ms())
        .await
        .unwrap();
    let refused = Arc::new(Notify::new());
    let admin_side = w.second(&refused, Duration::from_millis(300));
    // The sweep is stopped inside its reconcile of OTHER (listing its
    // subscriptions), holding the sweep lease and OTHER's lease.
    let mut listing = w.sim.hold_next("GET", SUBSCRIPTIONS);
    let sweep = w.manager.sweep(now_ms());
    let calls = async {
        listing.arrived().await;
        let call = |method: &str, path: &str, body: Value| AdminRequest {
            method: method.into(),
            path: path.into(),
            authorization: Some(format!("Bearer {ADMIN_TOKEN}")),
            body: body.to_string(),
        };
        // Another streamer: tracked and subscribed while the sweep is held.
        let tracked = admin::route(
            &admin_side,
            ADMIN_TOKEN,
            &call("POST", "/admin/streamers", json!({"streamer": STREAMER})),
            now_ms(),
        )
        .await;
        let subscribed = w.kinds_of(STREAMER);
        // The streamer the sweep holds: busy, retry.
        let busy = admin::route(
            &admin_side,
            ADMIN_TOKEN,
            &call("DELETE", &format!("/admin/streamers/{OTHER}"), json!({})),
            now_ms(),
        )
        .await;
        listing.release();
        (tracked, subscribed, busy)
    };
    let (swept, (tracked, subscribed, busy)) = tokio::join!(sweep, calls);
    assert_eq!(tracked.status, 200, "{:?}", tracked.body);
    assert_eq!(tracked.body["wanted"], true);
    assert_eq!(
        subscribed,
        open(),
        "created while the sweep was still running"
    );
    assert_eq!(busy.status, 503, "{:?}", busy.body);
    assert_eq!(busy.body["error"], "busy");
    let swept = swept.unwrap();
    assert!(!swept.skipped);
    // The untrack that was refused changed nothing: OTHER is still wanted,
    // and a retry once the sweep is done goes through.
    assert!(w.stored(OTHER).await.wanted);
    admin_side.untrack(OTHER, now_ms()).await.unwrap();
    assert!(!w.stored(OTHER).await.wanted);
    assert!(w.kinds_of(OTHER).is_empty());
}

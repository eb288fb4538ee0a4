//! The leases contract: SQLite (memory, file) and DynamoDB Local with the
//! template's `SubscriptionsTable`, where the named leases live beside the
//! subscriptions.

#[allow(dead_code)] // the table helpers serve every suite
#[macro_use]
mod support;

use std::sync::Arc;

use shared::clock::now_ms;
use shared::config::Retention;
use shared::store::dynamo::DynamoStore;
use shared::store::leases::LeaseStore;
use shared::store::sqlite::{Durability, SqliteStore};
use shared::store::{SubscriptionChange, SubscriptionStore, SubscriptionUpdate};

/// What the subscription manager's store offers: leases beside subscriptions.
trait Store: LeaseStore + SubscriptionStore {}
impl<T: LeaseStore + SubscriptionStore> Store for T {}

async fn one_holder_at_a_time(store: Arc<dyn Store>) {
    let t = now_ms();
    assert!(store.take_lease("sweep", "a", t, t + 60_000).await.unwrap());
    assert!(
        !store
            .take_lease("sweep", "b", t + 1, t + 60_001)
            .await
            .unwrap(),
        "a holds it"
    );
    assert!(
        store
            .take_lease("sweep", "a", t + 2, t + 60_002)
            .await
            .unwrap(),
        "the holder may renew"
    );
    // b's give-back does nothing; a's frees it.
    store.return_lease("sweep", "b").await.unwrap();
    assert!(!store
        .take_lease("sweep", "b", t + 3, t + 60_003)
        .await
        .unwrap());
    store.return_lease("sweep", "a").await.unwrap();
    assert!(store
        .take_lease("sweep", "b", t + 4, t + 60_004)
        .await
        .unwrap());
    // Giving back what nobody holds is not an error.
    store.return_lease("never-taken", "a").await.unwrap();
}

async fn a_crashed_holders_lease_expires(store: Arc<dyn Store>) {
    let t = now_ms();
    assert!(store
        .take_lease("streamer#7", "crashed", t, t + 1_000)
        .await
        .unwrap());
    assert!(
        !store
            .take_lease("streamer#7", "b", t + 999, t + 61_000)
            .await
            .unwrap(),
        "not expired yet"
    );
    assert!(
        store
            .take_lease("streamer#7", "b", t + 1_001, t + 61_001)
            .await
            .unwrap(),
        "an expired lease is taken over"
    );
    // The old holder wakes up: its give-back must not free b's lease.
    store.return_lease("streamer#7", "crashed").await.unwrap();
    assert!(!store
        .take_lease("streamer#7", "c", t + 1_002, t + 61_002)
        .await
        .unwrap());
    // Nor may it renew over b.
    assert!(!store
        .take_lease("streamer#7", "crashed", t + 1_003, t + 61_003)
        .await
        .unwrap());
}

async fn leases_are_independent_by_name(store: Arc<dyn Store>) {
    let t = now_ms();
    assert!(store.take_lease("sweep", "a", t, t + 60_000).await.unwrap());
    assert!(store
        .take_lease("streamer#1", "a", t, t + 60_000)
        .await
        .unwrap());
    assert!(
        store
            .take_lease("streamer#2", "b", t, t + 60_000)
            .await
            .unwrap(),
        "another streamer's lease is free while a sweep runs"
    );
    assert!(!store
        .take_lease("streamer#1", "b", t, t + 60_000)
        .await
        .unwrap());
    store.return_lease("streamer#1", "a").await.unwrap();
    assert!(store
        .take_lease("streamer#1", "b", t, t + 60_000)
        .await
        .unwrap());
    assert!(
        !store.take_lease("sweep", "b", t, t + 60_000).await.unwrap(),
        "still a's"
    );
}

async fn racing_takers_get_it_once(store: Arc<dyn Store>) {
    let t = now_ms();
    let racers = (0..16).map(|i| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            store
                .take_lease("streamer#race", &format!("owner-{i}"), t, t + 60_000)
                .await
                .unwrap()
        })
    });
    let mut won = 0;
    for racer in racers {
        won += usize::from(racer.await.unwrap());
    }
    assert_eq!(won, 1, "exactly one of the racers holds the lease");
}

async fn leases_leave_subscriptions_alone(store: Arc<dyn Store>) {
    let t = now_ms();
    let update = SubscriptionUpdate {
        id: "f1c2a387-161a-49f9-a165-0f21d7a4e1c4".into(),
        kind: "stream.online".into(),
        version: "1".into(),
        broadcaster_id: Some("7".into()),
        condition: r#"{"broadcaster_user_id":"7"}"#.into(),
        status: "enabled".into(),
        change: SubscriptionChange::CallbackVerified,
        at_ms: t,
    };
    store.record(&update).await.unwrap();
    assert!(store
        .take_lease("streamer#7", "a", t, t + 60_000)
        .await
        .unwrap());
    store.return_lease("streamer#7", "a").await.unwrap();
    let kept = store.subscription(&update.id).await.unwrap().unwrap();
    assert_eq!(kept.broadcaster_id.as_deref(), Some("7"));
    assert_eq!(kept.callback_verified_at_ms, Some(t));
}

store_contract!(
    one_holder_at_a_time,
    a_crashed_holders_lease_expires,
    leases_are_independent_by_name,
    racing_takers_get_it_once,
    leases_leave_subscriptions_alone,
);

fn sqlite(path: &str) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(path, Durability::PowerLoss, Retention::default()).unwrap())
}

async fn dynamo() -> Arc<dyn Store> {
    let client = DynamoStore::local_client(&support::endpoint());
    let run = uuid::Uuid::new_v4().simple().to_string();
    let tables = support::create_event_tables(&client, &run).await;
    Arc::new(DynamoStore::new(client, tables, Retention::default()))
}

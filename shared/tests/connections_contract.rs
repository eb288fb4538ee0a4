//! The connections contract: SQLite (memory, file) and DynamoDB Local with the
//! template's `ConnectionsTable`.

#[allow(dead_code)] // the event-table helpers serve the other suite
#[macro_use]
mod support;

use std::sync::Arc;

use shared::clock::now_ms;
use shared::config::Retention;
use shared::store::connections::{ConnectionStore, NewConnection, Subscribed, CONNECTION_TTL_MS};
use shared::store::dynamo::{DynamoConnectionStore, DynamoStore};
use shared::store::sqlite::{Durability, SqliteStore};

fn conn(id: &str, at: i64) -> NewConnection {
    NewConnection {
        id: id.into(),
        principal: "dev-user".into(),
        session: None,
        connected_at_ms: at,
    }
}

fn opened_by(id: &str, principal: &str, session: Option<&str>, at: i64) -> NewConnection {
    NewConnection {
        id: id.into(),
        principal: principal.into(),
        session: session.map(str::to_owned),
        connected_at_ms: at,
    }
}

async fn subscribers_are_found_by_streamer(store: Arc<dyn ConnectionStore>) {
    let now = now_ms();
    for id in ["c1", "c2", "c3"] {
        store.connect(&conn(id, now)).await.unwrap();
    }
    for id in ["c1", "c3"] {
        assert_eq!(
            store.subscribe(id, "1337", 10, now).await.unwrap(),
            Subscribed::Added
        );
    }
    store.subscribe("c2", "42", 10, now).await.unwrap();
    let page = store.subscribers("1337", None, 100, now).await.unwrap();
    assert_eq!(page.connection_ids, ["c1", "c3"]);
    assert_eq!(page.next, None);
    assert_eq!(store.topics("c2", now).await.unwrap(), ["42"]);
}

async fn subscribing_twice_is_reported_and_kept_once(store: Arc<dyn ConnectionStore>) {
    let now = now_ms();
    store.connect(&conn("c1", now)).await.unwrap();
    assert_eq!(
        store.subscribe("c1", "1337", 10, now).await.unwrap(),
        Subscribed::Added
    );
    assert_eq!(
        store.subscribe("c1", "1337", 10, now).await.unwrap(),
        Subscribed::Already
    );
    assert_eq!(store.topics("c1", now).await.unwrap(), ["1337"]);
}

async fn the_topic_cap_holds_and_frees_up_on_unsubscribe(store: Arc<dyn ConnectionStore>) {
    let now = now_ms();
    store.connect(&conn("c1", now)).await.unwrap();
    for b in ["a", "b"] {
        assert_eq!(
            store.subscribe("c1", b, 2, now).await.unwrap(),
            Subscribed::Added
        );
    }
    assert_eq!(
        store.subscribe("c1", "c", 2, now).await.unwrap(),
        Subscribed::TooManyTopics
    );
    assert!(store.unsubscribe("c1", "a").await.unwrap());
    assert!(!store.unsubscribe("c1", "a").await.unwrap());
    assert_eq!(
        store.subscribe("c1", "c", 2, now).await.unwrap(),
        Subscribed::Added
    );
    assert_eq!(store.topics("c1", now).await.unwrap(), ["b", "c"]);
}

async fn unknown_and_expired_connections_cannot_subscribe(store: Arc<dyn ConnectionStore>) {
    let now = now_ms();
    assert_eq!(
        store.subscribe("ghost", "1337", 10, now).await.unwrap(),
        Subscribed::UnknownConnection
    );
    store
        .connect(&conn("old", now - CONNECTION_TTL_MS - 60_000))
        .await
        .unwrap();
    assert_eq!(
        store.subscribe("old", "1337", 10, now).await.unwrap(),
        Subscribed::UnknownConnection
    );
}

async fn expired_topics_are_not_subscribers(store: Arc<dyn ConnectionStore>) {
    let now = now_ms();
    store.connect(&conn("c1", now)).await.unwrap();
    store.subscribe("c1", "1337", 10, now).await.unwrap();
    // The positive control: a subscriber while live.
    assert_eq!(
        store
            .subscribers("1337", None, 10, now)
            .await
            .unwrap()
            .connection_ids,
        ["c1"]
    );
    assert_eq!(store.topics("c1", now).await.unwrap(), ["1337"]);
    let later = now + CONNECTION_TTL_MS + 60_000;
    assert!(store
        .subscribers("1337", None, 10, later)
        .await
        .unwrap()
        .connection_ids
        .is_empty());
    assert!(store.topics("c1", later).await.unwrap().is_empty());
}

async fn disconnect_removes_the_connection_and_its_topics(store: Arc<dyn ConnectionStore>) {
    let now = now_ms();
    store.connect(&conn("c1", now)).await.unwrap();
    store.connect(&conn("c2", now)).await.unwrap();
    for b in ["a", "b", "c"] {
        store.subscribe("c1", b, 10, now).await.unwrap();
    }
    store.subscribe("c2", "a", 10, now).await.unwrap();
    store.disconnect("c1").await.unwrap();
    assert!(store.topics("c1", now).await.unwrap().is_empty());
    assert_eq!(
        store
            .subscribers("a", None, 10, now)
            .await
            .unwrap()
            .connection_ids,
        ["c2"]
    );
    assert_eq!(
        store.subscribe("c1", "d", 10, now).await.unwrap(),
        Subscribed::UnknownConnection
    );
    store.disconnect("never-existed").await.unwrap();
}

async fn subscribers_page_without_gaps_or_repeats(store: Arc<dyn ConnectionStore>) {
    let now = now_ms();
    let mut expected = Vec::new();
    for i in 0..55 {
        let id = format!("c{i:03}");
        store.connect(&conn(&id, now)).await.unwrap();
        store.subscribe(&id, "1337", 10, now).await.unwrap();
        expected.push(id);
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .subscribers("1337", after.as_deref(), 20, now)
            .await
            .unwrap();
        seen.extend(page.connection_ids);
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, expected);
}

async fn a_users_live_sockets_are_found_by_principal_with_their_session(
    store: Arc<dyn ConnectionStore>,
) {
    let now = now_ms();
    let long_ago = now - CONNECTION_TTL_MS - 60_000;
    store
        .connect(&opened_by("c2", "1337", None, now))
        .await
        .unwrap();
    store
        .connect(&opened_by("c1", "1337", Some("ab12"), now))
        .await
        .unwrap();
    store
        .connect(&opened_by("c3", "42", Some("cd34"), now))
        .await
        .unwrap();
    store
        .connect(&opened_by("c4", "anonymous", None, now))
        .await
        .unwrap();
    store
        .connect(&opened_by("c5", "1337", None, long_ago))
        .await
        .unwrap();
    assert_eq!(
        store.connections_of("1337", now).await.unwrap(),
        ["c1", "c2"],
        "live ones only, in id order"
    );
    let c1 = store.connection("c1", now).await.unwrap().unwrap();
    assert_eq!(c1.session.as_deref(), Some("ab12"));
    assert_eq!(
        store.connection("c2", now).await.unwrap().unwrap().session,
        None
    );
    assert!(store
        .connections_of("anonymous", now)
        .await
        .unwrap()
        .is_empty());
    store.disconnect("c1").await.unwrap();
    assert_eq!(store.connections_of("1337", now).await.unwrap(), ["c2"]);
    assert_eq!(store.connections_of("42", now).await.unwrap(), ["c3"]);
}

store_contract!(
    a_users_live_sockets_are_found_by_principal_with_their_session,
    subscribers_are_found_by_streamer,
    subscribing_twice_is_reported_and_kept_once,
    the_topic_cap_holds_and_frees_up_on_unsubscribe,
    unknown_and_expired_connections_cannot_subscribe,
    expired_topics_are_not_subscribers,
    disconnect_removes_the_connection_and_its_topics,
    subscribers_page_without_gaps_or_repeats,
);

fn sqlite(path: &str) -> Arc<dyn ConnectionStore> {
    Arc::new(SqliteStore::open(path, Durability::PowerLoss, Retention::default()).unwrap())
}

async fn dynamo() -> Arc<dyn ConnectionStore> {
    let client = DynamoStore::local_client(&support::endpoint());
    let table = format!("connections-{}", uuid::Uuid::new_v4().simple());
    support::create_table(&client, "ConnectionsTable", &table).await;
    Arc::new(DynamoConnectionStore::new(client, table))
}

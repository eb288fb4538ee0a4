//! The streamers contract: SQLite (memory, file) and DynamoDB Local with the
//! template's `StreamersTable`.

#[allow(dead_code)] // the event-table helpers serve the other suite
#[macro_use]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use shared::config::Retention;
use shared::store::dynamo::{DynamoStore, DynamoStreamerStore};
use shared::store::sqlite::{Durability, SqliteStore};
use shared::store::streamers::{StreamerStore, TypeRecord, TypeState, Wish};

fn wish(id: &str, login: Option<&str>, by: &str, at: i64) -> Wish {
    Wish {
        broadcaster_id: id.into(),
        login: login.map(str::to_owned),
        by: by.into(),
        at_ms: at,
    }
}

async fn a_wish_tracks_a_streamer_and_finds_it_by_login(store: Arc<dyn StreamerStore>) {
    assert!(store.streamer("7").await.unwrap().is_none());
    store
        .want(&wish("7", Some("Seven"), "alice", 1_000))
        .await
        .unwrap();
    let s = store.streamer("7").await.unwrap().unwrap();
    assert!(s.wanted);
    assert_eq!(s.login.as_deref(), Some("seven"));
    assert_eq!((s.wanted_since_ms, s.last_watched_ms), (1_000, 1_000));
    assert_eq!(s.requested_by, "alice");
    assert!(s.scopes.is_empty() && s.types.is_empty());
    assert_eq!(
        store.id_of_login("SEVEN").await.unwrap().as_deref(),
        Some("7")
    );
    assert_eq!(store.id_of_login("nobody").await.unwrap(), None);

    // Watched again later, by someone else, without a login: kept, refreshed.
    store.want(&wish("7", None, "bob", 5_000)).await.unwrap();
    let s = store.streamer("7").await.unwrap().unwrap();
    assert_eq!((s.wanted_since_ms, s.last_watched_ms), (1_000, 5_000));
    assert_eq!(s.login.as_deref(), Some("seven"));
    assert_eq!(s.requested_by, "bob");
}

async fn release_stops_tracking_and_a_new_wish_restarts_it(store: Arc<dyn StreamerStore>) {
    store.want(&wish("7", None, "a", 1_000)).await.unwrap();
    store.release("7", 2_000).await.unwrap();
    let s = store.streamer("7").await.unwrap().unwrap();
    assert!(!s.wanted);
    assert!(store.tracked(None, 10).await.unwrap().ids.is_empty());
    store.want(&wish("7", None, "a", 3_000)).await.unwrap();
    let s = store.streamer("7").await.unwrap().unwrap();
    assert!(s.wanted);
    assert_eq!(s.wanted_since_ms, 3_000);
    // Releasing an unknown streamer is not an error.
    store.release("nobody", 4_000).await.unwrap();
    store
        .set_scopes("nobody", &["bits:read".into()], 4_000)
        .await
        .unwrap();
    assert!(store.streamer("nobody").await.unwrap().is_none());
}

async fn type_states_and_scopes_round_trip(store: Arc<dyn StreamerStore>) {
    store.want(&wish("7", None, "a", 1_000)).await.unwrap();
    let mut types = BTreeMap::new();
    types.insert(
        "stream.online".to_string(),
        TypeRecord {
            state: TypeState::Enabled {
                subscription_id: "s1".into(),
            },
            recreated: 0,
            updated_at_ms: 2_000,
        },
    );
    types.insert(
        "channel.cheer".to_string(),
        TypeRecord {
            state: TypeState::NeedsAuthorization {
                scopes: vec!["bits:read".into()],
                from: "the broadcaster".into(),
            },
            recreated: 2,
            updated_at_ms: 2_000,
        },
    );
    store.set_types("7", &types).await.unwrap();
    store
        .set_scopes(
            "7",
            &["bits:read".into(), "channel:read:subscriptions".into()],
            3_000,
        )
        .await
        .unwrap();
    let s = store.streamer("7").await.unwrap().unwrap();
    assert_eq!(s.types, types);
    assert_eq!(s.scopes, ["bits:read", "channel:read:subscriptions"]);

    // A later write replaces one type and keeps the other.
    let mut later = BTreeMap::new();
    later.insert(
        "channel.cheer".to_string(),
        TypeRecord {
            state: TypeState::WaitingForVerification {
                subscription_id: "s2".into(),
            },
            recreated: 0,
            updated_at_ms: 4_000,
        },
    );
    store.set_types("7", &later).await.unwrap();
    let s = store.streamer("7").await.unwrap().unwrap();
    assert_eq!(s.types["channel.cheer"], later["channel.cheer"]);
    assert_eq!(s.types["stream.online"], types["stream.online"]);
}

async fn tracked_pages_without_gaps_or_repeats(store: Arc<dyn StreamerStore>) {
    let mut expected: Vec<String> = (0..23).map(|i| format!("{}", 1000 + i)).collect();
    for id in &expected {
        store.want(&wish(id, None, "a", 1_000)).await.unwrap();
    }
    store.release("1005", 2_000).await.unwrap();
    expected.retain(|id| id != "1005");
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.tracked(after.as_deref(), 5).await.unwrap();
        assert!(page.ids.len() <= 5);
        seen.extend(page.ids);
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, expected);
}

store_contract!(
    a_wish_tracks_a_streamer_and_finds_it_by_login,
    release_stops_tracking_and_a_new_wish_restarts_it,
    type_states_and_scopes_round_trip,
    tracked_pages_without_gaps_or_repeats,
);

fn sqlite(path: &str) -> Arc<dyn StreamerStore> {
    Arc::new(SqliteStore::open(path, Durability::PowerLoss, Retention::default()).unwrap())
}

async fn dynamo() -> Arc<dyn StreamerStore> {
    let client = DynamoStore::local_client(&support::endpoint());
    let table = format!("streamers-{}", uuid::Uuid::new_v4().simple());
    support::create_table(&client, "StreamersTable", &table).await;
    Arc::new(DynamoStreamerStore::new(client, table))
}

//! The kept subscriber lists contract: SQLite (memory, file) and DynamoDB
//! Local with the template's `StreamersTable`, where a list lives beside its
//! streamer, chunked under the 400 KB item limit.

#[allow(dead_code)] // the event-table helpers serve the other suites
#[macro_use]
mod support;

use std::sync::Arc;

use shared::config::Retention;
use shared::store::coverage::GapStore;
use shared::store::sqlite::{Durability, SqliteStore};
use shared::store::streamers::StreamerStore;
use shared::store::subscribers::{
    KeepError, KnownSubscriber, SubscriberList, SubscriberListStore, MAX_KEPT,
};

/// What the manager uses: the lists beside the streamers and their gaps.
trait Store: SubscriberListStore + GapStore + StreamerStore {}
impl<T: SubscriberListStore + GapStore + StreamerStore> Store for T {}

fn sub(user: usize, gifter: Option<&str>) -> KnownSubscriber {
    KnownSubscriber {
        user_id: format!("{user}"),
        tier: if user % 3 == 0 { "2000" } else { "1000" }.into(),
        is_gift: gifter.is_some(),
        gifter_id: gifter.map(str::to_owned),
    }
}

fn list(broadcaster: &str, taken_at_ms: i64, subscribers: Vec<KnownSubscriber>) -> SubscriberList {
    SubscriberList {
        broadcaster_id: broadcaster.into(),
        taken_at_ms,
        subscribers,
    }
}

async fn a_list_never_taken_is_none_and_a_kept_one_reads_back(store: Arc<dyn Store>) {
    assert_eq!(store.kept_subscribers("7").await.unwrap(), None);
    let first = list("7", 1_000, vec![sub(1, None), sub(2, Some("9"))]);
    store.keep_subscribers(&first).await.unwrap();
    assert_eq!(store.kept_subscribers("7").await.unwrap(), Some(first));
    // Another broadcaster's is their own.
    assert_eq!(store.kept_subscribers("8").await.unwrap(), None);
    // Taken again: replaced whole, even by an empty list.
    let empty = list("7", 2_000, vec![]);
    store.keep_subscribers(&empty).await.unwrap();
    assert_eq!(store.kept_subscribers("7").await.unwrap(), Some(empty));
}

async fn a_large_list_reads_back_whole_and_a_shorter_one_replaces_it(store: Arc<dyn Store>) {
    // Several of DynamoDB's chunks, gifted ones with a long gifter id.
    let many: Vec<KnownSubscriber> = (0..2_500)
        .map(|u| sub(u, (u % 2 == 0).then_some("123456789012")))
        .collect();
    let large = list("7", 1_000, many.clone());
    store.keep_subscribers(&large).await.unwrap();
    assert_eq!(store.kept_subscribers("7").await.unwrap(), Some(large));
    // A shorter list later: the older, longer one's tail is not read.
    let short = list("7", 2_000, many[..10].to_vec());
    store.keep_subscribers(&short).await.unwrap();
    assert_eq!(store.kept_subscribers("7").await.unwrap(), Some(short));
}

async fn a_list_past_the_bound_is_refused_and_the_kept_one_stays(store: Arc<dyn Store>) {
    let kept = list("7", 1_000, vec![sub(1, None)]);
    store.keep_subscribers(&kept).await.unwrap();
    let too_many = list("7", 2_000, (0..=MAX_KEPT).map(|u| sub(u, None)).collect());
    let refused = store.keep_subscribers(&too_many).await;
    assert!(
        matches!(refused, Err(KeepError::TooMany(n)) if n == MAX_KEPT + 1),
        "{refused:?}"
    );
    assert_eq!(store.kept_subscribers("7").await.unwrap(), Some(kept));
}

async fn a_list_leaves_the_streamer_and_its_gaps_alone(store: Arc<dyn Store>) {
    store
        .keep_subscribers(&list("7", 1_000, vec![sub(1, None)]))
        .await
        .unwrap();
    assert!(store.streamer("7").await.unwrap().is_none());
    assert!(store.gaps("7", 0, i64::MAX / 2).await.unwrap().is_empty());
}

store_contract!(
    a_list_never_taken_is_none_and_a_kept_one_reads_back,
    a_large_list_reads_back_whole_and_a_shorter_one_replaces_it,
    a_list_past_the_bound_is_refused_and_the_kept_one_stays,
    a_list_leaves_the_streamer_and_its_gaps_alone,
);

fn sqlite(path: &str) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(path, Durability::PowerLoss, Retention::default()).unwrap())
}

async fn dynamo() -> Arc<dyn Store> {
    Arc::new(support::streamers_store().await)
}

//! The DynamoDB adapter with its counting consumer, as deployed: every read
//! of day counts first hands the events table's new stream records to
//! `count_stream_batch`, as the consumer's event source mapping would have
//! by then. The shared event contract runs on it unchanged. A test that uses
//! it declares `stream` and `counting` beside `support` (they need the
//! DynamoDB Streams client, which `local`'s tests sharing `support` lack).

use async_trait::async_trait;
use shared::store::dynamo::DynamoStore;
use shared::store::{
    Appended, Cursor, DailyCount, Event, EventStore, Page, StoreError, SubscriptionState,
    SubscriptionStore, SubscriptionUpdate,
};
use tokio::sync::Mutex;

use crate::stream::StreamReader;

/// [`DynamoStore`] plus its stream's counting consumer.
pub struct CountedDynamo {
    pub store: DynamoStore,
    stream: Mutex<StreamReader>,
}

impl CountedDynamo {
    /// The store over `client` and `tables` (created), its stream read from the start.
    pub async fn new(
        client: aws_sdk_dynamodb::Client,
        tables: shared::store::dynamo::Tables,
        retention: shared::config::Retention,
    ) -> Self {
        let stream = StreamReader::new(&client, &crate::support::endpoint(), &tables.events).await;
        Self {
            store: DynamoStore::new(client, tables, retention),
            stream: Mutex::new(stream),
        }
    }

    /// Counts what the stream holds that was not counted yet.
    pub async fn count_now(&self) -> Result<(), StoreError> {
        let records = self.stream.lock().await.read().await;
        if !records.is_empty() {
            self.store.count_stream_batch(&records).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl EventStore for CountedDynamo {
    async fn append_once(&self, e: &Event, key: Option<&str>) -> Result<Appended, StoreError> {
        self.store.append_once(e, key).await
    }

    async fn recent(
        &self,
        b: &str,
        limit: usize,
        before: Option<&Cursor>,
    ) -> Result<Page, StoreError> {
        self.store.recent(b, limit, before).await
    }

    async fn after(&self, b: &str, after: &Cursor, limit: usize) -> Result<Page, StoreError> {
        self.store.after(b, after, limit).await
    }

    async fn daily_counts(
        &self,
        b: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<DailyCount>, StoreError> {
        self.count_now().await?;
        self.store.daily_counts(b, from, to).await
    }
}

#[async_trait]
impl SubscriptionStore for CountedDynamo {
    async fn record(&self, update: &SubscriptionUpdate) -> Result<(), StoreError> {
        self.store.record(update).await
    }

    async fn subscription(&self, id: &str) -> Result<Option<SubscriptionState>, StoreError> {
        self.store.subscription(id).await
    }
}

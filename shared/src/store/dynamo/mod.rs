//! The DynamoDB adapter (aws-sdk-dynamodb), used by the Lambda functions.
//!
//! Tables, their key schemas and the access patterns each serves (every one a
//! single `GetItem`, `PutItem`, `Query` or `TransactWriteItems`; never a
//! `Scan`). The
//! tables are declared in `template.yaml`; the contract tests create them from
//! there, so the code and the template cannot drift apart.
//!
//! **Events** (`EVENTS_TABLE`): `pk` (S, hash), `sk` (S, range), GSI
//! [`FEED_INDEX`] (`feed`, `pos`; all attributes), TTL on `expires_at`,
//! stream `NEW_IMAGE` (the broadcast trigger filters on `kind = event`; the
//! counting consumer also on a `feed` attribute). No local secondary index,
//! so no 10 GB item-collection limit for a huge streamer.
//!
//! | item | pk | sk | serves |
//! |---|---|---|---|
//! | event | `SEM#<type>#<broadcaster>#<id>` when the type has a semantic key, else `MSG#<message id>` | `-` | stored once (one `PutItem`, `attribute_not_exists(pk)`: the key refuses retries and the same happening under another message id); GSI `feed`: `feed` = `EV#<broadcaster_id>`, `pos` = `<13-digit received ms>#<message id>`: recent events newest first (`pos < cursor`, descending), events after a cursor (ascending) |
//! | daily counter | `CNT#<broadcaster_id>` | `<YYYY-MM-DD>#<type>` | counts per type per day (`Query` with `sk BETWEEN`), `ADD` by the counting consumer ([`day_counts`]) |
//! | chunk mark | `CNTB#<stream event id>` | `-` | the counting consumer's exactly-once ([`day_counts`]) |
//! | pre-switch event | `EV#<broadcaster_id>` | `<ms>#<message id>` | written by the transaction before the keyed put ([`legacy_events`]), read beside the index until it expires |
//! | pre-switch dedupe mark | `MSG#<message id>` / `SEM#<key>` | `-` | the key a new event of that id would take, so a redelivery stays a duplicate |
//!
//! Every item carries `expires_at` = arrival + retention (`EVENT_RETENTION_DAYS`),
//! so a retry can never re-store an event that is still readable. An event
//! recovered from Helix after a coverage gap also carries `recovered_from`
//! (the endpoint) and `time_exact` (BOOL); a delivered one has neither.
//!
//! **Connections** (`CONNECTIONS_TABLE`): see [`DynamoConnectionStore`] for
//! its items; GSI `by_topic` (`topic`, `pk`) answers "who watches this
//! streamer" without a scan.
//!
//! **Snapshots** (`SNAPSHOTS_TABLE`): see [`DynamoSnapshotStore`]; sparse GSI
//! `live_now` lists the streamers live now.
//!
//! **Streamers** (`STREAMERS_TABLE`): see [`DynamoStreamerStore`]; sparse GSI
//! `tracked` lists the wanted ones for the subscription manager's sweep.
//! Coverage gaps live beside each streamer's types (`gaps.rs`); sparse GSI
//! `unsettled_gaps` lists the gaps not closed yet. So do the kept
//! subscriber lists, chunked under the 400 KB item limit
//! (`subscriber_lists.rs`).
//!
//! **Users** (`USERS_TABLE`): see [`DynamoUserStore`]: users, sessions,
//! favourites, single-use login states and tickets, per-user allowances.
//!
//! **Subscriptions** (`SUBSCRIPTIONS_TABLE`): `id` (S, hash) = Twitch
//! subscription id → its state (`GetItem`); GSI `by_broadcaster`
//! (`broadcaster_id`, `id`) for a streamer's subscriptions. Named leases
//! (`id` = `LEASE#<name>`) live here too: see `leases.rs`.
//!
//! A write refused by its condition is read in one place, `conditions`
//! (single items, and transactions such as delete-and-decrement).
//!
//! Costs and limits, for scale: one stored event is one `PutItem` and its
//! index copy, 2 write units under 1 KB, plus the counting consumer's share
//! (a transaction per batch: its mark and each counter touched, billed
//! twice); a duplicate costs one failed condition (measured by
//! `shared/tests/capacity.rs`). One streamer's feed is one index partition
//! key, served at up to 1,000 writes/s: far above any channel's organic
//! event rate.

pub mod capacity;
mod conditions;
mod connections;
pub mod day_counts;
mod events;
mod gaps;
mod leases;
pub mod legacy_events;
mod snapshots;
mod streamers;
mod subscriber_lists;
mod subscriptions;
mod users;

pub use connections::DynamoConnectionStore;
pub use events::{event_from_stream_image, FEED_INDEX};
pub use leases::LEASE_PREFIX;
pub use snapshots::DynamoSnapshotStore;
pub use streamers::{changed_streamer, DynamoStreamerStore};
pub use users::DynamoUserStore;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;

use super::StoreError;

/// A DynamoDB item as the SDK holds it.
type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;
use crate::config::{env, ConfigError, Retention};

/// The DynamoDB store: a client and the table names it writes to.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    events_table: String,
    subscriptions_table: String,
    retention: Retention,
}

/// Table names, as the template passes them to each function.
#[derive(Clone, Debug)]
pub struct Tables {
    pub events: String,
    pub subscriptions: String,
}

impl Tables {
    /// Reads `EVENTS_TABLE` and `SUBSCRIPTIONS_TABLE`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            events: env::required("EVENTS_TABLE")?,
            subscriptions: env::required("SUBSCRIPTIONS_TABLE")?,
        })
    }
}

impl DynamoStore {
    /// A store over `client` and `tables`.
    pub fn new(client: Client, tables: Tables, retention: Retention) -> Self {
        Self {
            client,
            events_table: tables.events,
            subscriptions_table: tables.subscriptions,
            retention,
        }
    }

    /// A client from the standard AWS environment; `DYNAMODB_ENDPOINT`, when
    /// set, points it elsewhere (DynamoDB Local).
    pub async fn client_from_env() -> Result<Client, crate::config::ConfigError> {
        let mut config = aws_sdk_dynamodb::config::Builder::from(crate::aws::sdk_config().await?);
        if let Some(endpoint) = env::optional("DYNAMODB_ENDPOINT") {
            config = config.endpoint_url(endpoint);
        }
        Ok(Client::from_conf(config.build()))
    }

    /// A client for a local endpoint with static dummy credentials: it never
    /// looks for credentials anywhere else (no instance metadata).
    pub fn local_client(endpoint: &str) -> Client {
        Client::from_conf(Self::local_config(endpoint).build())
    }

    fn local_config(endpoint: &str) -> aws_sdk_dynamodb::config::Builder {
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "static"))
            .endpoint_url(endpoint)
    }
}

/// A string attribute.
fn s(v: impl Into<String>) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(v.into())
}

/// A number attribute.
fn n(v: i64) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::N(v.to_string())
}

/// Writes every request with `BatchWriteItem` (25 per call), resending what
/// DynamoDB hands back as unprocessed (throttling) with backoff, so nothing
/// is silently dropped; gives up with an error after [`BATCH_ATTEMPTS`].
async fn batch_write(
    client: &Client,
    table: &str,
    requests: Vec<aws_sdk_dynamodb::types::WriteRequest>,
) -> Result<(), StoreError> {
    write_until_done(requests, |chunk| async move {
        let out = client
            .batch_write_item()
            .request_items(table, chunk)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out
            .unprocessed_items()
            .and_then(|u| u.get(table).cloned())
            .unwrap_or_default())
    })
    .await
}

/// Attempts per batch of 25 before [`batch_write`] gives up.
pub const BATCH_ATTEMPTS: u32 = 8;

/// The retry loop of [`batch_write`], over any sender that answers with the
/// requests it did not process.
pub async fn write_until_done<T, F, Fut>(requests: Vec<T>, send: F) -> Result<(), StoreError>
where
    T: Clone,
    F: Fn(Vec<T>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, StoreError>>,
{
    for chunk in requests.chunks(25) {
        let mut pending = chunk.to_vec();
        let mut attempt = 0;
        while !pending.is_empty() {
            attempt += 1;
            if attempt > BATCH_ATTEMPTS {
                return Err(StoreError::Unavailable(format!(
                    "{} writes still unprocessed after {BATCH_ATTEMPTS} attempts",
                    pending.len()
                )));
            }
            pending = send(pending).await?;
            if !pending.is_empty() {
                // 25, 50, 100 ms … up to 3.2 s.
                tokio::time::sleep(std::time::Duration::from_millis(25 << attempt.min(7))).await;
            }
        }
    }
    Ok(())
}

/// Every item a query matches, following `LastEvaluatedKey` page by page.
async fn query_all(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = query
            .clone()
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(sdk_error)?;
        items.extend(out.items.unwrap_or_default());
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return Ok(items),
        }
    }
}

/// The first `limit` items a query matches (one page: without a filter
/// expression, `Limit` items are one page's worth).
async fn query_first(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    limit: usize,
) -> Result<Vec<Item>, StoreError> {
    let limit = i32::try_from(crate::store::read_size(limit)).unwrap_or(1000);
    let out = query.limit(limit).send().await.map_err(sdk_error)?;
    Ok(out.items.unwrap_or_default())
}

/// A stream record's image (`aws_lambda_events`' typed DynamoDB JSON) as an
/// SDK item, so one set of readers decodes items from queries and streams.
fn stream_item(image: &serde_dynamo::Item) -> Item {
    image.clone().into()
}

/// A string attribute of an item, if it is one.
fn text(item: &Item, key: &str) -> Option<String> {
    match item.get(key) {
        Some(aws_sdk_dynamodb::types::AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}

/// A number attribute of an item, if it is one.
fn number(item: &Item, key: &str) -> Option<i64> {
    match item.get(key) {
        Some(aws_sdk_dynamodb::types::AttributeValue::N(v)) => v.parse().ok(),
        _ => None,
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// Renders an SDK error with its service message (Display alone says little).
fn sdk_error<E, R>(e: aws_sdk_dynamodb::error::SdkError<E, R>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    StoreError::Unavailable(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn unprocessed_writes_are_resent_until_none_is_left() {
        let calls = AtomicUsize::new(0);
        let sent = std::sync::Mutex::new(Vec::new());
        // The first answer hands back the last 10 of 25 (throttled), then 3,
        // then none: every request is sent, in batches of at most 25.
        write_until_done((0..40).collect::<Vec<u32>>(), |chunk| {
            let call = calls.fetch_add(1, Ordering::SeqCst);
            sent.lock().unwrap().extend(chunk.iter().copied());
            let back = match call {
                0 => chunk[15..].to_vec(),
                1 => chunk[7..].to_vec(),
                _ => Vec::new(),
            };
            async move { Ok(back) }
        })
        .await
        .unwrap();
        let mut stored = sent.into_inner().unwrap();
        stored.sort_unstable();
        stored.dedup();
        assert_eq!(stored, (0..40).collect::<Vec<u32>>());
        assert_eq!(
            calls.load(Ordering::SeqCst),
            4,
            "25 → 10 → 3 → done, then 15"
        );
    }

    #[tokio::test]
    async fn writes_that_never_go_through_are_an_error_not_a_silent_loss() {
        let result = write_until_done(vec![1u8; 3], |chunk| async move { Ok(chunk) }).await;
        assert!(matches!(result, Err(StoreError::Unavailable(_))));
    }
}

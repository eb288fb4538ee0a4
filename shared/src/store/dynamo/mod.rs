//! The DynamoDB adapter (aws-sdk-dynamodb), used by the Lambda functions.
//!
//! Tables, their key schemas and the access patterns each serves (every one a
//! single `GetItem`, `Query` or `TransactWriteItems`; never a `Scan`). The
//! tables are declared in `template.yaml`; the contract tests create them from
//! there, so the code and the template cannot drift apart.
//!
//! **Events** (`EVENTS_TABLE`): `pk` (S, hash), `sk` (S, range), TTL on
//! `expires_at`, stream `NEW_IMAGE` (the broadcast trigger filters on
//! `kind = event`). No local secondary index, so no 10 GB item-collection limit
//! for a huge streamer.
//!
//! | item | pk | sk | serves |
//! |---|---|---|---|
//! | event | `EV#<broadcaster_id>` | `<13-digit received ms>#<message id>` | recent events newest first (`Query` descending, `sk < cursor`); events after a cursor (`sk > cursor`, ascending) |
//! | dedupe mark | `MSG#<message id>` | `-` | "stored already?" (conditional put in the same transaction as the event) |
//! | semantic mark | `SEM#<type>#<broadcaster>#<id>` | `-` | the same happening under another message id |
//! | daily counter | `CNT#<broadcaster_id>` | `<YYYY-MM-DD>#<type>` | counts per type per day (`Query` with `sk BETWEEN`), `ADD` at write time |
//!
//! All four carry `expires_at` = arrival + retention (`EVENT_RETENTION_DAYS`),
//! so an event, its dedupe mark and its counter go together; a retry can never
//! re-store an event that is still readable.
//!
//! **Connections** (`CONNECTIONS_TABLE`): see [`DynamoConnectionStore`] for
//! its items; GSI `by_topic` (`topic`, `pk`) answers "who watches this
//! streamer" without a scan.
//!
//! **Streamers** (`STREAMERS_TABLE`): see [`DynamoStreamerStore`]; sparse GSI
//! `tracked` lists the wanted ones for the subscription manager's sweep.
//!
//! **Subscriptions** (`SUBSCRIPTIONS_TABLE`): `id` (S, hash) = Twitch
//! subscription id → its state (`GetItem`); GSI `by_broadcaster`
//! (`broadcaster_id`, `id`) for a streamer's subscriptions.
//!
//! Costs and limits, for scale: one stored event is one transaction of three
//! or four items (≈ 2 × their WCUs, transactions write twice); a duplicate
//! costs one cancelled transaction. One streamer's feed is one partition key,
//! which DynamoDB serves at up to 1,000 writes/s: far above any channel's
//! organic event rate.

mod connections;
mod events;
mod streamers;
mod subscriptions;

pub use connections::DynamoConnectionStore;
pub use events::event_from_stream_image;
pub use streamers::DynamoStreamerStore;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;

use super::StoreError;
use crate::config::{ConfigError, Retention};

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
        let var = |name: &'static str| std::env::var(name).map_err(|_| ConfigError::Missing(name));
        Ok(Self {
            events: var("EVENTS_TABLE")?,
            subscriptions: var("SUBSCRIPTIONS_TABLE")?,
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
    pub async fn client_from_env() -> Client {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Ok(endpoint) = std::env::var("DYNAMODB_ENDPOINT") {
            loader = loader.endpoint_url(endpoint);
        }
        Client::new(&loader.load().await)
    }

    /// A client for a local endpoint with static dummy credentials: it never
    /// looks for credentials anywhere else (no instance metadata).
    pub fn local_client(endpoint: &str) -> Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "static"))
            .endpoint_url(endpoint)
            .build();
        Client::from_conf(config)
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

//! Leases on DynamoDB: the one conditional write that takes a lease and the
//! one conditional delete that gives it back, on whichever item a store
//! keeps its leases in; and `LeaseStore` on the subscriptions table.
//!
//! | lease | table | key | other |
//! |---|---|---|---|
//! | the poller's run | `SNAPSHOTS_TABLE` | `pk` = `POLLER`, `sk` = `LEASE` | `owner`, `until`, `expires_at` |
//! | a named lease ([`LeaseStore`]) | `SUBSCRIPTIONS_TABLE` | `id` = `LEASE#<name>` | `owner`, `until`, `expires_at` |
//!
//! Named leases live in the subscriptions table because the subscription
//! manager, their user, already works on it and it has no stream (a lease
//! in the streamers table would invoke the manager's stream trigger on every
//! take and give-back). Their ids cannot meet a Twitch subscription id (a
//! UUID), and they carry no `broadcaster_id`, so the `by_broadcaster` index
//! never sees them. `expires_at` (TTL) removes a crashed holder's item a day
//! after it expired; the lease is free from `until` on either way.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;

use super::conditions::written;
use super::{n, s, DynamoStore, Item};
use crate::store::leases::LeaseStore;
use crate::store::StoreError;

/// A lease item lingers this long after it expired before TTL removes it.
const LINGER_S: i64 = 86_400;

/// The key prefix of named leases in the subscriptions table.
pub const LEASE_PREFIX: &str = "LEASE#";

/// Takes the lease kept at `key` in `table` for `owner` until `until_ms`:
/// one `PutItem` whose condition holds when the item is absent, expired, or
/// already `owner`'s.
pub(super) async fn take(
    client: &Client,
    table: &str,
    key: Item,
    owner: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<bool, StoreError> {
    let result = client
        .put_item()
        .table_name(table)
        .set_item(Some(key))
        .item("owner", s(owner))
        .item("until", n(until_ms))
        .item("expires_at", n(until_ms / 1000 + LINGER_S))
        .condition_expression("attribute_not_exists(#owner) OR #until < :now OR #owner = :me")
        .expression_attribute_names("#until", "until")
        .expression_attribute_names("#owner", "owner")
        .expression_attribute_values(":now", n(now_ms))
        .expression_attribute_values(":me", s(owner))
        .send()
        .await;
    written(result)
}

/// Gives the lease kept at `key` back: one `DeleteItem` that holds only
/// while `owner` has it.
pub(super) async fn give_back(
    client: &Client,
    table: &str,
    key: Item,
    owner: &str,
) -> Result<(), StoreError> {
    let result = client
        .delete_item()
        .table_name(table)
        .set_key(Some(key))
        .condition_expression("#owner = :me")
        .expression_attribute_names("#owner", "owner")
        .expression_attribute_values(":me", s(owner))
        .send()
        .await;
    // A failed condition: someone else holds it now (ours expired), or
    // nobody does: nothing to give back.
    written(result).map(|_| ())
}

fn named(name: &str) -> Item {
    Item::from([("id".to_owned(), s(format!("{LEASE_PREFIX}{name}")))])
}

#[async_trait]
impl LeaseStore for DynamoStore {
    async fn take_lease(
        &self,
        name: &str,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        take(
            &self.client,
            &self.subscriptions_table,
            named(name),
            owner,
            now_ms,
            until_ms,
        )
        .await
    }

    async fn return_lease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        give_back(&self.client, &self.subscriptions_table, named(name), owner).await
    }
}

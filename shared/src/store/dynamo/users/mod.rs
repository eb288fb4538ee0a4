//! The users roles ([`crate::store::users`]) on DynamoDB: the users table (`USERS_TABLE`): `pk` (S, hash),
//! `sk` (S, range), TTL on `expires_at`.
//!
//! | item | pk | sk | serves |
//! |---|---|---|---|
//! | login state | `LOGIN#<sha256 of state>` | `-` | single use: `DeleteItem` returning the old item |
//! | user | `USER#<id>` | `PROFILE` | profile, scopes, `fav_count`, `overlays_suspended_at` (a revocation, until the next login) |
//! | favourite | `USER#<id>` | `FAV#<streamer id>` | a user's favourites (`Query` on the user's partition) |
//! | broadcaster grant | `GRANT#<id>` | `-` | the broadcaster's sealed tokens apart from sessions (`grants`), `validate_due` = `GRANT` |
//! | session | `SESSION#<sha256 of cookie>` | `-` | a session by cookie (`GetItem`), with its sealed Twitch tokens |
//! | used ticket | `TICKET#<sha256 of ticket>` | `-` | single use (conditional `PutItem`) |
//! | allowance | `ALLOW#<key>#<window start>` | `-` | per-user budgets (conditional `ADD`) |
//!
//! Sparse GSIs: `by_user` (`session_user`, `pk`) — a user's sessions, to end
//! them all; `fans` (`fan_of`, `pk`) — the users who want a streamer;
//! `overlays` (`overlay_hash`) — the favourite an alert-overlay key is for
//! (a revocation reaches this index within about a second; the favourite
//! keeps `overlay_shown`, the sort key of the last alert that key showed,
//! written only under `overlay_hash = <the key's hash>`);
//! `to_validate` (`validate_due`, `validated_at`) — sessions holding tokens
//! (`TOKENS`) and broadcasters' grants (`GRANT`), each by
//! when they were last validated (one partition: fine for the hourly sweep
//! up to hundreds of thousands of sessions; shard the key beyond that).
//!
//!
//! Adding a favourite is one transaction: the favourite (only if new) and
//! the profile's `fav_count` (only while under the cap), so the cap holds
//! under concurrent adds.

//!
//! One file per role: `logins`, `sessions`, `favourites`, `overlays`,
//! `allowances`, `grants`; here the table's type and the key every item has.

mod allowances;
mod favourites;
mod grants;
mod logins;
mod overlays;
mod sessions;

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::Client;

use super::{s, Item};
use crate::store::StoreError;

/// The users table.
#[derive(Clone, Debug)]
pub struct DynamoUserStore {
    client: Client,
    table: String,
}

impl DynamoUserStore {
    /// A store over `client` and the table named `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn key(pk: String, sk: &str) -> Item {
        HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
    }

    /// An `UpdateItem` of the item at `key` (what most writes here are; its
    /// refused condition read by `conditions`).
    fn update(&self, key: Item) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("users table: {what}"))
}

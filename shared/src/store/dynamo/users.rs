//! `UserStore` on DynamoDB: the users table (`USERS_TABLE`): `pk` (S, hash),
//! `sk` (S, range), TTL on `expires_at`.
//!
//! | item | pk | sk | serves |
//! |---|---|---|---|
//! | login state | `LOGIN#<sha256 of state>` | `-` | single use: `DeleteItem` returning the old item |
//! | user | `USER#<id>` | `PROFILE` | profile, scopes, `fav_count`, `overlays_suspended_at` (a revocation, until the next login) |
//! | favourite | `USER#<id>` | `FAV#<streamer id>` | a user's favourites (`Query` on the user's partition) |
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
//! `to_validate` (`validate_due`, `validated_at`) — sessions holding tokens, by
//! when they were last validated (one partition: fine for the hourly sweep
//! up to hundreds of thousands of sessions; shard the key beyond that).
//!
//! Over 400 lines on purpose: one trait's adapter is one `impl` block.
//!
//! Adding a favourite is one transaction: the favourite (only if new) and
//! the profile's `fav_count` (only while under the cap), so the cap holds
//! under concurrent adds.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, DeleteRequest, Put, ReturnValue, TransactWriteItem, Update,
    WriteRequest,
};
use aws_sdk_dynamodb::Client;

use super::{
    batch_write, is_condition_failed, n, number, query_all, query_first, s, sdk_error, text,
    unavailable, written, Item,
};
use crate::store::users::{
    allowance_window, AllowanceStore, Favourite, FavouriteAdded, FavouriteStore, LoginState,
    LoginStore, OverlayStore, SealedTokens, Session, SessionStore, User,
};
use crate::store::{Cursor, StoreError};

/// The only value of the `to_validate` index's partition key.
const TOKENS: &str = "TOKENS";

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

    /// The key (`pk`, `sk`) of the favourite an overlay key's hash is for,
    /// from the sparse `overlays` index.
    async fn overlay_item(&self, key_hash: &str) -> Result<Option<Item>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("overlays")
            .key_condition_expression("overlay_hash = :h")
            .expression_attribute_values(":h", s(key_hash));
        let items = query_first(query, 1).await?;
        Ok(items.first().map(|i| {
            i.iter()
                .filter(|(name, _)| matches!(name.as_str(), "pk" | "sk"))
                .map(|(name, v)| (name.clone(), v.clone()))
                .collect()
        }))
    }

    fn key(pk: String, sk: &str) -> Item {
        HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("users table: {what}"))
}

fn user_from(item: &Item) -> Result<User, StoreError> {
    let id = text(item, "pk")
        .and_then(|pk| pk.strip_prefix("USER#").map(str::to_owned))
        .ok_or_else(|| corrupt("user without id"))?;
    let scopes = match item.get("scopes") {
        Some(AttributeValue::L(list)) => {
            list.iter().filter_map(|v| v.as_s().ok().cloned()).collect()
        }
        _ => Vec::new(),
    };
    Ok(User {
        login: text(item, "login").ok_or_else(|| corrupt("user without login"))?,
        display_name: text(item, "display_name").unwrap_or_default(),
        picture: text(item, "picture"),
        scopes,
        created_at_s: number(item, "created_at").unwrap_or_default(),
        id,
    })
}

fn session_from(item: &Item) -> Result<Session, StoreError> {
    Ok(Session {
        hash: text(item, "pk")
            .and_then(|pk| pk.strip_prefix("SESSION#").map(str::to_owned))
            .ok_or_else(|| corrupt("session without hash"))?,
        user_id: text(item, "session_user").ok_or_else(|| corrupt("session without user"))?,
        created_at_s: number(item, "created_at").unwrap_or_default(),
        expires_at_s: number(item, "expires_at").unwrap_or_default(),
        tokens: text(item, "access").map(|access| SealedTokens {
            access,
            refresh: text(item, "refresh"),
            expires_at_s: number(item, "token_expires_at").unwrap_or_default(),
        }),
        validated_at_s: number(item, "validated_at").unwrap_or_default(),
    })
}

/// The `SET`/`REMOVE` parts and values that record a session's tokens: the
/// `to_validate` index sees a session only while it holds tokens.
fn token_update(tokens: Option<&SealedTokens>, validated_at_s: i64) -> (String, Item) {
    let mut values: Item = HashMap::from([(":validated".to_owned(), n(validated_at_s))]);
    let mut set = vec!["validated_at = :validated"];
    let mut remove = Vec::new();
    match tokens {
        Some(t) => {
            values.insert(":access".into(), s(&t.access));
            values.insert(":exp".into(), n(t.expires_at_s));
            values.insert(":due".into(), s(TOKENS));
            set.extend([
                "access = :access",
                "token_expires_at = :exp",
                "validate_due = :due",
            ]);
            match &t.refresh {
                Some(r) => {
                    values.insert(":refresh".into(), s(r));
                    set.push("refresh = :refresh");
                }
                None => remove.push("refresh"),
            }
        }
        None => remove.extend(["access", "refresh", "token_expires_at", "validate_due"]),
    }
    let mut expression = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
    }
    (expression, values)
}

/// Which items of a cancelled transaction failed their condition.
fn failed_conditions(e: &TransactWriteItemsError) -> Option<Vec<bool>> {
    match e {
        TransactWriteItemsError::TransactionCanceledException(c) => Some(
            c.cancellation_reasons()
                .iter()
                .map(|r| r.code() == Some("ConditionalCheckFailed"))
                .collect(),
        ),
        _ => None,
    }
}

#[async_trait]
impl LoginStore for DynamoUserStore {
    async fn begin_login(&self, login: &LoginState) -> Result<(), StoreError> {
        let mut item = Self::key(format!("LOGIN#{}", login.state_hash), "-");
        item.insert("nonce".into(), s(&login.nonce));
        item.insert("return_to".into(), s(&login.return_to));
        item.insert("channel".into(), AttributeValue::Bool(login.channel));
        item.insert("expires_at".into(), n(login.expires_at_s));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn take_login(
        &self,
        state_hash: &str,
        now_s: i64,
    ) -> Result<Option<LoginState>, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(format!("LOGIN#{state_hash}"), "-")))
            .condition_expression("attribute_exists(pk)")
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        let old = match result {
            Ok(out) => out.attributes().cloned().unwrap_or_default(),
            // Not there: never issued, or taken already.
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DeleteItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(sdk_error(e)),
        };
        let login = LoginState {
            state_hash: state_hash.to_owned(),
            nonce: text(&old, "nonce").ok_or_else(|| corrupt("login without nonce"))?,
            return_to: text(&old, "return_to").unwrap_or_else(|| "/".into()),
            channel: matches!(old.get("channel"), Some(AttributeValue::Bool(true))),
            expires_at_s: number(&old, "expires_at").unwrap_or_default(),
        };
        Ok((login.expires_at_s >= now_s).then_some(login))
    }

    async fn put_user(&self, user: &User) -> Result<(), StoreError> {
        // An update, not a put: the profile also carries `fav_count`, which
        // only the favourite transactions change.
        let mut values: Item = HashMap::from([
            (":login".to_owned(), s(&user.login)),
            (":name".to_owned(), s(&user.display_name)),
            (
                ":scopes".to_owned(),
                AttributeValue::L(user.scopes.iter().map(s).collect()),
            ),
            (":created".to_owned(), n(user.created_at_s)),
        ]);
        let mut expression = String::from(
            "SET login = :login, display_name = :name, scopes = :scopes, \
             created_at = if_not_exists(created_at, :created)",
        );
        match &user.picture {
            Some(p) => {
                values.insert(":picture".into(), s(p));
                expression.push_str(", picture = :picture");
            }
            None => expression.push_str(" REMOVE picture,"),
        }
        // A login lifts a revocation's pause of the user's overlays.
        if user.picture.is_some() {
            expression.push_str(" REMOVE");
        }
        expression.push_str(" overlays_suspended_at");
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(format!("USER#{}", user.id), "PROFILE")))
            .update_expression(expression)
            .set_expression_attribute_values(Some(values))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(format!("USER#{id}"), "PROFILE")))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        out.item().map(user_from).transpose()
    }
}

#[async_trait]
impl SessionStore for DynamoUserStore {
    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        let mut item = Self::key(format!("SESSION#{}", session.hash), "-");
        item.insert("session_user".into(), s(&session.user_id));
        item.insert("created_at".into(), n(session.created_at_s));
        item.insert("expires_at".into(), n(session.expires_at_s));
        item.insert("validated_at".into(), n(session.validated_at_s));
        if let Some(t) = &session.tokens {
            item.insert("access".into(), s(&t.access));
            item.insert("token_expires_at".into(), n(t.expires_at_s));
            item.insert("validate_due".into(), s(TOKENS));
            if let Some(r) = &t.refresh {
                item.insert("refresh".into(), s(r));
            }
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn session(&self, hash: &str, now_s: i64) -> Result<Option<Session>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(format!("SESSION#{hash}"), "-")))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        // TTL deletes lazily: an expired item may still be there.
        match out.item().map(session_from).transpose()? {
            Some(s) if s.expires_at_s >= now_s => Ok(Some(s)),
            _ => Ok(None),
        }
    }

    async fn slide_session(&self, hash: &str, expires_at_s: i64) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(format!("SESSION#{hash}"), "-")))
            .update_expression("SET expires_at = :exp")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":exp", n(expires_at_s))
            .send()
            .await;
        // Ended meanwhile (logout elsewhere): nothing to slide.
        written(result).map(|_| ())
    }

    async fn set_session_tokens(
        &self,
        hash: &str,
        tokens: Option<&SealedTokens>,
        validated_at_s: i64,
    ) -> Result<(), StoreError> {
        let (expression, values) = token_update(tokens, validated_at_s);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(format!("SESSION#{hash}"), "-")))
            .update_expression(expression)
            .condition_expression("attribute_exists(pk)")
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        written(result).map(|_| ())
    }

    async fn sessions_to_validate(
        &self,
        before_s: i64,
        limit: usize,
    ) -> Result<Vec<Session>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("to_validate")
            .key_condition_expression("validate_due = :due AND validated_at < :before")
            .expression_attribute_values(":due", s(TOKENS))
            .expression_attribute_values(":before", n(before_s));
        let items = query_first(query, limit).await?;
        items.iter().map(session_from).collect()
    }

    async fn end_session(&self, hash: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(format!("SESSION#{hash}"), "-")))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn end_sessions_of(&self, user_id: &str) -> Result<usize, StoreError> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .index_name("by_user")
                .key_condition_expression("session_user = :u")
                .expression_attribute_values(":u", s(user_id)),
        )
        .await?;
        let deletes: Vec<WriteRequest> = items
            .iter()
            .filter_map(|i| text(i, "pk"))
            .map(|pk| {
                let key = DeleteRequest::builder()
                    .set_key(Some(Self::key(pk, "-")))
                    .build()
                    .map_err(unavailable)?;
                Ok(WriteRequest::builder().delete_request(key).build())
            })
            .collect::<Result<_, StoreError>>()?;
        let count = deletes.len();
        batch_write(&self.client, &self.table, deletes).await?;
        Ok(count)
    }
}

#[async_trait]
impl FavouriteStore for DynamoUserStore {
    async fn favourites(&self, user_id: &str) -> Result<Vec<Favourite>, StoreError> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :fav)")
                .expression_attribute_values(":pk", s(format!("USER#{user_id}")))
                .expression_attribute_values(":fav", s("FAV#")),
        )
        .await?;
        let mut favourites = items
            .iter()
            .map(|i| {
                Ok(Favourite {
                    streamer_id: text(i, "fan_of").ok_or_else(|| corrupt("favourite"))?,
                    login: text(i, "login").unwrap_or_default(),
                    added_at_ms: number(i, "added_at_ms").unwrap_or_default(),
                    read_cursor: text(i, "read_cursor"),
                    overlay: text(i, "overlay_hash").is_some(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        favourites
            .sort_by(|a, b| (a.added_at_ms, &a.streamer_id).cmp(&(b.added_at_ms, &b.streamer_id)));
        Ok(favourites)
    }

    async fn add_favourite(
        &self,
        user_id: &str,
        favourite: &Favourite,
        cap: usize,
    ) -> Result<FavouriteAdded, StoreError> {
        let pk = format!("USER#{user_id}");
        let mut item = Self::key(pk.clone(), &format!("FAV#{}", favourite.streamer_id));
        item.insert("fan_of".into(), s(&favourite.streamer_id));
        item.insert("login".into(), s(&favourite.login));
        item.insert("added_at_ms".into(), n(favourite.added_at_ms));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(unavailable)?;
        let count = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, "PROFILE")))
            .update_expression("ADD fav_count :one")
            .condition_expression("attribute_not_exists(fav_count) OR fav_count < :cap")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":cap", n(cap as i64))
            .build()
            .map_err(unavailable)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().update(count).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(FavouriteAdded::Added),
            Err(e) => match e.as_service_error().and_then(failed_conditions) {
                Some(failed) if failed.first() == Some(&true) => Ok(FavouriteAdded::AlreadyThere),
                Some(failed) if failed.get(1) == Some(&true) => Ok(FavouriteAdded::OverCap),
                _ => Err(sdk_error(e)),
            },
        }
    }

    async fn mark_read(
        &self,
        user_id: &str,
        streamer_id: &str,
        cursor: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(
                format!("USER#{user_id}"),
                &format!("FAV#{streamer_id}"),
            )))
            .update_expression("SET read_cursor = :c")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":c", s(cursor))
            .send()
            .await;
        written(result)
    }

    async fn remove_favourite(&self, user_id: &str, streamer_id: &str) -> Result<bool, StoreError> {
        let pk = format!("USER#{user_id}");
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk.clone(), &format!("FAV#{streamer_id}"))))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(unavailable)?;
        let count = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, "PROFILE")))
            .update_expression("ADD fav_count :minus")
            .expression_attribute_values(":minus", n(-1))
            .build()
            .map_err(unavailable)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(TransactWriteItem::builder().update(count).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => match e.as_service_error().and_then(failed_conditions) {
                Some(failed) if failed.first() == Some(&true) => Ok(false),
                _ => Err(sdk_error(e)),
            },
        }
    }

    async fn fans(&self, streamer_id: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("fans")
            .key_condition_expression("fan_of = :s")
            .expression_attribute_values(":s", s(streamer_id));
        let items = query_first(query, limit).await?;
        Ok(items
            .iter()
            .filter_map(|i| text(i, "pk"))
            .filter_map(|pk| pk.strip_prefix("USER#").map(str::to_owned))
            .collect())
    }
}

#[async_trait]
impl OverlayStore for DynamoUserStore {
    async fn suspend_overlays(&self, user_id: &str, at_s: i64) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(format!("USER#{user_id}"), "PROFILE")))
            .update_expression("SET overlays_suspended_at = :at")
            // Never a bare profile for a user who never logged in here.
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":at", n(at_s))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Ok(()),
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn overlays_suspended(&self, user_id: &str) -> Result<bool, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(format!("USER#{user_id}"), "PROFILE")))
            .projection_expression("overlays_suspended_at")
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out
            .item
            .is_some_and(|i| i.contains_key("overlays_suspended_at")))
    }

    async fn set_overlay(
        &self,
        user_id: &str,
        streamer_id: &str,
        key_hash: Option<&str>,
    ) -> Result<bool, StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(
                format!("USER#{user_id}"),
                &format!("FAV#{streamer_id}"),
            )))
            .condition_expression("attribute_exists(pk)");
        let update = match key_hash {
            Some(h) => update
                .update_expression("SET overlay_hash = :h REMOVE overlay_shown")
                .expression_attribute_values(":h", s(h)),
            None => update.update_expression("REMOVE overlay_hash, overlay_shown"),
        };
        written(update.send().await)
    }

    async fn overlay(&self, key_hash: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(self.overlay_item(key_hash).await?.and_then(|i| {
            let user = text(&i, "pk")?.strip_prefix("USER#")?.to_owned();
            let streamer = text(&i, "sk")?.strip_prefix("FAV#")?.to_owned();
            Some((user, streamer))
        }))
    }

    async fn overlay_position(
        &self,
        key_hash: &str,
        start: &Cursor,
    ) -> Result<Option<Cursor>, StoreError> {
        let Some(key) = self.overlay_item(key_hash).await? else {
            return Ok(None);
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression("SET overlay_shown = if_not_exists(overlay_shown, :c)")
            .condition_expression("overlay_hash = :h")
            .expression_attribute_values(":h", s(key_hash))
            .expression_attribute_values(":c", s(start.sort_key()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match result {
            Ok(out) => Ok(out
                .attributes()
                .and_then(|a| text(a, "overlay_shown"))
                .map(Cursor::from_sort_key)),
            // Replaced or revoked since the index answered.
            Err(e) if is_condition_failed(&e) => Ok(None),
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn advance_overlay(
        &self,
        key_hash: &str,
        shown: &Cursor,
    ) -> Result<Option<Cursor>, StoreError> {
        let Some(key) = self.overlay_item(key_hash).await? else {
            return Ok(None);
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.clone()))
            .update_expression("SET overlay_shown = :c")
            .condition_expression(
                "overlay_hash = :h AND (attribute_not_exists(overlay_shown) OR overlay_shown < :c)",
            )
            .expression_attribute_values(":h", s(key_hash))
            .expression_attribute_values(":c", s(shown.sort_key()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Some(shown.clone())),
            Err(e) if is_condition_failed(&e) => {
                // Already at or past it, or the key went: read which.
                let out = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .set_key(Some(key))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                Ok(out
                    .item()
                    .filter(|i| text(i, "overlay_hash").as_deref() == Some(key_hash))
                    .and_then(|i| text(i, "overlay_shown"))
                    .map(Cursor::from_sort_key))
            }
            Err(e) => Err(sdk_error(e)),
        }
    }
}

#[async_trait]
impl AllowanceStore for DynamoUserStore {
    async fn use_ticket(&self, ticket_hash: &str, expires_at_s: i64) -> Result<bool, StoreError> {
        let mut item = Self::key(format!("TICKET#{ticket_hash}"), "-");
        item.insert("expires_at".into(), n(expires_at_s));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        written(result)
    }

    async fn spend(
        &self,
        key: &str,
        limit: u32,
        window_s: i64,
        now_s: i64,
    ) -> Result<bool, StoreError> {
        if limit == 0 {
            return Ok(false);
        }
        let (start, end) = allowance_window(now_s, window_s);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(format!("ALLOW#{key}#{start}"), "-")))
            .update_expression("ADD used :one SET expires_at = :exp")
            .condition_expression("attribute_not_exists(used) OR used < :limit")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", n(end))
            .expression_attribute_values(":limit", n(i64::from(limit)))
            .send()
            .await;
        written(result)
    }
}

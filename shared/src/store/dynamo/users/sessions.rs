//! Sessions and their sealed tokens ([`SessionStore`]) on the users table.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};

use super::{corrupt, DynamoUserStore};
use crate::store::dynamo::conditions::written;
use crate::store::dynamo::{
    batch_write, n, number, query_all, query_first, s, sdk_error, text, unavailable, Item,
};
use crate::store::users::{SealedTokens, Session, SessionStore};
use crate::store::StoreError;

/// The only value of the `to_validate` index's partition key.
const TOKENS: &str = "TOKENS";

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
            .update(Self::key(format!("SESSION#{hash}"), "-"))
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
            .update(Self::key(format!("SESSION#{hash}"), "-"))
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

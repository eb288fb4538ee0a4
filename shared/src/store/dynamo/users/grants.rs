//! Broadcasters' grants ([`GrantStore`]) on the users table: one item per
//! broadcaster, `GRANT#<id>` / `-` (a partition of its own, not the user's:
//! IAM's `dynamodb:LeadingKeys` then lets the manager and the webhook touch
//! grants and nothing else of a user), with `access`, `refresh`, `token_expires_at`,
//! `scopes`, `granted_at`, `validated_at`, `refreshing_until` (a refresh
//! claimed, until then), and `validate_due` = `GRANT`: the
//! `to_validate` index sessions use, in a partition of its own, so the
//! hourly sweep finds the grants due with one `Query` and no new index.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{corrupt, DynamoUserStore};
use crate::store::dynamo::conditions::written;
use crate::store::dynamo::{n, number, query_first, s, sdk_error, text, Item};
use crate::store::grants::{BroadcasterGrant, GrantStore};
use crate::store::sealed::SealedTokens;
use crate::store::StoreError;

/// The grants' value of the `to_validate` index's partition key.
const GRANT: &str = "GRANT";
/// A grant's partition key, before the broadcaster's id.
const PREFIX: &str = "GRANT#";

fn grant_key(broadcaster_id: &str) -> Item {
    DynamoUserStore::key(format!("{PREFIX}{broadcaster_id}"), "-")
}

fn grant_from(item: &Item) -> Result<BroadcasterGrant, StoreError> {
    let scopes = match item.get("scopes") {
        Some(AttributeValue::L(list)) => {
            list.iter().filter_map(|v| v.as_s().ok().cloned()).collect()
        }
        _ => Vec::new(),
    };
    Ok(BroadcasterGrant {
        broadcaster_id: text(item, "pk")
            .and_then(|pk| pk.strip_prefix(PREFIX).map(str::to_owned))
            .ok_or_else(|| corrupt("grant without broadcaster"))?,
        tokens: SealedTokens {
            access: text(item, "access").ok_or_else(|| corrupt("grant without token"))?,
            refresh: text(item, "refresh"),
            expires_at_s: number(item, "token_expires_at").unwrap_or_default(),
        },
        scopes,
        granted_at_s: number(item, "granted_at").unwrap_or_default(),
        validated_at_s: number(item, "validated_at").unwrap_or_default(),
    })
}

#[async_trait]
impl GrantStore for DynamoUserStore {
    async fn put_grant(&self, grant: &BroadcasterGrant) -> Result<(), StoreError> {
        let mut item = grant_key(&grant.broadcaster_id);
        item.insert("access".into(), s(&grant.tokens.access));
        if let Some(r) = &grant.tokens.refresh {
            item.insert("refresh".into(), s(r));
        }
        item.insert("token_expires_at".into(), n(grant.tokens.expires_at_s));
        item.insert(
            "scopes".into(),
            AttributeValue::L(grant.scopes.iter().map(s).collect()),
        );
        item.insert("granted_at".into(), n(grant.granted_at_s));
        item.insert("validated_at".into(), n(grant.validated_at_s));
        item.insert("validate_due".into(), s(GRANT));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn grant(&self, broadcaster_id: &str) -> Result<Option<BroadcasterGrant>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(grant_key(broadcaster_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        out.item().map(grant_from).transpose()
    }

    async fn renew_grant(
        &self,
        broadcaster_id: &str,
        held: &str,
        tokens: &SealedTokens,
        validated_at_s: i64,
    ) -> Result<bool, StoreError> {
        let mut values: Item = HashMap::from([
            (":held".to_owned(), s(held)),
            (":access".to_owned(), s(&tokens.access)),
            (":exp".to_owned(), n(tokens.expires_at_s)),
            (":validated".to_owned(), n(validated_at_s)),
        ]);
        let mut set = vec![
            "access = :access",
            "token_expires_at = :exp",
            "validated_at = :validated",
        ];
        // A renewal ends the refresh claim, whoever made it.
        let mut remove = vec!["refreshing_until"];
        match &tokens.refresh {
            Some(r) => {
                values.insert(":refresh".into(), s(r));
                set.push("refresh = :refresh");
            }
            None => remove.push("refresh"),
        }
        let expression = format!("SET {} REMOVE {}", set.join(", "), remove.join(", "));
        let result = self
            .update(grant_key(broadcaster_id))
            .update_expression(expression)
            .condition_expression("access = :held")
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        written(result)
    }

    async fn claim_refresh(
        &self,
        broadcaster_id: &str,
        held: &str,
        until_s: i64,
        now_s: i64,
    ) -> Result<bool, StoreError> {
        let result = self
            .update(grant_key(broadcaster_id))
            .update_expression("SET refreshing_until = :until")
            .condition_expression(
                "access = :held AND (attribute_not_exists(refreshing_until) OR refreshing_until < :now)",
            )
            .expression_attribute_values(":held", s(held))
            .expression_attribute_values(":until", n(until_s))
            .expression_attribute_values(":now", n(now_s))
            .send()
            .await;
        written(result)
    }

    async fn grants_to_validate(
        &self,
        before_s: i64,
        limit: usize,
    ) -> Result<Vec<BroadcasterGrant>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("to_validate")
            .key_condition_expression("validate_due = :due AND validated_at < :before")
            .expression_attribute_values(":due", s(GRANT))
            .expression_attribute_values(":before", n(before_s));
        let items = query_first(query, limit).await?;
        items.iter().map(grant_from).collect()
    }

    async fn delete_grant(
        &self,
        broadcaster_id: &str,
        held: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut delete = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(grant_key(broadcaster_id)));
        delete = match held {
            Some(held) => delete
                .condition_expression("access = :held")
                .expression_attribute_values(":held", s(held)),
            None => delete.condition_expression("attribute_exists(pk)"),
        };
        written(delete.send().await)
    }
}

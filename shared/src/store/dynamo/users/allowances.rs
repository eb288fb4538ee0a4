//! Used tickets and allowances ([`AllowanceStore`]) on the users table.

use async_trait::async_trait;

use super::DynamoUserStore;
use crate::store::dynamo::conditions::written;
use crate::store::dynamo::n;
use crate::store::users::{AllowanceStore, AllowanceWindow};
use crate::store::StoreError;

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

    async fn count_use(&self, key: &str, window: &AllowanceWindow) -> Result<bool, StoreError> {
        let AllowanceWindow {
            start_s: start,
            end_s: end,
            limit,
        } = *window;
        let result = self
            .update(Self::key(format!("ALLOW#{key}#{start}"), "-"))
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

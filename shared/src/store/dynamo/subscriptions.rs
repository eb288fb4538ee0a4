//! `SubscriptionStore` on DynamoDB.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::conditions::written;
use super::{number, sdk_error, text, DynamoStore};
use crate::store::{
    StoreError, SubscriptionChange, SubscriptionState, SubscriptionStore, SubscriptionUpdate,
};

#[async_trait]
impl SubscriptionStore for DynamoStore {
    async fn record(&self, u: &SubscriptionUpdate) -> Result<(), StoreError> {
        let mut set = vec![
            "#kind = :kind",
            "#version = :version",
            "#condition = :condition",
            "#status = :status",
            "updated_at = :at",
        ];
        let mut req = self
            .client
            .update_item()
            .table_name(&self.subscriptions_table)
            .key("id", AttributeValue::S(u.id.clone()))
            .expression_attribute_names("#kind", "kind")
            .expression_attribute_names("#version", "version")
            .expression_attribute_names("#condition", "condition")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":kind", AttributeValue::S(u.kind.clone()))
            .expression_attribute_values(":version", AttributeValue::S(u.version.clone()))
            .expression_attribute_values(":condition", AttributeValue::S(u.condition.clone()))
            .expression_attribute_values(":status", AttributeValue::S(u.status.clone()))
            .expression_attribute_values(":at", AttributeValue::N(u.at_ms.to_string()));
        if let Some(b) = &u.broadcaster_id {
            set.push("broadcaster_id = :b");
            req = req.expression_attribute_values(":b", AttributeValue::S(b.clone()));
        }
        match u.change {
            SubscriptionChange::CallbackVerified => set.push("callback_verified_at = :at"),
            SubscriptionChange::Revoked => {
                set.push("revoked_at = :at");
                set.push("revocation_reason = :status");
            }
        }
        let result = req
            .update_expression(format!("SET {}", set.join(", ")))
            // An older observation arriving late must not overwrite a newer one.
            .condition_expression("attribute_not_exists(id) OR updated_at <= :at")
            .send()
            .await;
        written(result).map(|_| ())
    }

    async fn subscription(&self, id: &str) -> Result<Option<SubscriptionState>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.subscriptions_table)
            .key("id", AttributeValue::S(id.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let required = |key: &str| {
            text(item, key)
                .ok_or_else(|| StoreError::Corrupt(format!("subscription item lacks {key}")))
        };
        Ok(Some(SubscriptionState {
            id: required("id")?,
            kind: required("kind")?,
            version: required("version")?,
            broadcaster_id: text(item, "broadcaster_id"),
            condition: required("condition")?,
            status: required("status")?,
            callback_verified_at_ms: number(item, "callback_verified_at"),
            revoked_at_ms: number(item, "revoked_at"),
            revocation_reason: text(item, "revocation_reason"),
            updated_at_ms: number(item, "updated_at")
                .ok_or_else(|| StoreError::Corrupt("subscription item lacks updated_at".into()))?,
        }))
    }
}

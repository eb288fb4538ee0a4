//! Alert-overlay keys ([`OverlayStore`]) on the users table: a key is an
//! attribute of its favourite, found through the sparse `overlays` index.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;

use super::DynamoUserStore;
use crate::store::dynamo::conditions::{unless_refused, written};
use crate::store::dynamo::{n, query_first, s, sdk_error, text, Item};
use crate::store::users::{OverlayKey, OverlayStore};
use crate::store::{Cursor, StoreError};

impl DynamoUserStore {
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
}

#[async_trait]
impl OverlayStore for DynamoUserStore {
    async fn suspend_overlays(&self, user_id: &str, at_s: i64) -> Result<(), StoreError> {
        let result = self
            .update(Self::key(format!("USER#{user_id}"), "PROFILE"))
            .update_expression("SET overlays_suspended_at = :at")
            // Never a bare profile for a user who never logged in here.
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":at", n(at_s))
            .send()
            .await;
        unless_refused(result).map(|_| ())
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
        key: Option<OverlayKey>,
    ) -> Result<bool, StoreError> {
        let update = self
            .update(Self::key(
                format!("USER#{user_id}"),
                &format!("FAV#{streamer_id}"),
            ))
            .condition_expression("attribute_exists(pk)");
        let update = match key {
            Some(k) => update
                .update_expression(
                    "SET overlay_hash = :h, overlay_sealed = :s REMOVE overlay_shown",
                )
                .expression_attribute_values(":h", s(k.hash))
                .expression_attribute_values(":s", s(k.sealed)),
            None => update.update_expression("REMOVE overlay_hash, overlay_sealed, overlay_shown"),
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

    async fn set_overlay_settings(
        &self,
        user_id: &str,
        streamer_id: &str,
        settings: &str,
    ) -> Result<bool, StoreError> {
        let update = self
            .update(Self::key(
                format!("USER#{user_id}"),
                &format!("FAV#{streamer_id}"),
            ))
            // Never a bare item for a favourite removed meanwhile.
            .condition_expression("attribute_exists(pk)")
            .update_expression("SET overlay_settings = :s")
            .expression_attribute_values(":s", s(settings));
        written(update.send().await)
    }

    async fn overlay_settings(
        &self,
        user_id: &str,
        streamer_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(
                format!("USER#{user_id}"),
                &format!("FAV#{streamer_id}"),
            )))
            .projection_expression("overlay_settings")
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.item().and_then(|i| text(i, "overlay_settings")))
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
            .update(key)
            .update_expression("SET overlay_shown = if_not_exists(overlay_shown, :c)")
            .condition_expression("overlay_hash = :h")
            .expression_attribute_values(":h", s(key_hash))
            .expression_attribute_values(":c", s(start.sort_key()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        // Refused: replaced or revoked since the index answered.
        Ok(unless_refused(result)?.and_then(|out| {
            out.attributes()
                .and_then(|a| text(a, "overlay_shown"))
                .map(Cursor::from_sort_key)
        }))
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
            .update(key.clone())
            .update_expression("SET overlay_shown = :c")
            .condition_expression(
                "overlay_hash = :h AND (attribute_not_exists(overlay_shown) OR overlay_shown < :c)",
            )
            .expression_attribute_values(":h", s(key_hash))
            .expression_attribute_values(":c", s(shown.sort_key()))
            .send()
            .await;
        if unless_refused(result)?.is_some() {
            return Ok(Some(shown.clone()));
        }
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
}

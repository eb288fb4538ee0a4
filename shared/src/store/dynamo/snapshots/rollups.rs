//! The hourly viewer roll-ups (`VIEW#<broadcaster>` items, see `snapshots.rs`):
//! written beside each batch of snapshots, read for a viewer series.

use aws_sdk_dynamodb::types::AttributeValue;

use super::super::{n, s, sdk_error, Item};
use super::DynamoSnapshotStore;
use crate::store::snapshots::{Snapshot, ROLLUP_MS};
use crate::store::StoreError;

fn rollup_pk(broadcaster: &str) -> String {
    format!("VIEW#{broadcaster}")
}

/// Roll-up writes in flight at once (one `UpdateItem` per streamer-hour).
const ROLLUP_WRITES_IN_FLIGHT: usize = 16;

/// The polls of one roll-up item inside `[from_ms, to_ms]` that are still
/// within `keep_s` of `now_s` (as their snapshots are; the item's own TTL
/// runs to the end of its hour).
fn rolled_polls(item: &Item, from_ms: i64, to_ms: i64, now_s: i64, keep_s: i64) -> Vec<(i64, u64)> {
    let Some(hour) = (match item.get("sk") {
        Some(AttributeValue::S(sk)) => sk.parse::<i64>().ok(),
        _ => None,
    }) else {
        return Vec::new();
    };
    item.iter()
        .filter_map(|(name, value)| {
            let offset = name.parse::<i64>().ok()?;
            let viewers = match value {
                AttributeValue::N(v) => v.parse::<u64>().ok()?,
                _ => return None,
            };
            Some((hour + offset, viewers))
        })
        .filter(|(at, _)| (from_ms..=to_ms).contains(at) && at / 1000 + keep_s >= now_s)
        .collect()
}

impl DynamoSnapshotStore {
    /// One `UpdateItem` per streamer-hour in `snapshots`, each poll under its own attribute.
    pub(super) async fn write_rollups(&self, snapshots: &[Snapshot]) -> Result<(), StoreError> {
        let keep_s = crate::config::snapshot_retention_s();
        // One update per streamer-hour, whatever the batch holds.
        let mut hours: std::collections::BTreeMap<(&str, i64), Vec<(i64, u64)>> =
            std::collections::BTreeMap::new();
        for snap in snapshots {
            let hour = snap.polled_at_ms.div_euclid(ROLLUP_MS) * ROLLUP_MS;
            hours
                .entry((snap.broadcaster_id.as_str(), hour))
                .or_default()
                .push((snap.polled_at_ms - hour, snap.viewer_count));
        }
        let hours: Vec<_> = hours.into_iter().collect();
        for group in hours.chunks(ROLLUP_WRITES_IN_FLIGHT) {
            let mut writes = tokio::task::JoinSet::new();
            for ((broadcaster, hour), polls) in group {
                let mut update = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .key("pk", s(rollup_pk(broadcaster)))
                    .key("sk", s(format!("{hour:013}")))
                    .expression_attribute_values(":exp", n((hour + ROLLUP_MS) / 1000 + keep_s));
                let mut sets = vec!["expires_at = :exp".to_owned()];
                for (i, (offset, viewers)) in polls.iter().enumerate() {
                    sets.push(format!("#p{i} = :v{i}"));
                    update = update
                        .expression_attribute_names(format!("#p{i}"), offset.to_string())
                        .expression_attribute_values(
                            format!(":v{i}"),
                            AttributeValue::N(viewers.to_string()),
                        );
                }
                let update = update.update_expression(format!("SET {}", sets.join(", ")));
                writes.spawn(async move { update.send().await.map_err(sdk_error) });
            }
            while let Some(done) = writes.join_next().await {
                done.map_err(|e| StoreError::Unavailable(format!("roll-up write: {e}")))??;
            }
        }
        Ok(())
    }

    /// The rolled-up polls of `broadcaster_id` within `[from_ms, to_ms]`, oldest first.
    pub(super) async fn read_rollups(
        &self,
        broadcaster_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(i64, u64)>, StoreError> {
        let now_s = time::OffsetDateTime::now_utc().unix_timestamp();
        let keep_s = crate::config::snapshot_retention_s();
        // Items past retention may linger until TTL deletes them: not read.
        let first = from_ms.max((now_s - keep_s) * 1000).div_euclid(ROLLUP_MS) * ROLLUP_MS;
        let last = to_ms.div_euclid(ROLLUP_MS) * ROLLUP_MS;
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", s(rollup_pk(broadcaster_id)))
                .expression_attribute_values(":from", s(format!("{first:013}")))
                .expression_attribute_values(":to", s(format!("{last:013}")))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error)?;
            for item in page.items() {
                let mut polls = rolled_polls(item, from_ms, to_ms, now_s, keep_s);
                polls.sort_unstable();
                out.extend(polls);
            }
            match page.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(out),
            }
        }
    }
}

//! `GapStore` on DynamoDB, in the streamers table (`STREAMERS_TABLE`).
//!
//! | item | pk | sk | other |
//! |---|---|---|---|
//! | gap | `STREAMER#<id>` | `GAP#<13-digit from ms>#<type>` | `type`, `from`, `to` (absent while open), `cause`, `state`, `recovered` (JSON), `updated_at`, `unsettled` = `T` until closed (sparse GSI `unsettled_gaps`) |
//! | open marker | `STREAMER#<id>` | `GAPOPEN#<type>` | `open_from` = the open gap's start, absent when none is open |
//!
//! Why this table: a gap is about one streamer and one of its types, and
//! its readers ask per streamer, like the type states beside it; the
//! manager and the webhook already work on this table. Its stream reaches
//! the manager only for `META` items and open markers (the trigger's
//! filter), so a marker that starts holding `open_from` reconciles the
//! streamer at once ([`super::changed_streamer`]), and gap items cost no
//! invocation. Every `GAP…` key sorts before `META`, so reading a streamer
//! (`sk >= META`) never reads its gaps.
//!
//! Opening is one transaction: the marker's `open_from` set only if absent
//! (the "one open gap per type" rule) and the gap put. Ending: the marker
//! read, then one transaction that clears it (only if it still names that
//! gap) and ends the gap. A streamer's gaps over a window: `Query pk` with
//! `sk BETWEEN GAP# AND GAP#<to>`, the ones ending before the window left
//! out (gaps are a few per outage, so the older ones read are few). Gaps
//! not closed: `Query unsettled_gaps`.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

use super::conditions::{transact, written};
use super::streamers::{pk, DynamoStreamerStore, OPEN_MARKER_PREFIX, PREFIX};
use super::{n, number, query_all, query_first, s, sdk_error, text, unavailable, Item};
use crate::store::coverage::{Gap, GapKey, GapState, GapStore, Recovered};
use crate::store::StoreError;

/// The sparse index of gaps not closed yet.
const UNSETTLED_INDEX: &str = "unsettled_gaps";

fn gap_sk(from_ms: i64, event_type: &str) -> String {
    format!("GAP#{from_ms:013}#{event_type}")
}

fn key_of(streamer_id: &str, sk: String) -> Item {
    Item::from([
        ("pk".to_owned(), s(pk(streamer_id))),
        ("sk".to_owned(), s(sk)),
    ])
}

fn marker(streamer_id: &str, event_type: &str) -> Item {
    key_of(streamer_id, format!("{OPEN_MARKER_PREFIX}{event_type}"))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("gap item lacks {what}"))
}

fn gap_from(item: &Item) -> Result<Gap, StoreError> {
    let state = text(item, "state").ok_or_else(|| corrupt("state"))?;
    let recovered = text(item, "recovered").unwrap_or_else(|| "{}".into());
    let streamer = text(item, "pk")
        .and_then(|p| p.strip_prefix(PREFIX).map(str::to_owned))
        .ok_or_else(|| corrupt("a streamer key"))?;
    Ok(Gap {
        key: GapKey {
            streamer_id: streamer,
            event_type: text(item, "type").ok_or_else(|| corrupt("type"))?,
            from_ms: number(item, "from").ok_or_else(|| corrupt("from"))?,
        },
        to_ms: number(item, "to"),
        cause: text(item, "cause").unwrap_or_default(),
        state: GapState::parse(&state).ok_or_else(|| corrupt("a known state"))?,
        recovered: Recovered::from_json(&recovered)?,
        updated_at_ms: number(item, "updated_at").unwrap_or_default(),
    })
}

impl DynamoStreamerStore {
    /// One gap, read consistently.
    async fn gap(&self, key: Item) -> Result<Option<Gap>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        out.item().map(gap_from).transpose()
    }
}

#[async_trait]
impl GapStore for DynamoStreamerStore {
    async fn open_gap(&self, key: &GapKey, cause: &str, at_ms: i64) -> Result<bool, StoreError> {
        let mark = Update::builder()
            .table_name(&self.table)
            .set_key(Some(marker(&key.streamer_id, &key.event_type)))
            .update_expression("SET open_from = :from")
            .condition_expression("attribute_not_exists(open_from)")
            .expression_attribute_values(":from", n(key.from_ms))
            .build()
            .map_err(unavailable)?;
        let mut gap = Put::builder()
            .table_name(&self.table)
            .condition_expression("attribute_not_exists(pk)");
        let sk = gap_sk(key.from_ms, &key.event_type);
        for (name, value) in key_of(&key.streamer_id, sk) {
            gap = gap.item(name, value);
        }
        let gap = gap
            .item("type", s(&key.event_type))
            .item("from", n(key.from_ms))
            .item("cause", s(cause))
            .item("state", s(GapState::Open.as_str()))
            .item("recovered", s(Recovered::default().to_json()?))
            .item("updated_at", n(at_ms))
            .item("unsettled", s("T"))
            .build()
            .map_err(unavailable)?;
        let items = vec![
            TransactWriteItem::builder().update(mark).build(),
            TransactWriteItem::builder().put(gap).build(),
        ];
        // Refused: one is open already (or this very gap exists).
        transact(&self.client, items).await?.written()
    }

    async fn end_gap(
        &self,
        streamer_id: &str,
        event_type: &str,
        to_ms: i64,
    ) -> Result<Option<Gap>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(marker(streamer_id, event_type)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        let Some(from_ms) = out.item().and_then(|i| number(i, "open_from")) else {
            return Ok(None);
        };
        let clear = Update::builder()
            .table_name(&self.table)
            .set_key(Some(marker(streamer_id, event_type)))
            .update_expression("REMOVE open_from")
            .condition_expression("open_from = :from")
            .expression_attribute_values(":from", n(from_ms))
            .build()
            .map_err(unavailable)?;
        let gap_key = key_of(streamer_id, gap_sk(from_ms, event_type));
        let end = Update::builder()
            .table_name(&self.table)
            .set_key(Some(gap_key.clone()))
            .update_expression("SET #to = :to, #state = :recovering, updated_at = :at")
            .condition_expression("#state = :open")
            .expression_attribute_names("#to", "to")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":to", n(to_ms.max(from_ms)))
            .expression_attribute_values(":at", n(to_ms))
            .expression_attribute_values(":recovering", s(GapState::Recovering.as_str()))
            .expression_attribute_values(":open", s(GapState::Open.as_str()))
            .build()
            .map_err(unavailable)?;
        let items = vec![
            TransactWriteItem::builder().update(clear).build(),
            TransactWriteItem::builder().update(end).build(),
        ];
        // Refused: ended by another run between the read and the write.
        if transact(&self.client, items).await?.written()? {
            self.gap(gap_key).await
        } else {
            Ok(None)
        }
    }

    async fn settle_gap(
        &self,
        key: &GapKey,
        state: GapState,
        recovered: &Recovered,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        // A closed gap leaves the unsettled index.
        let update = match state {
            GapState::Closed => {
                "SET #state = :state, recovered = :r, updated_at = :at REMOVE unsettled"
            }
            _ => "SET #state = :state, recovered = :r, updated_at = :at",
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_of(
                &key.streamer_id,
                gap_sk(key.from_ms, &key.event_type),
            )))
            .update_expression(update)
            .condition_expression("#state = :recovering")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":state", s(state.as_str()))
            .expression_attribute_values(":recovering", s(GapState::Recovering.as_str()))
            .expression_attribute_values(":r", s(recovered.to_json()?))
            .expression_attribute_values(":at", n(at_ms))
            .send()
            .await;
        written(result)
    }

    async fn gaps(
        &self,
        streamer_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Gap>, StoreError> {
        // `$` sorts right after `#`: every gap that starts at `to_ms` is in.
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :first AND :last")
                .expression_attribute_values(":pk", s(pk(streamer_id)))
                .expression_attribute_values(":first", s("GAP#"))
                .expression_attribute_values(":last", s(format!("GAP#{:013}$", to_ms.max(0))))
                .consistent_read(true),
        )
        .await?;
        let mut gaps = Vec::new();
        for item in &items {
            let gap = gap_from(item)?;
            if gap.overlaps(from_ms, to_ms) {
                gaps.push(gap);
            }
        }
        Ok(gaps)
    }

    async fn unsettled_gaps(&self, limit: usize) -> Result<Vec<Gap>, StoreError> {
        let items = query_first(
            self.client
                .query()
                .table_name(&self.table)
                .index_name(UNSETTLED_INDEX)
                .key_condition_expression("unsettled = :t")
                .expression_attribute_values(":t", s("T")),
            limit,
        )
        .await?;
        items.iter().map(gap_from).collect()
    }
}

//! The JSON shapes of the answers (the OpenAPI document describes each).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};
use shared::eventsub::catalog;
use shared::store::coverage::Gap;
use shared::store::snapshots::{LivePage, LiveState, Snapshot, ViewerPoint};
use shared::store::streamers::Streamer;
use shared::store::{DailyCount, Page, StoredEvent};

use crate::params::{page_token, Window};

/// One event: message id, type, version, arrival, summary, cursor, payload,
/// and whether it was recovered (with its source and time's exactness).
pub fn event(stored: &StoredEvent) -> Value {
    let e = &stored.event;
    // The payload was checked to be a JSON object when it was stored; a
    // record that no longer parses is shown as null rather than failing the page.
    let payload: Value = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
    let mut view = json!({
        "id": e.message_id,
        "type": e.event_type,
        "version": e.event_version,
        "received_at_ms": e.received_at_ms,
        "summary": e.summary,
        "cursor": stored.cursor.encode(),
        "event": payload,
    });
    if let Value::Object(fields) = &mut view {
        fields.extend(e.recovery_fields());
    }
    view
}

/// Every EventSub type the system knows, with the label people read it by:
/// the page names types from this list, never from a copy of its own.
pub fn event_types() -> Value {
    let types: Vec<Value> = catalog::TYPES
        .iter()
        .map(|k| {
            json!({
                "type": k.name,
                "version": k.version,
                "label": k.label,
                "tracked": k.tracked,
            })
        })
        .collect();
    json!({ "types": types })
}

/// Events as CSV: a header, then one row per event (RFC 4180 quoting). A
/// field that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first)
/// is prefixed with `'`: chat text and titles are anyone's to write.
pub fn events_csv(events: &[StoredEvent]) -> String {
    let mut out = String::from("received_at,message_id,type,version,actor,action,amount,text\r\n");
    for stored in events {
        let e = &stored.event;
        let s = e.summary.as_ref();
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(e.received_at_ms) * 1_000_000,
        )
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
        let fields = [
            at,
            e.message_id.clone(),
            e.event_type.clone(),
            e.event_version.clone(),
            s.and_then(|s| s.actor.clone()).unwrap_or_default(),
            s.map(|s| s.action.clone()).unwrap_or_default(),
            s.and_then(|s| s.amount)
                .map(|a| a.to_string())
                .unwrap_or_default(),
            s.map(|s| s.text.clone()).unwrap_or_default(),
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// A page of events and the cursor of the next one (`null` after the last).
pub fn events_page(page: &Page) -> Value {
    json!({
        "events": page.events.iter().map(event).collect::<Vec<_>>(),
        "next": page.next.as_ref().map(|c| c.encode()),
    })
}

/// A tracked streamer with its live state (`null` when the poller never saw
/// it) and the state of each of its EventSub types.
pub fn streamer(s: &Streamer, live: Option<&LiveState>) -> Value {
    json!({
        "id": s.id,
        "login": s.login,
        "wanted_since_ms": s.wanted_since_ms,
        "last_watched_ms": s.last_watched_ms,
        "live": live,
        "types": type_states(s),
    })
}

/// Each EventSub type's state, with when it last changed.
fn type_states(s: &Streamer) -> Map<String, Value> {
    s.types
        .iter()
        .map(|(kind, record)| {
            let mut v = serde_json::to_value(&record.state).unwrap_or(Value::Null);
            if let Value::Object(fields) = &mut v {
                fields.insert("updated_at_ms".into(), json!(record.updated_at_ms));
            }
            (kind.clone(), v)
        })
        .collect()
}

/// One streamer as `GET /api/streamers/{login}` answers: whether it is
/// tracked, and each EventSub type's state (none while it is not).
pub fn streamer_detail(id: &str, s: Option<&Streamer>, live: Option<&LiveState>) -> Value {
    let tracked = s.is_some_and(|s| s.wanted);
    let types = s.filter(|s| s.wanted).map(type_states).unwrap_or_default();
    json!({
        "id": id,
        "login": s.and_then(|s| s.login.clone()),
        "tracked": tracked,
        "live": live,
        "types": types,
    })
}

/// A page of streamers and the token of the next one.
pub fn streamers_page(streamers: Vec<Value>, next: Option<&str>) -> Value {
    json!({
        "streamers": streamers,
        "next": next.map(page_token),
    })
}

/// Counts per day for every day of `days` (oldest first; a day without events
/// has an empty `counts`), and the window's totals per type.
/// `gaps` (the streamer's over the window) name, per day, the types one of
/// them touched: that day's counts of those types may be short.
pub fn stats(broadcaster_id: &str, days: &[String], counts: &[DailyCount], gaps: &[Gap]) -> Value {
    let mut per_day: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for c in counts {
        *per_day
            .entry(c.day.as_str())
            .or_default()
            .entry(c.event_type.as_str())
            .or_default() += c.count;
        *totals.entry(c.event_type.as_str()).or_default() += c.count;
    }
    let days: Vec<Value> = days
        .iter()
        .map(|day| {
            let counts = per_day.remove(day.as_str()).unwrap_or_default();
            let touched: BTreeSet<&str> = gaps
                .iter()
                .filter(|g| day_span_ms(day).is_some_and(|(from, to)| g.overlaps(from, to)))
                .map(|g| g.key.event_type.as_str())
                .collect();
            json!({
                "day": day,
                "total": counts.values().sum::<u64>(),
                "counts": counts,
                "gaps": touched,
            })
        })
        .collect();
    json!({
        "streamer_id": broadcaster_id,
        "from": days.first().map(|d| d["day"].clone()),
        "to": days.last().map(|d| d["day"].clone()),
        "days": days,
        "totals": totals,
    })
}

/// The first and last millisecond of a UTC day (`2026-03-01`).
fn day_span_ms(day: &str) -> Option<(i64, i64)> {
    let start = shared::clock::rfc3339_ms(&format!("{day}T00:00:00Z"))?;
    Some((start, start + shared::store::DAY_MS - 1))
}

/// A streamer's snapshots in a window, oldest first. `truncated` says the
/// limit was reached; `next_from_ms` is where to ask again.
pub fn streams(
    broadcaster_id: &str,
    window: Window,
    snapshots: &[Snapshot],
    limit: usize,
) -> Value {
    let truncated = snapshots.len() >= limit;
    let next_from_ms = truncated
        .then(|| snapshots.last().map(|s| s.polled_at_ms.saturating_add(1)))
        .flatten();
    json!({
        "streamer_id": broadcaster_id,
        "from_ms": window.from_ms,
        "to_ms": window.to_ms,
        "snapshots": snapshots,
        "truncated": truncated,
        "next_from_ms": next_from_ms,
    })
}

/// A streamer's viewers in a window, one point per bucket that had a poll.
pub fn viewers(
    broadcaster_id: &str,
    window: Window,
    bucket_ms: i64,
    points: &[ViewerPoint],
) -> Value {
    json!({
        "streamer_id": broadcaster_id,
        "from_ms": window.from_ms,
        "to_ms": window.to_ms,
        "bucket_ms": bucket_ms,
        "points": points,
    })
}

/// A page of who is live now and the token of the next one.
pub fn live_page(page: &LivePage) -> Value {
    json!({
        "live": page.states,
        "next": page.next.as_deref().map(page_token),
    })
}

/// Why a gap happened, in words a streamer reads.
pub fn gap_cause(cause: &str) -> &'static str {
    match cause {
        "notification_failures_exceeded" => {
            "Twitch stopped sending them after deliveries to this site failed"
        }
        "authorization_revoked" => "the broadcaster withdrew this site's permission",
        "user_removed" => "the Twitch account was removed or suspended",
        "version_removed" => "Twitch retired this kind of event",
        "webhook_callback_verification_pending" => "Twitch was still checking this site's address",
        "webhook_callback_verification_failed" => "Twitch could not verify this site's address",
        "stack_stopped" => "this site was stopped for longer than Twitch keeps retrying",
        _ => "this site was not receiving them",
    }
}

/// A streamer's gaps over a window: each kind of event that may be missing,
/// when, why, and what was recovered.
pub fn coverage(broadcaster_id: &str, window: Window, gaps: &[Gap]) -> Value {
    let gaps: Vec<Value> = gaps
        .iter()
        .map(|g| {
            json!({
                "type": g.key.event_type,
                "label": catalog::label(&g.key.event_type),
                "from_ms": g.key.from_ms,
                "to_ms": g.to_ms,
                "cause": g.cause,
                "cause_text": gap_cause(&g.cause),
                "state": g.state.as_str(),
                "recovered": g.recovered,
            })
        })
        .collect();
    json!({
        "streamer_id": broadcaster_id,
        "from_ms": window.from_ms,
        "to_ms": window.to_ms,
        "gaps": gaps,
    })
}

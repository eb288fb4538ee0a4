//! The ledger: every event the simulator generated, per broadcaster, in
//! the order it happened, with its message id, the semantic key the stack
//! derives for it and whether the callback acknowledged it (a 2xx, first
//! time or on a retry). What an outage drill counts losses against.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::gate::helix_error;
use super::params::Params;
use super::Sim;

/// Entries kept per broadcaster; past it, the oldest go.
pub const MAX_PER_BROADCASTER: usize = 10_000;

/// One generated event.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The subscription type (`type` on the wire).
    pub kind: String,
    /// When it happened at Twitch: wall clock, RFC 3339 (a follow's
    /// `followed_at` is this very string).
    pub happened_at: String,
    /// The message id of its notification (resends keep it).
    pub message_id: String,
    /// `shared::eventsub::catalog::semantic_key` of it, as the webhook
    /// derives it; `None` for types without one.
    pub semantic_key: Option<String>,
    /// True once the callback answered a 2xx to it.
    pub delivered: bool,
    /// The `event` object sent.
    pub event: Value,
}

impl Entry {
    /// The entry as `GET /sim/ledger` lists it.
    pub fn to_json(&self) -> Value {
        json!({
            "type": self.kind,
            "happened_at": self.happened_at,
            "message_id": self.message_id,
            "semantic_key": self.semantic_key,
            "delivered": self.delivered,
            "event": self.event,
        })
    }
}

/// Entries by broadcaster, each list bounded, and which broadcaster a
/// message id belongs to (to mark it delivered).
#[derive(Debug, Default)]
pub struct Ledger {
    by_broadcaster: HashMap<String, VecDeque<Entry>>,
    owners: HashMap<String, String>,
}

impl Ledger {
    /// Appends `entry` to `broadcaster`'s list, dropping its oldest beyond the cap.
    pub fn record(&mut self, broadcaster: &str, entry: Entry) {
        let list = self
            .by_broadcaster
            .entry(broadcaster.to_owned())
            .or_default();
        if list.len() >= MAX_PER_BROADCASTER {
            if let Some(old) = list.pop_front() {
                self.owners.remove(&old.message_id);
            }
        }
        self.owners
            .insert(entry.message_id.clone(), broadcaster.to_owned());
        list.push_back(entry);
    }

    /// Marks the entry of `message_id` delivered (unknown ids are ignored:
    /// not generated here, or already dropped by the cap).
    pub fn acknowledge(&mut self, message_id: &str) {
        let Some(broadcaster) = self.owners.get(message_id) else {
            return;
        };
        let entry = self
            .by_broadcaster
            .get_mut(broadcaster)
            .and_then(|list| list.iter_mut().rev().find(|e| e.message_id == message_id));
        if let Some(entry) = entry {
            entry.delivered = true;
        }
    }

    /// `broadcaster`'s entries, oldest first.
    pub fn entries(&self, broadcaster: &str) -> Vec<Entry> {
        self.by_broadcaster
            .get(broadcaster)
            .map(|list| list.iter().cloned().collect())
            .unwrap_or_default()
    }
}

impl Sim {
    /// Every event generated for `broadcaster` still in the ledger, oldest first.
    pub fn ledger(&self, broadcaster: &str) -> Vec<Entry> {
        self.state().ledger.entries(broadcaster)
    }
}

/// `GET /sim/ledger?broadcaster=<id>`: `{"broadcaster_id", "data": [entries]}`.
pub async fn get_ledger(State(sim): State<Arc<Sim>>, RawQuery(query): RawQuery) -> Response {
    let Ok(params) = Params::parse(query.as_deref().unwrap_or("")) else {
        return helix_error(StatusCode::BAD_REQUEST, "malformed query string");
    };
    let Some(broadcaster) = params.first("broadcaster").filter(|b| !b.is_empty()) else {
        return helix_error(
            StatusCode::BAD_REQUEST,
            "the broadcaster query parameter is required",
        );
    };
    let data: Vec<Value> = sim.ledger(broadcaster).iter().map(Entry::to_json).collect();
    Json(json!({"broadcaster_id": broadcaster, "data": data})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> Entry {
        Entry {
            kind: "channel.follow".into(),
            happened_at: "2026-01-01T00:00:00Z".into(),
            message_id: format!("m{n}"),
            semantic_key: None,
            delivered: false,
            event: Value::Null,
        }
    }

    #[test]
    fn keeps_the_last_ten_thousand_per_broadcaster() {
        let mut ledger = Ledger::default();
        for n in 0..MAX_PER_BROADCASTER + 5 {
            ledger.record("1", entry(n));
        }
        ledger.record("2", entry(999_999));
        let kept = ledger.entries("1");
        assert_eq!(kept.len(), MAX_PER_BROADCASTER);
        assert_eq!(kept[0].message_id, "m5");
        assert_eq!(
            kept.last().map(|e| e.message_id.as_str()),
            Some(format!("m{}", MAX_PER_BROADCASTER + 4).as_str())
        );
        assert_eq!(ledger.entries("2").len(), 1);
        // The dropped ones are forgotten everywhere, not only in the list.
        assert_eq!(ledger.owners.len(), MAX_PER_BROADCASTER + 1);
    }

    #[test]
    fn an_acknowledged_message_is_delivered_and_others_are_not() {
        let mut ledger = Ledger::default();
        ledger.record("1", entry(1));
        ledger.record("1", entry(2));
        ledger.acknowledge("m2");
        ledger.acknowledge("unknown");
        let delivered: Vec<bool> = ledger.entries("1").iter().map(|e| e.delivered).collect();
        assert_eq!(delivered, [false, true]);
    }
}

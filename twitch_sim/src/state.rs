//! What the simulator remembers between requests.

use std::collections::{BTreeSet, HashMap, VecDeque};

use serde_json::{json, Value};
use shared::eventsub::status::Status;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::time::Instant;

use super::history::History;
use super::ledger::Ledger;
use super::ratelimit::Bucket;
use super::Failure;

/// How many sent messages [`Sent`] keeps for redelivery.
const MAX_REMEMBERED: usize = 10_000;

/// An EventSub subscription as the simulator holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSubscription {
    pub id: String,
    pub status: Status,
    /// The subscription type (`type` on the wire).
    pub kind: String,
    pub version: String,
    /// The condition object exactly as created.
    pub condition: Value,
    pub callback: String,
    /// The transport secret; Twitch never shows it, the simulator signs with it.
    pub secret: String,
    pub cost: u64,
    pub created_at: OffsetDateTime,
}

impl SimSubscription {
    /// An enabled, cost-0 subscription created now with a fresh id, for planting.
    pub fn new(kind: &str, version: &str, condition: Value, callback: &str, secret: &str) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            status: Status::Enabled,
            kind: kind.into(),
            version: version.into(),
            condition,
            callback: callback.into(),
            secret: secret.into(),
            cost: 0,
            created_at: OffsetDateTime::now_utc(),
        }
    }

    /// The subscription as Twitch lists it (no secret).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "status": self.status,
            "type": self.kind,
            "version": self.version,
            "condition": self.condition,
            "created_at": self.created_at.format(&Rfc3339).unwrap_or_default(),
            "transport": {"method": "webhook", "callback": self.callback},
            "cost": self.cost,
        })
    }

    /// The user ids its condition names (every `*user_id` field).
    pub fn user_ids(&self) -> impl Iterator<Item = &str> {
        self.condition
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.ends_with("user_id"))
            .filter_map(|(_, v)| v.as_str())
    }

    /// True while it is enabled or waiting for its challenge: such a
    /// subscription counts toward cost and blocks duplicates.
    pub fn is_live(&self) -> bool {
        self.status.is_working()
    }
}

/// An issued app token.
#[derive(Debug, Clone)]
pub struct Token {
    pub client_id: String,
    pub expires_at: Instant,
}

/// A failure waiting to be served.
#[derive(Debug, Clone)]
pub struct Injected {
    pub path_prefix: String,
    pub failure: Failure,
    pub remaining: u32,
}

/// A request to hold at the door until the test lets it through.
#[derive(Debug)]
pub struct Held {
    pub method: String,
    pub path_prefix: String,
    /// Told when the request arrives.
    pub arrived: tokio::sync::oneshot::Sender<()>,
    /// Lets it through when sent (or dropped).
    pub release: tokio::sync::oneshot::Receiver<()>,
}

/// A notification already sent, kept so it can be sent again.
#[derive(Debug, Clone)]
pub struct SentMessage {
    pub subscription_id: String,
    pub body: String,
    pub retries: u32,
}

/// The most recent notifications, by message id, oldest evicted first.
#[derive(Debug, Default)]
pub struct Sent {
    order: VecDeque<String>,
    by_id: HashMap<String, SentMessage>,
}

impl Sent {
    /// Remembers a message, forgetting the oldest beyond the cap.
    pub fn remember(&mut self, message_id: String, message: SentMessage) {
        if self.order.len() >= MAX_REMEMBERED {
            if let Some(old) = self.order.pop_front() {
                self.by_id.remove(&old);
            }
        }
        self.order.push_back(message_id.clone());
        self.by_id.insert(message_id, message);
    }

    /// A remembered message.
    pub fn get_mut(&mut self, message_id: &str) -> Option<&mut SentMessage> {
        self.by_id.get_mut(message_id)
    }

    /// The `n`-th remembered message (modulo how many there are), with its id.
    pub fn nth(&self, n: usize) -> Option<(&str, &SentMessage)> {
        let id = self.order.get(n.checked_rem(self.order.len())?)?;
        self.by_id.get(id).map(|m| (id.as_str(), m))
    }
}

/// Everything mutable, behind the simulator's one mutex.
#[derive(Debug, Default)]
pub struct State {
    pub tokens: HashMap<String, Token>,
    /// Scopes each user granted our client.
    pub grants: HashMap<String, BTreeSet<String>>,
    /// In creation (or planting) order.
    pub subscriptions: Vec<SimSubscription>,
    /// Subscriptions Twitch still counts but no longer lists (type,
    /// version, condition): see [`crate::Sim::orphan`].
    pub orphans: Vec<(String, String, serde_json::Value)>,
    /// Requests seen, by exact path.
    pub requests: HashMap<String, usize>,
    pub failures: Vec<Injected>,
    /// Requests to hold, first match first.
    pub holds: Vec<Held>,
    /// Helix token buckets by client id.
    pub buckets: HashMap<String, Bucket>,
    pub sent: Sent,
    /// Counts notifications, to vary their payloads.
    pub seq: u64,
    /// Every generated event, per broadcaster.
    pub ledger: Ledger,
    /// Followers and subscribers the generated events left.
    pub history: History,
    /// Until when every POST to a callback fails as unreachable (wall clock).
    pub outage_until: Option<std::time::Instant>,
    /// Per callback: messages in a row that failed every retry.
    pub exhausted: HashMap<String, u32>,
    /// Subscriptions revoked for failures whose revocation is not sent yet.
    pub revocations: Vec<String>,
    /// True while a task is sending [`State::revocations`].
    pub courier: bool,
}

impl State {
    /// Subscriptions sorted by `created_at`, creation order breaking ties.
    pub fn oldest_first(&self) -> Vec<&SimSubscription> {
        let mut subs: Vec<&SimSubscription> = self.subscriptions.iter().collect();
        subs.sort_by_key(|s| s.created_at);
        subs
    }

    /// One subscription by id.
    pub fn subscription(&self, id: &str) -> Option<&SimSubscription> {
        self.subscriptions.iter().find(|s| s.id == id)
    }

    /// One subscription by id, to change it.
    pub fn subscription_mut(&mut self, id: &str) -> Option<&mut SimSubscription> {
        self.subscriptions.iter_mut().find(|s| s.id == id)
    }

    /// Sum of the cost of enabled and pending subscriptions.
    pub fn total_cost(&self) -> u64 {
        self.subscriptions
            .iter()
            .filter(|s| s.is_live())
            .map(|s| s.cost)
            .sum()
    }

    /// True when `user_id` granted our client any scope at all.
    pub fn has_any_grant(&self, user_id: &str) -> bool {
        self.grants.get(user_id).is_some_and(|g| !g.is_empty())
    }

    /// True when `user_id` granted `scope`.
    pub fn has_grant(&self, user_id: &str, scope: &str) -> bool {
        self.grants.get(user_id).is_some_and(|g| g.contains(scope))
    }

    /// Takes one use of the first injected failure matching `path`, if any.
    /// The hold the next `method` request on `path` meets, taken (each
    /// hold catches one request).
    pub fn take_hold(&mut self, method: &str, path: &str) -> Option<Held> {
        let i = self
            .holds
            .iter()
            .position(|h| h.method == method && path.starts_with(&h.path_prefix))?;
        Some(self.holds.remove(i))
    }

    pub fn take_failure(&mut self, path: &str) -> Option<Failure> {
        let injected = self
            .failures
            .iter_mut()
            .find(|f| f.remaining > 0 && path.starts_with(&f.path_prefix))?;
        injected.remaining -= 1;
        let failure = injected.failure;
        self.failures.retain(|f| f.remaining > 0);
        Some(failure)
    }
}

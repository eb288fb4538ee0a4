//! A run's online/offline transitions as feed events, unless EventSub
//! already delivered them.

use serde_json::json;
use shared::eventsub::catalog::semantic_key;
use shared::eventsub::summary::Summary;
use shared::store::snapshots::LiveState;
use shared::store::{Event, StoreError};

use super::Poller;
use crate::live::Transition;

/// When the stream in an offline transition went live: its `started_at`, or
/// when the poller first saw it live.
fn previous_live_since(s: &LiveState) -> i64 {
    shared::clock::rfc3339_ms(&s.started_at)
        .unwrap_or(s.last_seen_ms)
        .min(s.last_seen_ms)
}

impl Poller {
    /// True when EventSub delivered a `stream.offline` for `broadcaster` after
    /// `since_ms` (the poller's own events do not count).
    pub(super) async fn eventsub_said_offline(
        &self,
        broadcaster: &str,
        since_ms: i64,
    ) -> Result<bool, StoreError> {
        let recent = self.events.recent(broadcaster, 20, None).await?;
        Ok(recent.events.iter().any(|e| {
            e.event.event_type == "stream.offline"
                && e.event.subscription_id != "poller"
                && e.event.received_at_ms >= since_ms
        }))
    }

    /// Puts a transition in the feed unless EventSub already told us: an
    /// online shares `stream.online`'s dedupe key (the stream id), an offline
    /// is skipped when a `stream.offline` arrived since the stream went live.
    pub(super) async fn record(&self, t: &Transition, now: i64) -> Result<bool, StoreError> {
        let (kind, broadcaster, login, stream_id, text) = match t {
            Transition::Online(s) => (
                "stream.online",
                &s.broadcaster_id,
                &s.broadcaster_login,
                &s.stream_id,
                format!("{} went live (seen by the poller)", s.broadcaster_login),
            ),
            Transition::Offline(s) => (
                "stream.offline",
                &s.broadcaster_id,
                &s.login,
                &s.stream_id,
                format!("{} went offline (seen by the poller)", s.login),
            ),
        };
        if let Transition::Offline(s) = t {
            // Since it went live: Get Streams may still have listed it after
            // EventSub's offline arrived.
            if self
                .eventsub_said_offline(broadcaster, previous_live_since(s))
                .await?
            {
                return Ok(false);
            }
        }
        let payload = json!({
            "id": stream_id,
            "broadcaster_user_id": broadcaster,
            "broadcaster_user_login": login,
            "broadcaster_user_name": login,
            "type": "live",
            "observed_by": "poller",
        });
        let event = Event {
            message_id: format!("poller:{kind}:{stream_id}"),
            broadcaster_id: broadcaster.clone(),
            event_type: kind.into(),
            event_version: "1".into(),
            subscription_id: "poller".into(),
            received_at_ms: now,
            summary: Some(Summary {
                actor: Some(login.clone()),
                action: if kind == "stream.online" {
                    "went live".into()
                } else {
                    "went offline".into()
                },
                amount: None,
                text,
            }),
            payload: payload.to_string(),
            recovery: None,
        };
        let key = semantic_key(kind, broadcaster, &payload);
        let appended = self.events.append_once(&event, key.as_deref()).await?;
        Ok(matches!(appended, shared::store::Appended::Stored(_)))
    }
}

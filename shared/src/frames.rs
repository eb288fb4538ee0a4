//! The JSON frames WebSocket clients receive. Every event frame carries the
//! EventSub message id, so a client can drop the duplicates that at-least-once
//! delivery may produce.

use serde_json::{json, Value};

use crate::store::StoredEvent;

/// API Gateway's limit for one WebSocket message.
pub const MAX_FRAME_BYTES: usize = 128 * 1024;

/// An event, live or from the backlog, saying whether it was recovered
/// ([`crate::store::Event::recovery_fields`]). Payloads that would push the frame past
/// API Gateway's 128 KB limit are left out (`"truncated": true`); the read API
/// has them.
pub fn event(stored: &StoredEvent, backlog: bool) -> String {
    let e = &stored.event;
    // One parse, straight to the tree the frame is written from (the frame
    // has always carried the event re-serialized, keys sorted); a stored
    // payload that is not JSON becomes `null`.
    let payload: Option<Value> = serde_json::from_str(&e.payload).ok();
    let mut frame = json!({
        "type": "event",
        "id": e.message_id,
        "broadcaster": e.broadcaster_id,
        "event_type": e.event_type,
        "version": e.event_version,
        "received_at": e.received_at_ms,
        "cursor": stored.cursor.encode(),
        "backlog": backlog,
        "summary": e.summary,
        "event": payload,
    });
    if let Value::Object(fields) = &mut frame {
        fields.extend(e.recovery_fields());
    }
    let text = frame.to_string();
    if text.len() <= MAX_FRAME_BYTES {
        return text;
    }
    frame["event"] = Value::Null;
    frame["truncated"] = Value::Bool(true);
    frame.to_string()
}

/// An overlay's settings, changed on the page: the overlays open with
/// that key apply them at once.
pub fn overlay_settings(settings: &Value) -> String {
    json!({"type": "overlay_settings", "settings": settings}).to_string()
}

/// A test alert for the overlays open with one key: shaped like an event
/// frame, never stored, never reported as shown.
pub fn overlay_test(
    id: &str,
    broadcaster: &str,
    event_type: &str,
    at_ms: i64,
    summary: Option<&crate::eventsub::summary::Summary>,
    event: &Value,
) -> String {
    json!({
        "type": "overlay_test",
        "id": id,
        "broadcaster": broadcaster,
        "event_type": event_type,
        "received_at": at_ms,
        "summary": summary,
        "event": event,
    })
    .to_string()
}

/// A command for the overlays open with one key (`replay`, `skip`,
/// `pause`, `resume`).
pub fn overlay_control(action: &str) -> String {
    json!({"type": "overlay_control", "action": action}).to_string()
}

/// A reply to a client request (`subscribed`, `unsubscribed`); `requested`
/// is the login the client named, when it named one (frames then carry the id).
pub fn ack(kind: &str, broadcaster: &str, requested: Option<&str>, topics: usize) -> String {
    let mut v = json!({"type": kind, "broadcaster": broadcaster, "topics": topics});
    if let Some(r) = requested {
        v["requested"] = json!(r);
    }
    v.to_string()
}

/// The answer to a client's keep-alive `ping`.
pub fn pong() -> String {
    json!({"type": "pong"}).to_string()
}

/// An error about something the client sent.
pub fn error(code: &str, message: &str) -> String {
    json!({"type": "error", "code": code, "message": message}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Cursor, Event, Recovery};

    fn stored(recovery: Option<Recovery>) -> StoredEvent {
        let event = Event {
            message_id: "m-1".into(),
            broadcaster_id: "1337".into(),
            event_type: "channel.follow".into(),
            event_version: "2".into(),
            subscription_id: "sub".into(),
            received_at_ms: 1_000,
            summary: None,
            payload: "{}".into(),
            recovery,
        };
        StoredEvent {
            cursor: Cursor::of(&event),
            event,
        }
    }

    #[test]
    fn event_frames_say_whether_and_how_the_event_was_recovered() {
        let live: Value = serde_json::from_str(&event(&stored(None), false)).unwrap();
        assert_eq!(live["recovered"], json!(false));
        assert!(live.get("source").is_none() && live.get("time_exact").is_none());
        let recovery = Recovery {
            source: "Get Channel Followers".into(),
            time_exact: true,
        };
        let found: Value = serde_json::from_str(&event(&stored(Some(recovery)), false)).unwrap();
        assert_eq!(
            (&found["recovered"], &found["source"], &found["time_exact"]),
            (&json!(true), &json!("Get Channel Followers"), &json!(true))
        );
    }
}

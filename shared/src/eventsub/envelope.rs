//! The JSON bodies of the three message types, checked against the message type
//! header (which the signature does not cover).

use serde::Deserialize;
use serde_json::{value::RawValue, Value};

use super::headers::MessageType;
use super::subscription::Subscription;

#[derive(Deserialize)]
struct RawBody<'a> {
    subscription: Subscription,
    #[serde(default, borrow)]
    event: Option<&'a RawValue>,
    #[serde(default)]
    challenge: Option<String>,
}

/// A notification's `event`: the bytes exactly as Twitch sent them (to store),
/// and the one parse of them that the summary, the dedupe key and the
/// broadcaster fallback all read.
#[derive(Debug)]
pub struct Event<'a> {
    raw: &'a RawValue,
    fields: Value,
}

impl<'a> Event<'a> {
    /// The `event` object exactly as received, borrowed from the body.
    pub fn raw(&self) -> &'a str {
        self.raw.get()
    }

    /// The parsed object.
    pub fn fields(&self) -> &Value {
        &self.fields
    }
}

/// A parsed body, of the kind its message type header announced.
#[derive(Debug)]
pub enum Message<'a> {
    Verification {
        subscription: Subscription,
        challenge: String,
    },
    Notification {
        subscription: Subscription,
        event: Event<'a>,
    },
    Revocation {
        subscription: Subscription,
    },
}

impl Message<'_> {
    /// The subscription the message is about.
    pub fn subscription(&self) -> &Subscription {
        match self {
            Message::Verification { subscription, .. }
            | Message::Notification { subscription, .. }
            | Message::Revocation { subscription } => subscription,
        }
    }
}

/// Why a body could not be used.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("body is not valid EventSub JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("a {0} message must carry {1}")]
    MissingField(&'static str, &'static str),
    #[error("a {0} message must not carry {1}")]
    UnexpectedField(&'static str, &'static str),
    #[error("event must be a JSON object")]
    EventNotObject,
    #[error("{0} is not an id this system can store (empty, too long or not printable ASCII)")]
    BadId(&'static str),
}

/// Parses `body` as the message `kind` says, refusing bodies of another kind.
pub fn parse(kind: MessageType, body: &[u8]) -> Result<Message<'_>, EnvelopeError> {
    let raw: RawBody<'_> = serde_json::from_slice(body)?;
    if let Some(field) = raw.subscription.invalid_id() {
        return Err(EnvelopeError::BadId(field));
    }
    let name = kind.as_str();
    // `"event": null` deserializes as a RawValue holding `null`; treat it as absent.
    let event = raw.event.filter(|e| e.get() != "null");
    match kind {
        MessageType::Verification => {
            if event.is_some() {
                return Err(EnvelopeError::UnexpectedField(name, "an event"));
            }
            let challenge = raw
                .challenge
                .ok_or(EnvelopeError::MissingField(name, "a challenge"))?;
            Ok(Message::Verification {
                subscription: raw.subscription,
                challenge,
            })
        }
        MessageType::Notification => {
            if raw.challenge.is_some() {
                return Err(EnvelopeError::UnexpectedField(name, "a challenge"));
            }
            let raw_event = event.ok_or(EnvelopeError::MissingField(name, "an event"))?;
            let fields: Value = serde_json::from_str(raw_event.get())?;
            if !fields.is_object() {
                return Err(EnvelopeError::EventNotObject);
            }
            Ok(Message::Notification {
                subscription: raw.subscription,
                event: Event {
                    raw: raw_event,
                    fields,
                },
            })
        }
        MessageType::Revocation => {
            if event.is_some() {
                return Err(EnvelopeError::UnexpectedField(name, "an event"));
            }
            if raw.challenge.is_some() {
                return Err(EnvelopeError::UnexpectedField(name, "a challenge"));
            }
            Ok(Message::Revocation {
                subscription: raw.subscription,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOLLOW: &str = r#"{"subscription":{"id":"s1","status":"enabled","type":"channel.follow","version":"2","cost":0,"condition":{"broadcaster_user_id":"1337","moderator_user_id":"1337"},"transport":{"method":"webhook","callback":"https://example.com"},"created_at":"2026-03-01T12:00:00.5Z"},"event":{"user_id":"1234","user_name":"Cool_Follower","broadcaster_user_id":"1337"}}"#;

    #[test]
    fn parses_a_notification_and_keeps_the_event_bytes() {
        let msg = parse(MessageType::Notification, FOLLOW.as_bytes()).unwrap();
        let Message::Notification {
            subscription,
            event,
        } = msg
        else {
            panic!("expected a notification");
        };
        assert_eq!(subscription.kind, "channel.follow");
        assert_eq!(subscription.broadcaster_id(), Some("1337"));
        assert!(event.raw().starts_with(r#"{"user_id":"1234""#));
        assert_eq!(event.fields()["user_name"], "Cool_Follower");
    }

    #[test]
    fn a_notification_replayed_as_a_revocation_is_refused() {
        assert!(matches!(
            parse(MessageType::Revocation, FOLLOW.as_bytes()),
            Err(EnvelopeError::UnexpectedField(..))
        ));
        assert!(matches!(
            parse(MessageType::Verification, FOLLOW.as_bytes()),
            Err(EnvelopeError::UnexpectedField(..))
        ));
    }

    #[test]
    fn raids_belong_to_the_side_the_condition_names() {
        let body = r#"{"subscription":{"id":"s","status":"enabled","type":"channel.raid","version":"1","condition":{"to_broadcaster_user_id":"42"}},"event":{}}"#;
        let msg = parse(MessageType::Notification, body.as_bytes()).unwrap();
        assert_eq!(msg.subscription().broadcaster_id(), Some("42"));
    }

    #[test]
    fn malformed_json_and_missing_subscription_are_errors() {
        assert!(parse(MessageType::Notification, b"{not json").is_err());
        assert!(parse(MessageType::Notification, br#"{"event":{}}"#).is_err());
        assert!(parse(
            MessageType::Notification,
            br#"{"subscription":{"id":"s","status":"enabled","type":"t","version":"1"},"event":[1]}"#
        )
        .is_err());
    }
}

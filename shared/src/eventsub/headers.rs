//! The `Twitch-Eventsub-*` request headers, parsed and checked for shape.
//!
//! Only the message id and timestamp are covered by the signature; the message
//! type and subscription type/version headers are not, so the handler checks
//! them against the signed body before acting on them.

use http::HeaderMap;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

pub const MESSAGE_ID: &str = "twitch-eventsub-message-id";
pub const MESSAGE_RETRY: &str = "twitch-eventsub-message-retry";
pub const MESSAGE_TYPE: &str = "twitch-eventsub-message-type";
pub const MESSAGE_SIGNATURE: &str = "twitch-eventsub-message-signature";
pub const MESSAGE_TIMESTAMP: &str = "twitch-eventsub-message-timestamp";
pub const SUBSCRIPTION_TYPE: &str = "twitch-eventsub-subscription-type";
pub const SUBSCRIPTION_VERSION: &str = "twitch-eventsub-subscription-version";

/// Longest message id accepted: Twitch sends UUIDs, and ids end up in store keys.
pub const MAX_MESSAGE_ID_LEN: usize = 128;

/// The three message types Twitch sends to a webhook callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Notification,
    Verification,
    Revocation,
}

impl MessageType {
    /// The header value Twitch uses for this type.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Notification => "notification",
            MessageType::Verification => "webhook_callback_verification",
            MessageType::Revocation => "revocation",
        }
    }
}

/// A problem with the request headers.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HeaderError {
    #[error("header {0} is missing")]
    Missing(&'static str),
    #[error("header {name} is malformed: {why}")]
    Malformed {
        name: &'static str,
        why: &'static str,
    },
    #[error("unknown message type {0:?}")]
    UnknownMessageType(String),
    #[error("header {MESSAGE_SIGNATURE} is missing")]
    MissingSignature,
    #[error("header {MESSAGE_SIGNATURE} is not sha256= followed by 64 hex digits")]
    MalformedSignature,
}

impl HeaderError {
    /// True when the problem is with the proof of authenticity (answered 403).
    pub fn is_authenticity(&self) -> bool {
        matches!(
            self,
            HeaderError::MissingSignature | HeaderError::MalformedSignature
        )
    }
}

/// The headers of one delivery, checked for shape (not yet for authenticity).
#[derive(Debug, Clone)]
pub struct DeliveryHeaders {
    pub message_id: String,
    /// The timestamp exactly as sent: the signature covers these bytes.
    pub timestamp_raw: String,
    pub timestamp: OffsetDateTime,
    pub signature: [u8; 32],
    pub message_type: MessageType,
    pub subscription_type: String,
    pub subscription_version: String,
    /// Twitch's retry counter, when present and numeric (informational only).
    pub retry: Option<u32>,
}

fn text<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, HeaderError> {
    let value = headers.get(name).ok_or(HeaderError::Missing(name))?;
    let value = value.to_str().map_err(|_| HeaderError::Malformed {
        name,
        why: "not visible ASCII",
    })?;
    if value.is_empty() {
        return Err(HeaderError::Malformed { name, why: "empty" });
    }
    Ok(value)
}

impl DeliveryHeaders {
    /// Parses and checks every header a delivery must carry.
    pub fn parse(headers: &HeaderMap) -> Result<Self, HeaderError> {
        let message_id = text(headers, MESSAGE_ID)?;
        if message_id.len() > MAX_MESSAGE_ID_LEN {
            return Err(HeaderError::Malformed {
                name: MESSAGE_ID,
                why: "longer than 128 characters",
            });
        }
        let timestamp_raw = text(headers, MESSAGE_TIMESTAMP)?;
        let timestamp =
            OffsetDateTime::parse(timestamp_raw, &Rfc3339).map_err(|_| HeaderError::Malformed {
                name: MESSAGE_TIMESTAMP,
                why: "not an RFC 3339 date-time",
            })?;
        let message_type = match text(headers, MESSAGE_TYPE)? {
            "notification" => MessageType::Notification,
            "webhook_callback_verification" => MessageType::Verification,
            "revocation" => MessageType::Revocation,
            other => return Err(HeaderError::UnknownMessageType(other.to_owned())),
        };
        let subscription_type = text(headers, SUBSCRIPTION_TYPE)?;
        let subscription_version = text(headers, SUBSCRIPTION_VERSION)?;
        let signature = match headers.get(MESSAGE_SIGNATURE) {
            None => return Err(HeaderError::MissingSignature),
            Some(v) => parse_signature(v.as_bytes()).ok_or(HeaderError::MalformedSignature)?,
        };
        let retry = headers
            .get(MESSAGE_RETRY)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Ok(Self {
            message_id: message_id.to_owned(),
            timestamp_raw: timestamp_raw.to_owned(),
            timestamp,
            signature,
            message_type,
            subscription_type: subscription_type.to_owned(),
            subscription_version: subscription_version.to_owned(),
            retry,
        })
    }
}

/// `sha256=` + 64 hex digits (either case) → the 32 digest bytes.
fn parse_signature(value: &[u8]) -> Option<[u8; 32]> {
    let hex_part = value.strip_prefix(b"sha256=")?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn valid() -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in [
            (MESSAGE_ID, "abc"),
            (MESSAGE_TIMESTAMP, "2026-03-01T12:34:56.123456789Z"),
            (MESSAGE_TYPE, "notification"),
            (SUBSCRIPTION_TYPE, "stream.online"),
            (SUBSCRIPTION_VERSION, "1"),
            (MESSAGE_RETRY, "2"),
            (
                MESSAGE_SIGNATURE,
                "sha256=8d550463886ba1ff01246a8efdf53a094e28ae5b25e1def5a0176e0e7c7dced3",
            ),
        ] {
            h.insert(k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn parses_a_complete_set() {
        let d = DeliveryHeaders::parse(&valid()).unwrap();
        assert_eq!(d.message_type, MessageType::Notification);
        assert_eq!(d.timestamp.nanosecond(), 123_456_789);
        assert_eq!(d.retry, Some(2));
    }

    #[test]
    fn each_required_header_is_reported_when_missing() {
        for name in [
            MESSAGE_ID,
            MESSAGE_TIMESTAMP,
            MESSAGE_TYPE,
            SUBSCRIPTION_TYPE,
            SUBSCRIPTION_VERSION,
        ] {
            let mut h = valid();
            h.remove(name);
            assert_eq!(
                DeliveryHeaders::parse(&h).unwrap_err(),
                HeaderError::Missing(name)
            );
        }
        let mut h = valid();
        h.remove(MESSAGE_SIGNATURE);
        assert_eq!(
            DeliveryHeaders::parse(&h).unwrap_err(),
            HeaderError::MissingSignature
        );
    }

    #[test]
    fn rejects_malformed_values() {
        let cases = [
            (MESSAGE_TIMESTAMP, "yesterday"),
            (MESSAGE_SIGNATURE, "sha1=abcdef"),
            (MESSAGE_SIGNATURE, "sha256=zz"),
            (MESSAGE_TYPE, "subscription_request"),
        ];
        for (name, value) in cases {
            let mut h = valid();
            h.insert(name, HeaderValue::from_static(value));
            assert!(DeliveryHeaders::parse(&h).is_err(), "{name}: {value}");
        }
        let mut h = valid();
        h.insert(MESSAGE_ID, HeaderValue::from_str(&"x".repeat(129)).unwrap());
        assert!(matches!(
            DeliveryHeaders::parse(&h),
            Err(HeaderError::Malformed { .. })
        ));
    }
}

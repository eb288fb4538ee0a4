//! What a client may send: one JSON message, parsed once into a
//! [`ClientMessage`] and matched once by the routes.

use serde::Deserialize;
use serde_json::Value;
use shared::frames;
use shared::store::streamers::StreamerRef;

/// Largest client message read; anything longer is refused with an error frame.
pub const MAX_CLIENT_MESSAGE: usize = 4 * 1024;

/// A client message, told apart by its `action`.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum ClientMessage {
    /// `{"action":"subscribe","broadcaster":"<user id or login>"}`.
    Subscribe {
        #[serde(default)]
        broadcaster: Option<Value>,
    },
    /// `{"action":"unsubscribe","broadcaster":"<user id or login>"}`.
    Unsubscribe {
        #[serde(default)]
        broadcaster: Option<Value>,
    },
    /// `{"action":"ping"}`: keeps an idle connection open.
    Ping {},
}

impl ClientMessage {
    /// The message in `body`, or the error frame that answers it.
    pub fn parse(body: &str) -> Result<Self, String> {
        if body.len() > MAX_CLIENT_MESSAGE {
            return Err(frames::error(
                "message_too_large",
                "messages are limited to 4 KB",
            ));
        }
        let malformed = || {
            frames::error(
                "malformed_message",
                "send JSON like {\"action\":\"subscribe\",\"broadcaster\":\"1337\"}",
            )
        };
        let value: Value = serde_json::from_str(body).map_err(|_| malformed())?;
        Self::deserialize(&value).map_err(|_| match &value {
            // A JSON object whose action is missing or not one we know.
            Value::Object(fields) => match fields.get("action") {
                None | Some(Value::Null | Value::String(_)) => frames::error(
                    "unknown_action",
                    "action must be subscribe, unsubscribe or ping",
                ),
                Some(_) => malformed(),
            },
            _ => malformed(),
        })
    }
}

/// The streamer a client message names: a Twitch user id or login, as a string.
pub fn valid_broadcaster(v: Option<&Value>) -> Result<StreamerRef, &'static str> {
    const WHAT: &str = "broadcaster must be a Twitch user id (digits) or login, as a string";
    match v {
        Some(Value::String(s)) => StreamerRef::parse(s).ok_or(WHAT),
        Some(_) => Err(WHAT),
        None => Err("broadcaster is missing"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(body: &str) -> String {
        let frame = ClientMessage::parse(body).unwrap_err();
        serde_json::from_str::<Value>(&frame).unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn each_action_parses_to_its_variant() {
        assert_eq!(
            ClientMessage::parse(r#"{"action":"ping","broadcaster":"1"}"#),
            Ok(ClientMessage::Ping {})
        );
        assert_eq!(
            ClientMessage::parse(r#"{"action":"subscribe","broadcaster":"1337"}"#),
            Ok(ClientMessage::Subscribe {
                broadcaster: Some(Value::String("1337".into()))
            })
        );
        assert_eq!(
            ClientMessage::parse(r#"{"action":"unsubscribe"}"#),
            Ok(ClientMessage::Unsubscribe { broadcaster: None })
        );
    }

    #[test]
    fn what_is_not_a_message_gets_the_same_errors_as_before() {
        assert_eq!(code("not json"), "malformed_message");
        assert_eq!(code("5"), "malformed_message");
        assert_eq!(code(r#"{"action":5}"#), "malformed_message");
        assert_eq!(code("{}"), "unknown_action");
        assert_eq!(code(r#"{"action":null}"#), "unknown_action");
        assert_eq!(code(r#"{"action":"dance"}"#), "unknown_action");
        assert_eq!(
            code(&"x".repeat(MAX_CLIENT_MESSAGE + 1)),
            "message_too_large"
        );
    }
}

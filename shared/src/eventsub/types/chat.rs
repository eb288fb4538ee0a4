//! `channel.chat.message`: a chat message, read as a cloud chatbot. Known
//! (the simulator accepts it) but not tracked.

use serde_json::Value;

use crate::eventsub::kind::{open, ConditionShape, Grant, Kind};
use crate::eventsub::summary::{someone, summary, user, with_message, Summary};

/// `channel.chat.message` under the app-token (cloud chatbot) rules.
pub const MESSAGE: Kind = Kind {
    summarize: Some(chat_message),
    condition: ConditionShape {
        required: &["broadcaster_user_id", "user_id"],
        one_of: &[],
        optional: &[],
        // The broadcaster reading their own chat.
        watch: &["broadcaster_user_id", "user_id"],
    },
    // The app-token (cloud chatbot) rules; "or user_id is a moderator"
    // is not modelled, so the broadcaster's channel:bot is required.
    grants: &[
        Grant {
            by: &["user_id"],
            scopes: &["user:read:chat"],
        },
        Grant {
            by: &["user_id"],
            scopes: &["user:bot"],
        },
        Grant {
            by: &["broadcaster_user_id"],
            scopes: &["channel:bot"],
        },
    ],
    ..open("channel.chat.message", "1", "Chat message", CHAT_MESSAGE)
};

/// `channel.chat.message`: who said what.
pub fn chat_message(event: &Value) -> Summary {
    let who = user(event, "chatter_user");
    let line = format!("{} said in chat", who.clone().unwrap_or_else(someone));
    let text = event.pointer("/message/text").and_then(Value::as_str);
    summary(who, "chatted", None, with_message(line, text))
}

/// `channel.chat.message` v1.
pub const CHAT_MESSAGE: &str = r##"{
    "broadcaster_user_id": "1971641",
    "broadcaster_user_login": "streamer",
    "broadcaster_user_name": "streamer",
    "chatter_user_id": "4145994",
    "chatter_user_login": "viewer32",
    "chatter_user_name": "viewer32",
    "message_id": "cc106a89-1814-919d-454c-f4f2f970aae7",
    "message": {
        "text": "Hi chat",
        "fragments": [
            {"type": "text", "text": "Hi chat", "cheermote": null, "emote": null, "mention": null}
        ]
    },
    "color": "#00FF7F",
    "badges": [
        {"set_id": "moderator", "id": "1", "info": ""},
        {"set_id": "subscriber", "id": "12", "info": "16"},
        {"set_id": "sub-gifter", "id": "1", "info": ""}
    ],
    "message_type": "text",
    "cheer": null,
    "reply": null,
    "channel_points_custom_reward_id": null,
    "source_broadcaster_user_id": null,
    "source_broadcaster_user_login": null,
    "source_broadcaster_user_name": null,
    "source_message_id": null,
    "source_badges": null
}"##;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventsub::types::{assert_sample_about, sample_text};

    #[test]
    fn the_sample_names_channel_and_chatter_and_has_a_line() {
        assert_sample_about(&MESSAGE, "1971641");
        let event: serde_json::Value = serde_json::from_str(CHAT_MESSAGE).unwrap();
        assert_eq!(event["chatter_user_id"], "4145994");
    }

    #[test]
    fn the_sample_reads_as_one_line() {
        assert_eq!(
            sample_text(chat_message, CHAT_MESSAGE),
            "viewer32 said in chat: Hi chat"
        );
        let empty = serde_json::json!({"message": {"text": 5}});
        assert_eq!(chat_message(&empty).text, "Someone said in chat");
    }
}

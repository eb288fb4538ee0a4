//! Realistic `event` objects for a subscription's type and condition: the
//! repo's fixtures where they cover the type, shapes from Twitch's subscription types reference
//! (<https://dev.twitch.tv/docs/eventsub/eventsub-subscription-types/>) for
//! the rest, with every user named the way Get Users names them.

use serde_json::{json, Value};
use shared::eventsub::catalog;
use shared::eventsub::fixtures::{self, Channel};
use shared::eventsub::subscription::broadcaster_of;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::users;

/// The user-field prefixes that carry `_id`, `_login` and `_name` triples.
const USER_PREFIXES: [&str; 6] = [
    "user",
    "broadcaster_user",
    "from_broadcaster_user",
    "to_broadcaster_user",
    "moderator_user",
    "chatter_user",
];

/// The `event` of notification number `seq` for a `kind` subscription on `condition`.
pub fn event(kind: &str, condition: &Value, seq: u64, now: OffsetDateTime) -> Value {
    // Empty strings are the unused side of a raid condition, as Twitch lists it.
    let field = |name: &str| {
        condition
            .get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let channel_id = condition
        .as_object()
        .and_then(broadcaster_of)
        .unwrap_or("1337");
    let channel = Channel {
        id: channel_id.to_owned(),
        login: users::login(channel_id),
        name: users::display_name(channel_id),
    };
    let mut event = if fixtures::covers(kind) {
        fixtures::event(kind, &channel, seq, now)
    } else {
        other_event(kind, &channel, seq, now)
    };
    // The fixture raids *into* the channel; a `from_` condition watches it raid out.
    if kind == "channel.raid" && field("to_broadcaster_user_id").is_none() {
        swap_raid_sides(&mut event);
    }
    name_users(&mut event);
    event
}

fn swap_raid_sides(event: &mut Value) {
    let Some(map) = event.as_object_mut() else {
        return;
    };
    for suffix in ["id", "login", "name"] {
        let from = format!("from_broadcaster_user_{suffix}");
        let to = format!("to_broadcaster_user_{suffix}");
        let (a, b) = (map.remove(&from), map.remove(&to));
        if let (Some(a), Some(b)) = (a, b) {
            map.insert(from, b);
            map.insert(to, a);
        }
    }
}

/// Gives every numeric user id the login and name Get Users reports for it.
fn name_users(event: &mut Value) {
    let Some(map) = event.as_object_mut() else {
        return;
    };
    for prefix in USER_PREFIXES {
        let id = match map.get(&format!("{prefix}_id")).and_then(Value::as_str) {
            Some(id) if users::exists(id) => id.to_owned(),
            _ => continue,
        };
        for (suffix, value) in [
            ("login", users::login(&id)),
            ("name", users::display_name(&id)),
        ] {
            if let Some(slot) = map.get_mut(&format!("{prefix}_{suffix}")) {
                *slot = Value::String(value);
            }
        }
    }
}

/// Events for the §4 types the fixtures do not cover.
fn other_event(kind: &str, channel: &Channel, seq: u64, now: OffsetDateTime) -> Value {
    let at = now.format(&Rfc3339).unwrap_or_default();
    let viewer = (200_000 + seq % 800_000).to_string();
    let user = json!({"user_id": viewer, "user_login": "", "user_name": ""});
    let id = format!("sim-{kind}-{seq}");
    let mut event = match kind {
        "channel.ban" => merge(
            user,
            json!({
                "moderator_user_id": channel.id, "moderator_user_login": "", "moderator_user_name": "",
                "reason": "spam", "banned_at": at, "ends_at": null, "is_permanent": true
            }),
        ),
        "channel.hype_train.progress" => json!({
            "id": id, "total": 700, "progress": 200, "goal": 1000, "level": 2,
            "top_contributions": [], "started_at": at, "expires_at": at,
            "type": "regular", "is_shared_train": false
        }),
        "channel.poll.begin" | "channel.poll.progress" | "channel.poll.end" => {
            poll(kind, &id, seq, &at)
        }
        "channel.prediction.begin"
        | "channel.prediction.progress"
        | "channel.prediction.lock"
        | "channel.prediction.end" => prediction(kind, &id, seq, &at),
        "channel.chat.message" => json!({
            "chatter_user_id": viewer, "chatter_user_login": "", "chatter_user_name": "",
            "message_id": uuid::Uuid::new_v4().to_string(),
            "message": {"text": "hello chat", "fragments": [
                {"type": "text", "text": "hello chat", "cheermote": null, "emote": null, "mention": null}
            ]},
            "color": "#00FF7F", "badges": [], "message_type": "text", "cheer": null, "reply": null,
            "channel_points_custom_reward_id": null,
            "source_broadcaster_user_id": null, "source_broadcaster_user_login": null,
            "source_broadcaster_user_name": null, "source_message_id": null, "source_badges": null
        }),
        // A type added to the catalog without a generator here: its
        // documented sample (the broadcaster is set below).
        _ => catalog::lookup(kind)
            .and_then(|k| serde_json::from_str(k.sample).ok())
            .unwrap_or_else(|| json!({})),
    };
    // Our app's own types (`user.authorization.*`, condition `client_id`)
    // name no channel: Twitch's events carry the client and the user only.
    let about_a_channel = !catalog::app_types().any(|k| k.name == kind);
    if let (Value::Object(map), true) = (&mut event, about_a_channel) {
        map.insert("broadcaster_user_id".into(), json!(channel.id));
        map.insert("broadcaster_user_login".into(), json!(channel.login));
        map.insert("broadcaster_user_name".into(), json!(channel.name));
    }
    event
}

fn poll(kind: &str, id: &str, seq: u64, at: &str) -> Value {
    let tallied = kind != "channel.poll.begin";
    let choices: Vec<Value> = ["Yes", "No"]
        .iter()
        .enumerate()
        .map(|(i, title)| {
            let mut choice = json!({"id": format!("{id}-choice-{i}"), "title": title});
            if tallied {
                let votes = (seq + i as u64 * 7) % 50;
                extend(
                    &mut choice,
                    json!({"bits_votes": 0, "channel_points_votes": votes, "votes": votes}),
                );
            }
            choice
        })
        .collect();
    let mut poll = json!({
        "id": id, "title": "Next game?", "choices": choices,
        "bits_voting": {"is_enabled": false, "amount_per_vote": 0},
        "channel_points_voting": {"is_enabled": true, "amount_per_vote": 10},
        "started_at": at,
    });
    if kind == "channel.poll.end" {
        extend(&mut poll, json!({"status": "completed", "ended_at": at}));
    } else {
        extend(&mut poll, json!({"ends_at": at}));
    }
    poll
}

fn prediction(kind: &str, id: &str, seq: u64, at: &str) -> Value {
    let tallied = kind != "channel.prediction.begin";
    let outcomes: Vec<Value> = [("Win", "blue"), ("Lose", "pink")]
        .iter()
        .enumerate()
        .map(|(i, (title, color))| {
            let mut outcome =
                json!({"id": format!("{id}-outcome-{i}"), "title": title, "color": color});
            if tallied {
                let users = (seq + i as u64 * 3) % 40;
                extend(
                    &mut outcome,
                    json!({"users": users, "channel_points": users * 100, "top_predictors": []}),
                );
            }
            outcome
        })
        .collect();
    let mut prediction =
        json!({"id": id, "title": "Will we win?", "outcomes": outcomes, "started_at": at});
    let extra = match kind {
        "channel.prediction.lock" => json!({"locked_at": at}),
        "channel.prediction.end" => json!({
            "winning_outcome_id": format!("{id}-outcome-0"), "status": "resolved", "ended_at": at
        }),
        _ => json!({"locks_at": at}),
    };
    extend(&mut prediction, extra);
    prediction
}

fn merge(mut a: Value, b: Value) -> Value {
    extend(&mut a, b);
    a
}

fn extend(a: &mut Value, b: Value) {
    if let (Value::Object(am), Value::Object(bm)) = (a, b) {
        am.extend(bm);
    }
}

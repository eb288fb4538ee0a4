//! Every EventSub type this system knows, in one table: version, condition
//! shape, the authorization Twitch requires before an app token may create
//! it, its summary, its semantic dedupe key and Twitch's documented sample
//! event. The planner, the summaries, the fixtures and the simulator all read
//! this table; adding a type is one [`TYPES`] entry and one
//! [`samples`](super::samples) constant.
//!
//! Longer than most modules on purpose: the whole table stays in one place.
//!
//! Facts from Twitch's subscription types reference
//! (<https://dev.twitch.tv/docs/eventsub/eventsub-subscription-types/>).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::samples;
use super::subscription::Condition;
use super::summary::{self, Summary};

/// Scopes one of a set of users must have granted our client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Condition fields naming the users who may have granted it.
    pub by: &'static [&'static str],
    /// Any one of these scopes will do.
    pub scopes: &'static [&'static str],
}

/// Who must have authorized our client for a type, as the planner reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Nothing: anyone's channel can be watched (costs 1 unless the
    /// broadcaster authorized us with any scope).
    Nothing,
    /// The broadcaster, with one of these scopes.
    Broadcaster(&'static [&'static str]),
    /// The broadcaster or one of their moderators, with one of these scopes.
    BroadcasterOrModerator(&'static [&'static str]),
}

/// The fields a type's condition may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConditionShape {
    /// Fields that must all be present.
    pub required: &'static [&'static str],
    /// Fields of which at least one must be present (`channel.raid`).
    pub one_of: &'static [&'static str],
    /// Fields that may be present.
    pub optional: &'static [&'static str],
    /// The fields we set to the streamer's id to watch them (incoming raids;
    /// the broadcaster as their own moderator for follows, which is what their
    /// own authorization allows).
    pub watch: &'static [&'static str],
}

/// One subscription type at the version this system uses.
#[derive(Clone, Copy, Debug)]
pub struct Kind {
    pub name: &'static str,
    pub version: &'static str,
    /// True for the types a tracked streamer gets.
    pub tracked: bool,
    pub condition: ConditionShape,
    /// Every grant must hold; empty: no authorization needed.
    pub grants: &'static [Grant],
    /// The feed's one-line summary; `None`: stored raw.
    pub summarize: Option<fn(&Value) -> Summary>,
    /// The id of the real-world happening, for types that carry one.
    pub happening: Option<fn(&Value) -> Option<String>>,
    /// Twitch's documented `event` object for this type.
    pub sample: &'static str,
}

// Identity is the type and version; the function pointers are not compared.
impl PartialEq for Kind {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.version == other.version
    }
}

impl Eq for Kind {}

const B: &[&str] = &["broadcaster_user_id"];

const BROADCASTER: ConditionShape = ConditionShape {
    required: B,
    one_of: &[],
    optional: &[],
    watch: B,
};

/// A type anyone's channel can be watched for, with no summary.
const fn open(name: &'static str, version: &'static str, sample: &'static str) -> Kind {
    Kind {
        name,
        version,
        tracked: false,
        condition: BROADCASTER,
        grants: &[],
        summarize: None,
        happening: None,
        sample,
    }
}

/// A type the broadcaster must authorize with one of `grants`' scopes.
const fn scoped(
    name: &'static str,
    version: &'static str,
    grants: &'static [Grant],
    sample: &'static str,
) -> Kind {
    Kind {
        grants,
        ..open(name, version, sample)
    }
}

/// A grant the broadcaster gives with any of `scopes`.
const fn broadcaster(scopes: &'static [&'static str]) -> Grant {
    Grant { by: B, scopes }
}

const SUBS: &[Grant] = &[broadcaster(&["channel:read:subscriptions"])];
const BITS: &[Grant] = &[broadcaster(&["bits:read"])];
const MODERATE: &[Grant] = &[broadcaster(&["channel:moderate"])];
const REDEMPTIONS: &[Grant] = &[broadcaster(&[
    "channel:read:redemptions",
    "channel:manage:redemptions",
])];
const HYPE: &[Grant] = &[broadcaster(&["channel:read:hype_train"])];
const POLLS: &[Grant] = &[broadcaster(&["channel:read:polls", "channel:manage:polls"])];
const PREDICTIONS: &[Grant] = &[broadcaster(&[
    "channel:read:predictions",
    "channel:manage:predictions",
])];

/// Every known type, at its current version only (`channel.follow` v1 is
/// shut down, `channel.update` and the hype-train types are v2). The tracked
/// ones come first, in the order they are created: those that need no
/// authorization first.
pub const TYPES: [Kind; 24] = [
    Kind {
        tracked: true,
        summarize: Some(summary::stream_online),
        happening: Some(summary::event_id),
        ..open("stream.online", "1", samples::STREAM_ONLINE)
    },
    Kind {
        tracked: true,
        summarize: Some(summary::stream_offline),
        ..open("stream.offline", "1", samples::STREAM_OFFLINE)
    },
    Kind {
        tracked: true,
        summarize: Some(summary::channel_update),
        ..open("channel.update", "2", samples::CHANNEL_UPDATE)
    },
    Kind {
        tracked: true,
        condition: ConditionShape {
            required: &[],
            one_of: &["from_broadcaster_user_id", "to_broadcaster_user_id"],
            optional: &[],
            watch: &["to_broadcaster_user_id"],
        },
        summarize: Some(summary::channel_raid),
        ..open("channel.raid", "1", samples::CHANNEL_RAID)
    },
    Kind {
        tracked: true,
        condition: ConditionShape {
            required: &["broadcaster_user_id", "moderator_user_id"],
            one_of: &[],
            optional: &[],
            watch: &["broadcaster_user_id", "moderator_user_id"],
        },
        // The moderator named in the condition authorizes; a broadcaster
        // authorizing for themself names themself as moderator.
        grants: &[Grant {
            by: &["moderator_user_id", "broadcaster_user_id"],
            scopes: &["moderator:read:followers"],
        }],
        summarize: Some(summary::channel_follow),
        happening: Some(summary::follower_and_time),
        ..open("channel.follow", "2", samples::CHANNEL_FOLLOW)
    },
    Kind {
        tracked: true,
        summarize: Some(summary::channel_subscribe),
        ..scoped("channel.subscribe", "1", SUBS, samples::CHANNEL_SUBSCRIBE)
    },
    Kind {
        tracked: true,
        summarize: Some(summary::channel_subscription_gift),
        ..scoped(
            "channel.subscription.gift",
            "1",
            SUBS,
            samples::CHANNEL_SUBSCRIPTION_GIFT,
        )
    },
    Kind {
        tracked: true,
        summarize: Some(summary::channel_subscription_message),
        ..scoped(
            "channel.subscription.message",
            "1",
            SUBS,
            samples::CHANNEL_SUBSCRIPTION_MESSAGE,
        )
    },
    Kind {
        tracked: true,
        summarize: Some(summary::channel_cheer),
        ..scoped("channel.cheer", "1", BITS, samples::CHANNEL_CHEER)
    },
    Kind {
        tracked: true,
        condition: ConditionShape {
            optional: &["reward_id"],
            ..BROADCASTER
        },
        summarize: Some(summary::channel_points_redemption),
        happening: Some(summary::event_id),
        ..scoped(
            "channel.channel_points_custom_reward_redemption.add",
            "1",
            REDEMPTIONS,
            samples::CHANNEL_POINTS_REDEMPTION_ADD,
        )
    },
    Kind {
        tracked: true,
        summarize: Some(summary::hype_train_begin),
        happening: Some(summary::event_id),
        ..scoped(
            "channel.hype_train.begin",
            "2",
            HYPE,
            samples::HYPE_TRAIN_BEGIN,
        )
    },
    Kind {
        tracked: true,
        summarize: Some(summary::hype_train_end),
        happening: Some(summary::event_id),
        ..scoped("channel.hype_train.end", "2", HYPE, samples::HYPE_TRAIN_END)
    },
    scoped("channel.ban", "1", MODERATE, samples::CHANNEL_BAN),
    scoped(
        "channel.hype_train.progress",
        "2",
        HYPE,
        samples::HYPE_TRAIN_PROGRESS,
    ),
    scoped("channel.poll.begin", "1", POLLS, samples::POLL_BEGIN),
    scoped("channel.poll.progress", "1", POLLS, samples::POLL_PROGRESS),
    scoped("channel.poll.end", "1", POLLS, samples::POLL_END),
    scoped(
        "channel.prediction.begin",
        "1",
        PREDICTIONS,
        samples::PREDICTION_BEGIN,
    ),
    scoped(
        "channel.prediction.progress",
        "1",
        PREDICTIONS,
        samples::PREDICTION_PROGRESS,
    ),
    scoped(
        "channel.prediction.lock",
        "1",
        PREDICTIONS,
        samples::PREDICTION_LOCK,
    ),
    scoped(
        "channel.prediction.end",
        "1",
        PREDICTIONS,
        samples::PREDICTION_END,
    ),
    Kind {
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
        ..open("channel.chat.message", "1", samples::CHAT_MESSAGE)
    },
    // About our app, not a streamer: condition `client_id` (ours), created
    // with the app token alone, no user scope.
    app(
        "user.authorization.grant",
        samples::USER_AUTHORIZATION_GRANT,
    ),
    app(
        "user.authorization.revoke",
        samples::USER_AUTHORIZATION_REVOKE,
    ),
];

/// A type about our own client (`condition.client_id`), not a streamer.
const fn app(name: &'static str, sample: &'static str) -> Kind {
    Kind {
        condition: ConditionShape {
            required: &["client_id"],
            one_of: &[],
            optional: &[],
            watch: &[],
        },
        ..open(name, "1", sample)
    }
}

/// The types about our own client that the manager keeps one of each
/// (users granting and revoking our access: the revoke ends their sessions).
pub fn app_types() -> impl Iterator<Item = &'static Kind> {
    TYPES.iter().filter(|k| k.condition.watch.is_empty())
}

/// The types a tracked streamer gets, in creation order.
pub fn tracked() -> impl Iterator<Item = &'static Kind> {
    TYPES.iter().filter(|k| k.tracked)
}

/// The tracked type of this name.
pub fn kind(name: &str) -> Option<&'static Kind> {
    tracked().find(|k| k.name == name)
}

/// Any known type of this name.
pub fn lookup(name: &str) -> Option<&'static Kind> {
    TYPES.iter().find(|k| k.name == name)
}

/// Summarizes a known event type; `None` for types the feed does not know.
pub fn summarize(kind: &str, event: &Value) -> Option<Summary> {
    Some((lookup(kind)?.summarize?)(event))
}

/// A key that names the same real-world happening across message ids, for the
/// types that carry one: Twitch has been seen to send such duplicates.
pub fn semantic_key(kind: &str, broadcaster_id: &str, event: &Value) -> Option<String> {
    let id = (lookup(kind)?.happening?)(event)?;
    Some(format!("{kind}#{broadcaster_id}#{id}"))
}

/// The known type of this name at exactly this version.
pub fn find(name: &str, version: &str) -> Option<&'static Kind> {
    TYPES
        .iter()
        .find(|k| k.name == name && k.version == version)
}

impl Kind {
    /// The condition that watches `broadcaster`.
    pub fn condition(&self, broadcaster: &str) -> BTreeMap<String, String> {
        self.condition
            .watch
            .iter()
            .map(|f| ((*f).to_owned(), broadcaster.to_owned()))
            .collect()
    }

    /// True when a listed condition is the one [`Kind::condition`] builds for
    /// `broadcaster`. Twitch lists optional fields it was not given as empty
    /// strings (a raid created with only `to_broadcaster_user_id` comes back
    /// with `from_broadcaster_user_id: ""`), so those do not count.
    pub fn matches(&self, listed: &Condition, broadcaster: &str) -> bool {
        let listed: BTreeMap<&str, &str> = listed
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let built = self.condition(broadcaster);
        let built: BTreeMap<&str, &str> = built
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        listed == built
    }

    /// Who must authorize our client, for the planner's report.
    pub fn needs(&self) -> Needs {
        match self.grants.first() {
            None => Needs::Nothing,
            Some(g) if g.by.contains(&"moderator_user_id") => {
                Needs::BroadcasterOrModerator(g.scopes)
            }
            Some(g) => Needs::Broadcaster(g.scopes),
        }
    }

    /// The scopes any one of which unlocks this type (empty: none needed).
    pub fn scopes(&self) -> &'static [&'static str] {
        self.grants.first().map_or(&[], |g| g.scopes)
    }

    /// True when `granted` (the broadcaster's scopes for our client) unlocks it.
    pub fn unlocked_by(&self, granted: &[String]) -> bool {
        let scopes = self.scopes();
        scopes.is_empty() || scopes.iter().any(|s| granted.iter().any(|g| g == s))
    }

    /// True when the type needs a user's authorization (and so costs 0).
    pub fn needs_authorization(&self) -> bool {
        !self.grants.is_empty()
    }

    /// Checks a condition's fields as Twitch does on create; the error says
    /// what is wrong.
    pub fn check_condition(&self, condition: &Map<String, Value>) -> Result<(), String> {
        let shape = &self.condition;
        let present = |field: &str| {
            condition
                .get(field)
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty())
        };
        if let Some(missing) = shape.required.iter().find(|f| !present(f)) {
            return Err(format!("condition.{missing} is required"));
        }
        if !shape.one_of.is_empty() && !shape.one_of.iter().any(|f| present(f)) {
            return Err(format!(
                "condition needs one of {}",
                shape.one_of.join(", ")
            ));
        }
        for (field, value) in condition {
            let known = [shape.required, shape.one_of, shape.optional]
                .iter()
                .any(|fields| fields.contains(&field.as_str()));
            if !known {
                return Err(format!("condition.{field} is not valid for {}", self.name));
            }
            if !value.is_string() {
                return Err(format!("condition.{field} must be a string"));
            }
        }
        Ok(())
    }
}

/// The scopes a broadcaster grants with "let Streamer Events read my
/// channel's events": the first scope of each tracked type that needs one
/// (any one of a type's scopes unlocks it), each once.
pub fn channel_scopes() -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for kind in tracked() {
        if let Some(first) = kind.scopes().first() {
            if !scopes.iter().any(|s| s == first) {
                scopes.push((*first).to_owned());
            }
        }
    }
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventsub::subscription::broadcaster_of;
    use serde_json::json;

    #[test]
    fn conditions_and_scopes_follow_the_reference() {
        let raid = kind("channel.raid").unwrap();
        assert_eq!(
            raid.condition("7").into_iter().collect::<Vec<_>>(),
            [("to_broadcaster_user_id".to_string(), "7".to_string())]
        );
        let follow = kind("channel.follow").unwrap();
        assert_eq!(follow.version, "2");
        assert_eq!(follow.condition("7").len(), 2);
        assert!(!follow.unlocked_by(&["bits:read".into()]));
        assert!(follow.unlocked_by(&["moderator:read:followers".into()]));
        assert!(kind("stream.online").unwrap().unlocked_by(&[]));
        let redemption = kind("channel.channel_points_custom_reward_redemption.add").unwrap();
        assert!(redemption.unlocked_by(&["channel:manage:redemptions".into()]));
        assert!(kind("channel.ban").is_none());
        assert!(lookup("channel.ban").is_some());
        // As Twitch lists a raid created with only the "to" side.
        let listed: Condition = [
            ("from_broadcaster_user_id".to_string(), "".into()),
            ("to_broadcaster_user_id".to_string(), "7".into()),
        ]
        .into_iter()
        .collect();
        assert!(raid.matches(&listed, "7"));
        assert!(!raid.matches(&listed, "8"));
    }

    #[test]
    fn tracked_types_are_created_open_ones_first() {
        let names: Vec<&str> = tracked().map(|k| k.name).collect();
        assert_eq!(names.len(), 12);
        assert_eq!(
            names[..4],
            [
                "stream.online",
                "stream.offline",
                "channel.update",
                "channel.raid"
            ]
        );
        assert!(tracked().skip(4).all(Kind::needs_authorization));
    }

    /// What each type's documented sample must give: summary line, and the
    /// semantic key when the type carries the id of a happening.
    fn expected(name: &str) -> (Option<&'static str>, Option<&'static str>) {
        match name {
            "stream.online" => (
                Some("Cool_User went live"),
                Some("stream.online#1337#9001"),
            ),
            "stream.offline" => (Some("Cool_User went offline"), None),
            "channel.update" => (
                Some("Cool_User is now playing Grand Theft Auto: \"Best Stream Ever\""),
                None,
            ),
            "channel.raid" => (
                Some("Cool_User raided Cooler_User with 9001 viewers"),
                None,
            ),
            "channel.follow" => (
                Some("Cool_User followed Cooler_User"),
                Some("channel.follow#1337#1234@2020-07-15T18:16:11.17106713Z"),
            ),
            "channel.subscribe" => (Some("Cool_User subscribed at Tier 1"), None),
            "channel.subscription.gift" => (Some("Cool_User gifted 2 Tier 1 subs"), None),
            "channel.subscription.message" => (
                Some("Cool_User resubscribed at Tier 1 (15 months): Love the stream! FevziGG"),
                None,
            ),
            "channel.cheer" => (Some("Cool_User cheered 1000 bits: pogchamp"), None),
            "channel.channel_points_custom_reward_redemption.add" => (
                Some("Cooler_User redeemed title: pogchamp"),
                Some("channel.channel_points_custom_reward_redemption.add#1337#17fa2df1-ad76-4804-bfa5-a40ef63efe63"),
            ),
            "channel.hype_train.begin" => (
                Some("A hype train started in Cool_User's channel (level 2)"),
                Some("channel.hype_train.begin#1337#1b0AsbInCHZW2SQFQkCzqN07Ib2"),
            ),
            "channel.hype_train.end" => (
                Some("The hype train in Cool_User's channel ended at level 2"),
                Some("channel.hype_train.end#1337#1b0AsbInCHZW2SQFQkCzqN07Ib2"),
            ),
            _ => (None, None),
        }
    }

    #[test]
    fn every_documented_sample_parses_summarises_and_names_its_broadcaster() {
        for k in &TYPES {
            let event: Value = serde_json::from_str(k.sample)
                .unwrap_or_else(|e| panic!("{}: sample is not JSON: {e}", k.name));
            assert!(event.is_object(), "{}", k.name);
            if k.condition.watch.is_empty() {
                // About our client: its condition names the client, no streamer.
                let client = event["client_id"].as_str().unwrap_or_default();
                let condition: Condition = [("client_id".to_owned(), Value::from(client))]
                    .into_iter()
                    .collect();
                k.check_condition(&condition)
                    .unwrap_or_else(|e| panic!("{}: {e}", k.name));
                assert_eq!(broadcaster_of(&condition), None, "{}", k.name);
                assert!(
                    !k.tracked && summarize(k.name, &event).is_none(),
                    "{}",
                    k.name
                );
                continue;
            }
            // The streamer the sample is about, as the condition we would
            // create for them names them.
            let side = k.condition.watch[0].trim_end_matches("user_id");
            let id = event[format!("{side}user_id")]
                .as_str()
                .unwrap_or_else(|| panic!("{}: sample names no {side}user_id", k.name));
            let condition: Condition = k
                .condition(id)
                .into_iter()
                .map(|(f, v)| (f, v.into()))
                .collect();
            assert_eq!(broadcaster_of(&condition), Some(id), "{}", k.name);
            k.check_condition(&condition)
                .unwrap_or_else(|e| panic!("{}: {e}", k.name));
            let (line, key) = expected(k.name);
            assert_eq!(
                summarize(k.name, &event).map(|s| s.text).as_deref(),
                line,
                "{}",
                k.name
            );
            assert_eq!(k.tracked, line.is_some(), "{}", k.name);
            assert_eq!(
                semantic_key(k.name, id, &event).as_deref(),
                key,
                "{}",
                k.name
            );
        }
    }

    fn text(kind: &str, event: Value) -> String {
        summarize(kind, &event).unwrap().text
    }

    #[test]
    fn every_known_type_has_a_line() {
        let b = json!({"broadcaster_user_name": "Cool_User"});
        assert_eq!(
            text(
                "stream.online",
                json!({"broadcaster_user_name":"Cool_User","type":"live"})
            ),
            "Cool_User went live"
        );
        assert_eq!(text("stream.offline", b.clone()), "Cool_User went offline");
        assert_eq!(
            text(
                "channel.update",
                json!({"broadcaster_user_name":"Cool_User","title":"Speedrun","category_name":"Celeste"})
            ),
            "Cool_User is now playing Celeste: \"Speedrun\""
        );
        assert_eq!(
            text(
                "channel.follow",
                json!({"user_name":"Fan","broadcaster_user_name":"Cool_User"})
            ),
            "Fan followed Cool_User"
        );
        assert_eq!(
            text(
                "channel.subscribe",
                json!({"user_name":"Fan","tier":"2000","is_gift":false})
            ),
            "Fan subscribed at Tier 2"
        );
        let gift = summarize(
            "channel.subscription.gift",
            &json!({"user_name":null,"is_anonymous":true,"total":5,"tier":"1000"}),
        )
        .unwrap();
        assert_eq!(gift.text, "An anonymous gifter gifted 5 Tier 1 subs");
        assert_eq!((gift.actor, gift.amount), (None, Some(5)));
        assert_eq!(
            text(
                "channel.subscription.message",
                json!({"user_name":"Fan","tier":"1000","cumulative_months":12,"message":{"text":"GG"}})
            ),
            "Fan resubscribed at Tier 1 (12 months): GG"
        );
        let cheer = summarize(
            "channel.cheer",
            &json!({"user_name":"Fan","bits":1000,"message":"Cheer1000 hi","is_anonymous":false}),
        )
        .unwrap();
        assert_eq!(cheer.text, "Fan cheered 1000 bits: Cheer1000 hi");
        assert_eq!(cheer.amount, Some(1000));
        assert_eq!(
            text(
                "channel.raid",
                json!({"from_broadcaster_user_name":"Big","to_broadcaster_user_name":"Small","viewers":512})
            ),
            "Big raided Small with 512 viewers"
        );
        assert_eq!(
            text(
                "channel.channel_points_custom_reward_redemption.add",
                json!({"user_name":"Fan","user_input":"","reward":{"title":"Hydrate","cost":100}})
            ),
            "Fan redeemed Hydrate"
        );
        assert_eq!(
            text(
                "channel.hype_train.begin",
                json!({"broadcaster_user_name":"Cool_User","level":2})
            ),
            "A hype train started in Cool_User's channel (level 2)"
        );
        assert_eq!(
            text(
                "channel.hype_train.end",
                json!({"broadcaster_user_name":"Cool_User","level":5})
            ),
            "The hype train in Cool_User's channel ended at level 5"
        );
    }

    #[test]
    fn unknown_types_have_no_summary() {
        assert_eq!(summarize("channel.poll.begin", &json!({})), None);
    }

    #[test]
    fn missing_fields_never_panic() {
        for kind in [
            "stream.online",
            "channel.update",
            "channel.follow",
            "channel.subscribe",
            "channel.subscription.gift",
            "channel.subscription.message",
            "channel.cheer",
            "channel.raid",
            "channel.channel_points_custom_reward_redemption.add",
            "channel.hype_train.begin",
            "channel.hype_train.end",
        ] {
            assert!(summarize(kind, &json!({})).is_some());
            assert!(summarize(kind, &json!({"user_name": 5, "bits": "x"})).is_some());
        }
    }

    #[test]
    fn semantic_keys_name_the_happening() {
        assert_eq!(
            semantic_key("stream.online", "1337", &json!({"id":"9001"})).as_deref(),
            Some("stream.online#1337#9001")
        );
        assert_eq!(semantic_key("stream.online", "1337", &json!({})), None);
        assert_eq!(semantic_key("channel.raid", "1", &json!({"id":"x"})), None);
    }
}

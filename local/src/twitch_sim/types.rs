//! The EventSub types the simulator accepts (twitch.md §4): version,
//! condition fields and the user authorization each needs.

use serde_json::{Map, Value};

/// Scopes one of a set of users must have granted.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    /// Condition fields naming users who may have granted it.
    pub by: &'static [&'static str],
    /// Any one of these scopes will do.
    pub scopes: &'static [&'static str],
}

/// One type+version and what its condition must hold.
#[derive(Debug, Clone, Copy)]
pub struct TypeSpec {
    pub kind: &'static str,
    pub version: &'static str,
    /// Fields that must all be present.
    pub required: &'static [&'static str],
    /// Fields of which at least one must be present (`channel.raid`).
    pub one_of: &'static [&'static str],
    /// Fields that may be present.
    pub optional: &'static [&'static str],
    /// Every grant must hold; empty = no authorization needed.
    pub grants: &'static [Grant],
}

const B: &[&str] = &["broadcaster_user_id"];

const fn open(kind: &'static str, version: &'static str) -> TypeSpec {
    TypeSpec {
        kind,
        version,
        required: B,
        one_of: &[],
        optional: &[],
        grants: &[],
    }
}

const fn scoped(kind: &'static str, version: &'static str, grants: &'static [Grant]) -> TypeSpec {
    TypeSpec {
        grants,
        ..open(kind, version)
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

/// Every accepted type+version. Only the current version of each is
/// accepted (`channel.follow` v1 is shut down, `channel.update` and the
/// hype-train types are v2), so a client asking for an old one finds out.
pub const TYPES: &[TypeSpec] = &[
    open("stream.online", "1"),
    open("stream.offline", "1"),
    open("channel.update", "2"),
    TypeSpec {
        required: &["broadcaster_user_id", "moderator_user_id"],
        // The moderator named in the condition authorizes; a broadcaster
        // authorizing for themself names themself as moderator. The
        // simulator has no moderator lists, so either user's grant counts.
        grants: &[Grant {
            by: &["moderator_user_id", "broadcaster_user_id"],
            scopes: &["moderator:read:followers"],
        }],
        ..open("channel.follow", "2")
    },
    scoped("channel.subscribe", "1", SUBS),
    scoped("channel.subscription.gift", "1", SUBS),
    scoped("channel.subscription.message", "1", SUBS),
    scoped("channel.cheer", "1", BITS),
    TypeSpec {
        required: &[],
        one_of: &["from_broadcaster_user_id", "to_broadcaster_user_id"],
        ..open("channel.raid", "1")
    },
    scoped("channel.ban", "1", MODERATE),
    TypeSpec {
        optional: &["reward_id"],
        ..scoped(
            "channel.channel_points_custom_reward_redemption.add",
            "1",
            REDEMPTIONS,
        )
    },
    scoped("channel.hype_train.begin", "2", HYPE),
    scoped("channel.hype_train.progress", "2", HYPE),
    scoped("channel.hype_train.end", "2", HYPE),
    scoped("channel.poll.begin", "1", POLLS),
    scoped("channel.poll.progress", "1", POLLS),
    scoped("channel.poll.end", "1", POLLS),
    scoped("channel.prediction.begin", "1", PREDICTIONS),
    scoped("channel.prediction.progress", "1", PREDICTIONS),
    scoped("channel.prediction.lock", "1", PREDICTIONS),
    scoped("channel.prediction.end", "1", PREDICTIONS),
    TypeSpec {
        required: &["broadcaster_user_id", "user_id"],
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
        ..open("channel.chat.message", "1")
    },
];

/// The spec for `kind` at `version`, if that combination exists.
pub fn find(kind: &str, version: &str) -> Option<&'static TypeSpec> {
    TYPES
        .iter()
        .find(|t| t.kind == kind && t.version == version)
}

/// True when some version of `kind` exists.
pub fn is_known(kind: &str) -> bool {
    TYPES.iter().any(|t| t.kind == kind)
}

impl TypeSpec {
    /// True when the type needs a user's authorization (and so costs 0).
    pub fn needs_authorization(&self) -> bool {
        !self.grants.is_empty()
    }

    /// Checks a condition's fields; the error says what is wrong.
    pub fn check_condition(&self, condition: &Map<String, Value>) -> Result<(), String> {
        let present = |field: &str| {
            condition
                .get(field)
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty())
        };
        if let Some(missing) = self.required.iter().find(|f| !present(f)) {
            return Err(format!("condition.{missing} is required"));
        }
        if !self.one_of.is_empty() && !self.one_of.iter().any(|f| present(f)) {
            return Err(format!("condition needs one of {}", self.one_of.join(", ")));
        }
        for (field, value) in condition {
            let known = [self.required, self.one_of, self.optional]
                .iter()
                .any(|fields| fields.contains(&field.as_str()));
            if !known {
                return Err(format!("condition.{field} is not valid for {}", self.kind));
            }
            if !value.is_string() {
                return Err(format!("condition.{field} must be a string"));
            }
        }
        Ok(())
    }
}

//! Every EventSub type this system knows, in one list, and the lookups by
//! name: version, condition shape, the authorization Twitch requires before
//! an app token may create it, its label, its summary, its semantic dedupe
//! key and Twitch's documented sample event. The planner, the summaries, the
//! fixtures and the simulator all read this list; each entry lives with
//! everything else about its type in [`types`](super::types), so adding a
//! type is that file and one line in [`TYPES`].
//!
//! Facts from Twitch's subscription types reference
//! (<https://dev.twitch.tv/docs/eventsub/eventsub-subscription-types/>).

use serde_json::Value;

pub use super::kind::{ConditionShape, Grant, Kind, Needs};
use super::summary::Summary;
use super::types::{
    authorization, channel_points, chat, cheer, follow, hype_train, moderation, polls, predictions,
    raid, stream, subscriptions,
};

/// Every known type, at its current version only (`channel.follow` v1 is
/// shut down, `channel.update` and the hype-train types are v2). The tracked
/// ones come first, in the order they are created: those that need no
/// authorization first.
pub const TYPES: [Kind; 24] = [
    stream::ONLINE,
    stream::OFFLINE,
    stream::UPDATE,
    raid::RAID,
    follow::FOLLOW,
    subscriptions::SUBSCRIBE,
    subscriptions::GIFT,
    subscriptions::MESSAGE,
    cheer::CHEER,
    channel_points::REDEMPTION,
    hype_train::BEGIN,
    hype_train::END,
    moderation::BAN,
    hype_train::PROGRESS,
    polls::BEGIN,
    polls::PROGRESS,
    polls::END,
    predictions::BEGIN,
    predictions::PROGRESS,
    predictions::LOCK,
    predictions::END,
    chat::MESSAGE,
    authorization::GRANT,
    authorization::REVOKE,
];

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

/// What a person calls a known type ("New follower"); `None` for unknown types.
pub fn label(name: &str) -> Option<&'static str> {
    Some(lookup(name)?.label)
}

/// Summarizes a known event type; `None` for types the feed does not know.
pub fn summarize(kind: &str, event: &Value) -> Option<Summary> {
    Some((lookup(kind)?.summarize?)(event))
}

/// A key that names the same real-world event across message ids, for the
/// types that carry one: Twitch has been seen to send such duplicates.
pub fn semantic_key(kind: &str, broadcaster_id: &str, event: &Value) -> Option<String> {
    let id = (lookup(kind)?.dedupe_key?)(event)?;
    Some(format!("{kind}#{broadcaster_id}#{id}"))
}

/// The known type of this name at exactly this version.
pub fn find(name: &str, version: &str) -> Option<&'static Kind> {
    TYPES
        .iter()
        .find(|k| k.name == name && k.version == version)
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
mod tests;

//! What a gap of each EventSub type can recover, and from which Helix
//! endpoint; for the rest, why not. The facts are Twitch's API reference,
//! summed up per type in `docs/coverage.md`:
//! Helix keeps no history of most events, only of what still exists.

/// Where a type's missed events can be read back from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `channel.follow`: Get Channel Followers, each with its `followed_at`
    /// (exact). A follow undone within the gap is not listed any more.
    Followers,
    /// `stream.online`: Get Streams for a stream still live (its
    /// `started_at`, exact), else Get Videos' archives (`created_at`, an
    /// estimate; only if the channel keeps its broadcasts).
    StreamStarts,
    /// `stream.offline`: Get Videos' archives, `created_at` plus `duration`
    /// (an estimate; only if the channel keeps its broadcasts).
    StreamEnds,
    /// `channel.channel_points_custom_reward_redemption.add`: Get Custom
    /// Reward Redemption, each with its `redeemed_at` (exact), for the
    /// rewards this app created; fulfilled or cancelled ones only for a
    /// few days.
    Redemptions,
    /// `channel.subscribe`: Get Broadcaster Subscriptions (today's list, no
    /// time) diffed against a list kept from before the gap
    /// (`super::baseline`); each new subscriber at the gap's end (an estimate).
    Subscribers,
    /// Nothing at Twitch gives these back: closed at once with the reason.
    Unrecoverable(&'static str),
}

impl Source {
    /// The endpoint a recovered event names as its `source`.
    pub fn endpoint(self) -> Option<&'static str> {
        match self {
            Source::Followers => Some(FOLLOWERS),
            Source::StreamStarts | Source::StreamEnds => Some(VIDEOS),
            Source::Redemptions => Some(REDEMPTIONS),
            Source::Subscribers => Some(SUBSCRIPTIONS),
            Source::Unrecoverable(_) => None,
        }
    }

    /// What a recovery from this source cannot give back: the note a
    /// recovered gap is closed with.
    pub fn limits(self) -> &'static str {
        match self {
            Source::Followers => "a follow undone within the gap is not listed any more",
            Source::StreamStarts | Source::StreamEnds => {
                "from the broadcasts' archives, times estimated; a broadcast whose archive \
                 was not kept is lost"
            }
            Source::Redemptions => {
                "only rewards this app created; fulfilled or cancelled redemptions only for \
                 a few days"
            }
            Source::Subscribers => {
                "from today's subscriber list against the one kept before the gap: times are the \
                 gap's end; a subscription both made and ended within the gap is lost"
            }
            Source::Unrecoverable(why) => why,
        }
    }

    /// True when Helix answers it only to the broadcaster's own user token.
    pub fn needs_user_token(self) -> bool {
        matches!(
            self,
            Source::Followers | Source::Redemptions | Source::Subscribers
        )
    }
}

/// Get Channel Followers.
pub const FOLLOWERS: &str = "Get Channel Followers";
/// Get Videos (archives).
pub const VIDEOS: &str = "Get Videos";
/// Get Streams (a stream still live).
pub const STREAMS: &str = "Get Streams";
/// Get Broadcaster Subscriptions.
pub const SUBSCRIPTIONS: &str = "Get Broadcaster Subscriptions";
/// Get Custom Reward Redemption.
pub const REDEMPTIONS: &str = "Get Custom Reward Redemption";

/// Where the missed events of `event_type` can come from.
pub fn source_of(event_type: &str) -> Source {
    Source::Unrecoverable(match event_type {
        "channel.follow" => return Source::Followers,
        "stream.online" => return Source::StreamStarts,
        "stream.offline" => return Source::StreamEnds,
        "channel.channel_points_custom_reward_redemption.add" => return Source::Redemptions,
        "channel.subscribe" => return Source::Subscribers,
        "channel.subscription.gift" => {
            "Twitch lists gifted subscriptions one by one with their gifter, not the gift: \
             grouping them into gifts would only be an estimate"
        }
        "channel.subscription.end" => {
            "Twitch lists only today's subscribers, with no time: an ended subscription is only \
             seen as missing from a later list, when it ended is lost"
        }
        "channel.subscription.message" => {
            "Twitch keeps no record of resub messages: the message, months and streak are lost"
        }
        "channel.cheer" => {
            "Twitch gives only bits totals per viewer and period (Get Bits Leaderboard), not the \
             cheers or their messages"
        }
        "channel.raid" => "Twitch keeps no record of raids",
        "channel.update" => {
            "Twitch gives only the current title and category; changes within the gap are lost"
        }
        "channel.hype_train.begin" | "channel.hype_train.progress" | "channel.hype_train.end" => {
            "Twitch shows only a hype train still running (or a record); one within the gap is lost"
        }
        "channel.chat.message" => "Twitch keeps no chat history",
        "user.authorization.grant" | "user.authorization.revoke" => {
            "Twitch shows only who has authorized the app now, not when it changed"
        }
        _ => "no Helix endpoint recovers this type",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventsub::catalog;

    #[test]
    fn every_tracked_type_has_a_source_or_a_reason() {
        for kind in catalog::tracked() {
            match source_of(kind.name) {
                Source::Unrecoverable(why) => {
                    assert_ne!(why, "no Helix endpoint recovers this type", "{}", kind.name)
                }
                source => assert!(source.endpoint().is_some(), "{}", kind.name),
            }
        }
    }
}

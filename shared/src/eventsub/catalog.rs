//! The EventSub types this system subscribes to for a tracked streamer: their
//! version, their condition, and the authorization Twitch requires before an
//! app token may create them (reference: twitch.md §4).

use std::collections::BTreeMap;

use super::subscription::Condition;

/// Who must have authorized our client for a type.
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

/// One subscription type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kind {
    pub name: &'static str,
    pub version: &'static str,
    pub needs: Needs,
}

/// Every type a tracked streamer gets, in the order they are created (the
/// ones that need no authorization first).
pub const KINDS: [Kind; 12] = [
    Kind {
        name: "stream.online",
        version: "1",
        needs: Needs::Nothing,
    },
    Kind {
        name: "stream.offline",
        version: "1",
        needs: Needs::Nothing,
    },
    Kind {
        name: "channel.update",
        version: "2",
        needs: Needs::Nothing,
    },
    Kind {
        name: "channel.raid",
        version: "1",
        needs: Needs::Nothing,
    },
    Kind {
        name: "channel.follow",
        version: "2",
        needs: Needs::BroadcasterOrModerator(&["moderator:read:followers"]),
    },
    Kind {
        name: "channel.subscribe",
        version: "1",
        needs: Needs::Broadcaster(&["channel:read:subscriptions"]),
    },
    Kind {
        name: "channel.subscription.gift",
        version: "1",
        needs: Needs::Broadcaster(&["channel:read:subscriptions"]),
    },
    Kind {
        name: "channel.subscription.message",
        version: "1",
        needs: Needs::Broadcaster(&["channel:read:subscriptions"]),
    },
    Kind {
        name: "channel.cheer",
        version: "1",
        needs: Needs::Broadcaster(&["bits:read"]),
    },
    Kind {
        name: "channel.channel_points_custom_reward_redemption.add",
        version: "1",
        needs: Needs::Broadcaster(&["channel:read:redemptions", "channel:manage:redemptions"]),
    },
    Kind {
        name: "channel.hype_train.begin",
        version: "2",
        needs: Needs::Broadcaster(&["channel:read:hype_train"]),
    },
    Kind {
        name: "channel.hype_train.end",
        version: "2",
        needs: Needs::Broadcaster(&["channel:read:hype_train"]),
    },
];

/// The catalog entry for a type name.
pub fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

impl Kind {
    /// The condition that watches `broadcaster` (incoming raids for
    /// `channel.raid`; the broadcaster as its own moderator for follows, which
    /// is what their own authorization allows).
    pub fn condition(&self, broadcaster: &str) -> BTreeMap<String, String> {
        let mut c = BTreeMap::new();
        match self.name {
            "channel.raid" => {
                c.insert("to_broadcaster_user_id".into(), broadcaster.into());
            }
            "channel.follow" => {
                c.insert("broadcaster_user_id".into(), broadcaster.into());
                c.insert("moderator_user_id".into(), broadcaster.into());
            }
            _ => {
                c.insert("broadcaster_user_id".into(), broadcaster.into());
            }
        }
        c
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

    /// The scopes any one of which unlocks this type (empty: none needed).
    pub fn scopes(&self) -> &'static [&'static str] {
        match self.needs {
            Needs::Nothing => &[],
            Needs::Broadcaster(s) | Needs::BroadcasterOrModerator(s) => s,
        }
    }

    /// True when `granted` (the broadcaster's scopes for our client) unlocks it.
    pub fn unlocked_by(&self, granted: &[String]) -> bool {
        let scopes = self.scopes();
        scopes.is_empty() || scopes.iter().any(|s| granted.iter().any(|g| g == s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

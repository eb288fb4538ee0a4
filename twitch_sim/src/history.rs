//! What the generated events leave behind at Twitch, for the Helix reads
//! that look back: a channel's followers (each with the `followed_at` of the
//! `channel.follow` that made it) and its current subscribers (a
//! `channel.subscribe` adds one, a `channel.subscription.end` removes one).

use std::collections::HashMap;

use serde_json::Value;

/// Followers kept per channel; past it, the earliest follows go.
pub const MAX_FOLLOWERS: usize = 100_000;

/// A user following a channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Follower {
    pub user_id: String,
    pub user_login: String,
    pub user_name: String,
    /// RFC 3339, exactly as in the `channel.follow` event.
    pub followed_at: String,
}

/// A user subscribed to a channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscriber {
    pub user_id: String,
    pub user_login: String,
    pub user_name: String,
    /// `1000`, `2000` or `3000`.
    pub tier: String,
    pub is_gift: bool,
}

/// Followers (earliest first) and subscribers by channel.
#[derive(Debug, Default)]
pub struct History {
    followers: HashMap<String, Vec<Follower>>,
    subscribers: HashMap<String, Vec<Subscriber>>,
}

impl History {
    /// Takes in what a generated `kind` event about `broadcaster` changes.
    pub fn apply(&mut self, kind: &str, broadcaster: &str, event: &Value) {
        let text = |field: &str| {
            event
                .get(field)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let user_id = text("user_id");
        if user_id.is_empty() {
            return;
        }
        match kind {
            "channel.follow" => {
                let list = self.followers.entry(broadcaster.to_owned()).or_default();
                // Following again moves the user to now.
                list.retain(|f| f.user_id != user_id);
                if list.len() >= MAX_FOLLOWERS {
                    list.remove(0);
                }
                list.push(Follower {
                    user_login: text("user_login"),
                    user_name: text("user_name"),
                    followed_at: text("followed_at"),
                    user_id,
                });
            }
            "channel.subscribe" => {
                let list = self.subscribers.entry(broadcaster.to_owned()).or_default();
                list.retain(|s| s.user_id != user_id);
                list.push(Subscriber {
                    user_login: text("user_login"),
                    user_name: text("user_name"),
                    tier: text("tier"),
                    is_gift: event.get("is_gift").and_then(Value::as_bool) == Some(true),
                    user_id,
                });
            }
            "channel.subscription.end" => {
                if let Some(list) = self.subscribers.get_mut(broadcaster) {
                    list.retain(|s| s.user_id != user_id);
                }
            }
            _ => {}
        }
    }

    /// `broadcaster`'s followers, most recent first (as Get Channel Followers lists them).
    pub fn followers(&self, broadcaster: &str) -> Vec<Follower> {
        let list = self.followers.get(broadcaster);
        list.into_iter().flatten().rev().cloned().collect()
    }

    /// `broadcaster`'s current subscribers, in the order they subscribed.
    pub fn subscribers(&self, broadcaster: &str) -> Vec<Subscriber> {
        self.subscribers
            .get(broadcaster)
            .cloned()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn follows_and_subscriptions_leave_followers_and_subscribers() {
        let mut h = History::default();
        let follow = |id: &str, at: &str| json!({"user_id": id, "user_login": "a", "user_name": "A", "followed_at": at});
        h.apply("channel.follow", "1", &follow("7", "t1"));
        h.apply("channel.follow", "1", &follow("8", "t2"));
        h.apply("channel.follow", "1", &follow("7", "t3"));
        let at: Vec<String> = h
            .followers("1")
            .into_iter()
            .map(|f| f.followed_at)
            .collect();
        assert_eq!(at, ["t3", "t2"]);
        h.apply(
            "channel.subscribe",
            "1",
            &json!({"user_id": "7", "tier": "2000", "is_gift": true}),
        );
        h.apply(
            "channel.subscribe",
            "1",
            &json!({"user_id": "8", "tier": "1000", "is_gift": false}),
        );
        h.apply("channel.subscription.end", "1", &json!({"user_id": "8"}));
        let subs = h.subscribers("1");
        assert_eq!(subs.len(), 1);
        assert_eq!((subs[0].tier.as_str(), subs[0].is_gift), ("2000", true));
        assert!(h.followers("2").is_empty());
    }
}

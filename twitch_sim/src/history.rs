//! What the generated events leave behind at Twitch, for the Helix reads
//! that look back: a channel's followers (each with the `followed_at` of the
//! `channel.follow` that made it), its current subscribers (a
//! `channel.subscribe` adds one, a `channel.subscription.end` removes one)
//! its archive videos (a `stream.online` starts one, with the stream's
//! id and `started_at`; the next `stream.offline` ends it) and its
//! channel-point redemptions (each `…redemption.add` event as sent).

use std::collections::HashMap;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

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

/// Archive videos kept per channel; past it, the oldest go.
pub const MAX_VIDEOS: usize = 1_000;

/// Redemptions kept per channel; past it, the oldest go.
pub const MAX_REDEMPTIONS: usize = 10_000;

/// The archive of one stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Video {
    /// Numeric, like Twitch's video ids.
    pub id: String,
    /// The `stream.online` event's `id`.
    pub stream_id: String,
    /// The stream's `started_at`.
    pub created_at: OffsetDateTime,
    /// When its `stream.offline` happened; `None` while it is live.
    pub ended_at: Option<OffsetDateTime>,
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
    videos: HashMap<String, Vec<Video>>,
    /// The `channel.channel_points_custom_reward_redemption.add` events, oldest first.
    redemptions: HashMap<String, Vec<Value>>,
    /// Numbers the videos.
    videos_made: u64,
}

impl History {
    /// Takes in what a generated `kind` event about `broadcaster`, which
    /// happened at `now`, changes.
    pub fn apply(&mut self, kind: &str, broadcaster: &str, event: &Value, now: OffsetDateTime) {
        match kind {
            "stream.online" => return self.stream_online(broadcaster, event, now),
            "stream.offline" => return self.stream_offline(broadcaster, now),
            "channel.channel_points_custom_reward_redemption.add" => {
                let list = self.redemptions.entry(broadcaster.to_owned()).or_default();
                if list.len() >= MAX_REDEMPTIONS {
                    list.remove(0);
                }
                return list.push(event.clone());
            }
            _ => {}
        }
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

    fn stream_online(&mut self, broadcaster: &str, event: &Value, now: OffsetDateTime) {
        let field = |name: &str| event.get(name).and_then(Value::as_str);
        let Some(stream_id) = field("id") else {
            return;
        };
        let created_at = field("started_at")
            .and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok())
            .unwrap_or(now);
        self.videos_made += 1;
        let list = self.videos.entry(broadcaster.to_owned()).or_default();
        if list.len() >= MAX_VIDEOS {
            list.remove(0);
        }
        list.push(Video {
            id: (2_000_000_000 + self.videos_made).to_string(),
            stream_id: stream_id.to_owned(),
            created_at,
            ended_at: None,
        });
    }

    fn stream_offline(&mut self, broadcaster: &str, now: OffsetDateTime) {
        let live = self
            .videos
            .get_mut(broadcaster)
            .and_then(|list| list.last_mut())
            .filter(|v| v.ended_at.is_none());
        if let Some(video) = live {
            video.ended_at = Some(now);
        }
    }

    /// `broadcaster`'s archive videos, most recent first.
    pub fn videos(&self, broadcaster: &str) -> Vec<Video> {
        let list = self.videos.get(broadcaster);
        list.into_iter().flatten().rev().cloned().collect()
    }

    /// The video with this id and whose it is.
    pub fn video(&self, id: &str) -> Option<(String, Video)> {
        self.videos.iter().find_map(|(owner, list)| {
            let video = list.iter().find(|v| v.id == id)?;
            Some((owner.clone(), video.clone()))
        })
    }

    /// `broadcaster`'s redemptions (the events as sent), oldest first.
    pub fn redemptions(&self, broadcaster: &str) -> &[Value] {
        self.redemptions.get(broadcaster).map_or(&[], Vec::as_slice)
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
        let now = OffsetDateTime::now_utc();
        let follow = |id: &str, at: &str| json!({"user_id": id, "user_login": "a", "user_name": "A", "followed_at": at});
        h.apply("channel.follow", "1", &follow("7", "t1"), now);
        h.apply("channel.follow", "1", &follow("8", "t2"), now);
        h.apply("channel.follow", "1", &follow("7", "t3"), now);
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
            now,
        );
        h.apply(
            "channel.subscribe",
            "1",
            &json!({"user_id": "8", "tier": "1000", "is_gift": false}),
            now,
        );
        h.apply(
            "channel.subscription.end",
            "1",
            &json!({"user_id": "8"}),
            now,
        );
        let subs = h.subscribers("1");
        assert_eq!(subs.len(), 1);
        assert_eq!((subs[0].tier.as_str(), subs[0].is_gift), ("2000", true));
        assert!(h.followers("2").is_empty());
    }

    #[test]
    fn a_stream_online_starts_an_archive_and_its_offline_ends_it() {
        let mut h = History::default();
        let start = OffsetDateTime::parse("2026-01-01T10:00:00Z", &Rfc3339).unwrap();
        let end = start + time::Duration::minutes(90);
        let online = json!({"id": "40000000001", "started_at": "2026-01-01T10:00:00Z"});
        h.apply("stream.online", "1", &online, start);
        assert_eq!(h.videos("1")[0].ended_at, None);
        h.apply("stream.offline", "1", &json!({}), end);
        h.apply(
            "stream.offline",
            "1",
            &json!({}),
            end + time::Duration::HOUR,
        );
        let videos = h.videos("1");
        assert_eq!(videos.len(), 1);
        assert_eq!(videos[0].stream_id, "40000000001");
        assert_eq!(
            (videos[0].created_at, videos[0].ended_at),
            (start, Some(end))
        );
        assert_eq!(
            h.video(&videos[0].id).map(|(owner, _)| owner).as_deref(),
            Some("1")
        );
    }
}

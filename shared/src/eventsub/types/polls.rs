//! Polls: `channel.poll.begin`, `.progress`, `.end`. Known (the simulator
//! accepts them) but not tracked; stored raw. The broadcaster authorizes
//! with `channel:read:polls` or `channel:manage:polls`.

use crate::eventsub::kind::{broadcaster, scoped, Grant, Kind};

const POLLS: &[Grant] = &[broadcaster(&["channel:read:polls", "channel:manage:polls"])];

/// `channel.poll.begin`.
pub const BEGIN: Kind = scoped("channel.poll.begin", "1", "Poll started", POLLS, POLL_BEGIN);

/// `channel.poll.progress`.
pub const PROGRESS: Kind = scoped(
    "channel.poll.progress",
    "1",
    "Poll votes",
    POLLS,
    POLL_PROGRESS,
);

/// `channel.poll.end`.
pub const END: Kind = scoped("channel.poll.end", "1", "Poll ended", POLLS, POLL_END);

/// `channel.poll.begin` v1.
pub const POLL_BEGIN: &str = r#"{
    "id": "1243456",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "title": "Aren't shoes just really hard socks?",
    "choices": [
        {"id": "123", "title": "Yeah!"},
        {"id": "124", "title": "No!"},
        {"id": "125", "title": "Maybe!"}
    ],
    "bits_voting": {"is_enabled": true, "amount_per_vote": 10},
    "channel_points_voting": {"is_enabled": true, "amount_per_vote": 10},
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "ends_at": "2020-07-15T17:16:08.17106713Z"
}"#;

/// `channel.poll.progress` v1.
pub const POLL_PROGRESS: &str = r#"{
    "id": "1243456",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "title": "Aren't shoes just really hard socks?",
    "choices": [
        {"id": "123", "title": "Yeah!", "bits_votes": 5, "channel_points_votes": 7, "votes": 12},
        {"id": "124", "title": "No!", "bits_votes": 10, "channel_points_votes": 4, "votes": 14},
        {"id": "125", "title": "Maybe!", "bits_votes": 0, "channel_points_votes": 7, "votes": 7}
    ],
    "bits_voting": {"is_enabled": true, "amount_per_vote": 10},
    "channel_points_voting": {"is_enabled": true, "amount_per_vote": 10},
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "ends_at": "2020-07-15T17:16:08.17106713Z"
}"#;

/// `channel.poll.end` v1.
pub const POLL_END: &str = r#"{
    "id": "1243456",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "title": "Aren't shoes just really hard socks?",
    "choices": [
        {"id": "123", "title": "Blue", "bits_votes": 50, "channel_points_votes": 70, "votes": 120},
        {"id": "124", "title": "Yellow", "bits_votes": 100, "channel_points_votes": 40, "votes": 140},
        {"id": "125", "title": "Green", "bits_votes": 10, "channel_points_votes": 70, "votes": 80}
    ],
    "bits_voting": {"is_enabled": true, "amount_per_vote": 10},
    "channel_points_voting": {"is_enabled": true, "amount_per_vote": 10},
    "status": "completed",
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "ended_at": "2020-07-15T17:16:11.17106713Z"
}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventsub::types::assert_raw_sample_about;

    #[test]
    fn the_samples_name_the_channel_and_are_stored_raw() {
        for kind in [BEGIN, PROGRESS, END] {
            assert_raw_sample_about(&kind, "1337");
        }
    }
}

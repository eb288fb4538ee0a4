//! Twitch's documented `event` object for each type in the
//! [`catalog`](super::catalog), as printed in the subscription types reference
//! (<https://dev.twitch.tv/docs/eventsub/eventsub-reference/>). Each is its
//! type's test: the catalog's tests parse, summarise and attribute every one.

/// `stream.online` v1.
pub const STREAM_ONLINE: &str = r#"{
    "id": "9001",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "type": "live",
    "started_at": "2020-10-11T10:11:12.123Z"
}"#;

/// `stream.offline` v1.
pub const STREAM_OFFLINE: &str = r#"{
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User"
}"#;

/// `channel.update` v2.
pub const CHANNEL_UPDATE: &str = r#"{
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "title": "Best Stream Ever",
    "language": "en",
    "category_id": "12453",
    "category_name": "Grand Theft Auto",
    "content_classification_labels": ["MatureGame"]
}"#;

/// `channel.raid` v1.
pub const CHANNEL_RAID: &str = r#"{
    "from_broadcaster_user_id": "1234",
    "from_broadcaster_user_login": "cool_user",
    "from_broadcaster_user_name": "Cool_User",
    "to_broadcaster_user_id": "1337",
    "to_broadcaster_user_login": "cooler_user",
    "to_broadcaster_user_name": "Cooler_User",
    "viewers": 9001
}"#;

/// `channel.follow` v2.
pub const CHANNEL_FOLLOW: &str = r#"{
    "user_id": "1234",
    "user_login": "cool_user",
    "user_name": "Cool_User",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cooler_user",
    "broadcaster_user_name": "Cooler_User",
    "followed_at": "2020-07-15T18:16:11.17106713Z"
}"#;

/// `channel.subscribe` v1.
pub const CHANNEL_SUBSCRIBE: &str = r#"{
    "user_id": "1234",
    "user_login": "cool_user",
    "user_name": "Cool_User",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cooler_user",
    "broadcaster_user_name": "Cooler_User",
    "tier": "1000",
    "is_gift": false
}"#;

/// `channel.subscription.gift` v1.
pub const CHANNEL_SUBSCRIPTION_GIFT: &str = r#"{
    "user_id": "1234",
    "user_login": "cool_user",
    "user_name": "Cool_User",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cooler_user",
    "broadcaster_user_name": "Cooler_User",
    "total": 2,
    "tier": "1000",
    "cumulative_total": 284,
    "is_anonymous": false
}"#;

/// `channel.subscription.message` v1.
pub const CHANNEL_SUBSCRIPTION_MESSAGE: &str = r#"{
    "user_id": "1234",
    "user_login": "cool_user",
    "user_name": "Cool_User",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cooler_user",
    "broadcaster_user_name": "Cooler_User",
    "tier": "1000",
    "message": {
        "text": "Love the stream! FevziGG",
        "emotes": [{"begin": 23, "end": 30, "id": "302976485"}]
    },
    "cumulative_months": 15,
    "streak_months": 1,
    "duration_months": 6
}"#;

/// `channel.cheer` v1.
pub const CHANNEL_CHEER: &str = r#"{
    "is_anonymous": false,
    "user_id": "1234",
    "user_login": "cool_user",
    "user_name": "Cool_User",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cooler_user",
    "broadcaster_user_name": "Cooler_User",
    "message": "pogchamp",
    "bits": 1000
}"#;

/// `channel.channel_points_custom_reward_redemption.add` v1.
pub const CHANNEL_POINTS_REDEMPTION_ADD: &str = r#"{
    "id": "17fa2df1-ad76-4804-bfa5-a40ef63efe63",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "user_id": "9001",
    "user_login": "cooler_user",
    "user_name": "Cooler_User",
    "user_input": "pogchamp",
    "status": "unfulfilled",
    "reward": {
        "id": "92af127c-7326-4483-a52b-b0da0be61c01",
        "title": "title",
        "cost": 100,
        "prompt": "reward prompt"
    },
    "redeemed_at": "2020-07-15T17:16:03.17106713Z"
}"#;

/// `channel.hype_train.begin` v2.
pub const HYPE_TRAIN_BEGIN: &str = r#"{
    "id": "1b0AsbInCHZW2SQFQkCzqN07Ib2",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "total": 137,
    "progress": 137,
    "goal": 500,
    "top_contributions": [
        {"user_id": "123", "user_login": "pogchamp", "user_name": "PogChamp", "type": "bits", "total": 50},
        {"user_id": "456", "user_login": "kappa", "user_name": "Kappa", "type": "subscription", "total": 45}
    ],
    "level": 2,
    "all_time_high_level": 4,
    "all_time_high_total": 2845,
    "shared_train_participants": null,
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "expires_at": "2020-07-15T17:16:11.17106713Z",
    "type": "golden_kappa",
    "is_shared_train": false
}"#;

/// `channel.hype_train.progress` v2.
pub const HYPE_TRAIN_PROGRESS: &str = r#"{
    "id": "1b0AsbInCHZW2SQFQkCzqN07Ib2",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "total": 700,
    "progress": 200,
    "goal": 1000,
    "top_contributions": [
        {"user_id": "123", "user_login": "pogchamp", "user_name": "PogChamp", "type": "bits", "total": 50}
    ],
    "level": 2,
    "shared_train_participants": null,
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "expires_at": "2020-07-15T17:16:11.17106713Z",
    "type": "regular",
    "is_shared_train": false
}"#;

/// `channel.hype_train.end` v2.
pub const HYPE_TRAIN_END: &str = r#"{
    "id": "1b0AsbInCHZW2SQFQkCzqN07Ib2",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "level": 2,
    "total": 137,
    "top_contributions": [
        {"user_id": "123", "user_login": "pogchamp", "user_name": "PogChamp", "type": "bits", "total": 50}
    ],
    "shared_train_participants": null,
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "ended_at": "2020-07-15T17:16:11.17106713Z",
    "cooldown_ends_at": "2020-07-15T18:16:11.17106713Z",
    "type": "regular",
    "is_shared_train": false
}"#;

/// `channel.ban` v1.
pub const CHANNEL_BAN: &str = r#"{
    "user_id": "1234",
    "user_login": "cool_user",
    "user_name": "Cool_User",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cooler_user",
    "broadcaster_user_name": "Cooler_User",
    "moderator_user_id": "1339",
    "moderator_user_login": "mod_user",
    "moderator_user_name": "Mod_User",
    "reason": "Offensive language",
    "banned_at": "2020-07-15T18:15:11.17106713Z",
    "ends_at": "2020-07-15T18:16:11.17106713Z",
    "is_permanent": false
}"#;

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

/// `channel.prediction.begin` v1.
pub const PREDICTION_BEGIN: &str = r#"{
    "id": "1243456",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "title": "Aren't shoes just really hard socks?",
    "outcomes": [
        {"id": "1243456", "title": "Yeah!", "color": "blue"},
        {"id": "2243456", "title": "No!", "color": "pink"}
    ],
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "locks_at": "2020-07-15T17:21:03.17106713Z"
}"#;

/// `channel.prediction.progress` v1.
pub const PREDICTION_PROGRESS: &str = r#"{
    "id": "1243456",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "title": "Aren't shoes just really hard socks?",
    "outcomes": [
        {"id": "1243456", "title": "Yeah!", "color": "blue", "users": 10, "channel_points": 15000, "top_predictors": [
            {"user_name": "Cool_User", "user_login": "cool_user", "user_id": "1234", "channel_points_won": null, "channel_points_used": 500}
        ]},
        {"id": "2243456", "title": "No!", "color": "pink", "users": 2, "channel_points": 100, "top_predictors": []}
    ],
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "locks_at": "2020-07-15T17:21:03.17106713Z"
}"#;

/// `channel.prediction.lock` v1.
pub const PREDICTION_LOCK: &str = r#"{
    "id": "1243456",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "title": "Aren't shoes just really hard socks?",
    "outcomes": [
        {"id": "1243456", "title": "Yeah!", "color": "blue", "users": 10, "channel_points": 15000, "top_predictors": []},
        {"id": "2243456", "title": "No!", "color": "pink", "users": 2, "channel_points": 100, "top_predictors": []}
    ],
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "locked_at": "2020-07-15T17:21:03.17106713Z"
}"#;

/// `channel.prediction.end` v1.
pub const PREDICTION_END: &str = r#"{
    "id": "1243456",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "title": "Aren't shoes just really hard socks?",
    "winning_outcome_id": "12345",
    "outcomes": [
        {"id": "12345", "title": "Yeah!", "color": "blue", "users": 2, "channel_points": 15000, "top_predictors": []},
        {"id": "22435", "title": "No!", "color": "pink", "users": 2, "channel_points": 200, "top_predictors": []}
    ],
    "status": "resolved",
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "ended_at": "2020-07-15T17:16:11.17106713Z"
}"#;

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

/// `user.authorization.grant`
/// (<https://dev.twitch.tv/docs/eventsub/eventsub-reference/#user-authorization-grant-event>).
pub const USER_AUTHORIZATION_GRANT: &str = r#"{
    "client_id": "crq72vsaoijkc83xx42hz6i37",
    "user_id": "1337",
    "user_login": "cool_user",
    "user_name": "Cool_User"
}"#;

/// `user.authorization.revoke`: login and name are null when the user no
/// longer exists.
pub const USER_AUTHORIZATION_REVOKE: &str = r#"{
    "client_id": "crq72vsaoijkc83xx42hz6i37",
    "user_id": "1337",
    "user_login": null,
    "user_name": null
}"#;

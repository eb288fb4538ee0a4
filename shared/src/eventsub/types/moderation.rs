//! Moderation: `channel.ban`. Known (the simulator accepts it) but not
//! tracked; the broadcaster authorizes with `channel:moderate`.

use crate::eventsub::kind::{broadcaster, scoped, Grant, Kind};

const MODERATE: &[Grant] = &[broadcaster(&["channel:moderate"])];

/// `channel.ban`: a user was banned or timed out.
pub const BAN: Kind = scoped("channel.ban", "1", "User banned", MODERATE, CHANNEL_BAN);

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventsub::types::assert_raw_sample_about;

    #[test]
    fn the_sample_names_the_channel_and_is_stored_raw() {
        assert_raw_sample_about(&BAN, "1337");
    }
}

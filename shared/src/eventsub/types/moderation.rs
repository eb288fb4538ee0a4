//! Moderation: `channel.ban`. Known (the simulator accepts it) but not
//! tracked; the broadcaster authorizes with `channel:moderate`.

use serde_json::Value;

use crate::clock::rfc3339_ms;
use crate::eventsub::kind::{broadcaster, scoped, Grant, Kind};
use crate::eventsub::summary::{count, flag, s, someone, summary, user, with_message, Summary};

const MODERATE: &[Grant] = &[broadcaster(&["channel:moderate"])];

/// `channel.ban`: a user was banned or timed out.
pub const BAN: Kind = Kind {
    summarize: Some(channel_ban),
    ..scoped("channel.ban", "1", "User banned", MODERATE, CHANNEL_BAN)
};

/// `channel.ban`: a permanent ban, or a timeout with its length; who did
/// it and why when the event says.
pub fn channel_ban(event: &Value) -> Summary {
    let who = user(event, "user");
    let seconds = match (s(event, "banned_at"), s(event, "ends_at")) {
        (Some(from), Some(to)) if !flag(event, "is_permanent") => rfc3339_ms(from)
            .zip(rfc3339_ms(to))
            .map(|(a, b)| (b - a) / 1000),
        _ => None,
    };
    let timed_out = event.get("is_permanent").and_then(Value::as_bool) == Some(false);
    let mut line = format!(
        "{} was {}",
        who.clone().unwrap_or_else(someone),
        if timed_out { "timed out" } else { "banned" }
    );
    if let Some(moderator) = user(event, "moderator_user") {
        line = format!("{line} by {moderator}");
    }
    if let Some(seconds) = seconds.filter(|s| *s > 0) {
        line = format!("{line} for {}", length(seconds));
    }
    let action = if timed_out { "timed_out" } else { "banned" };
    summary(who, action, seconds, with_message(line, s(event, "reason")))
}

/// A length of time as people say it: its largest unit, and the next
/// one when it is not round ("1 minute", "1 hour 30 minutes", "2 days").
fn length(seconds: i64) -> String {
    const UNITS: [(i64, &str); 4] = [
        (86_400, "day"),
        (3_600, "hour"),
        (60, "minute"),
        (1, "second"),
    ];
    let Some(i) = UNITS.iter().position(|(size, _)| seconds >= *size) else {
        return count(seconds, "second");
    };
    let (size, unit) = UNITS[i];
    let whole = count(seconds / size, unit);
    match UNITS.get(i + 1) {
        Some((next, next_unit)) if (seconds % size) / next > 0 => {
            format!("{whole} {}", count((seconds % size) / next, next_unit))
        }
        _ => whole,
    }
}

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
    use crate::eventsub::types::assert_sample_about;
    use crate::eventsub::types::sample_text;
    use serde_json::json;

    #[test]
    fn the_sample_names_the_channel_and_has_a_line() {
        assert_sample_about(&BAN, "1337");
    }

    #[test]
    fn the_sample_reads_as_one_line() {
        assert_eq!(
            sample_text(channel_ban, CHANNEL_BAN),
            "Cool_User was timed out by Mod_User for 1 minute: Offensive language"
        );
    }

    #[test]
    fn bans_timeouts_and_missing_fields_read_plainly() {
        let ban = json!({"user_name": "Troll", "moderator_user_name": "Mod",
            "reason": "", "is_permanent": true, "ends_at": null,
            "banned_at": "2020-07-15T18:15:11Z"});
        assert_eq!(channel_ban(&ban).text, "Troll was banned by Mod");
        let timeout = json!({"user_login": "spammer", "is_permanent": false,
            "banned_at": "2020-07-15T18:15:11Z", "ends_at": "2020-07-15T18:25:41Z"});
        let timeout = channel_ban(&timeout);
        assert_eq!(
            timeout.text,
            "spammer was timed out for 10 minutes 30 seconds"
        );
        assert_eq!(timeout.amount, Some(630));
        assert_eq!(channel_ban(&json!({})).text, "Someone was banned");
        assert_eq!(length(90_000), "1 day 1 hour");
        assert_eq!(length(7_200), "2 hours");
    }
}

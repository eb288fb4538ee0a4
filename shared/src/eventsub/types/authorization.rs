//! About our app, not a streamer: `user.authorization.grant` and
//! `.revoke`. Condition `client_id` (ours), created with the app token
//! alone, no user scope; a revoke ends the user's sessions.

use serde_json::Value;

use crate::eventsub::kind::{app, Kind};
use crate::eventsub::summary::{s, someone, summary, user, Summary};

/// `user.authorization.grant`: a user authorized our client.
pub const GRANT: Kind = Kind {
    summarize: Some(authorization_grant),
    ..app(
        "user.authorization.grant",
        "App authorized",
        USER_AUTHORIZATION_GRANT,
    )
};

/// `user.authorization.revoke`: a user took our client's access back.
pub const REVOKE: Kind = Kind {
    summarize: Some(authorization_revoke),
    ..app(
        "user.authorization.revoke",
        "App access revoked",
        USER_AUTHORIZATION_REVOKE,
    )
};

/// The user by name; by id when Twitch no longer names them (a deleted
/// account).
fn who(event: &Value) -> (Option<String>, String) {
    let named = user(event, "user");
    let said = named
        .clone()
        .or_else(|| s(event, "user_id").map(|id| format!("User {id}")))
        .unwrap_or_else(someone);
    (named, said)
}

/// `user.authorization.grant`: a user connected their Twitch account.
pub fn authorization_grant(event: &Value) -> Summary {
    let (actor, said) = who(event);
    let line = format!("{said} connected their Twitch account");
    summary(actor, "connected", None, line)
}

/// `user.authorization.revoke`: a user disconnected their Twitch account.
pub fn authorization_revoke(event: &Value) -> Summary {
    let (actor, said) = who(event);
    let line = format!("{said} disconnected their Twitch account");
    summary(actor, "disconnected", None, line)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_samples_name_our_client_and_the_user() {
        for kind in [GRANT, REVOKE] {
            let event: serde_json::Value = serde_json::from_str(kind.sample).unwrap();
            assert_eq!(
                event["client_id"], "crq72vsaoijkc83xx42hz6i37",
                "{}",
                kind.name
            );
            assert_eq!(event["user_id"], "1337", "{}", kind.name);
        }
    }
    #[test]
    fn the_samples_read_as_one_line_each() {
        use crate::eventsub::types::sample_text;
        assert_eq!(
            sample_text(authorization_grant, USER_AUTHORIZATION_GRANT),
            "Cool_User connected their Twitch account"
        );
        assert_eq!(
            sample_text(authorization_revoke, USER_AUTHORIZATION_REVOKE),
            "User 1337 disconnected their Twitch account"
        );
        assert_eq!(
            authorization_revoke(&serde_json::json!({})).text,
            "Someone disconnected their Twitch account"
        );
    }
}

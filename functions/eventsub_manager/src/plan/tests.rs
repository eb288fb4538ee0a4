use super::*;
use shared::eventsub::catalog::{kind, tracked};
use shared::eventsub::subscription::Transport;

pub(super) const CALLBACK: &str = "https://example.com/eventsub";

pub(super) fn sub(id: &str, k: &Kind, b: &str, status: Status, callback: &str) -> Subscription {
    Subscription {
        id: id.into(),
        status,
        kind: k.name.into(),
        version: k.version.into(),
        condition: k
            .condition(b)
            .into_iter()
            .map(|(f, v)| (f, v.into()))
            .collect(),
        created_at: format!("2026-11-23T00:00:0{}Z", id.len() % 10),
        transport: Some(Transport {
            method: "webhook".into(),
            callback: Some(callback.into()),
            secret: None,
        }),
        cost: 1,
    }
}

pub(super) fn wanted(kinds: &[&str], scopes: &[&str]) -> Desired {
    Desired {
        broadcaster: "7".into(),
        wanted: true,
        kinds: kinds.iter().map(|k| kind(k).unwrap()).collect(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

pub(super) fn creates(p: &Plan) -> Vec<&str> {
    p.actions
        .iter()
        .filter_map(|a| match a {
            Action::Create(k) => Some(k.name),
            _ => None,
        })
        .collect()
}

pub(super) fn deletes(p: &Plan) -> Vec<(&str, &str)> {
    p.actions
        .iter()
        .filter_map(|a| match a {
            Action::Delete { id, why } => Some((id.as_str(), *why)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_fresh_streamer_gets_what_needs_no_authorization_and_is_told_what_does() {
    let names: Vec<&str> = tracked().map(|k| k.name).collect();
    let p = plan(&wanted(&names, &[]), &[], CALLBACK);
    assert_eq!(
        creates(&p),
        [
            "stream.online",
            "stream.offline",
            "channel.update",
            "channel.raid"
        ]
    );
    assert_eq!(
        p.states["channel.follow"],
        TypeState::NeedsAuthorization {
            scopes: vec!["moderator:read:followers".into()],
            from: "the broadcaster or a moderator".into()
        }
    );
    assert!(matches!(
        p.states["channel.cheer"],
        TypeState::NeedsAuthorization { .. }
    ));
}

#[test]
fn authorized_types_are_created_and_working_ones_kept() {
    let online = kind("stream.online").unwrap();
    let actual = [sub("a", online, "7", Status::Enabled, CALLBACK)];
    let p = plan(
        &wanted(&["stream.online", "channel.cheer"], &["bits:read"]),
        &actual,
        CALLBACK,
    );
    assert_eq!(creates(&p), ["channel.cheer"]);
    assert!(deletes(&p).is_empty());
    assert_eq!(
        p.states["stream.online"],
        TypeState::Enabled {
            subscription_id: "a".into()
        }
    );
}

#[test]
fn duplicates_orphans_and_other_callbacks() {
    let online = kind("stream.online").unwrap();
    let update = kind("channel.update").unwrap();
    let actual = [
        sub(
            "pending",
            online,
            "7",
            Status::WebhookCallbackVerificationPending,
            CALLBACK,
        ),
        sub("enabled", online, "7", Status::Enabled, CALLBACK),
        sub("orphan", update, "7", Status::Enabled, CALLBACK),
        sub(
            "theirs",
            update,
            "7",
            Status::Enabled,
            "https://other.example/cb",
        ),
        sub("other-streamer", online, "8", Status::Enabled, CALLBACK),
    ];
    let p = plan(&wanted(&["stream.online"], &[]), &actual, CALLBACK);
    assert!(creates(&p).is_empty());
    assert_eq!(
        deletes(&p),
        [("pending", "duplicate"), ("orphan", "not wanted")]
    );
    assert_eq!(
        p.states["stream.online"],
        TypeState::Enabled {
            subscription_id: "enabled".into()
        }
    );
}

#[test]
fn failed_ones_are_recreated_a_bounded_number_of_times() {
    let online = kind("stream.online").unwrap();
    let actual = [sub(
        "f",
        online,
        "7",
        Status::WebhookCallbackVerificationFailed,
        CALLBACK,
    )];
    let mut d = wanted(&["stream.online"], &[]);
    let p = plan(&d, &actual, CALLBACK);
    assert_eq!(deletes(&p), [("f", "failed")]);
    assert_eq!(creates(&p), ["stream.online"]);
    d.recreated.insert("stream.online".into(), MAX_RECREATE);
    let p = plan(&d, &actual, CALLBACK);
    assert!(creates(&p).is_empty());
    assert!(
        matches!(&p.states["stream.online"], TypeState::Failed { reason } if reason.contains("verification_failed"))
    );
}

#[test]
fn delivery_failures_are_recreated_at_once_however_often() {
    let online = kind("stream.online").unwrap();
    let actual = [sub(
        "f",
        online,
        "7",
        Status::NotificationFailuresExceeded,
        CALLBACK,
    )];
    let mut d = wanted(&["stream.online"], &[]);
    d.recreated.insert("stream.online".into(), MAX_RECREATE + 5);
    let p = plan(&d, &actual, CALLBACK);
    assert_eq!(deletes(&p), [("f", "failed")]);
    assert_eq!(creates(&p), ["stream.online"]);
    assert_eq!(p.states["stream.online"], TypeState::Creating);
}

#[test]
fn a_type_given_up_on_stays_failed_once_twitch_no_longer_lists_it() {
    let mut d = wanted(&["stream.online"], &[]);
    d.failed.insert(
        "stream.online".into(),
        "webhook_callback_verification_failed (recreated 3 times)".into(),
    );
    let p = plan(&d, &[], CALLBACK);
    assert!(creates(&p).is_empty());
    assert!(matches!(
        &p.states["stream.online"],
        TypeState::Failed { .. }
    ));
}

#[test]
fn the_older_of_two_enabled_copies_is_kept_whatever_the_fraction_digits() {
    let online = kind("stream.online").unwrap();
    let mut older = sub("older", online, "7", Status::Enabled, CALLBACK);
    older.created_at = "2026-11-23T10:00:00Z".into();
    let mut newer = sub("newer", online, "7", Status::Enabled, CALLBACK);
    newer.created_at = "2026-11-23T10:00:00.1Z".into();
    let p = plan(&wanted(&["stream.online"], &[]), &[newer, older], CALLBACK);
    assert_eq!(deletes(&p), [("newer", "duplicate")]);
}

#[test]
fn revoked_types_are_not_recreated() {
    let cheer = kind("channel.cheer").unwrap();
    let actual = [sub("r", cheer, "7", Status::AuthorizationRevoked, CALLBACK)];
    let p = plan(
        &wanted(&["channel.cheer"], &["bits:read"]),
        &actual,
        CALLBACK,
    );
    assert_eq!(deletes(&p), [("r", "revoked")]);
    assert!(creates(&p).is_empty());
    assert_eq!(
        p.states["channel.cheer"],
        TypeState::Revoked {
            reason: "authorization_revoked".into()
        }
    );
    // Known only from the webhook (Twitch no longer lists it).
    let mut d = wanted(&["channel.cheer"], &["bits:read"]);
    d.revoked
        .insert("channel.cheer".into(), "authorization_revoked".into());
    assert!(creates(&plan(&d, &[], CALLBACK)).is_empty());
}

#[test]
fn an_outgoing_raid_subscription_of_ours_belongs_to_the_raider() {
    let raid = kind("channel.raid").unwrap();
    let mut outgoing = sub("out", raid, "7", Status::Enabled, CALLBACK);
    outgoing.condition = [
        ("from_broadcaster_user_id".to_string(), "7".into()),
        ("to_broadcaster_user_id".to_string(), "".into()),
    ]
    .into_iter()
    .collect();
    let p = plan(&wanted(&["channel.raid"], &[]), &[outgoing], CALLBACK);
    assert_eq!(deletes(&p), [("out", "not wanted")]);
    assert_eq!(creates(&p), ["channel.raid"]);
}

#[test]
fn every_revocation_status_stops_recreation() {
    let cheer = kind("channel.cheer").unwrap();
    for status in [Status::ChatUserBanned, Status::BetaMaintenance] {
        let reason = status.to_string();
        let actual = [sub("r", cheer, "7", status, CALLBACK)];
        let p = plan(
            &wanted(&["channel.cheer"], &["bits:read"]),
            &actual,
            CALLBACK,
        );
        assert!(creates(&p).is_empty());
        assert_eq!(p.states["channel.cheer"], TypeState::Revoked { reason });
    }
}

#[test]
fn a_released_streamer_loses_everything_of_ours() {
    let online = kind("stream.online").unwrap();
    let actual = [sub("a", online, "7", Status::Enabled, CALLBACK)];
    let mut d = wanted(&["stream.online"], &[]);
    d.wanted = false;
    let p = plan(&d, &actual, CALLBACK);
    assert_eq!(deletes(&p), [("a", "streamer released")]);
    assert!(p.states.is_empty());
}

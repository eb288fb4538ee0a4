//! The catalog's tests: the lookups over the whole list, every documented
//! sample against its type's condition, summary and dedupe key.

use super::*;
use crate::eventsub::subscription::{broadcaster_of, Condition};
use serde_json::json;

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
    assert!(lookup("channel.ban").is_some());
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

#[test]
fn tracked_types_are_created_open_ones_first() {
    let names: Vec<&str> = tracked().map(|k| k.name).collect();
    assert_eq!(names.len(), 12);
    assert_eq!(
        names[..4],
        [
            "stream.online",
            "stream.offline",
            "channel.update",
            "channel.raid"
        ]
    );
    assert!(tracked().skip(4).all(Kind::needs_authorization));
}

/// What each type's documented sample must give: summary line, and the
/// semantic key when the type carries the id of a happening.
fn expected(name: &str) -> (Option<&'static str>, Option<&'static str>) {
    match name {
        "stream.online" => (
            Some("Cool_User went live"),
            Some("stream.online#1337#9001"),
        ),
        "stream.offline" => (Some("Cool_User went offline"), None),
        "channel.update" => (
            Some("Cool_User is now playing Grand Theft Auto: \"Best Stream Ever\""),
            None,
        ),
        "channel.raid" => (
            Some("Cool_User raided Cooler_User with 9001 viewers"),
            None,
        ),
        "channel.follow" => (
            Some("Cool_User followed Cooler_User"),
            Some("channel.follow#1337#1234@2020-07-15T18:16:11.17106713Z"),
        ),
        "channel.subscribe" => (Some("Cool_User subscribed at Tier 1"), None),
        "channel.subscription.gift" => (Some("Cool_User gifted 2 Tier 1 subs"), None),
        "channel.subscription.message" => (
            Some("Cool_User resubscribed at Tier 1 (15 months): Love the stream! FevziGG"),
            None,
        ),
        "channel.cheer" => (Some("Cool_User cheered 1000 bits: pogchamp"), None),
        "channel.channel_points_custom_reward_redemption.add" => (
            Some("Cooler_User redeemed title: pogchamp"),
            Some("channel.channel_points_custom_reward_redemption.add#1337#17fa2df1-ad76-4804-bfa5-a40ef63efe63"),
        ),
        "channel.hype_train.begin" => (
            Some("A hype train started in Cool_User's channel (level 2)"),
            Some("channel.hype_train.begin#1337#1b0AsbInCHZW2SQFQkCzqN07Ib2"),
        ),
        "channel.hype_train.end" => (
            Some("The hype train in Cool_User's channel ended at level 2"),
            Some("channel.hype_train.end#1337#1b0AsbInCHZW2SQFQkCzqN07Ib2"),
        ),
        "channel.hype_train.progress" => (
            Some("The hype train in Cool_User's channel is at level 2: 200 of 1000 points to level 3"),
            None,
        ),
        "channel.ban" => (
            Some("Cool_User was timed out by Mod_User for 1 minute: Offensive language"),
            None,
        ),
        "channel.poll.begin" => (
            Some("Poll \"Aren't shoes just really hard socks?\" started: Yeah!, No!, Maybe!"),
            None,
        ),
        "channel.poll.progress" => (
            Some("Poll \"Aren't shoes just really hard socks?\" so far: Yeah! 12 votes, No! 14 votes, Maybe! 7 votes"),
            None,
        ),
        "channel.poll.end" => (
            Some("Poll \"Aren't shoes just really hard socks?\" ended: Yellow won with 140 votes (Blue 120 votes, Yellow 140 votes, Green 80 votes)"),
            None,
        ),
        "channel.prediction.begin" => (
            Some("Prediction \"Aren't shoes just really hard socks?\" started: Yeah! or No!"),
            None,
        ),
        "channel.prediction.progress" => (
            Some("Prediction \"Aren't shoes just really hard socks?\" so far: Yeah! 15000 points from 10 viewers, No! 100 points from 2 viewers"),
            None,
        ),
        "channel.prediction.lock" => (
            Some("Prediction \"Aren't shoes just really hard socks?\" locked: Yeah! 15000 points from 10 viewers, No! 100 points from 2 viewers"),
            None,
        ),
        "channel.prediction.end" => (
            Some("Prediction \"Aren't shoes just really hard socks?\" resolved: Yeah! won (15000 points from 2 viewers)"),
            None,
        ),
        "channel.chat.message" => (Some("viewer32 said in chat: Hi chat"), None),
        _ => (None, None),
    }
}

#[test]
fn every_documented_sample_parses_summarises_and_names_its_broadcaster() {
    for k in &TYPES {
        let event: Value = serde_json::from_str(k.sample)
            .unwrap_or_else(|e| panic!("{}: sample is not JSON: {e}", k.name));
        assert!(event.is_object(), "{}", k.name);
        if k.condition.watch.is_empty() {
            // About our client: its condition names the client, no streamer.
            let client = event["client_id"].as_str().unwrap_or_default();
            let condition: Condition = [("client_id".to_owned(), Value::from(client))]
                .into_iter()
                .collect();
            k.check_condition(&condition)
                .unwrap_or_else(|e| panic!("{}: {e}", k.name));
            assert_eq!(broadcaster_of(&condition), None, "{}", k.name);
            assert!(
                !k.tracked && summarize(k.name, &event).is_some(),
                "{}",
                k.name
            );
            continue;
        }
        // The streamer the sample is about, as the condition we would
        // create for them names them.
        let side = k.condition.watch[0].trim_end_matches("user_id");
        let id = event[format!("{side}user_id")]
            .as_str()
            .unwrap_or_else(|| panic!("{}: sample names no {side}user_id", k.name));
        let condition: Condition = k
            .condition(id)
            .into_iter()
            .map(|(f, v)| (f, v.into()))
            .collect();
        assert_eq!(broadcaster_of(&condition), Some(id), "{}", k.name);
        k.check_condition(&condition)
            .unwrap_or_else(|e| panic!("{}: {e}", k.name));
        let (line, key) = expected(k.name);
        assert_eq!(
            summarize(k.name, &event).map(|s| s.text).as_deref(),
            line,
            "{}",
            k.name
        );
        assert!(line.is_some(), "{}", k.name);
        assert_eq!(
            semantic_key(k.name, id, &event).as_deref(),
            key,
            "{}",
            k.name
        );
    }
}

fn text(kind: &str, event: Value) -> String {
    summarize(kind, &event).unwrap().text
}

#[test]
fn every_known_type_has_a_line() {
    let b = json!({"broadcaster_user_name": "Cool_User"});
    assert_eq!(
        text(
            "stream.online",
            json!({"broadcaster_user_name":"Cool_User","type":"live"})
        ),
        "Cool_User went live"
    );
    assert_eq!(text("stream.offline", b.clone()), "Cool_User went offline");
    assert_eq!(
        text(
            "channel.update",
            json!({"broadcaster_user_name":"Cool_User","title":"Speedrun","category_name":"Celeste"})
        ),
        "Cool_User is now playing Celeste: \"Speedrun\""
    );
    assert_eq!(
        text(
            "channel.follow",
            json!({"user_name":"Fan","broadcaster_user_name":"Cool_User"})
        ),
        "Fan followed Cool_User"
    );
    assert_eq!(
        text(
            "channel.subscribe",
            json!({"user_name":"Fan","tier":"2000","is_gift":false})
        ),
        "Fan subscribed at Tier 2"
    );
    let gift = summarize(
        "channel.subscription.gift",
        &json!({"user_name":null,"is_anonymous":true,"total":5,"tier":"1000"}),
    )
    .unwrap();
    assert_eq!(gift.text, "An anonymous gifter gifted 5 Tier 1 subs");
    assert_eq!((gift.actor, gift.amount), (None, Some(5)));
    assert_eq!(
        text(
            "channel.subscription.message",
            json!({"user_name":"Fan","tier":"1000","cumulative_months":12,"message":{"text":"GG"}})
        ),
        "Fan resubscribed at Tier 1 (12 months): GG"
    );
    let cheer = summarize(
        "channel.cheer",
        &json!({"user_name":"Fan","bits":1000,"message":"Cheer1000 hi","is_anonymous":false}),
    )
    .unwrap();
    assert_eq!(cheer.text, "Fan cheered 1000 bits: Cheer1000 hi");
    assert_eq!(cheer.amount, Some(1000));
    assert_eq!(
        text(
            "channel.raid",
            json!({"from_broadcaster_user_name":"Big","to_broadcaster_user_name":"Small","viewers":512})
        ),
        "Big raided Small with 512 viewers"
    );
    assert_eq!(
        text(
            "channel.channel_points_custom_reward_redemption.add",
            json!({"user_name":"Fan","user_input":"","reward":{"title":"Hydrate","cost":100}})
        ),
        "Fan redeemed Hydrate"
    );
    assert_eq!(
        text(
            "channel.hype_train.begin",
            json!({"broadcaster_user_name":"Cool_User","level":2})
        ),
        "A hype train started in Cool_User's channel (level 2)"
    );
    assert_eq!(
        text(
            "channel.hype_train.end",
            json!({"broadcaster_user_name":"Cool_User","level":5})
        ),
        "The hype train in Cool_User's channel ended at level 5"
    );
}

#[test]
fn unknown_types_have_no_summary() {
    assert_eq!(summarize("channel.goal.begin", &json!({})), None);
}

#[test]
fn missing_fields_never_panic() {
    for kind in [
        "stream.online",
        "channel.update",
        "channel.follow",
        "channel.subscribe",
        "channel.subscription.gift",
        "channel.subscription.message",
        "channel.cheer",
        "channel.raid",
        "channel.channel_points_custom_reward_redemption.add",
        "channel.hype_train.begin",
        "channel.hype_train.end",
    ] {
        assert!(summarize(kind, &json!({})).is_some());
        assert!(summarize(kind, &json!({"user_name": 5, "bits": "x"})).is_some());
    }
}

#[test]
fn semantic_keys_name_the_happening() {
    assert_eq!(
        semantic_key("stream.online", "1337", &json!({"id":"9001"})).as_deref(),
        Some("stream.online#1337#9001")
    );
    assert_eq!(semantic_key("stream.online", "1337", &json!({})), None);
    assert_eq!(semantic_key("channel.raid", "1", &json!({"id":"x"})), None);
}

#[test]
fn every_type_has_its_own_label_in_words() {
    for k in &TYPES {
        assert!(!k.label.trim().is_empty(), "{}", k.name);
        assert_ne!(k.label, k.name, "{}", k.name);
        assert!(!k.label.contains('.'), "{}: {}", k.name, k.label);
        let same = TYPES.iter().filter(|o| o.label == k.label).count();
        assert_eq!(same, 1, "{}: {} is not unique", k.name, k.label);
    }
}

#[test]
fn labels_are_looked_up_by_wire_name() {
    assert_eq!(label("channel.follow"), Some("New follower"));
    assert_eq!(label("channel.subscription.gift"), Some("Gifted subs"));
    assert_eq!(label("channel.unknown"), None);
}

#[test]
fn every_type_reads_in_words_on_its_sample() {
    for k in &TYPES {
        let event: Value = serde_json::from_str(k.sample).unwrap();
        let summarize = k
            .summarize
            .unwrap_or_else(|| panic!("{} has no summary", k.name));
        let line = summarize(&event).text;
        assert!(!line.trim().is_empty(), "{}", k.name);
        let lower = line.to_lowercase();
        // Neither the wire name, nor its prefix, nor a segment only the
        // wire spells (`hype_train`); the sample's user names may have `_`.
        assert!(!lower.contains(k.name), "{}: {line}", k.name);
        for prefix in ["channel.", "stream.", "user."] {
            assert!(!lower.contains(prefix), "{}: {line}", k.name);
        }
        for segment in k.name.split('.').filter(|s| s.contains('_')) {
            assert!(!lower.contains(segment), "{}: {line}", k.name);
        }
    }
}

#[test]
fn no_type_panics_on_missing_or_mistyped_fields() {
    let odd = json!({"title": 5, "choices": "x", "outcomes": [{"title": null}],
        "level": "2", "is_permanent": "no", "ends_at": 3, "message": [], "user_name": 5});
    for k in &TYPES {
        let summarize = k.summarize.unwrap_or_else(|| panic!("{}", k.name));
        for event in [json!({}), odd.clone(), json!(null), json!([1])] {
            assert!(!summarize(&event).text.is_empty(), "{}", k.name);
        }
    }
}

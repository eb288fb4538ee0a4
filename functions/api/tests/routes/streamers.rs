//! The tracked streamers, their live and type states, in pages.

use super::*;

#[tokio::test]
async fn streamers_lists_tracked_ones_with_live_and_type_states() {
    let f = Fixture::new();
    f.track("1", "alice").await;
    f.track("2", "bob").await;
    f.track("3", "carol").await;
    f.store.release("3", f.now_ms()).await.unwrap();
    f.live("1", "alice", true).await;
    let types = BTreeMap::from([(
        "channel.follow".to_owned(),
        TypeRecord {
            state: TypeState::NeedsAuthorization {
                scopes: vec!["moderator:read:followers".into()],
                from: "broadcaster or a moderator".into(),
            },
            recreated: 0,
            updated_at_ms: 7,
        },
    )]);
    f.store.set_types("2", &types).await.unwrap();

    let a = f.get("/api/streamers").await;

    assert_eq!(a.status, StatusCode::OK);
    let list = a.body["streamers"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{}", a.body);
    assert_eq!(list[0]["id"], "1");
    assert_eq!(list[0]["login"], "alice");
    assert_eq!(list[0]["wanted_since_ms"], f.now_ms() - 1_000);
    assert_eq!(list[0]["last_watched_ms"], f.now_ms() - 1_000);
    assert_eq!(list[0]["live"]["live"], true);
    assert_eq!(list[0]["live"]["viewer_count"], 42);
    assert_eq!(list[0]["types"], json!({}));
    assert_eq!(list[1]["live"], Value::Null);
    assert_eq!(
        list[1]["types"]["channel.follow"],
        json!({"state": "needs_authorization", "scopes": ["moderator:read:followers"],
               "from": "broadcaster or a moderator", "updated_at_ms": 7})
    );
    assert_eq!(a.body["next"], Value::Null);
}

#[tokio::test]
async fn streamers_pages_with_cursor_without_gaps_or_repeats() {
    let f = Fixture::new();
    for i in 1..=5 {
        f.track(&i.to_string(), &format!("user{i}")).await;
    }
    let mut seen = Vec::new();
    let mut uri = "/api/streamers?limit=2".to_owned();
    loop {
        let a = f.get(&uri).await;
        assert_eq!(a.status, StatusCode::OK);
        for s in a.body["streamers"].as_array().unwrap() {
            seen.push(s["id"].as_str().unwrap().to_owned());
        }
        match a.body["next"].as_str() {
            Some(next) => uri = format!("/api/streamers?limit=2&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ["1", "2", "3", "4", "5"]);
}

#[tokio::test]
async fn one_streamer_says_whether_it_is_tracked_and_what_arrives_for_it() {
    let f = Fixture::new();
    f.track("2", "bob").await;
    f.live("2", "bob", true).await;
    let types = BTreeMap::from([
        (
            "channel.follow".to_owned(),
            TypeRecord {
                state: TypeState::NeedsAuthorization {
                    scopes: vec!["moderator:read:followers".into()],
                    from: "broadcaster or a moderator".into(),
                },
                recreated: 0,
                updated_at_ms: 7,
            },
        ),
        (
            "channel.raid".to_owned(),
            TypeRecord {
                state: TypeState::Enabled {
                    subscription_id: "sub-1".into(),
                },
                recreated: 0,
                updated_at_ms: 8,
            },
        ),
    ]);
    f.store.set_types("2", &types).await.unwrap();

    // By login and by id: the same answer.
    for uri in ["/api/streamers/bob", "/api/streamers/2"] {
        let a = f.get(uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}");
        assert_eq!(a.body["id"], "2");
        assert_eq!(a.body["login"], "bob");
        assert_eq!(a.body["tracked"], true);
        assert_eq!(a.body["live"]["live"], true);
        assert_eq!(a.body["types"]["channel.raid"]["state"], "enabled");
        assert_eq!(
            a.body["types"]["channel.follow"]["state"],
            "needs_authorization"
        );
    }

    // Released: known, but nothing arrives any more.
    f.store.release("2", f.now_ms()).await.unwrap();
    let a = f.get("/api/streamers/2").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["tracked"], false);
    assert_eq!(a.body["types"], json!({}));

    // Never heard of: 404, as every route that names a streamer.
    let a = f.get("/api/streamers/nobody_at_all").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.body["error"], "unknown_streamer");
}

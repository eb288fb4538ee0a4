//! A streamer's feed: newest-first pages, after-cursor pages, logins and ids.

use super::*;

#[tokio::test]
async fn events_are_newest_first_with_every_field() {
    let f = Fixture::new();
    f.track("1337", "user1337").await;
    f.follow("1337", "old", f.now_ms() - 2_000).await;
    f.follow("1337", "new", f.now_ms() - 1_000).await;

    let a = f.get("/api/streamers/user1337/events").await;

    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(ids(&a.body["events"]), ["new", "old"]);
    let e = &a.body["events"][0];
    assert_eq!(e["type"], "channel.follow");
    assert_eq!(e["version"], "2");
    assert_eq!(e["received_at_ms"], f.now_ms() - 1_000);
    assert_eq!(e["summary"]["action"], "followed");
    assert_eq!(e["event"]["user_login"], "fan");
    assert!(e["cursor"].as_str().is_some_and(|c| !c.is_empty()));
    assert_eq!(a.body["next"], Value::Null);
}

#[tokio::test]
async fn events_default_to_20_and_pages_back_without_gaps_or_repeats() {
    let f = Fixture::new();
    let stored = feed(&f, 47).await;

    let first = f.get("/api/streamers/user1337/events").await;
    assert_eq!(first.body["events"].as_array().unwrap().len(), 20);

    let mut seen = Vec::new();
    let mut uri = "/api/streamers/user1337/events?limit=10".to_owned();
    loop {
        let a = f.get(&uri).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        seen.extend(ids(&a.body["events"]));
        match a.body["next"].as_str() {
            Some(next) => uri = format!("/api/streamers/user1337/events?limit=10&cursor={next}"),
            None => break,
        }
    }
    let newest_first: Vec<String> = stored.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);
}

#[tokio::test]
async fn events_after_a_cursor_are_oldest_first_without_gaps_or_repeats() {
    let f = Fixture::new();
    let stored = feed(&f, 31).await;
    // The client has read up to the 8th oldest event (newest-first page of 24).
    let page = f.get("/api/streamers/user1337/events?limit=24").await;
    let last_read = page.body["events"][23]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(page.body["events"][23]["id"], stored[7]);

    let mut seen = Vec::new();
    let mut uri = format!("/api/streamers/user1337/events?after={last_read}&limit=5");
    loop {
        let a = f.get(&uri).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        seen.extend(ids(&a.body["events"]));
        match a.body["next"].as_str() {
            Some(next) => uri = format!("/api/streamers/user1337/events?after={next}&limit=5"),
            None => break,
        }
    }
    assert_eq!(seen, stored[8..]);
}

#[tokio::test]
async fn events_after_the_newest_cursor_are_empty_until_something_new_arrives() {
    let f = Fixture::new();
    feed(&f, 3).await;
    let page = f.get("/api/streamers/1337/events?limit=1").await;
    let newest = page.body["events"][0]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let uri = format!("/api/streamers/1337/events?after={newest}");

    assert_eq!(f.get(&uri).await.body, json!({"events": [], "next": null}));
    f.follow("1337", "later", f.now_ms()).await;
    assert_eq!(ids(&f.get(&uri).await.body["events"]), ["later"]);
}

#[tokio::test]
async fn a_login_and_its_user_id_read_the_same_feed() {
    let f = Fixture::new();
    feed(&f, 5).await;

    let by_login = f.get("/api/streamers/User1337/events").await;
    let by_id = f.get("/api/streamers/1337/events").await;

    assert_eq!(by_login.status, StatusCode::OK);
    assert_eq!(by_login.body, by_id.body);
}

#[tokio::test]
async fn a_user_id_with_only_stored_events_is_known() {
    let f = Fixture::new();
    f.follow("4242", "m1", f.now_ms()).await;

    let a = f.get("/api/streamers/4242/events").await;

    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(ids(&a.body["events"]), ["m1"]);
}

#[tokio::test]
async fn an_unknown_streamer_is_404_saying_so() {
    let f = Fixture::new();
    for uri in [
        "/api/streamers/nobody/events",
        "/api/streamers/999/events",
        "/api/streamers/nobody/stats",
        "/api/streamers/999/streams",
    ] {
        let a = f.get(uri).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(a.body["error"], "unknown_streamer", "{uri}");
        let message = a.body["message"].as_str().unwrap();
        assert!(
            message.contains("no such streamer is tracked or known"),
            "{message}"
        );
    }
}

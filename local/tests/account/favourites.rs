//! Favourites: caps and allowances checked before any Twitch call, releasing
//! a streamer, an admin's pin, and what is new since the user last looked.

use super::*;

#[tokio::test]
async fn caps_and_allowances_are_checked_before_any_twitch_call() {
    let s = stack().await;
    let sid = login(&s, "1337").await;
    let sim = s.twitch().sim.clone().unwrap();
    // 51 streamers the store knows: adding them costs no lookup.
    for i in 0..51 {
        s.store
            .want(&Wish {
                broadcaster_id: format!("{}", 5000 + i),
                login: Some(format!("user{}", 5000 + i)),
                by: "admin".into(),
                at_ms: 1,
            })
            .await
            .unwrap();
    }
    let users_before = sim.requests("/helix/users");
    for i in 0..50 {
        let (status, _) = call(
            &s,
            Method::PUT,
            &format!("/api/me/favourites/user{}", 5000 + i),
            Some(&sid),
            Some(&ours(&s)),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, body) = call(
        &s,
        Method::PUT,
        "/api/me/favourites/user5050",
        Some(&sid),
        Some(&ours(&s)),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::CONFLICT, Some("over_cap"))
    );
    // Over the cap, a login nobody knows costs no Twitch call either.
    let (status, _) = call(
        &s,
        Method::PUT,
        "/api/me/favourites/user99999",
        Some(&sid),
        Some(&ours(&s)),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(sim.requests("/helix/users"), users_before);
    assert_eq!(s.store.favourites("1337").await.unwrap().len(), 50);

    // Another user: unknown logins cost a lookup each, ten a minute at most.
    let other = login(&s, "2448").await;
    start_of_a_fresh_minute().await;
    let before = sim.requests("/helix/users");
    let mut statuses = Vec::new();
    for i in 0..11 {
        let (status, _) = call(
            &s,
            Method::PUT,
            &format!("/api/me/favourites/user{}", 70000 + i),
            Some(&other),
            Some(&ours(&s)),
        )
        .await;
        statuses.push(status.as_u16());
    }
    assert_eq!(statuses[..10], [201; 10]);
    assert_eq!(statuses[10], 429);
    assert_eq!(sim.requests("/helix/users") - before, 10);
}

#[tokio::test]
async fn removing_the_last_favourite_releases_the_streamer() {
    let s = stack().await;
    let a = login(&s, "1337").await;
    let b = login(&s, "2448").await;
    for sid in [&a, &b] {
        let (status, _) = call(
            &s,
            Method::PUT,
            "/api/me/favourites/user4242",
            Some(sid),
            Some(&ours(&s)),
        )
        .await;
        assert!(status.is_success());
    }
    assert!(s.store.streamer("4242").await.unwrap().unwrap().wanted);
    let (_, body) = call(
        &s,
        Method::DELETE,
        "/api/me/favourites/user4242",
        Some(&a),
        Some(&ours(&s)),
    )
    .await;
    assert_eq!(body["removed"], true);
    assert!(
        s.store.streamer("4242").await.unwrap().unwrap().wanted,
        "b still wants it"
    );
    call(
        &s,
        Method::DELETE,
        "/api/me/favourites/4242",
        Some(&b),
        Some(&ours(&s)),
    )
    .await;
    assert!(!s.store.streamer("4242").await.unwrap().unwrap().wanted);
}

#[tokio::test]
async fn an_admins_pin_survives_a_users_favourite_coming_and_going() {
    let s = stack().await;
    s.store
        .want(&Wish {
            broadcaster_id: "5151".into(),
            login: Some("user5151".into()),
            by: shared::store::streamers::PINNED_BY.into(),
            at_ms: 1,
        })
        .await
        .unwrap();
    let sid = login(&s, "1337").await;
    let origin = ours(&s);
    call(
        &s,
        Method::PUT,
        "/api/me/favourites/user5151",
        Some(&sid),
        Some(&origin),
    )
    .await;
    call(
        &s,
        Method::DELETE,
        "/api/me/favourites/user5151",
        Some(&sid),
        Some(&origin),
    )
    .await;
    let streamer = s.store.streamer("5151").await.unwrap().unwrap();
    assert!(streamer.wanted, "still tracked");
    assert_eq!(streamer.requested_by, shared::store::streamers::PINNED_BY);
}

#[tokio::test]
async fn new_since_you_last_looked_is_counted_from_the_read_marker() {
    use shared::store::{Event, EventStore};
    let s = stack().await;
    let sid = login(&s, "1337").await;
    let origin = ours(&s);
    call(
        &s,
        Method::PUT,
        "/api/me/favourites/user4242",
        Some(&sid),
        Some(&origin),
    )
    .await;
    let event = |n: i64| Event {
        message_id: format!("m{n}"),
        broadcaster_id: "4242".into(),
        event_type: "channel.follow".into(),
        event_version: "2".into(),
        subscription_id: "s".into(),
        received_at_ms: 1_800_000_000_000 + n,
        summary: None,
        payload: "{}".into(),
        recovery: None,
    };
    for n in 0..5 {
        s.store.append_once(&event(n), None).await.unwrap();
    }
    let (_, me) = call(&s, Method::GET, "/api/me", Some(&sid), None).await;
    // Never marked: counted from when it became a favourite (issue 23; it
    // was null, so nothing counted until the first "mark as read").
    assert_eq!(
        me["favourites"][0]["unread"], 5,
        "counted since it was added"
    );
    // Read up to the third event: two are new.
    let page = s.store.recent("4242", 5, None).await.unwrap();
    let third = page.events[2].cursor.encode();
    let (status, _) = call(
        &s,
        Method::PUT,
        &format!("/api/me/favourites/user4242/read?cursor={third}"),
        Some(&sid),
        Some(&origin),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, me) = call(&s, Method::GET, "/api/me", Some(&sid), None).await;
    assert_eq!(me["favourites"][0]["unread"], 2);
    assert_eq!(me["favourites"][0]["read_at_ms"], 1_800_000_000_002i64);
    // Refused: a cursor we never handed out, a streamer not a favourite, another site.
    let (status, _) = call(
        &s,
        Method::PUT,
        "/api/me/favourites/user4242/read?cursor=forged",
        Some(&sid),
        Some(&origin),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(
        &s,
        Method::PUT,
        &format!("/api/me/favourites/user1/read?cursor={third}"),
        Some(&sid),
        Some(&origin),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &s,
        Method::PUT,
        &format!("/api/me/favourites/user4242/read?cursor={third}"),
        Some(&sid),
        Some("https://evil.example"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// The lookup allowance counts in fixed minute windows (`allowance_window`):
/// eleven calls that straddle a boundary would see two allowances, which a
/// loaded machine (seconds per call) makes likely. This waits for a clock
/// boundary when less than half a minute is left, so the calls all fall in
/// one window; it synchronises with nothing else.
async fn start_of_a_fresh_minute() {
    let into_minute = shared::clock::now_ms().rem_euclid(60_000);
    if into_minute > 30_000 {
        let left = u64::try_from(60_000 - into_minute).unwrap_or(0);
        tokio::time::sleep(std::time::Duration::from_millis(left + 50)).await;
    }
}

#[tokio::test]
async fn a_gift_bomb_counts_once_as_new() {
    use shared::store::{Event, EventStore};
    let s = stack().await;
    let sid = login(&s, "1337").await;
    let origin = ours(&s);
    call(
        &s,
        Method::PUT,
        "/api/me/favourites/user4242",
        Some(&sid),
        Some(&origin),
    )
    .await;
    let event = |n: i64, event_type: &str, payload: &str| Event {
        message_id: format!("g{n}"),
        broadcaster_id: "4242".into(),
        event_type: event_type.into(),
        event_version: "1".into(),
        subscription_id: "s".into(),
        received_at_ms: 1_800_000_000_000 + n,
        summary: None,
        payload: payload.into(),
        recovery: None,
    };
    // Twitch sends the gift and one subscribe per recipient, in any order.
    let bomb = [
        event(0, "channel.subscribe", r#"{"is_gift":true,"tier":"1000"}"#),
        event(
            1,
            "channel.subscription.gift",
            r#"{"total":3,"tier":"1000"}"#,
        ),
        event(2, "channel.subscribe", r#"{"is_gift":true,"tier":"1000"}"#),
        event(3, "channel.subscribe", r#"{"is_gift":true,"tier":"1000"}"#),
        // A sub of one's own is news of its own.
        event(4, "channel.subscribe", r#"{"is_gift":false,"tier":"1000"}"#),
    ];
    for e in &bomb {
        s.store.append_once(e, None).await.unwrap();
    }
    let (_, me) = call(&s, Method::GET, "/api/me", Some(&sid), None).await;
    assert_eq!(me["favourites"][0]["unread"], 2, "the gift and the own sub");
}

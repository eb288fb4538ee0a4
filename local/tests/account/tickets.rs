//! WebSocket tickets: who gets one, what a refused subscribe costs, and an
//! overlay key's read-only tickets.

use super::*;

#[tokio::test]
async fn tickets_go_to_logged_in_users_only_and_open_one_socket() {
    let s = stack().await;
    let (status, _) = call(&s, Method::POST, "/api/ws-ticket", None, Some(&ours(&s))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let sid = login(&s, "1337").await;
    let (status, body) = call(
        &s,
        Method::POST,
        "/api/ws-ticket",
        Some(&sid),
        Some(&ours(&s)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let url = format!(
        "ws://{}/ws?ticket={}",
        s.addr,
        body["ticket"].as_str().unwrap()
    );
    let mut ws = support::connect(&url).await;
    send(&mut ws, r#"{"action":"ping"}"#).await;
    assert_eq!(next_json(&mut ws).await["type"], "pong");
    // The same ticket again: refused at the handshake.
    assert!(tokio_tungstenite::connect_async(url.as_str())
        .await
        .is_err());
}

#[tokio::test]
async fn a_refused_subscribe_costs_no_twitch_call() {
    let s = stack().await;
    let sim = s.twitch().sim.clone().unwrap();
    let ticket = s.ticket("1337");
    let mut ws = support::connect(&format!("ws://{}/ws?ticket={ticket}", s.addr)).await;
    // Fill the topic cap with ids the store knows.
    for i in 0..20 {
        s.store
            .want(&Wish {
                broadcaster_id: format!("{}", 8000 + i),
                login: None,
                by: "admin".into(),
                at_ms: 1,
            })
            .await
            .unwrap();
        send(
            &mut ws,
            &format!(r#"{{"action":"subscribe","broadcaster":"{}"}}"#, 8000 + i),
        )
        .await;
        loop {
            let f = next_json(&mut ws).await;
            if f["type"] == "subscribed" {
                break;
            }
        }
    }
    let before = sim.requests("/helix/users");
    for i in 0..100 {
        send(
            &mut ws,
            &format!(
                r#"{{"action":"subscribe","broadcaster":"user{}"}}"#,
                90000 + i
            ),
        )
        .await;
        let f = next_json(&mut ws).await;
        assert_eq!(f["code"], "too_many_topics");
    }
    assert_eq!(
        sim.requests("/helix/users"),
        before,
        "no Get Users for refused subscribes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlay_key_gets_read_only_tickets_for_its_streamer_keeps_its_url_until_reset_and_dies_when_revoked(
) {
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
    // Only for a favourite, only from our own pages.
    let (status, _) = call(
        &s,
        Method::POST,
        "/api/me/favourites/user1/overlay",
        Some(&sid),
        Some(&origin),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &s,
        Method::POST,
        "/api/me/favourites/user4242/overlay",
        Some(&sid),
        Some("https://evil.example"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, made) = call(
        &s,
        Method::POST,
        "/api/me/favourites/user4242/overlay",
        Some(&sid),
        Some(&origin),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let key = made["key"].as_str().unwrap().to_owned();
    assert!(made["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/overlay.html#key={key}")));

    let (status, t) = overlay_ticket(&s, &key).await;
    assert_eq!(
        (status, t["broadcaster"].as_str()),
        (StatusCode::OK, Some("4242"))
    );
    let mut ws = support::connect(&format!(
        "ws://{}/ws?ticket={}",
        s.addr,
        t["ticket"].as_str().unwrap()
    ))
    .await;
    send(&mut ws, r#"{"action":"subscribe","broadcaster":"1337"}"#).await;
    assert_eq!(
        next_json(&mut ws).await["code"],
        "forbidden",
        "its own streamer only"
    );
    send(&mut ws, r#"{"action":"subscribe","broadcaster":"4242"}"#).await;
    assert_eq!(next_json(&mut ws).await["type"], "subscribed");

    // Asked again (another visit): the same URL, still working, so the one
    // in OBS never breaks.
    let (status, again) = call(
        &s,
        Method::POST,
        "/api/me/favourites/user4242/overlay",
        Some(&sid),
        Some(&origin),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((&again["key"], &again["url"]), (&made["key"], &made["url"]));
    assert_eq!(overlay_ticket(&s, &key).await.0, StatusCode::OK);
    // Only a reset replaces it; a revoked one gets nothing.
    let (status, reset) = call(
        &s,
        Method::POST,
        "/api/me/favourites/user4242/overlay/reset",
        Some(&sid),
        Some(&origin),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(overlay_ticket(&s, &key).await.0, StatusCode::UNAUTHORIZED);
    let newer = reset["key"].as_str().unwrap().to_owned();
    assert_ne!(newer, key);
    assert_eq!(overlay_ticket(&s, &newer).await.0, StatusCode::OK);
    let (_, shown) = call(
        &s,
        Method::POST,
        "/api/me/favourites/user4242/overlay",
        Some(&sid),
        Some(&origin),
    )
    .await;
    assert_eq!(
        shown["key"].as_str(),
        Some(newer.as_str()),
        "the reset one from now on"
    );
    let (_, revoked) = call(
        &s,
        Method::DELETE,
        "/api/me/favourites/user4242/overlay",
        Some(&sid),
        Some(&origin),
    )
    .await;
    assert_eq!(revoked["revoked"], true);
    let (status, body) = overlay_ticket(&s, &newer).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_overlay_key"))
    );
    // After a revocation, asking again makes a new one.
    let (status, fresh) = call(
        &s,
        Method::POST,
        "/api/me/favourites/user4242/overlay",
        Some(&sid),
        Some(&origin),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(fresh["key"].as_str(), Some(newer.as_str()));
    assert_eq!(overlay_ticket(&s, "junk").await.0, StatusCode::UNAUTHORIZED);
    let r = client()
        .post(s.http("/api/overlay/ticket"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

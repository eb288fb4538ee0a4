//! Logout and a user's revocation of our app reach what was handed out
//! before them: tickets not used yet, open sockets, overlay keys.

use super::*;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// A ticket as the page gets one for this session.
async fn ticket(s: &Running, sid: &str) -> String {
    let (status, body) = call(s, Method::POST, "/api/ws-ticket", Some(sid), Some(&ours(s))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["ticket"].as_str().unwrap().to_owned()
}

fn ws_url(s: &Running, ticket: &str) -> String {
    format!("ws://{}/ws?ticket={ticket}", s.addr)
}

/// The handshake's answer to `ticket`: 101 when the socket opened.
async fn handshake(s: &Running, ticket: &str) -> u16 {
    match tokio_tungstenite::connect_async(ws_url(s, ticket)).await {
        Ok(_) => 101,
        Err(WsError::Http(r)) => r.status().as_u16(),
        Err(e) => panic!("handshake failed without an HTTP answer: {e}"),
    }
}

/// Subscribes and answers the first frame back.
async fn subscribe(ws: &mut support::Socket, broadcaster: &str) -> Value {
    send(
        ws,
        &format!(r#"{{"action":"subscribe","broadcaster":"{broadcaster}"}}"#),
    )
    .await;
    next_json(ws).await
}

async fn wanted(s: &Running, id: &str) -> bool {
    s.store
        .streamer(id)
        .await
        .unwrap()
        .is_some_and(|x| x.wanted)
}

/// Twitch telling us that `user` disconnected our app, signed, to the webhook.
async fn revoke_at_twitch(s: &Running, user: &str) {
    let now = time::OffsetDateTime::now_utc();
    let channel = shared::eventsub::fixtures::Channel::new(user);
    let mut delivery =
        shared::eventsub::fixtures::notification("user.authorization.revoke", &channel, 0, now);
    let mut body: Value = serde_json::from_str(&delivery.body).unwrap();
    body["event"] =
        serde_json::from_str(shared::eventsub::types::authorization::USER_AUTHORIZATION_REVOKE)
            .unwrap();
    body["event"]["user_id"] = user.into();
    delivery.body = body.to_string();
    let mut r = client()
        .post(s.http("/eventsub"))
        .body(delivery.body.clone());
    for (name, value) in delivery.headers(&support::dev_secret()) {
        r = r.header(name, value);
    }
    assert_eq!(r.send().await.unwrap().status(), StatusCode::NO_CONTENT);
}

/// Whether the server closes `ws` within 10 s (frames before the close are skipped).
async fn closed_by_server(ws: &mut support::Socket) -> bool {
    use futures_util::StreamExt;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return false,
            Ok(None | Some(Ok(Message::Close(_))) | Some(Err(_))) => return true,
            Ok(Some(Ok(_))) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_logout_its_unused_tickets_and_open_sockets_can_no_longer_subscribe_or_track() {
    let s = stack().await;
    let sid = login(&s, "1337").await;
    let unused = ticket(&s, &sid).await;
    let mut ws = support::connect(&ws_url(&s, &ticket(&s, &sid).await)).await;
    // Before: the socket subscribes and has its streamer tracked.
    assert_eq!(subscribe(&mut ws, "4243").await["type"], "subscribed");
    assert!(wanted(&s, "4243").await);

    let (status, _) = call(
        &s,
        Method::POST,
        "/auth/logout",
        Some(&sid),
        Some(&ours(&s)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    assert_eq!(handshake(&s, &unused).await, 401, "the unused ticket");
    assert_eq!(subscribe(&mut ws, "4242").await["code"], "session_ended");
    assert!(
        !wanted(&s, "4242").await,
        "not tracked for a logged-out user"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_closes_the_users_sockets_and_pauses_their_overlays_until_they_log_in() {
    let s = stack().await;
    let origin = ours(&s);
    let sid = login(&s, "1337").await;
    call(
        &s,
        Method::PUT,
        "/api/me/favourites/user4242",
        Some(&sid),
        Some(&origin),
    )
    .await;
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
    assert_eq!(overlay_ticket(&s, &key).await.0, StatusCode::OK);
    let unused = ticket(&s, &sid).await;
    let mut ws = support::connect(&ws_url(&s, &ticket(&s, &sid).await)).await;
    send(&mut ws, r#"{"action":"ping"}"#).await;
    assert_eq!(next_json(&mut ws).await["type"], "pong");

    revoke_at_twitch(&s, "1337").await;

    assert_eq!(handshake(&s, &unused).await, 401, "the unused ticket");
    assert!(closed_by_server(&mut ws).await, "the open socket is closed");
    let (status, body) = overlay_ticket(&s, &key).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("overlay_suspended")),
        "{body}"
    );
    // Logging in again resumes the overlay with the same key.
    login(&s, "1337").await;
    assert_eq!(overlay_ticket(&s, &key).await.0, StatusCode::OK);
}

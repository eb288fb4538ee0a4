//! A broadcaster's grant: recorded (its tokens kept apart from sessions),
//! replaced by a smaller one, kept through a logout, and a user who
//! disconnects the app at Twitch.

use super::*;

#[tokio::test]
async fn a_broadcaster_grant_is_recorded_and_a_smaller_one_replaces_it() {
    let s = stack().await;
    let started = start_login(&s, "?channel=1", "6060", "allow").await;
    let done = finish(&started, Some(&started.login_cookie)).await;
    assert_eq!(done.status(), StatusCode::FOUND);
    // Back on the page, which confirms what the grant lets it receive.
    assert_eq!(done.headers()[LOCATION], "/?granted=1");
    let all = shared::eventsub::catalog::channel_scopes();
    let streamer = s.store.streamer("6060").await.unwrap().unwrap();
    assert!(streamer.wanted);
    assert_eq!(streamer.scopes, all);
    assert_eq!(
        s.store.favourites("6060").await.unwrap()[0].streamer_id,
        "6060"
    );
    // The tokens are the grant's, kept apart from the session (which holds
    // none of its own): one live token at Twitch.
    let first = s.store.grant("6060").await.unwrap().unwrap();
    assert!(all.iter().all(|scope| first.scopes.contains(scope)));
    let sim = s.twitch().sim.clone().unwrap();
    assert_eq!(sim.user_tokens("6060"), 1);

    // Again, granting only the first scope (the authorize URL edited, as a
    // person unticking boxes would): recorded as fewer.
    let c = client();
    let r = c.get(s.http("/auth/login?channel=1")).send().await.unwrap();
    let cookie = set_cookie(&r, "oauth").unwrap();
    let authorize = r.headers()[LOCATION].to_str().unwrap();
    let scope = format!("openid {}", all[0]);
    let (base, query) = authorize.split_once('?').unwrap();
    let query: Vec<String> = query
        .split('&')
        .map(|kv| {
            if kv.starts_with("scope=") {
                format!("scope={}", scope.replace(' ', "%20").replace(':', "%3A"))
            } else {
                kv.to_owned()
            }
        })
        .collect();
    let r = c
        .get(format!(
            "{base}?{}&sim_user=6060&sim_decision=allow",
            query.join("&")
        ))
        .send()
        .await
        .unwrap();
    let callback = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let r = c
        .get(callback)
        .header(COOKIE, format!("oauth={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let streamer = s.store.streamer("6060").await.unwrap().unwrap();
    assert_eq!(streamer.scopes, vec![all[0].clone()]);
    // The new grant replaced the first, whose token was revoked at Twitch.
    let second = s.store.grant("6060").await.unwrap().unwrap();
    assert_ne!(second.tokens, first.tokens);
    assert!(second.scopes.contains(&all[0]));
    assert!(!second.scopes.contains(&all[1]));
    assert_eq!(sim.user_tokens("6060"), 1);
}

#[tokio::test]
async fn a_broadcasters_grant_outlives_their_logout() {
    let s = stack().await;
    let sim = s.twitch().sim.clone().unwrap();
    let started = start_login(&s, "?channel=1", "6060", "allow").await;
    let r = finish(&started, Some(&started.login_cookie)).await;
    let sid = set_cookie(&r, "sid").unwrap();
    let kept = s.store.grant("6060").await.unwrap().unwrap();
    let (status, body) = call(
        &s,
        Method::POST,
        "/auth/logout",
        Some(&sid),
        Some(&ours(&s)),
    )
    .await;
    assert_eq!(
        (status, body["logged_out"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    let (status, _) = call(&s, Method::GET, "/api/me", Some(&sid), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "logged out");
    // The grant, and its token at Twitch, are still there for recovery.
    assert_eq!(s.store.grant("6060").await.unwrap(), Some(kept));
    assert_eq!(sim.user_tokens("6060"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_disconnecting_our_app_at_twitch_is_logged_out_at_once() {
    let s = stack().await;
    let side = s.twitch();
    let sim = side.sim.clone().unwrap();
    // The manager keeps the grant/revoke subscriptions for our client.
    side.manager.sweep(shared::clock::now_ms()).await.unwrap();
    support::wait_until("the revoke subscription enabled", || {
        sim.subscriptions()
            .iter()
            .any(|s| s.kind == "user.authorization.revoke" && s.status.is_working())
    })
    .await;
    let started = start_login(&s, "?channel=1", "6060", "allow").await;
    let r = finish(&started, Some(&started.login_cookie)).await;
    let sid = set_cookie(&r, "sid").unwrap();
    let other = login(&s, "6060").await;
    assert!(s.store.grant("6060").await.unwrap().is_some());
    assert!(!s
        .store
        .streamer("6060")
        .await
        .unwrap()
        .unwrap()
        .scopes
        .is_empty());

    sim.disconnect_and_notify("6060").await;

    for session in [&sid, &other] {
        let (status, _) = call(&s, Method::GET, "/api/me", Some(session), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert!(
        s.store
            .streamer("6060")
            .await
            .unwrap()
            .unwrap()
            .scopes
            .is_empty(),
        "grant forgotten"
    );
    assert_eq!(s.store.grant("6060").await.unwrap(), None, "tokens deleted");
}

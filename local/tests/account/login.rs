//! Logging in: the flow, its state checks, a refusal at Twitch, where it may
//! return to, and sessions that are forged or ended.

use super::*;

#[tokio::test]
async fn a_login_keys_the_user_on_sub_and_starts_a_session() {
    let s = stack().await;
    let started = start_login(&s, "?return_to=%2F%23user777", "1337", "allow").await;
    assert!(query_param(&started.callback, "code").is_some());
    let r = finish(&started, Some(&started.login_cookie)).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(r.headers()[LOCATION], "/#user777");
    let sid = set_cookie(&r, "sid").unwrap();
    assert_eq!(
        set_cookie(&r, "oauth").as_deref(),
        Some(""),
        "login cookie cleared"
    );
    let raw = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert!(raw
        .iter()
        .any(|c| c.starts_with("sid=") && c.contains("HttpOnly") && c.contains("SameSite=Lax")));
    let (status, me) = call(&s, Method::GET, "/api/me", Some(&sid), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["id"], "1337");
    assert_eq!(me["user"]["login"], "user1337");
    // Only the hash of the cookie is stored.
    assert!(s.store.session(&sid, 0).await.unwrap().is_none());
    let hash = shared::auth::sha256_hex(&sid);
    assert!(s.store.session(&hash, 0).await.unwrap().is_some());
    // Every login gets a new session id.
    assert_ne!(login(&s, "1337").await, sid);
}

#[tokio::test]
async fn a_state_is_single_use_and_bound_to_the_browser_that_started_it() {
    let s = stack().await;
    // No login cookie: refused, and the state is spent.
    let started = start_login(&s, "", "1337", "allow").await;
    let r = finish(&started, None).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(set_cookie(&r, "sid").is_none());
    let r = finish(&started, Some(&started.login_cookie)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "the state was spent");

    // Another login's cookie: refused.
    let a = start_login(&s, "", "1337", "allow").await;
    let b = start_login(&s, "", "1337", "allow").await;
    let r = finish(&a, Some(&b.login_cookie)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Replayed after success: refused.
    let ok = start_login(&s, "", "1337", "allow").await;
    assert_eq!(
        finish(&ok, Some(&ok.login_cookie)).await.status(),
        StatusCode::FOUND
    );
    let again = finish(&ok, Some(&ok.login_cookie)).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(set_cookie(&again, "sid").is_none());

    // A state we never issued, or none at all.
    let forged = ok.callback.replace("state=", "state=x");
    let r = client()
        .get(forged)
        .header(COOKIE, format!("oauth={}", ok.login_cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = client()
        .get(s.http("/auth/callback?code=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(page.contains("<h1"), "a page a person can read");
}

#[tokio::test]
async fn a_refusal_at_twitch_is_a_friendly_page_not_a_session() {
    let s = stack().await;
    let started = start_login(&s, "", "1337", "deny").await;
    assert_eq!(
        query_param(&started.callback, "error").as_deref(),
        Some("access_denied")
    );
    let r = finish(&started, Some(&started.login_cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(set_cookie(&r, "sid").is_none());
    assert!(r.text().await.unwrap().contains("You did not log in"));
}

#[tokio::test]
async fn return_to_cannot_leave_the_site() {
    let s = stack().await;
    for bad in [
        "%2F%2Fevil.example",
        "https%3A%2F%2Fevil.example%2F",
        "%2F%5Cevil.example",
        "%2F%09%2Fevil.example",
    ] {
        let r = client()
            .get(s.http(&format!("/auth/login?return_to={bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.headers().get(LOCATION).is_none());
    }
}

#[tokio::test]
async fn forged_and_ended_sessions_are_nobody() {
    let s = stack().await;
    let (status, body) = call(
        &s,
        Method::GET,
        "/api/me",
        Some("forged-cookie-value"),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("not_logged_in"))
    );
    let sid = login(&s, "1337").await;
    let sim = s.twitch().sim.clone().unwrap();
    assert_eq!(sim.user_tokens("1337"), 1);
    // Logout from another site is refused; from ours it works.
    let (status, _) = call(
        &s,
        Method::POST,
        "/auth/logout",
        Some(&sid),
        Some("https://evil.example"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
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
    assert_eq!(sim.user_tokens("1337"), 0, "the Twitch token was revoked");
    let (status, _) = call(&s, Method::GET, "/api/me", Some(&sid), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_memory_stack_keeps_its_sessions_through_the_hourly_sweep() {
    // The stack `local serve --db :memory:` runs; SESSION_KEY unset, so the
    // key is made for this process.
    let store = support::memory_store();
    let secret = support::dev_secret();
    let mut swept = None;
    let s = support::serve(store.clone(), |addr| {
        let side = local::twitch::LocalTwitch::new(
            local::twitch::Twitch::Sim(twitch_sim::SimConfig::default()),
            &format!("http://{addr}"),
            secret.clone(),
            store.clone(),
            ADMIN.into(),
        )
        .unwrap();
        let (settings, _) = local::settings::StackSettings::for_db(
            ":memory:",
            secret,
            Some(support::sim_tickets()),
        )
        .unwrap();
        let stack = local::stack::Stack::build(
            settings,
            store.clone(),
            addr,
            Some(std::sync::Arc::new(side)),
        );
        swept = Some(local::periodic::SessionSweep::of(&stack));
        stack
    })
    .await;
    let sweep = swept.unwrap();
    let sid = login(&s, "4242").await;
    let hash = shared::auth::sha256_hex(&sid);

    // Two hours on, the session is due: its sealed tokens must open.
    let later = shared::clock::now_ms() / 1000 + 2 * 3600;
    let report = sweep.once(later).await.unwrap();
    assert_eq!((report.checked, report.ended), (1, 0), "{report:?}");
    assert!(s.store.session(&hash, later).await.unwrap().is_some());
    let (status, me) = call(&s, Method::GET, "/api/me", Some(&sid), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["id"], "4242");
}

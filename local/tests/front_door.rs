//! The front door over real HTTP on the local stack, against the simulated
//! id.twitch.tv: the login flow and every way it must refuse (state missing,
//! reused, mismatched or not bound to the browser; a refusal at Twitch; open
//! redirects), sessions (forged, ended), the Origin check, per-user caps
//! checked before any Twitch call, tickets, logout, and a broadcaster's grant.

mod support;

use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use shared::store::streamers::{StreamerStore, Wish};
use shared::store::users::UserStore;
use support::{next_json, send, Running};

const ADMIN: &str = "admin-token-for-the-front-door-0123456789";

async fn stack() -> Running {
    support::sim_stack(support::dev_secret(), ADMIN).await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

/// The value of `name` among a response's `Set-Cookie` headers.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers().get_all(SET_COOKIE).iter().find_map(|v| {
        let v = v.to_str().ok()?;
        let (pair, _) = v.split_once(';').unwrap_or((v, ""));
        let (k, val) = pair.split_once('=')?;
        (k == name).then(|| val.to_owned())
    })
}

fn query_param(url: &str, key: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded_pairs(query)
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn form_urlencoded_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        let v = v.replace('+', " ");
        Some((k.to_owned(), percent_decode(&v)))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A login started in a browser: the login cookie and Twitch's answer for
/// `user` deciding `decision` (the callback URL, not yet visited).
struct Started {
    login_cookie: String,
    callback: String,
}

async fn start_login(s: &Running, query: &str, user: &str, decision: &str) -> Started {
    let c = client();
    let r = c
        .get(s.http(&format!("/auth/login{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let login_cookie = set_cookie(&r, "oauth").expect("a login-state cookie");
    let authorize = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let r = c
        .get(format!(
            "{authorize}&sim_user={user}&sim_decision={decision}"
        ))
        .send()
        .await
        .unwrap();
    let callback = r.headers()[LOCATION].to_str().unwrap().to_owned();
    Started {
        login_cookie,
        callback,
    }
}

/// Visits the callback with `cookie` (or none).
async fn finish(started: &Started, cookie: Option<&str>) -> reqwest::Response {
    let mut r = client().get(&started.callback);
    if let Some(c) = cookie {
        r = r.header(COOKIE, format!("oauth={c}"));
    }
    r.send().await.unwrap()
}

/// A full login of `user`: the session cookie's value.
async fn login(s: &Running, user: &str) -> String {
    let started = start_login(s, "", user, "allow").await;
    let r = finish(&started, Some(&started.login_cookie)).await;
    assert_eq!(r.status(), StatusCode::FOUND, "{:?}", r.text().await);
    set_cookie(&r, "sid").expect("a session cookie")
}

/// A request as the page would send it: the session cookie and our Origin.
async fn call(
    s: &Running,
    method: Method,
    path: &str,
    sid: Option<&str>,
    origin: Option<&str>,
) -> (StatusCode, Value) {
    let mut r = client()
        .request(method, s.http(path))
        .header("content-type", "application/json");
    if let Some(sid) = sid {
        r = r.header(COOKIE, format!("sid={sid}"));
    }
    if let Some(o) = origin {
        r = r.header(ORIGIN, o);
    }
    let r = r.body("{}").send().await.unwrap();
    let status = r.status();
    let body = serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null);
    (status, body)
}

fn ours(s: &Running) -> String {
    format!("http://{}", s.addr)
}

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
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
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
async fn state_changing_routes_refuse_a_foreign_or_missing_origin() {
    let s = stack().await;
    let sid = login(&s, "1337").await;
    for origin in [Some("https://evil.example"), Some("null"), None] {
        for (method, path) in [
            (Method::PUT, "/api/me/favourites/1337"),
            (Method::DELETE, "/api/me/favourites/1337"),
            (Method::POST, "/api/ws-ticket"),
        ] {
            let (status, body) = call(&s, method.clone(), path, Some(&sid), origin).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} {origin:?}");
            assert_eq!(body["error"], "forbidden");
        }
    }
    assert!(
        s.store.favourites("1337").await.unwrap().is_empty(),
        "nothing stored"
    );
}

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

#[tokio::test]
async fn a_broadcaster_grant_is_recorded_and_a_smaller_one_replaces_it() {
    let s = stack().await;
    let started = start_login(&s, "?channel=1", "6060", "allow").await;
    assert_eq!(
        finish(&started, Some(&started.login_cookie)).await.status(),
        StatusCode::FOUND
    );
    let all = shared::eventsub::catalog::channel_scopes();
    let streamer = s.store.streamer("6060").await.unwrap().unwrap();
    assert!(streamer.wanted);
    assert_eq!(streamer.scopes, all);
    assert_eq!(
        s.store.favourites("6060").await.unwrap()[0].streamer_id,
        "6060"
    );

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
    };
    for n in 0..5 {
        s.store.append_once(&event(n), None).await.unwrap();
    }
    let (_, me) = call(&s, Method::GET, "/api/me", Some(&sid), None).await;
    assert_eq!(me["favourites"][0]["unread"], Value::Null, "never marked");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlay_key_gets_read_only_tickets_for_its_streamer_until_revoked() {
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

    let ticket_for = |key: String| {
        let url = s.http("/api/overlay/ticket");
        async move {
            let r = client()
                .post(url)
                .header("content-type", "application/json")
                .body(serde_json::json!({"key": key}).to_string())
                .send()
                .await
                .unwrap();
            let status = r.status();
            (
                status,
                serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap_or(Value::Null),
            )
        }
    };
    let (status, t) = ticket_for(key.clone()).await;
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

    // A new key replaces it; a revoked one gets nothing.
    let (_, again) = call(
        &s,
        Method::POST,
        "/api/me/favourites/user4242/overlay",
        Some(&sid),
        Some(&origin),
    )
    .await;
    assert_eq!(ticket_for(key).await.0, StatusCode::UNAUTHORIZED);
    let newer = again["key"].as_str().unwrap().to_owned();
    assert_eq!(ticket_for(newer.clone()).await.0, StatusCode::OK);
    let (_, revoked) = call(
        &s,
        Method::DELETE,
        "/api/me/favourites/user4242/overlay",
        Some(&sid),
        Some(&origin),
    )
    .await;
    assert_eq!(revoked["revoked"], true);
    let (status, body) = ticket_for(newer).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_overlay_key"))
    );
    assert_eq!(ticket_for("junk".into()).await.0, StatusCode::UNAUTHORIZED);
    let r = client()
        .post(s.http("/api/overlay/ticket"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_dns_rebinding_page_is_refused_by_its_host_name() {
    let s = stack().await;
    let get = |host: String| {
        let url = s.http("/api/live");
        async move {
            client()
                .get(url)
                .header(reqwest::header::HOST, host)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let port = s.addr.port();
    assert_eq!(get(format!("127.0.0.1:{port}")).await, StatusCode::OK);
    assert_eq!(get(format!("localhost:{port}")).await, StatusCode::OK);
    assert_eq!(
        get(format!("rebound.evil.example:{port}")).await,
        StatusCode::MISDIRECTED_REQUEST
    );
    assert_eq!(
        get("localhost:1".into()).await,
        StatusCode::MISDIRECTED_REQUEST
    );
}

#[tokio::test]
async fn the_simulator_cannot_be_driven_by_a_page_or_aimed_elsewhere() {
    use shared::helix::config::ClientSecret;
    use shared::helix::eventsub::NewSubscription;
    use shared::helix::{Helix, HelixConfig};
    let s = stack().await;
    // A bodyless POST any page could send: refused without the control header.
    let r = client()
        .post(s.http("/sim/deliver?type=channel.raid&broadcaster=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = client()
        .post(s.http("/sim/users/1337/disconnect"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Its fixed credentials cannot make the stack POST to another port.
    let sim = s.twitch().sim.clone().unwrap();
    let helix = Helix::new(HelixConfig::at(
        &s.http("/helix"),
        &s.http("/oauth2"),
        &sim.config().client_id,
        ClientSecret::new(sim.config().client_secret.clone()),
    ))
    .unwrap();
    let elsewhere = NewSubscription::webhook(
        "stream.online",
        "1",
        [("broadcaster_user_id".to_owned(), "1337".to_owned())].into(),
        "http://127.0.0.1:1/eventsub",
        &support::dev_secret(),
    );
    let refused = helix.create_subscription(&elsewhere).await;
    assert!(
        matches!(&refused, Err(e) if e.status() == Some(400)),
        "{refused:?}"
    );
    assert!(sim.subscriptions().is_empty());
}

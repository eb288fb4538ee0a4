//! The account routes and the page's routes through the handler, with the
//! API Gateway–shaped samples in `events/api/account/` (what `sam local invoke`
//! would send): each answered as a browser and the page expect, none a 5xx,
//! and nothing that reaches Twitch (its URL here answers nobody).

use std::sync::Arc;

use api::account::AccountRoutes;
use api::site::Site;
use api::ApiState;
use lambda_http::http::StatusCode;
use lambda_http::Body;
use shared::auth::cookies::CookiePolicy;
use shared::auth::seal::SealKey;
use shared::config::Retention;
use shared::helix::config::ClientSecret;
use shared::helix::login::Login;
use shared::helix::{Helix, HelixConfig};
use shared::store::sqlite::{Durability, SqliteStore};
use shared::store::users::{FavouriteStore, LoginStore, OverlayStore, SessionStore};
use shared::ticket::TicketKey;

const WS: &str = "wss://ws123.execute-api.us-east-1.amazonaws.com/prod";

fn state() -> (ApiState, Arc<SqliteStore>) {
    let store = Arc::new(
        SqliteStore::open(":memory:", Durability::PowerLoss, Retention::default()).unwrap(),
    );
    // Port 9 (discard) on loopback: nothing here may need Twitch.
    let helix = Arc::new(
        Helix::new(HelixConfig::at(
            "http://127.0.0.1:9/helix",
            "http://127.0.0.1:9/oauth2",
            "sample-client-id",
            ClientSecret::new("sample-client-secret"),
        ))
        .unwrap(),
    );
    let account = AccountRoutes {
        users: store.clone(),
        streamers: store.clone(),
        snapshots: store.clone(),
        events: store.clone(),
        login: Arc::new(Login::new(Arc::clone(&helix))),
        helix,
        seal: SealKey::from_bytes(&[9; 32]),
        cookies: CookiePolicy { secure: true },
        site_url: None,
        extra_origins: vec![],
        tickets: TicketKey::new(b"door-sample-ticket-key-0123456789").unwrap(),
        websocket_url: WS.into(),
        open: false,
        channel_scopes: shared::eventsub::catalog::channel_scopes(),
        max_favourites: 50,
        lookups_per_minute: 10,
        budgets: shared::config::Budgets::default(),
        sockets: None,
    };
    let state = ApiState {
        events: store.clone(),
        streamers: store.clone(),
        snapshots: store.clone(),
        gaps: store.clone(),
        admin_token: "a-token".into(),
        account: Some(account),
        site: Some(Site {
            websocket_url: WS.into(),
            open: false,
            embeds: true,
            dir: None,
        }),
    };
    (state, store)
}

fn sample(name: &str) -> lambda_http::Request {
    let path = format!(
        "{}/../../events/api/account/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    lambda_http::request::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn text(body: &Body) -> String {
    match body {
        Body::Text(t) => t.clone(),
        Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    }
}

#[tokio::test]
async fn every_account_sample_gets_the_answer_a_browser_expects() {
    let (state, _) = state();
    let expected = [
        ("auth-login.json", StatusCode::FOUND),
        ("auth-login-channel.json", StatusCode::FOUND),
        ("auth-callback-denied.json", StatusCode::OK),
        ("auth-logout.json", StatusCode::OK),
        ("get-me.json", StatusCode::UNAUTHORIZED),
        ("put-favourite.json", StatusCode::UNAUTHORIZED),
        ("delete-favourite.json", StatusCode::UNAUTHORIZED),
        ("post-ws-ticket.json", StatusCode::UNAUTHORIZED),
        ("post-overlay-shown.json", StatusCode::UNAUTHORIZED),
        ("get-page.json", StatusCode::OK),
        ("get-config.json", StatusCode::OK),
        ("get-docs.json", StatusCode::OK),
    ];
    let dir = format!("{}/../../events/api/account", env!("CARGO_MANIFEST_DIR"));
    let on_disk = std::fs::read_dir(dir).unwrap().count();
    assert_eq!(on_disk, expected.len(), "every sample has its expectation");
    for (name, status) in expected {
        let r = api::handle(&state, sample(name)).await;
        assert_eq!(r.status(), status, "{name}: {}", text(r.body()));
    }
}

#[tokio::test]
async fn login_redirects_to_twitch_with_a_state_bound_to_a_lax_host_cookie() {
    let (state, store) = state();
    let r = api::handle(&state, sample("auth-login-channel.json")).await;
    let location = r.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("http://127.0.0.1:9/oauth2/authorize?client_id=sample-client-id&"));
    assert!(location.contains(
        "redirect_uri=https%3A%2F%2Fabc123.execute-api.us-east-1.amazonaws.com%2Fauth%2Fcallback"
    ));
    assert!(
        location.contains("scope=openid%20"),
        "channel scopes after openid"
    );
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-oauth="));
    for attr in [
        "Path=/",
        "HttpOnly",
        "SameSite=Lax",
        "Max-Age=600",
        "Secure",
    ] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    // The state in the URL is the cookie's, and only its hash is stored.
    let state_param = location
        .split('&')
        .find_map(|kv| kv.strip_prefix("state="))
        .unwrap();
    assert!(cookie.starts_with(&format!("__Host-oauth={state_param};")));
    let now = shared::clock::now_ms() / 1000;
    assert!(store.take_login(state_param, now).await.unwrap().is_none());
    let taken = store
        .take_login(&shared::auth::sha256_hex(state_param), now)
        .await
        .unwrap()
        .unwrap();
    assert!(taken.channel);
}

#[tokio::test]
async fn the_page_comes_with_its_config_and_a_strict_policy() {
    let (state, _) = state();
    let page = api::handle(&state, sample("get-page.json")).await;
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    // The page connects to its own origin and its WebSocket API, nowhere else.
    assert!(
        csp.contains("connect-src 'self' wss://ws123.execute-api.us-east-1.amazonaws.com;"),
        "{csp}"
    );
    assert!(page.headers().contains_key("etag"));
    let config: serde_json::Value = serde_json::from_str(&text(
        api::handle(&state, sample("get-config.json")).await.body(),
    ))
    .unwrap();
    assert_eq!(config["websocket_url"], WS);
    assert_eq!(config["ticket_url"], "/api/ws-ticket");
    assert_eq!(config["login_url"], "/auth/login");
    // Revalidation: the same ETag is a 304 without a body.
    let mut again = sample("get-page.json");
    let etag = page.headers()["etag"].clone();
    again.headers_mut().insert("if-none-match", etag);
    let r = api::handle(&state, again).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert!(text(r.body()).is_empty());
}

/// A GET of `path` with the given `Accept-Encoding` (none: `None`).
fn get(path: &str, accept_encoding: Option<&str>) -> lambda_http::Request {
    let mut builder = lambda_http::http::Request::builder().uri(path);
    if let Some(v) = accept_encoding {
        builder = builder.header("accept-encoding", v);
    }
    builder.body(Body::Empty).unwrap()
}

#[tokio::test]
async fn the_api_reference_and_its_renderer_come_gzipped_under_a_policy_of_their_own() {
    let (state, _) = state();
    let page = api::handle(&state, sample("get-docs.json")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    // The sample's browser takes gzip, and the page is over 1 KB.
    assert_eq!(page.headers()["content-encoding"], "gzip");
    let Body::Binary(gz) = page.body() else {
        panic!("the docs page is not binary")
    };
    let html = gunzip(gz);
    // Swagger UI's script is loaded by docs.js when asked for, not by the page.
    assert!(html.contains(r#"src="docs/docs.js""#), "{html}");
    assert!(!html.contains("swagger-ui-bundle.js"), "{html}");
    // Only this origin, data: icons; no inline code, no Twitch frames, no WebSocket.
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert_eq!(
        csp,
        "default-src 'self'; img-src 'self' data:; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    );
    for (path, kind, starts) in [
        (
            "/api/docs/swagger-ui-bundle.js",
            "text/javascript; charset=utf-8",
            "/*! For license information",
        ),
        (
            "/api/docs/swagger-ui.css",
            "text/css; charset=utf-8",
            ".swagger-ui",
        ),
    ] {
        let r = api::handle(&state, get(path, Some("gzip, deflate, br, zstd"))).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["content-type"], kind, "{path}");
        assert_eq!(r.headers()["content-encoding"], "gzip", "{path}");
        assert_eq!(r.headers()["vary"], "Accept-Encoding", "{path}");
        assert_eq!(r.headers()["content-security-policy"], csp, "{path}");
        assert!(r.headers().contains_key("etag"), "{path}");
        let Body::Binary(gz) = r.body() else {
            panic!("{path}: not binary")
        };
        // The gzip magic, and a gunzip (the system's) gives the file.
        assert_eq!(&gz[..2], [0x1f, 0x8b], "{path}");
        let plain = gunzip(gz);
        assert!(plain.starts_with(starts), "{path}: {}", &plain[..80]);
        // A client that takes no gzip is told so, not sent bytes it cannot read.
        for refusing in [None, Some("identity"), Some("gzip;q=0, br")] {
            let r = api::handle(&state, get(path, refusing)).await;
            assert_eq!(
                r.status(),
                StatusCode::NOT_ACCEPTABLE,
                "{path} {refusing:?}"
            );
            assert!(text(r.body()).contains(r#""error":"not_acceptable""#));
        }
    }
    let licence = api::handle(&state, get("/api/docs/LICENSE.txt", None)).await;
    assert_eq!(
        licence.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    assert!(text(licence.body()).contains("Apache License"));
    // The main page keeps its own policy.
    let main = api::handle(&state, sample("get-page.json")).await;
    assert!(main.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-src https://player.twitch.tv"));
}

fn gunzip(gz: &[u8]) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("gzip")
        .arg("-dc")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Fed from a thread: gzip's output fills its pipe long before its input ends.
    let mut stdin = child.stdin.take().unwrap();
    let input = gz.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn the_page_s_files_and_the_openapi_document_come_gzipped_when_the_browser_takes_it() {
    let (state, _) = state();
    let web = format!("{}/../../web", env!("CARGO_MANIFEST_DIR"));
    let on_disk = |file: &str| std::fs::read_to_string(format!("{web}/{file}")).unwrap();
    let openapi = api::OPENAPI.to_owned();
    for (path, file) in [
        ("/", on_disk("index.html")),
        ("/js/app.js", on_disk("js/app.js")),
        ("/style.css", on_disk("style.css")),
        ("/api/openapi.json", openapi),
    ] {
        let packed = api::handle(&state, get(path, Some("gzip, deflate, br, zstd"))).await;
        assert_eq!(packed.status(), StatusCode::OK, "{path}");
        assert_eq!(packed.headers()["content-encoding"], "gzip", "{path}");
        assert_eq!(packed.headers()["vary"], "Accept-Encoding", "{path}");
        let Body::Binary(gz) = packed.body() else {
            panic!("{path}: not binary")
        };
        assert_eq!(gunzip(gz), file, "{path}: gunzipped, the file");
        assert!(
            gz.len() * 2 < file.len(),
            "{path}: {} of {} bytes",
            gz.len(),
            file.len()
        );
        // Asked again: the copy made once is sent again.
        let again = api::handle(&state, get(path, Some("gzip"))).await;
        assert_eq!(again.body(), packed.body(), "{path}");
        // Without gzip: the file as it is, under the same Vary.
        for refusing in [None, Some("identity"), Some("gzip;q=0, br")] {
            let plain = api::handle(&state, get(path, refusing)).await;
            assert_eq!(plain.status(), StatusCode::OK, "{path} {refusing:?}");
            assert!(
                !plain.headers().contains_key("content-encoding"),
                "{path} {refusing:?}"
            );
            assert_eq!(plain.headers()["vary"], "Accept-Encoding", "{path}");
            assert_eq!(text(plain.body()), file, "{path} {refusing:?}");
            if let (Some(a), Some(b)) = (plain.headers().get("etag"), packed.headers().get("etag"))
            {
                assert_ne!(a, b, "{path}: each encoding has its own ETag");
            }
        }
    }
}

/// A `POST` of `body` to `path`, as an OBS browser source sends it.
fn post(path: &str, body: serde_json::Value) -> lambda_http::Request {
    lambda_http::http::Request::builder()
        .method("POST")
        .uri(format!(
            "https://abc123.execute-api.us-east-1.amazonaws.com{path}"
        ))
        .header("host", "abc123.execute-api.us-east-1.amazonaws.com")
        .header("content-type", "application/json")
        .body(Body::Text(body.to_string()))
        .unwrap()
}

async fn json_of(
    state: &ApiState,
    request: lambda_http::Request,
) -> (StatusCode, serde_json::Value) {
    let r = api::handle(state, request).await;
    let body = serde_json::from_str(&text(r.body())).unwrap();
    (r.status(), body)
}

fn cursor_at(ms: i64, id: &str) -> String {
    shared::store::Cursor::of(&shared::store::Event {
        message_id: id.into(),
        broadcaster_id: "777".into(),
        event_type: "channel.cheer".into(),
        event_version: "1".into(),
        subscription_id: "s".into(),
        received_at_ms: ms,
        summary: None,
        payload: "{}".into(),
        recovery: None,
    })
    .encode()
}

#[tokio::test]
async fn an_overlay_resumes_where_its_key_last_showed_an_alert_never_earlier() {
    let (state, store) = state();
    let fav = shared::store::users::Favourite {
        streamer_id: "777".into(),
        login: "user777".into(),
        added_at_ms: 1,
        read_cursor: None,
        overlay: false,
        overlay_sealed: None,
    };
    store.add_favourite("42", &fav, 50).await.unwrap();
    let key = "overlay-key-for-777";
    store
        .set_overlay(
            "42",
            "777",
            Some(shared::store::users::OverlayKey {
                hash: shared::auth::sha256_hex(key),
                sealed: "not needed for tickets".into(),
            }),
        )
        .await
        .unwrap();
    let before = shared::clock::now_ms();

    // The first ticket fixes where alerts start: that moment, no event id.
    let (status, first) = json_of(
        &state,
        post("/api/overlay/ticket", serde_json::json!({"key": key})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["broadcaster"], "777");
    let start = first["resume_after"]["received_at_ms"].as_i64().unwrap();
    assert!(
        start >= before && start <= shared::clock::now_ms(),
        "{first}"
    );
    assert!(first["resume_after"]["id"].is_null());

    // Shown alerts move it forward; an older one (another overlay with the
    // same key, behind) and a repeat do not.
    let shown = |cursor: String| {
        post(
            "/api/overlay/shown",
            serde_json::json!({"key": key, "cursor": cursor}),
        )
    };
    let (status, a) = json_of(&state, shown(cursor_at(before + 20, "b"))).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(
        a["resume_after"],
        serde_json::json!({"received_at_ms": before + 20, "id": "b"})
    );
    for older in [cursor_at(before + 10, "a"), cursor_at(before + 20, "b")] {
        let (status, b) = json_of(&state, shown(older)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(b["resume_after"]["id"], "b");
    }
    // A reload's ticket carries it.
    let (_, again) = json_of(
        &state,
        post("/api/overlay/ticket", serde_json::json!({"key": key})),
    )
    .await;
    assert_eq!(again["resume_after"], a["resume_after"]);

    // Bad input is a 400 that changes nothing; a wrong key is 401.
    for (body, code) in [
        (
            serde_json::json!({"key": key, "cursor": "nope"}),
            StatusCode::BAD_REQUEST,
        ),
        (serde_json::json!({"key": key}), StatusCode::BAD_REQUEST),
        (
            serde_json::json!({"key": key, "cursor": cursor_at(before + 3_600_000, "z")}),
            StatusCode::BAD_REQUEST,
        ),
        (
            serde_json::json!({"key": "not-a-key", "cursor": cursor_at(before + 30, "c")}),
            StatusCode::UNAUTHORIZED,
        ),
    ] {
        let (status, e) = json_of(&state, post("/api/overlay/shown", body.clone())).await;
        assert_eq!(status, code, "{body}: {e}");
        assert!(e["error"].is_string(), "{e}");
    }
    let (_, kept) = json_of(
        &state,
        post("/api/overlay/ticket", serde_json::json!({"key": key})),
    )
    .await;
    assert_eq!(kept["resume_after"], a["resume_after"], "nothing moved it");

    // Revoked: the key records nothing more.
    store.set_overlay("42", "777", None).await.unwrap();
    let (status, _) = json_of(&state, shown(cursor_at(before + 40, "d"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Logs user 42 in: a live session whose cookie value is `cookie`.
async fn log_in(store: &SqliteStore, cookie: &str) {
    use shared::store::users::{Session, User};
    let now = shared::clock::now_ms() / 1000;
    store
        .put_user(&User {
            id: "42".into(),
            login: "viewer42".into(),
            display_name: "Viewer42".into(),
            picture: None,
            scopes: vec![],
            created_at_s: now,
        })
        .await
        .unwrap();
    store
        .create_session(&Session {
            hash: shared::auth::sha256_hex(cookie),
            user_id: "42".into(),
            created_at_s: now,
            expires_at_s: now + 3600,
            tokens: None,
            validated_at_s: now,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn favourite_paths_ending_like_a_sub_resource_are_answered_never_a_crash() {
    let (state, store) = state();
    log_in(&store, "a-session").await;
    let site = "https://abc123.execute-api.us-east-1.amazonaws.com";
    // `read` and `overlay` alone are where the suffix and the prefix
    // overlap; the others have an empty login.
    let paths = [
        "/api/me/favourites/read",
        "/api/me/favourites/overlay",
        "/api/me/favourites/",
        "/api/me/favourites//read",
        "/api/me/favourites//overlay",
        "/api/me/favourites/read/read",
        "/api/me/favourites/overlay/overlay",
    ];
    for session in [None, Some("a-session")] {
        for path in paths {
            for method in ["GET", "PUT", "POST", "DELETE", "PATCH"] {
                let mut builder = lambda_http::http::Request::builder()
                    .method(method)
                    .uri(format!("{site}{path}"))
                    .header("host", "abc123.execute-api.us-east-1.amazonaws.com")
                    .header("origin", site);
                if let Some(s) = session {
                    builder = builder.header("cookie", format!("__Host-sid={s}"));
                }
                let r = api::handle(&state, builder.body(Body::Empty).unwrap()).await;
                let body = text(r.body());
                let what = format!("{method} {path} (session {session:?}): {body}");
                // `read` and `overlay` are valid logins: a session may add,
                // remove (an idempotent 200) or look them up (Twitch,
                // unreachable here, is a 503 "try again").
                assert!(
                    !r.status().is_server_error() || r.status() == StatusCode::SERVICE_UNAVAILABLE,
                    "{} {what}",
                    r.status()
                );
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                assert!(v.is_object(), "{what}");
                if session.is_none() {
                    assert!(
                        [StatusCode::UNAUTHORIZED, StatusCode::METHOD_NOT_ALLOWED]
                            .contains(&r.status()),
                        "{} {what}",
                        r.status()
                    );
                }
            }
        }
    }
}

/// `PUT /api/me/favourites/{segment}` from our own page with `session`.
fn put_favourite(segment: &str, session: &str) -> lambda_http::Request {
    let site = "https://abc123.execute-api.us-east-1.amazonaws.com";
    lambda_http::http::Request::builder()
        .method("PUT")
        .uri(format!("{site}/api/me/favourites/{segment}"))
        .header("host", "abc123.execute-api.us-east-1.amazonaws.com")
        .header("origin", site)
        .header("cookie", format!("__Host-sid={session}"))
        .body(Body::Empty)
        .unwrap()
}

#[tokio::test]
async fn past_the_deployments_new_tracks_an_hour_a_new_favourite_is_429_deployment_busy() {
    use shared::store::streamers::{StreamerStore, Wish};
    let (mut state, store) = state();
    state.account.as_mut().unwrap().budgets.new_tracks_per_hour = 1;
    log_in(&store, "a-session").await;
    // Known to the store (no Twitch call); 800 tracked, 801 and 802 not.
    for id in ["800", "801", "802"] {
        let wish = Wish {
            broadcaster_id: id.into(),
            login: Some(format!("user{id}")),
            by: "admin".into(),
            at_ms: 1,
        };
        store.want(&wish).await.unwrap();
        if id != "800" {
            store.release(id, 2).await.unwrap();
        }
    }
    let (status, _) = json_of(&state, put_favourite("801", "a-session")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = json_of(&state, put_favourite("802", "a-session")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("deployment_busy")),
        "{body}"
    );
    assert!(!store.streamer("802").await.unwrap().unwrap().wanted);
    assert_eq!(store.favourites("42").await.unwrap().len(), 1);
    // A streamer already tracked is still a favourite away.
    let (status, _) = json_of(&state, put_favourite("800", "a-session")).await;
    assert_eq!(status, StatusCode::CREATED);
}

/// A Helix client of a simulated Twitch whose bucket holds `points`.
async fn simulated_helix(points: u32) -> (Arc<twitch_sim::Sim>, Arc<Helix>) {
    let config = twitch_sim::SimConfig {
        rate_limit_per_minute: points,
        ..Default::default()
    };
    let (id, secret) = (config.client_id.clone(), config.client_secret.clone());
    let sim = twitch_sim::Sim::new(config);
    let base = sim.spawn().await.unwrap();
    let helix = Helix::new(HelixConfig::at(
        &format!("{base}/helix"),
        &format!("{base}/oauth2"),
        &id,
        ClientSecret::new(secret),
    ))
    .unwrap();
    (sim, Arc::new(helix))
}

#[tokio::test]
async fn a_favourite_lookup_while_twitchs_rate_limit_is_under_its_reserve_is_429_busy() {
    use shared::store::streamers::{StreamerStore, Wish};
    let (mut state, store) = state();
    let (sim, helix) = simulated_helix(20).await;
    {
        let account = state.account.as_mut().unwrap();
        account.helix = helix;
        // Under 18 of the bucket's 20 points, lookups wait.
        account.budgets.helix_reserve_percent = 90;
    }
    log_in(&store, "a-session").await;
    let mut refused = None;
    for i in 0..10 {
        let (status, body) = json_of(
            &state,
            put_favourite(&format!("user{}", 7000 + i), "a-session"),
        )
        .await;
        if status != StatusCode::CREATED {
            refused = Some((status, body));
            break;
        }
    }
    let lookups = sim.requests("/helix/users");
    let (status, body) = refused.expect("a lookup is refused before the allowance is spent");
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("deployment_busy")),
        "{body}"
    );
    assert_eq!(lookups, 3, "refused before asking Twitch");
    // A streamer the store knows costs no lookup: still added.
    let known = Wish {
        broadcaster_id: "800".into(),
        login: Some("user800".into()),
        by: "admin".into(),
        at_ms: 1,
    };
    store.want(&known).await.unwrap();
    let (status, _) = json_of(&state, put_favourite("user800", "a-session")).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_config_says_whether_a_session_cookie_came_so_a_visitor_is_not_asked_who_they_are() {
    let (state, _store) = state();
    for (cookie, sent) in [
        (None, false),
        (Some("sid=abc"), true),
        (Some("__Host-sid=abc"), true),
        (Some("theme=dark; sid=abc"), true),
        (Some("sid="), false),
        (Some("sidx=abc"), false),
    ] {
        let mut request = get("/config.json", None);
        if let Some(cookie) = cookie {
            request
                .headers_mut()
                .insert("cookie", cookie.parse().unwrap());
        }
        let r = api::handle(&state, request).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["vary"], "Cookie", "{cookie:?}");
        let config: serde_json::Value = serde_json::from_str(&text(r.body())).unwrap();
        assert_eq!(config["session_cookie"], sent, "{cookie:?}");
    }
}

/// The frames posted to sockets, by connection id: what open overlays got.
#[derive(Default)]
struct Posted(std::sync::Mutex<Vec<(String, serde_json::Value)>>);

#[async_trait::async_trait]
impl shared::push::Push for Posted {
    async fn post(&self, id: &str, frame: &[u8]) -> Result<(), shared::push::PushError> {
        let v = serde_json::from_slice(frame).unwrap();
        self.0.lock().unwrap().push((id.to_owned(), v));
        Ok(())
    }

    async fn close(&self, _id: &str) -> Result<(), shared::push::PushError> {
        Ok(())
    }
}

impl Posted {
    fn take(&self) -> Vec<(String, serde_json::Value)> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

/// A request from our own page with user 42's session.
fn as_user(method: &str, path: &str, body: Option<serde_json::Value>) -> lambda_http::Request {
    let site = "https://abc123.execute-api.us-east-1.amazonaws.com";
    lambda_http::http::Request::builder()
        .method(method)
        .uri(format!("{site}{path}"))
        .header("host", "abc123.execute-api.us-east-1.amazonaws.com")
        .header("origin", site)
        .header("cookie", "__Host-sid=overlay-session")
        .header("content-type", "application/json")
        .body(body.map_or(Body::Empty, |b| Body::Text(b.to_string())))
        .unwrap()
}

/// A socket opened with `key` for streamer 777 (`suffix` `:dock` for the
/// recent-events dock), as `$connect` records it.
async fn overlay_socket(store: &SqliteStore, id: &str, key: &str, suffix: &str) {
    use shared::store::connections::{ConnectionStore, NewConnection};
    let hash = shared::auth::sha256_hex(key);
    let principal = shared::ticket::overlay_principal("777", shared::ticket::overlay_key_id(&hash));
    store
        .connect(&NewConnection {
            id: id.into(),
            principal: format!("{principal}{suffix}"),
            session: None,
            connected_at_ms: shared::clock::now_ms(),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn overlay_settings_a_test_alert_and_the_queue_reach_the_open_overlays_of_that_url_only() {
    let (mut state, store) = state();
    let posted = Arc::new(Posted::default());
    state.account.as_mut().unwrap().sockets = Some(shared::push::Sockets {
        connections: store.clone(),
        push: posted.clone(),
    });
    log_in(&store, "overlay-session").await;
    let fav = shared::store::users::Favourite::new("777", "user777", 1);
    store.add_favourite("42", &fav, 50).await.unwrap();
    let base = "/api/me/favourites/user777/overlay";
    let (status, made) = json_of(&state, as_user("POST", base, None)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let key = made["key"].as_str().unwrap().to_owned();
    // Two overlays open with this URL, its dock, one with another key.
    overlay_socket(&store, "obs-1", &key, "").await;
    overlay_socket(&store, "obs-2", &key, "").await;
    overlay_socket(&store, "dock", &key, ":dock").await;
    overlay_socket(&store, "old-url", "another-key", "").await;

    // The defaults until changed: alerts, not feed material.
    let (status, got) = json_of(&state, as_user("GET", &format!("{base}/settings"), None)).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    let types = got["settings"]["types"].as_array().unwrap();
    assert!(types.contains(&"channel.follow".into()), "{got}");
    assert!(!types.contains(&"channel.update".into()), "{got}");

    let wanted = serde_json::json!({"types": ["channel.raid", "channel.cheer"], "min_bits": 100,
        "min_viewers": 5, "min_gifts": 0, "duration_s": 9, "sound": false, "volume": 30, "position": "bottom", "alert_recovered": true});
    let (status, put) = json_of(
        &state,
        as_user("PUT", &format!("{base}/settings"), Some(wanted.clone())),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{put}");
    assert_eq!(put["settings"], wanted);
    assert_eq!(put["overlays_reached"], 2);
    let mut frames = posted.take();
    frames.sort_by(|a, b| a.0.cmp(&b.0));
    let ids: Vec<&str> = frames.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["obs-1", "obs-2"], "only this URL's overlays");
    assert_eq!(frames[0].1["type"], "overlay_settings");
    assert_eq!(frames[0].1["settings"], wanted);

    // Kept: read back, and carried by the next ticket.
    let (_, got) = json_of(&state, as_user("GET", &format!("{base}/settings"), None)).await;
    assert_eq!(got["settings"], wanted);
    let (_, ticket) = json_of(
        &state,
        post("/api/overlay/ticket", serde_json::json!({"key": key})),
    )
    .await;
    assert_eq!(ticket["settings"], wanted, "{ticket}");
    let (status, e) = json_of(
        &state,
        post(
            "/api/overlay/ticket",
            serde_json::json!({"key": key, "purpose": "spy"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    let (status, _) = json_of(
        &state,
        post(
            "/api/overlay/ticket",
            serde_json::json!({"key": key, "purpose": "dock"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Bad settings: a 400 naming the field; nothing stored, nothing sent.
    for (body, field) in [
        (serde_json::json!({"duration_s": 1}), "duration_s"),
        (serde_json::json!({"volume": 101}), "volume"),
        (serde_json::json!({"types": ["channel.nope"]}), "types"),
        (serde_json::json!({"min_bits": -1}), "min_bits"),
        (serde_json::json!({"colour": "red"}), "settings"),
    ] {
        let (status, e) = json_of(
            &state,
            as_user("PUT", &format!("{base}/settings"), Some(body.clone())),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {e}");
        assert!(
            e["message"].as_str().unwrap().starts_with(field),
            "{body}: {e}"
        );
    }
    let (_, got) = json_of(&state, as_user("GET", &format!("{base}/settings"), None)).await;
    assert_eq!(got["settings"], wanted, "unchanged");
    assert!(posted.take().is_empty());

    // A test alert: the type's documented sample, as this channel's.
    let (status, sent) = json_of(
        &state,
        as_user(
            "POST",
            &format!("{base}/test"),
            Some(serde_json::json!({"type": "channel.cheer"})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert_eq!(sent["overlays_reached"], 2);
    let frames = posted.take();
    let test = &frames[0].1;
    assert_eq!(test["type"], "overlay_test");
    assert_eq!(test["event_type"], "channel.cheer");
    assert_eq!(test["event"]["broadcaster_user_login"], "user777");
    assert!(
        test["summary"]["text"]
            .as_str()
            .unwrap()
            .contains("cheered"),
        "{test}"
    );
    let (status, _) = json_of(&state, as_user("POST", &format!("{base}/test"), None)).await;
    assert_eq!(status, StatusCode::OK, "no body: a follow");
    assert_eq!(posted.take()[0].1["event_type"], "channel.follow");
    let (status, e) = json_of(
        &state,
        as_user(
            "POST",
            &format!("{base}/test"),
            Some(serde_json::json!({"type": "channel.nope"})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");

    // The queue: pause, skip, replay, resume; anything else is a 400.
    for action in ["pause", "skip", "replay", "resume"] {
        let (status, _) = json_of(
            &state,
            as_user(
                "POST",
                &format!("{base}/control"),
                Some(serde_json::json!({"action": action})),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{action}");
        let frames = posted.take();
        assert_eq!(frames.len(), 2);
        assert_eq!(
            frames[0].1,
            serde_json::json!({"type": "overlay_control", "action": action})
        );
    }
    for body in [
        serde_json::json!({"action": "explode"}),
        serde_json::json!({"action": 3}),
        serde_json::json!({}),
    ] {
        let (status, e) = json_of(
            &state,
            as_user("POST", &format!("{base}/control"), Some(body.clone())),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {e}");
        assert!(e["message"].as_str().unwrap().starts_with("action"), "{e}");
    }
    assert!(posted.take().is_empty());

    // Reset URL: the old URL's overlays hear nothing more; settings stay.
    let (status, _) = json_of(&state, as_user("POST", &format!("{base}/reset"), None)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, sent) = json_of(&state, as_user("POST", &format!("{base}/test"), None)).await;
    assert_eq!(sent["overlays_reached"], 0);
    let (_, got) = json_of(&state, as_user("GET", &format!("{base}/settings"), None)).await;
    assert_eq!(got["settings"], wanted);

    // Not logged in, another site, another's favourite.
    let mut anonymous = as_user("PUT", &format!("{base}/settings"), Some(wanted.clone()));
    anonymous.headers_mut().remove("cookie");
    assert_eq!(json_of(&state, anonymous).await.0, StatusCode::UNAUTHORIZED);
    let mut forged = as_user("POST", &format!("{base}/test"), None);
    forged
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    assert_eq!(json_of(&state, forged).await.0, StatusCode::FORBIDDEN);
    let (status, _) = json_of(
        &state,
        as_user("GET", "/api/me/favourites/user999/overlay/settings", None),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

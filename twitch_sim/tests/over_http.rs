//! The Twitch simulator over real HTTP: tokens, Helix auth and rate limits,
//! users, streams, EventSub subscriptions, the challenge, and signed deliveries
//! to a callback server that checks every signature.

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use shared::config::EventSubSecret;
use shared::eventsub::verify::signature_header;
use tokio::sync::mpsc;
use twitch_sim::{Failure, Sim, SimConfig, SimError, SimSubscription};

const SECRET: &str = "a-callback-secret-for-tests";

/// A running simulator, a client and a token for it.
struct Twitch {
    sim: Arc<Sim>,
    base: String,
    http: reqwest::Client,
    token: String,
}

async fn start(config: SimConfig) -> Twitch {
    let sim = Sim::new(config);
    let base = sim.spawn().await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut twitch = Twitch {
        sim,
        base,
        http,
        token: String::new(),
    };
    twitch.token = twitch.new_token().await;
    twitch
}

/// Status, headers and JSON body (Null when empty or not JSON).
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

impl Twitch {
    async fn new_token(&self) -> String {
        let body =
            "client_id=sim-client-id&client_secret=sim-client-secret&grant_type=client_credentials";
        let a = self.oauth_token(body, "").await;
        assert_eq!(a.status, 200, "{}", a.body);
        a.body["access_token"].as_str().unwrap().to_owned()
    }

    async fn oauth_token(&self, form: &str, query: &str) -> Answer {
        let response = self
            .http
            .post(format!("{}/oauth2/token{query}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned())
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    fn helix(&self, method: reqwest::Method, path_and_query: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/helix{path_and_query}", self.base))
            .header("authorization", format!("Bearer {}", self.token))
            .header("client-id", "sim-client-id")
    }

    async fn get(&self, path_and_query: &str) -> Answer {
        answer(
            self.helix(reqwest::Method::GET, path_and_query)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn create(&self, body: Value) -> Answer {
        let request = self
            .helix(reqwest::Method::POST, "/eventsub/subscriptions")
            .header("content-type", "application/json")
            .body(body.to_string());
        answer(request.send().await.unwrap()).await
    }

    async fn delete(&self, id: &str) -> Answer {
        let path = format!("/eventsub/subscriptions?id={id}");
        answer(
            self.helix(reqwest::Method::DELETE, &path)
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}

fn create_body(kind: &str, version: &str, condition: Value, callback: &str) -> Value {
    json!({
        "type": kind,
        "version": version,
        "condition": condition,
        "transport": {"method": "webhook", "callback": callback, "secret": SECRET},
    })
}

/// What the callback saw: one signed POST.
#[derive(Debug)]
struct Received {
    headers: HeaderMap,
    body: Value,
    signature_ok: bool,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

#[derive(Clone)]
struct CallbackState {
    echo_challenge: bool,
    seen: mpsc::UnboundedSender<Received>,
}

async fn callback_handler(
    State(state): State<CallbackState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let secret = EventSubSecret::new(SECRET).unwrap();
    let expected = signature_header(
        &secret,
        &header("twitch-eventsub-message-id"),
        &header("twitch-eventsub-message-timestamp"),
        &body,
    );
    let signature_ok = expected == header("twitch-eventsub-message-signature");
    let json: Value = serde_json::from_slice(&body).unwrap();
    let is_challenge = header("twitch-eventsub-message-type") == "webhook_callback_verification";
    let challenge = json["challenge"].as_str().unwrap_or("").to_owned();
    let _ = state.seen.send(Received {
        headers,
        body: json,
        signature_ok,
    });
    if !signature_ok {
        return StatusCode::FORBIDDEN.into_response();
    }
    match (is_challenge, state.echo_challenge) {
        (true, true) => ([("content-type", "text/plain")], challenge).into_response(),
        (true, false) => {
            ([("content-type", "text/plain")], format!("{challenge}\n")).into_response()
        }
        (false, _) => StatusCode::NO_CONTENT.into_response(),
    }
}

/// A callback on 127.0.0.1 that echoes challenges (or answers them wrongly).
async fn callback(echo_challenge: bool) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (seen, received) = mpsc::unbounded_channel();
    let app = Router::new()
        .route("/eventsub", post(callback_handler))
        .with_state(CallbackState {
            echo_challenge,
            seen,
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/eventsub", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

/// Polls the simulator until subscription `id` has `status`.
async fn wait_for_status(sim: &Sim, id: &str, status: &str) {
    support::wait_until(&format!("subscription {id} to become {status}"), || {
        sim.subscriptions()
            .iter()
            .any(|s| s.id == id && s.status == status)
    })
    .await;
}

async fn next(received: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(5), received.recv())
        .await
        .expect("the callback got nothing within 5 s")
        .unwrap()
}

fn planted(kind: &str, broadcaster: &str, callback: &str) -> SimSubscription {
    SimSubscription::new(
        kind,
        "1",
        json!({"broadcaster_user_id": broadcaster}),
        callback,
        SECRET,
    )
}

#[tokio::test]
async fn an_app_token_is_issued_for_the_right_secret_and_validates() {
    let twitch = start(SimConfig::default()).await;
    let validated = answer(
        twitch
            .http
            .get(format!("{}/oauth2/validate", twitch.base))
            .header("authorization", format!("OAuth {}", twitch.token))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(validated.status, 200);
    assert_eq!(validated.body["client_id"], "sim-client-id");
    assert_eq!(validated.body["scopes"], json!([]));
    assert!(validated.body["expires_in"].as_u64().unwrap() > 4_000_000);

    let in_query = twitch
        .oauth_token(
            "",
            "?client_id=sim-client-id&client_secret=sim-client-secret&grant_type=client_credentials",
        )
        .await;
    assert_eq!(in_query.status, 200);
    assert_eq!(in_query.body["token_type"], "bearer");

    let wrong = twitch
        .oauth_token(
            "client_id=sim-client-id&client_secret=nope&grant_type=client_credentials",
            "",
        )
        .await;
    assert_eq!(wrong.status, 403);
    assert_eq!(
        wrong.body,
        json!({"status": 403, "message": "invalid client secret"})
    );
    let missing = twitch.oauth_token("client_id=sim-client-id", "").await;
    assert_eq!(missing.status, 400);
}

#[tokio::test]
async fn helix_answers_401_without_a_matching_client_id_or_after_invalidation() {
    let twitch = start(SimConfig::default()).await;
    let url = format!("{}/helix/users?id=1", twitch.base);
    let bearer = format!("Bearer {}", twitch.token);
    let cases = [
        twitch.http.get(&url).header("authorization", &bearer),
        twitch
            .http
            .get(&url)
            .header("authorization", &bearer)
            .header("client-id", "someone-else"),
        twitch.http.get(&url).header("client-id", "sim-client-id"),
    ];
    for request in cases {
        let a = answer(request.send().await.unwrap()).await;
        assert_eq!(a.status, 401);
        assert_eq!(a.body["error"], "Unauthorized");
        assert_eq!(a.body["status"], 401);
    }
    assert_eq!(twitch.get("/users?id=1").await.status, 200);

    twitch.sim.invalidate_tokens();
    assert_eq!(twitch.get("/users?id=1").await.status, 401);
    let validated = twitch
        .http
        .get(format!("{}/oauth2/validate", twitch.base))
        .header("authorization", bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(validated.status().as_u16(), 401);
}

#[tokio::test]
async fn users_are_found_by_id_and_login_up_to_100_together() {
    let twitch = start(SimConfig::default()).await;
    let a = twitch
        .get("/users?id=141981764&login=user12826&login=nobody&id=12345678901234")
        .await;
    assert_eq!(a.status, 200);
    let data = a.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "{data:?}");
    assert_eq!(data[0]["id"], "141981764");
    assert_eq!(data[0]["login"], "user141981764");
    assert_eq!(data[0]["display_name"], "User141981764");
    assert_eq!(data[1]["id"], "12826");
    for field in [
        "type",
        "broadcaster_type",
        "description",
        "profile_image_url",
        "offline_image_url",
        "created_at",
    ] {
        assert!(data[0][field].is_string(), "{field} missing");
    }

    let query: Vec<String> = (1..=101).map(|i| format!("id={i}")).collect();
    assert_eq!(
        twitch
            .get(&format!("/users?{}", query.join("&")))
            .await
            .status,
        400
    );
    assert_eq!(twitch.get("/users").await.status, 400);
}

#[tokio::test]
async fn streams_come_most_viewed_first_and_pages_cover_every_live_channel() {
    let config = SimConfig {
        live_streams: 250,
        viewer_drift: false,
        ..SimConfig::default()
    };
    let twitch = start(config).await;
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = twitch.get(&format!("/streams?first=100{after}")).await;
        assert_eq!(page.status, 200);
        let data = page.body["data"].as_array().unwrap().clone();
        let viewers: Vec<u64> = data
            .iter()
            .map(|s| s["viewer_count"].as_u64().unwrap())
            .collect();
        assert!(viewers.windows(2).all(|w| w[0] >= w[1]), "{viewers:?}");
        seen.extend(
            data.iter()
                .map(|s| s["user_id"].as_str().unwrap().to_owned()),
        );
        match page.body["pagination"]["cursor"].as_str() {
            Some(cursor) => after = format!("&after={cursor}"),
            None => {
                assert_eq!(page.body["pagination"], json!({}));
                break;
            }
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 250);

    let default = twitch.get("/streams").await;
    let first = &default.body["data"][0];
    assert_eq!(default.body["data"].as_array().unwrap().len(), 20);
    assert_eq!(first["type"], "live");
    assert_eq!(first["tag_ids"], json!([]));
    assert_eq!(first["is_mature"], false);
    assert!(first["thumbnail_url"]
        .as_str()
        .unwrap()
        .contains("{width}x{height}"));
    for bad in ["first=0", "first=101", "first=ten", "after=garbage"] {
        assert_eq!(twitch.get(&format!("/streams?{bad}")).await.status, 400);
    }
}

#[tokio::test]
async fn a_sweep_while_viewers_drift_repeats_some_streams_but_each_page_is_sorted() {
    let twitch = start(SimConfig {
        live_streams: 300,
        ..SimConfig::default()
    })
    .await;
    let mut seen = Vec::new();
    let mut after = String::new();
    for _ in 0..10 {
        let page = twitch.get(&format!("/streams?first=100{after}")).await;
        let data = page.body["data"].as_array().unwrap().clone();
        let viewers: Vec<u64> = data
            .iter()
            .map(|s| s["viewer_count"].as_u64().unwrap())
            .collect();
        assert!(viewers.windows(2).all(|w| w[0] >= w[1]), "{viewers:?}");
        seen.extend(
            data.iter()
                .map(|s| s["user_id"].as_str().unwrap().to_owned()),
        );
        // Jump well into the drift between pages.
        twitch.sim.advance_clock(Duration::from_secs(90));
        match page.body["pagination"]["cursor"].as_str() {
            Some(cursor) => after = format!("&after={cursor}"),
            None => break,
        }
    }
    let total = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(total, 300, "offset paging returns the population's size");
    assert!(
        seen.len() < 300,
        "drift between pages repeats some streams (and so skips others)"
    );
}

fn viewer_counts(data: &Value) -> Vec<(String, u64)> {
    let mut counts: Vec<(String, u64)> = data
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let id = s["user_id"].as_str().unwrap().to_owned();
            (id, s["viewer_count"].as_u64().unwrap())
        })
        .collect();
    counts.sort();
    counts
}

#[tokio::test]
async fn viewer_counts_of_chosen_live_channels_drift_and_offline_ones_are_absent() {
    let twitch = start(SimConfig::default()).await;
    let ids = "user_id=100000&user_id=100001&user_id=100002&user_login=user100003&user_id=5";
    let before = twitch.get(&format!("/streams?{ids}")).await.body["data"].clone();
    twitch.sim.advance_clock(Duration::from_secs(120));
    let later = twitch.get(&format!("/streams?{ids}")).await.body["data"].clone();
    let users: Vec<String> = viewer_counts(&before).into_iter().map(|(u, _)| u).collect();
    assert_eq!(users, ["100000", "100001", "100002", "100003"]);
    assert_ne!(viewer_counts(&before), viewer_counts(&later));
}

#[tokio::test]
async fn a_revocation_reaches_the_callback_and_ends_deliveries() {
    let twitch = start(SimConfig::default()).await;
    let (url, mut received) = callback(true).await;
    let sub = planted("stream.online", "3", &url);
    twitch.sim.insert_subscription(sub.clone());
    assert_eq!(
        twitch
            .sim
            .revoke(&sub.id, "authorization_revoked")
            .await
            .unwrap(),
        204
    );
    let revocation = next(&mut received).await;
    assert!(revocation.signature_ok);
    assert_eq!(
        revocation.header("twitch-eventsub-message-type"),
        "revocation"
    );
    assert_eq!(
        revocation.body["subscription"]["status"],
        "authorization_revoked"
    );
    assert!(revocation.body.get("event").is_none());
    assert!(matches!(
        twitch.sim.deliver(&sub.id).await,
        Err(SimError::NotEnabled { .. })
    ));
}

#[tokio::test]
async fn a_subscription_is_pending_then_enabled_once_the_callback_echoes_the_challenge() {
    let twitch = start(SimConfig::default()).await;
    let (url, mut received) = callback(true).await;
    let a = twitch
        .create(create_body(
            "stream.online",
            "1",
            json!({"broadcaster_user_id": "1337"}),
            &url,
        ))
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
    let sub = &a.body["data"][0];
    assert_eq!(sub["status"], "webhook_callback_verification_pending");
    assert_eq!(sub["cost"], 1);
    assert_eq!(
        sub["transport"],
        json!({"method": "webhook", "callback": url})
    );
    assert_eq!(a.body["total"], 1);
    assert_eq!(a.body["total_cost"], 1);
    assert_eq!(a.body["max_total_cost"], 10_000);
    assert!(a.headers.contains_key("ratelimit-remaining"));
    let id = sub["id"].as_str().unwrap();

    let challenge = next(&mut received).await;
    assert!(challenge.signature_ok);
    assert_eq!(
        challenge.header("twitch-eventsub-message-type"),
        "webhook_callback_verification"
    );
    assert_eq!(
        challenge.header("twitch-eventsub-subscription-type"),
        "stream.online"
    );
    assert_eq!(
        challenge.header("twitch-eventsub-subscription-version"),
        "1"
    );
    assert_eq!(challenge.header("twitch-eventsub-message-retry"), "0");
    assert!(challenge.body["challenge"].is_string());
    assert_eq!(challenge.body["subscription"]["id"], id);
    wait_for_status(&twitch.sim, id, "enabled").await;
}

#[tokio::test]
async fn a_callback_that_answers_the_challenge_wrongly_fails_verification() {
    let twitch = start(SimConfig::default()).await;
    let (url, _received) = callback(false).await;
    let a = twitch
        .create(create_body(
            "stream.offline",
            "1",
            json!({"broadcaster_user_id": "1337"}),
            &url,
        ))
        .await;
    let id = a.body["data"][0]["id"].as_str().unwrap();
    wait_for_status(&twitch.sim, id, "webhook_callback_verification_failed").await;
}

#[tokio::test]
async fn the_same_type_version_and_condition_twice_is_409() {
    let twitch = start(SimConfig::default()).await;
    let (url, _received) = callback(true).await;
    let body = create_body(
        "channel.update",
        "2",
        json!({"broadcaster_user_id": "42"}),
        &url,
    );
    assert_eq!(twitch.create(body.clone()).await.status, 202);
    let again = twitch.create(body).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.body["error"], "Conflict");
}

#[tokio::test]
async fn a_scoped_type_is_403_until_the_broadcaster_authorizes_and_then_costs_0() {
    let twitch = start(SimConfig::default()).await;
    let (url, _received) = callback(true).await;
    let body = create_body(
        "channel.follow",
        "2",
        json!({"broadcaster_user_id": "77", "moderator_user_id": "77"}),
        &url,
    );
    let refused = twitch.create(body.clone()).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.body["error"], "Forbidden");

    twitch.sim.authorize("77", &["moderator:read:followers"]);
    let accepted = twitch.create(body).await;
    assert_eq!(accepted.status, 202);
    assert_eq!(accepted.body["data"][0]["cost"], 0);
    // Any authorization from the broadcaster also makes open types free.
    let online = twitch
        .create(create_body(
            "stream.online",
            "1",
            json!({"broadcaster_user_id": "77"}),
            &url,
        ))
        .await;
    assert_eq!(online.body["data"][0]["cost"], 0);
}

#[tokio::test]
async fn malformed_creates_are_400_with_a_reason() {
    let twitch = start(SimConfig::default()).await;
    let (url, _received) = callback(true).await;
    let b = json!({"broadcaster_user_id": "1"});
    // Rejected before any challenge is sent, so nothing leaves 127.0.0.1.
    let mut short_secret = create_body("stream.online", "1", b.clone(), &url);
    short_secret["transport"]["secret"] = json!("short");
    let cases = [
        create_body(
            "stream.online",
            "1",
            b.clone(),
            "http://example.com/eventsub",
        ),
        create_body(
            "stream.online",
            "1",
            b.clone(),
            "https://example.com:8443/x",
        ),
        create_body("channel.follow", "1", b.clone(), &url),
        create_body("channel.follow", "2", b.clone(), &url),
        create_body(
            "stream.online",
            "1",
            json!({"broadcaster_user_id": "not-a-user"}),
            &url,
        ),
        create_body("channel.raid", "1", json!({}), &url),
        short_secret,
        json!({"type": "stream.online", "version": 1}),
    ];
    for body in cases {
        let a = twitch.create(body.clone()).await;
        assert_eq!(a.status, 400, "{body}");
        assert_eq!(a.body["error"], "Bad Request");
        assert!(a.body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn going_over_max_total_cost_is_403() {
    let twitch = start(SimConfig {
        max_total_cost: 1,
        ..SimConfig::default()
    })
    .await;
    let (url, _received) = callback(true).await;
    let online = |id: &str| {
        create_body(
            "stream.online",
            "1",
            json!({"broadcaster_user_id": id}),
            &url,
        )
    };
    assert_eq!(twitch.create(online("1")).await.status, 202);
    let over = twitch.create(online("2")).await;
    assert_eq!(over.status, 403);
}

#[tokio::test]
async fn too_many_with_one_type_and_condition_is_twitchs_429_with_points_left() {
    let twitch = start(SimConfig::default()).await;
    let (url, _received) = callback(true).await;
    let condition = json!({"broadcaster_user_id": "42"});
    // Three that Twitch no longer lists but still counts (RFC 0014's limit).
    for _ in 0..3 {
        twitch.sim.orphan("stream.online", "1", condition.clone());
    }
    let refused = twitch
        .create(create_body("stream.online", "1", condition, &url))
        .await;
    assert_eq!(
        (refused.status, refused.body.clone()),
        (
            429,
            json!({
                "error": "Too Many Requests",
                "status": 429,
                "message": "maximum subscriptions with type and condition exceeded"
            })
        )
    );
    let remaining: u32 = refused.headers["ratelimit-remaining"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(remaining > 0, "not the rate limit");
    // Another condition is not affected.
    let other = create_body(
        "stream.online",
        "1",
        json!({"broadcaster_user_id": "43"}),
        &url,
    );
    assert_eq!(twitch.create(other).await.status, 202);
}

#[tokio::test]
async fn list_filters_are_mutually_exclusive_and_each_one_filters() {
    let twitch = start(SimConfig::default()).await;
    let offline = planted("stream.offline", "5", "http://127.0.0.1:9/x");
    twitch
        .sim
        .insert_subscription(planted("stream.online", "5", "http://127.0.0.1:9/x"));
    twitch.sim.insert_subscription(offline.clone());
    twitch.sim.set_status(&offline.id, "authorization_revoked");

    let both = twitch
        .get("/eventsub/subscriptions?type=stream.online&status=enabled")
        .await;
    assert_eq!(both.status, 400);
    for query in [
        "type=stream.online",
        "status=enabled",
        &format!("subscription_id={}", offline.id),
    ] {
        let a = twitch
            .get(&format!("/eventsub/subscriptions?{query}"))
            .await;
        assert_eq!(a.status, 200);
        assert_eq!(a.body["data"].as_array().unwrap().len(), 1, "{query}");
        assert_eq!(a.body["total"], 2);
    }
    let by_user = twitch.get("/eventsub/subscriptions?user_id=5").await;
    assert_eq!(by_user.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        twitch
            .get("/eventsub/subscriptions?status=bogus")
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn the_list_pages_oldest_first() {
    let twitch = start(SimConfig {
        list_page_size: 2,
        ..SimConfig::default()
    })
    .await;
    let start = time::OffsetDateTime::now_utc();
    let planted: Vec<SimSubscription> = (0..5)
        .map(|i| SimSubscription {
            created_at: start + time::Duration::seconds(i),
            ..planted("stream.online", &i.to_string(), "http://127.0.0.1:9/x")
        })
        .collect();
    // Planted newest first: the list must still come back oldest first.
    for sub in planted.iter().rev() {
        twitch.sim.insert_subscription(sub.clone());
    }
    let mut ids = Vec::new();
    let mut after = String::new();
    let mut pages = 0;
    loop {
        let page = twitch.get(&format!("/eventsub/subscriptions{after}")).await;
        pages += 1;
        let data = page.body["data"].as_array().unwrap();
        assert!(data.len() <= 2);
        ids.extend(data.iter().map(|s| s["id"].as_str().unwrap().to_owned()));
        match page.body["pagination"]["cursor"].as_str() {
            Some(c) => after = format!("?after={c}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = planted.iter().map(|s| s.id.clone()).collect();
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn delete_is_204_then_404_and_a_deleted_subscription_gets_nothing() {
    let twitch = start(SimConfig::default()).await;
    let sub = planted("stream.online", "9", "http://127.0.0.1:9/x");
    twitch.sim.insert_subscription(sub.clone());
    assert_eq!(twitch.delete(&sub.id).await.status, 204);
    let gone = twitch.delete(&sub.id).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.body["error"], "Not Found");
    assert_eq!(
        answer(
            twitch
                .helix(reqwest::Method::DELETE, "/eventsub/subscriptions")
                .send()
                .await
                .unwrap()
        )
        .await
        .status,
        400
    );
    assert!(matches!(
        twitch.sim.deliver(&sub.id).await,
        Err(SimError::UnknownSubscription(_))
    ));
}

#[tokio::test]
async fn a_delivery_is_signed_and_a_redelivery_keeps_its_message_id() {
    let twitch = start(SimConfig::default()).await;
    let (url, mut received) = callback(true).await;
    let sub = SimSubscription::new(
        "channel.raid",
        "1",
        json!({"to_broadcaster_user_id": "4242"}),
        &url,
        SECRET,
    );
    twitch.sim.insert_subscription(sub.clone());

    let (status, message_id) = twitch.sim.deliver(&sub.id).await.unwrap();
    assert_eq!(status, 204);
    let first = next(&mut received).await;
    assert!(first.signature_ok);
    assert_eq!(first.header("twitch-eventsub-message-id"), message_id);
    assert_eq!(first.header("twitch-eventsub-message-type"), "notification");
    assert_eq!(first.body["subscription"]["id"], sub.id.as_str());
    assert_eq!(
        first.body["subscription"]["condition"],
        json!({"to_broadcaster_user_id": "4242"})
    );
    assert_eq!(first.body["event"]["to_broadcaster_user_id"], "4242");
    assert_eq!(first.body["event"]["to_broadcaster_user_login"], "user4242");

    assert_eq!(
        twitch.sim.redeliver(&sub.id, &message_id).await.unwrap(),
        204
    );
    let again = next(&mut received).await;
    assert!(again.signature_ok);
    assert_eq!(again.header("twitch-eventsub-message-id"), message_id);
    assert_eq!(again.header("twitch-eventsub-message-retry"), "1");
    assert_eq!(again.body, first.body);
}

#[tokio::test]
async fn traffic_reaches_enabled_subscriptions_only() {
    let twitch = start(SimConfig::default()).await;
    let (url, mut received) = callback(true).await;
    let enabled = planted("stream.online", "1", &url);
    let revoked = planted("stream.offline", "1", &url);
    twitch.sim.insert_subscription(enabled.clone());
    twitch.sim.insert_subscription(revoked.clone());
    twitch.sim.set_status(&revoked.id, "authorization_revoked");

    let traffic = twitch.sim.start_traffic(200.0);
    for _ in 0..10 {
        let got = next(&mut received).await;
        assert!(got.signature_ok);
        assert_eq!(got.body["subscription"]["id"], enabled.id.as_str());
    }
    traffic.abort();
}

#[tokio::test]
async fn an_injected_429_carries_the_rate_limit_headers() {
    let twitch = start(SimConfig::default()).await;
    twitch.sim.fail_next(
        "/helix/streams",
        Failure::RateLimited { reset_in_secs: 7 },
        1,
    );
    twitch
        .sim
        .fail_next("/helix/users", Failure::Status(503), 1);
    let throttled = twitch.get("/streams").await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.body["error"], "Too Many Requests");
    let header =
        |a: &Answer, name: &str| -> u64 { a.headers[name].to_str().unwrap().parse().unwrap() };
    assert_eq!(header(&throttled, "ratelimit-remaining"), 0);
    assert_eq!(header(&throttled, "ratelimit-limit"), 800);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let reset = header(&throttled, "ratelimit-reset");
    assert!((now + 6..=now + 8).contains(&reset), "{reset} vs {now}");

    assert_eq!(twitch.get("/users?id=1").await.status, 503);
    let fine = twitch.get("/streams").await;
    assert_eq!(fine.status, 200);
    assert!(header(&fine, "ratelimit-remaining") < 800);
    assert_eq!(twitch.sim.requests("/helix/streams"), 2);
}

#[tokio::test]
async fn an_empty_bucket_is_429_until_it_refills() {
    let twitch = start(SimConfig {
        rate_limit_per_minute: 3,
        ..SimConfig::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(twitch.get("/users?id=1").await.status, 200);
    }
    let empty = twitch.get("/users?id=1").await;
    assert_eq!(empty.status, 429);
    assert_eq!(empty.headers["ratelimit-remaining"], "0");
    twitch.sim.advance_clock(Duration::from_secs(20));
    assert_eq!(twitch.get("/users?id=1").await.status, 200);
}

#[tokio::test]
async fn plain_gets_to_made_up_paths_and_stale_codes_do_not_grow_the_simulator() {
    let twitch = start(SimConfig {
        redirect_uris: vec!["http://127.0.0.1:9/auth/callback".into()],
        ..SimConfig::default()
    })
    .await;
    // What any web page can make a browser send (`<img src=...>`).
    for i in 0..2_000 {
        twitch
            .http
            .get(format!("{}/helix/made-up-{i}", twitch.base))
            .send()
            .await
            .unwrap();
    }
    let (counters, _) = twitch.sim.tables();
    assert!(
        counters <= 20,
        "{counters} request counters for a handful of routes"
    );
    // Counted per route, the made-up ones together.
    assert_eq!(twitch.sim.requests("/helix/streams"), 0);

    let no_redirects = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let authorize = || {
        no_redirects
            .get(format!(
                "{}/oauth2/authorize?client_id=sim-client-id&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fauth%2Fcallback\
                 &response_type=code&scope=openid&state=s&sim_user=1&sim_decision=allow",
                twitch.base
            ))
            .send()
    };
    for _ in 0..3 {
        let r = authorize().await.unwrap();
        assert!(r.status().is_redirection(), "{:?}", r.text().await);
    }
    assert_eq!(twitch.sim.tables().1, 3);
    // Ten minutes on, those three are void: the next code is the only one kept.
    twitch.sim.advance_clock(Duration::from_secs(601));
    authorize().await.unwrap();
    assert_eq!(twitch.sim.tables().1, 1);
}

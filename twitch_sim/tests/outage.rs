//! Outages, retries and what the simulator remembers of the events it
//! generated, over real HTTP: `POST /sim/outage`, the retries under
//! `Twitch-Eventsub-Message-Retry`, revocation for
//! `notification_failures_exceeded`, `GET /sim/ledger`, and Get Channel
//! Followers and Get Broadcaster Subscriptions answering from that history.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use shared::config::EventSubSecret;
use shared::eventsub::catalog::semantic_key;
use shared::eventsub::verify::signature_header;
use tokio::time::Instant;
use twitch_sim::{RetryModel, Sim, SimConfig, SimError, SimSubscription};

const SECRET: &str = "a-callback-secret-for-tests";
const REDIRECT: &str = "http://127.0.0.1:9/auth/callback";

/// One POST the callback received.
#[derive(Debug, Clone)]
struct Seen {
    at: Instant,
    kind: String,
    message_id: String,
    retry: String,
    signature_ok: bool,
    body: Value,
}

/// A callback that answers every message 204 (the challenge with itself)
/// and keeps what it saw.
async fn callback() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let app = Router::new()
        .route("/eventsub", post(receive))
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/eventsub", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

async fn receive(
    State(seen): State<Arc<Mutex<Vec<Seen>>>>,
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
    let json: Value = serde_json::from_slice(&body).unwrap();
    let challenge = json["challenge"].as_str().map(str::to_owned);
    seen.lock().unwrap().push(Seen {
        at: Instant::now(),
        kind: header("twitch-eventsub-message-type"),
        message_id: header("twitch-eventsub-message-id"),
        retry: header("twitch-eventsub-message-retry"),
        signature_ok: expected == header("twitch-eventsub-message-signature"),
        body: json,
    });
    match challenge {
        Some(challenge) => (StatusCode::OK, challenge).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

struct Twitch {
    sim: Arc<Sim>,
    base: String,
    http: reqwest::Client,
}

/// A simulator whose retries wait `waits_ms` (wall clock: Twitch time in
/// seconds compressed 1,000 times) and revoke after `threshold` failed messages.
async fn start(waits_ms: &[f64], threshold: u32) -> Twitch {
    let sim = Sim::new(SimConfig {
        redirect_uris: vec![REDIRECT.into()],
        retries: RetryModel {
            intervals_secs: waits_ms.to_vec(),
            failure_threshold: threshold,
            compression: 1000.0,
        },
        ..SimConfig::default()
    });
    let base = sim.spawn().await.unwrap();
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Twitch { sim, base, http }
}

impl Twitch {
    /// A control request: status and JSON body.
    async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&str>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-sim-control", "1");
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, json_of(response).await)
    }

    async fn outage(&self, seconds: f64) {
        let (status, body) = self
            .control(
                reqwest::Method::POST,
                "/sim/outage",
                Some(&json!({"seconds": seconds}).to_string()),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    async fn ledger(&self, broadcaster: &str) -> Vec<Value> {
        let (status, body) = self
            .control(
                reqwest::Method::GET,
                &format!("/sim/ledger?broadcaster={broadcaster}"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"].as_array().unwrap().clone()
    }

    /// A user access token of `user` with `scopes`, by the code flow.
    async fn user_token(&self, user: &str, scopes: &str) -> String {
        let cfg = self.sim.config();
        let url = format!(
            "{}/oauth2/authorize?client_id={}&redirect_uri={REDIRECT}&response_type=code&scope={}&sim_user={user}&sim_decision=allow",
            self.base, cfg.client_id, scopes.replace(' ', "+"),
        );
        let response = self.http.get(url).send().await.unwrap();
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let code = location
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("code="))
            .unwrap()
            .to_owned();
        let form = format!(
            "client_id={}&client_secret={}&grant_type=authorization_code&code={code}&redirect_uri={REDIRECT}",
            cfg.client_id, cfg.client_secret
        );
        let token = self
            .http
            .post(format!("{}/oauth2/token", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        json_of(token).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn app_token(&self) -> String {
        let cfg = self.sim.config();
        let form = format!(
            "client_id={}&client_secret={}&grant_type=client_credentials",
            cfg.client_id, cfg.client_secret
        );
        let token = self
            .http
            .post(format!("{}/oauth2/token", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        json_of(token).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A Helix GET with `token`: status and JSON body.
    async fn helix(&self, token: &str, path_and_query: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}/helix{path_and_query}", self.base))
            .header("authorization", format!("Bearer {token}"))
            .header("client-id", &self.sim.config().client_id)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, json_of(response).await)
    }
}

/// The JSON body of a response (Null when empty or not JSON).
async fn json_of(response: reqwest::Response) -> Value {
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn follow_sub(broadcaster: &str, callback: &str) -> SimSubscription {
    SimSubscription::new(
        "channel.follow",
        "2",
        json!({"broadcaster_user_id": broadcaster, "moderator_user_id": broadcaster}),
        callback,
        SECRET,
    )
}

fn notifications(seen: &Mutex<Vec<Seen>>) -> Vec<Seen> {
    let seen = seen.lock().unwrap();
    seen.iter()
        .filter(|s| s.kind == "notification")
        .cloned()
        .collect()
}

#[tokio::test]
async fn an_outage_past_the_retry_window_fails_every_delivery_then_revokes_for_failures() {
    // Three retries 50 ms apart (150 ms), two failed messages revoke.
    let twitch = start(&[50.0, 50.0, 50.0], 2).await;
    let (url, seen) = callback().await;
    let sub = follow_sub("4242", &url);
    twitch.sim.insert_subscription(sub.clone());

    // Taken before the simulator's own end: no later than it.
    let outage_end = Instant::now() + Duration::from_secs(2);
    twitch.outage(2.0).await;
    for _ in 0..2 {
        assert!(matches!(
            twitch.sim.deliver(&sub.id).await,
            Err(SimError::Unreachable)
        ));
    }
    // Get EventSub Subscriptions shows the status once the retries ran out.
    let app = twitch.app_token().await;
    support::eventually(
        "the subscription listed as notification_failures_exceeded",
        || async {
            let (_, list) = twitch.helix(&app, "/eventsub/subscriptions").await;
            list["data"][0]["status"] == "notification_failures_exceeded"
        },
    )
    .await;
    assert!(Instant::now() < outage_end, "revoked within the outage");
    assert!(matches!(
        twitch.sim.deliver(&sub.id).await,
        Err(SimError::NotEnabled { .. })
    ));

    // The revocation arrives once the callback is reachable, after the
    // outage, and nothing else ever did.
    support::wait_until("the revocation", || !seen.lock().unwrap().is_empty()).await;
    let got = seen.lock().unwrap().clone();
    assert_eq!(
        got.len(),
        1,
        "only the revocation reached the callback: {got:?}"
    );
    let revocation = &got[0];
    assert!(revocation.at >= outage_end);
    assert_eq!(revocation.kind, "revocation");
    assert!(revocation.signature_ok);
    assert_eq!(revocation.retry, "0");
    assert_eq!(revocation.body["subscription"]["id"], sub.id.as_str());
    assert_eq!(
        revocation.body["subscription"]["status"],
        "notification_failures_exceeded"
    );
    assert_eq!(revocation.body["subscription"]["type"], "channel.follow");
    assert!(revocation.body.get("event").is_none());

    let ledger = twitch.ledger("4242").await;
    assert_eq!(ledger.len(), 2);
    assert!(ledger.iter().all(|e| e["delivered"] == false));
}

#[tokio::test]
async fn an_outage_shorter_than_the_retry_window_loses_nothing() {
    // Retries at 100, 300, 700 and 1,500 ms after the first try.
    let twitch = start(&[100.0, 200.0, 400.0, 800.0], 1).await;
    let (url, seen) = callback().await;
    let sub = follow_sub("4242", &url);
    twitch.sim.insert_subscription(sub.clone());

    twitch.outage(0.5).await;
    for _ in 0..3 {
        assert!(twitch.sim.deliver(&sub.id).await.is_err());
    }
    support::eventually("every generated event delivered", || async {
        let ledger = twitch.ledger("4242").await;
        ledger.len() == 3 && ledger.iter().all(|e| e["delivered"] == true)
    })
    .await;
    let got = notifications(&seen);
    assert_eq!(got.len(), 3, "each arrived once, on a retry: {got:?}");
    for (entry, arrived) in twitch.ledger("4242").await.iter().zip(&got) {
        assert_eq!(entry["message_id"], arrived.message_id.as_str());
        assert!(arrived.signature_ok);
        assert_ne!(arrived.retry, "0", "a retry says so");
        assert_eq!(arrived.body["event"], entry["event"]);
    }
    assert!(twitch.sim.subscriptions()[0].status == "enabled");
    // And a delivery after the outage is acknowledged at once.
    let (status, message_id) = twitch.sim.deliver(&sub.id).await.unwrap();
    assert_eq!(status, 204);
    let ledger = twitch.ledger("4242").await;
    assert_eq!(ledger[3]["message_id"], message_id.as_str());
    assert_eq!(ledger[3]["delivered"], true);
}

#[tokio::test]
async fn the_ledger_lists_each_generated_event_in_order_with_its_time_and_semantic_key() {
    let twitch = start(&[50.0], 1).await;
    let (url, _seen) = callback().await;
    let follow = follow_sub("4242", &url);
    let online = SimSubscription::new(
        "stream.online",
        "1",
        json!({"broadcaster_user_id": "4242"}),
        &url,
        SECRET,
    );
    let other = follow_sub("777", &url);
    for sub in [&follow, &online, &other] {
        twitch.sim.insert_subscription(sub.clone());
    }
    let mut sent = Vec::new();
    for sub in [&follow, &online, &follow, &other] {
        sent.push(twitch.sim.deliver(&sub.id).await.unwrap().1);
    }
    let ledger = twitch.ledger("4242").await;
    let ids: Vec<&str> = ledger
        .iter()
        .map(|e| e["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [&sent[0], &sent[1], &sent[2]].map(String::as_str));
    let types: Vec<&str> = ledger.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["channel.follow", "stream.online", "channel.follow"]);
    for entry in &ledger {
        let kind = entry["type"].as_str().unwrap();
        let key = semantic_key(kind, "4242", &entry["event"]);
        assert!(key.is_some(), "{kind} has a semantic key");
        assert_eq!(entry["semantic_key"].as_str(), key.as_deref());
        assert_eq!(entry["delivered"], true);
        let at = entry["happened_at"].as_str().unwrap();
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).unwrap();
    }
    assert_eq!(ledger[0]["happened_at"], ledger[0]["event"]["followed_at"]);
    assert_eq!(twitch.ledger("777").await.len(), 1);
    assert!(twitch.ledger("555").await.is_empty());
}

#[tokio::test]
async fn a_follower_generated_in_an_outage_is_in_get_channel_followers_with_the_ledgers_time() {
    let twitch = start(&[50.0], 1).await;
    let (url, _seen) = callback().await;
    let sub = follow_sub("4242", &url);
    twitch.sim.insert_subscription(sub.clone());
    for _ in 0..3 {
        twitch.sim.deliver(&sub.id).await.unwrap();
    }
    twitch.outage(2.0).await;
    assert!(twitch.sim.deliver(&sub.id).await.is_err());
    let ledger = twitch.ledger("4242").await;
    let lost = &ledger[3];
    assert_eq!(lost["delivered"], false);

    let token = twitch.user_token("4242", "moderator:read:followers").await;
    let (status, first) = twitch
        .helix(&token, "/channels/followers?broadcaster_id=4242&first=2")
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["total"], 4);
    // Most recent first: the follow of the outage leads.
    assert_eq!(first["data"].as_array().unwrap().len(), 2);
    assert_eq!(first["data"][0]["user_id"], lost["event"]["user_id"]);
    assert_eq!(first["data"][0]["followed_at"], lost["happened_at"]);
    assert_eq!(first["data"][0]["user_login"], lost["event"]["user_login"]);
    let cursor = first["pagination"]["cursor"].as_str().unwrap();
    let (_, second) = twitch
        .helix(
            &token,
            &format!("/channels/followers?broadcaster_id=4242&first=2&after={cursor}"),
        )
        .await;
    assert_eq!(second["data"].as_array().unwrap().len(), 2);
    assert_eq!(second["pagination"], json!({}));
    let followed: Vec<&Value> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["data"].as_array().unwrap())
        .map(|f| &f["followed_at"])
        .collect();
    let expected: Vec<&Value> = ledger.iter().rev().map(|e| &e["happened_at"]).collect();
    assert_eq!(followed, expected);

    // Another user's token, or one without the scope: the total only.
    let stranger = twitch.user_token("555", "moderator:read:followers").await;
    let (status, only_total) = twitch
        .helix(&stranger, "/channels/followers?broadcaster_id=4242")
        .await;
    assert_eq!(
        (status, &only_total["total"], &only_total["data"]),
        (200, &json!(4), &json!([]))
    );
    let unscoped = twitch.user_token("4242", "bits:read").await;
    let (_, only_total) = twitch
        .helix(&unscoped, "/channels/followers?broadcaster_id=4242")
        .await;
    assert_eq!(only_total["data"], json!([]));
    // An app token is not enough; bad parameters are Twitch's 400s.
    let app = twitch.app_token().await;
    let (status, body) = twitch
        .helix(&app, "/channels/followers?broadcaster_id=4242")
        .await;
    assert_eq!((status, body["status"].as_u64()), (401, Some(401)));
    for bad in [
        "",
        "?broadcaster_id=4242&first=0",
        "?broadcaster_id=4242&first=101",
        "?broadcaster_id=4242&after=nope",
    ] {
        let (status, body) = twitch
            .helix(&token, &format!("/channels/followers{bad}"))
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"], "Bad Request");
    }
}

#[tokio::test]
async fn get_broadcaster_subscriptions_lists_the_generated_subscribers_for_the_broadcaster_only() {
    let twitch = start(&[50.0], 1).await;
    let (url, _seen) = callback().await;
    let sub = SimSubscription::new(
        "channel.subscribe",
        "1",
        json!({"broadcaster_user_id": "4242"}),
        &url,
        SECRET,
    );
    twitch.sim.insert_subscription(sub.clone());
    for _ in 0..3 {
        twitch.sim.deliver(&sub.id).await.unwrap();
    }
    let ledger = twitch.ledger("4242").await;
    let token = twitch
        .user_token("4242", "channel:read:subscriptions")
        .await;
    let (status, page) = twitch
        .helix(&token, "/subscriptions?broadcaster_id=4242&first=2")
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 3);
    assert_eq!(page["points"], 3, "three tier-1 subscriptions");
    assert_eq!(page["data"][0]["user_id"], ledger[0]["event"]["user_id"]);
    assert_eq!(page["data"][0]["tier"], "1000");
    assert_eq!(page["data"][0]["broadcaster_id"], "4242");
    let cursor = page["pagination"]["cursor"].as_str().unwrap();
    let (_, rest) = twitch
        .helix(
            &token,
            &format!("/subscriptions?broadcaster_id=4242&after={cursor}"),
        )
        .await;
    assert_eq!(rest["data"][0]["user_id"], ledger[2]["event"]["user_id"]);
    assert_eq!(rest["pagination"], json!({}));

    let other = twitch.user_token("555", "channel:read:subscriptions").await;
    assert_eq!(
        twitch
            .helix(&other, "/subscriptions?broadcaster_id=4242")
            .await
            .0,
        401
    );
    let unscoped = twitch.user_token("4242", "bits:read").await;
    let (status, body) = twitch
        .helix(&unscoped, "/subscriptions?broadcaster_id=4242")
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (401, Some("Missing scope: channel:read:subscriptions"))
    );
    assert_eq!(twitch.helix(&token, "/subscriptions").await.0, 400);
}

#[tokio::test]
async fn bad_outage_and_ledger_requests_get_a_4xx_json_error_and_change_nothing() {
    let twitch = start(&[50.0], 1).await;
    let (url, _seen) = callback().await;
    let sub = follow_sub("4242", &url);
    twitch.sim.insert_subscription(sub.clone());
    for bad in [
        "",
        "{}",
        r#"{"seconds": -1}"#,
        r#"{"seconds": "10"}"#,
        r#"{"seconds": null}"#,
        "seconds=10",
    ] {
        let (status, body) = twitch
            .control(reqwest::Method::POST, "/sim/outage", Some(bad))
            .await;
        assert_eq!(status, 400, "{bad:?}: {body}");
        assert_eq!(body["status"], 400);
        assert!(body["message"].is_string());
    }
    let (status, body) = twitch
        .control(reqwest::Method::GET, "/sim/ledger", None)
        .await;
    assert_eq!((status, &body["status"]), (400, &json!(400)));
    // Without the control header: refused, whatever the body.
    for (method, path) in [
        (reqwest::Method::POST, "/sim/outage"),
        (reqwest::Method::GET, "/sim/ledger?broadcaster=4242"),
    ] {
        let response = twitch
            .http
            .request(method, format!("{}{path}", twitch.base))
            .body(r#"{"seconds": 10}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403);
        let body = json_of(response).await;
        assert_eq!(body["status"], 403);
    }
    // No outage was started by any of them.
    assert_eq!(twitch.sim.deliver(&sub.id).await.unwrap().0, 204);
}

#[tokio::test]
async fn a_stream_generated_in_an_outage_is_an_archive_in_get_videos() {
    let twitch = start(&[50.0], 1).await;
    let (url, _seen) = callback().await;
    let [online, offline] = ["stream.online", "stream.offline"].map(|kind| {
        SimSubscription::new(
            kind,
            "1",
            json!({"broadcaster_user_id": "4242"}),
            &url,
            SECRET,
        )
    });
    twitch.sim.insert_subscription(online.clone());
    twitch.sim.insert_subscription(offline.clone());
    twitch.sim.deliver(&online.id).await.unwrap();
    twitch.sim.deliver(&offline.id).await.unwrap();
    twitch.outage(2.0).await;
    assert!(twitch.sim.deliver(&online.id).await.is_err());
    let ledger = twitch.ledger("4242").await;
    let lost = &ledger[2];
    assert_eq!(
        (lost["type"].as_str(), &lost["delivered"]),
        (Some("stream.online"), &json!(false))
    );

    let app = twitch.app_token().await;
    let (status, videos) = twitch
        .helix(&app, "/videos?user_id=4242&type=archive&first=1")
        .await;
    assert_eq!(status, 200, "{videos}");
    // The newest first: the stream that began in the outage, still live.
    let newest = &videos["data"][0];
    assert_eq!(newest["stream_id"], lost["event"]["id"]);
    assert_eq!(newest["created_at"], lost["event"]["started_at"]);
    assert_eq!(newest["type"], "archive");
    let cursor = videos["pagination"]["cursor"].as_str().unwrap();
    let (_, older) = twitch
        .helix(
            &app,
            &format!("/videos?user_id=4242&first=1&after={cursor}"),
        )
        .await;
    let ended = &older["data"][0];
    assert_eq!(ended["stream_id"], ledger[0]["event"]["id"]);
    assert!(ended["duration"].as_str().unwrap().ends_with('s'));
    assert_eq!(older["pagination"], json!({}));
    // By id, too; and Twitch's refusals.
    let id = ended["id"].as_str().unwrap();
    let (_, by_id) = twitch.helix(&app, &format!("/videos?id={id}")).await;
    assert_eq!(by_id["data"][0]["stream_id"], ended["stream_id"]);
    assert_eq!(twitch.helix(&app, "/videos?id=1").await.0, 404);
    let (_, uploads) = twitch.helix(&app, "/videos?user_id=4242&type=upload").await;
    assert_eq!(uploads["data"], json!([]));
    for bad in [
        "",
        "?user_id=4242&game_id=1",
        "?user_id=4242&type=clip",
        "?user_id=4242&first=0",
    ] {
        let (status, body) = twitch.helix(&app, &format!("/videos{bad}")).await;
        assert_eq!((status, &body["status"]), (400, &json!(400)), "{bad}");
    }
}

#[tokio::test]
async fn a_redemption_generated_in_an_outage_is_in_get_custom_reward_redemption() {
    let twitch = start(&[50.0], 1).await;
    let (url, _seen) = callback().await;
    let sub = SimSubscription::new(
        "channel.channel_points_custom_reward_redemption.add",
        "1",
        json!({"broadcaster_user_id": "4242"}),
        &url,
        SECRET,
    );
    twitch.sim.insert_subscription(sub.clone());
    for _ in 0..2 {
        twitch.sim.deliver(&sub.id).await.unwrap();
    }
    twitch.outage(2.0).await;
    assert!(twitch.sim.deliver(&sub.id).await.is_err());
    let ledger = twitch.ledger("4242").await;
    assert_eq!(ledger[2]["delivered"], false);

    let token = twitch.user_token("4242", "channel:read:redemptions").await;
    let (status, rewards) = twitch
        .helix(&token, "/channel_points/custom_rewards?broadcaster_id=4242")
        .await;
    assert_eq!(status, 200, "{rewards}");
    assert_eq!(rewards["data"].as_array().unwrap().len(), 1);
    let reward = rewards["data"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(rewards["data"][0]["id"], ledger[0]["event"]["reward"]["id"]);

    let path = format!(
        "/channel_points/custom_rewards/redemptions?broadcaster_id=4242&reward_id={reward}&status=UNFULFILLED&sort=NEWEST&first=2"
    );
    let (status, page) = twitch.helix(&token, &path).await;
    assert_eq!(status, 200, "{page}");
    let newest = &page["data"][0];
    assert_eq!(newest["id"], ledger[2]["event"]["id"]);
    assert_eq!(newest["redeemed_at"], ledger[2]["happened_at"]);
    assert_eq!(newest["status"], "UNFULFILLED");
    let cursor = page["pagination"]["cursor"].as_str().unwrap();
    let (_, rest) = twitch
        .helix(&token, &format!("{path}&after={cursor}"))
        .await;
    assert_eq!(rest["data"][0]["id"], ledger[0]["event"]["id"]);
    assert_eq!(rest["pagination"], json!({}));
    let (_, fulfilled) = twitch
        .helix(&token, &path.replace("UNFULFILLED", "FULFILLED"))
        .await;
    assert_eq!(fulfilled["data"], json!([]));

    let redemptions = "/channel_points/custom_rewards/redemptions?broadcaster_id=4242";
    for (bad, expected) in [
        (format!("{redemptions}&status=UNFULFILLED"), 400),
        (format!("{redemptions}&reward_id={reward}"), 400),
        (format!("{redemptions}&reward_id={reward}&status=DONE"), 400),
        (
            format!("{redemptions}&reward_id=nope&status=UNFULFILLED"),
            404,
        ),
    ] {
        let (status, body) = twitch.helix(&token, &bad).await;
        assert_eq!(
            (status, body["status"].as_u64()),
            (expected, Some(u64::from(expected))),
            "{bad}"
        );
    }
    let unscoped = twitch.user_token("4242", "bits:read").await;
    let other = twitch.user_token("555", "channel:read:redemptions").await;
    for refused in [unscoped, other, twitch.app_token().await] {
        let (status, _) = twitch
            .helix(
                &refused,
                "/channel_points/custom_rewards?broadcaster_id=4242",
            )
            .await;
        assert_eq!(status, 401);
    }
}

/// A callback behind a throttle: every message answered 429 (API Gateway's
/// `{"message":"Too Many Requests"}`); the notifications' retry counts kept.
async fn throttled_callback() -> (String, Arc<Mutex<Vec<String>>>) {
    async fn throttled(
        State(seen): State<Arc<Mutex<Vec<String>>>>,
        headers: HeaderMap,
    ) -> Response {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        // Notifications only: the revocation that follows is throttled too.
        if header("twitch-eventsub-message-type") == "notification" {
            let retry = header("twitch-eventsub-message-retry").to_owned();
            seen.lock().unwrap().push(retry);
        }
        (
            StatusCode::TOO_MANY_REQUESTS,
            [("content-type", "application/json")],
            r#"{"message":"Too Many Requests"}"#,
        )
            .into_response()
    }
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let app = Router::new()
        .route("/eventsub", post(throttled))
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/eventsub", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

#[tokio::test]
async fn a_429_from_the_callback_is_a_failed_delivery_that_counts_toward_revocation() {
    // Two retries 20 ms apart; two messages that fail every attempt revoke.
    let twitch = start(&[20.0, 20.0], 2).await;
    let (url, seen) = throttled_callback().await;
    let sub = follow_sub("4343", &url);
    twitch.sim.insert_subscription(sub.clone());

    for _ in 0..2 {
        let (status, _) = twitch.sim.deliver(&sub.id).await.unwrap();
        assert_eq!(status, 429);
    }

    let app = twitch.app_token().await;
    support::eventually(
        "the subscription listed as notification_failures_exceeded",
        || async {
            let (_, list) = twitch.helix(&app, "/eventsub/subscriptions").await;
            list["data"][0]["status"] == "notification_failures_exceeded"
        },
    )
    .await;
    // Each message was tried and retried like any failure (a 429 is not
    // waited out as a throttle), and none counts as delivered.
    let mut attempts = seen.lock().unwrap().clone();
    attempts.sort();
    assert_eq!(attempts, ["0", "0", "1", "1", "2", "2"]);
    let ledger = twitch.ledger("4343").await;
    assert_eq!(ledger.len(), 2);
    assert!(ledger.iter().all(|e| e["delivered"] == false));
}

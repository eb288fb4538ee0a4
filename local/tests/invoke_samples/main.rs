//! Every sample in `events/` through the Lambda binaries `sam build` made,
//! each function in its real `lambda_runtime` loop against a Runtime API
//! emulator ([`runtime_api`]), with DynamoDB Local (tables made from
//! `template.yaml`), the local stack's `@connections` gateway, its Twitch
//! simulator and a Secrets Manager stand-in (the stack's secret, for a
//! function the template gives `SECRETS_ID`) behind them, and every answer
//! checked: status codes, the key
//! parts of bodies, the frames a connection receives, what the tables hold
//! afterwards and the metrics lines printed.
//!
//! Not part of `cargo test --workspace` (`test = false` in Cargo.toml: it
//! needs the built binaries); `scripts/invoke-samples.sh` runs it with
//!   LAMBDA_BUILD_DIR   `.aws-sam/build` (one `<Function>/bootstrap` each);
//!   LAMBDA_RUNNER      the emulator to run them under, e.g.
//!                      `qemu-aarch64-static -L /usr/aarch64-linux-gnu` for
//!                      arm64 binaries on x86_64 (empty: run them directly);
//!   DYNAMODB_ENDPOINT  DynamoDB Local.

mod lambda;
mod runtime_api;
#[path = "../support/mod.rs"]
mod support;
// The tables exactly as template.yaml declares them (shared's test support).
#[allow(dead_code)]
#[path = "../../../shared/tests/support/mod.rs"]
mod tables;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use local::gateway::{Inbox, Outbound};
use serde_json::{json, Value};
use shared::aws::secrets::stand_in::StandIn;
use shared::aws::secrets::Key;
use shared::config::DEV_EVENTSUB_SECRET;

use lambda::Lambda;

/// The admin token the samples carry.
const ADMIN: &str = "local-admin-token-local-admin-token-0000";
/// The connection the WebSocket samples are about.
const CONNECTION: &str = "L8Z3Ncd1IAMCJiw=";
/// The API the WebSocket samples came through (tickets are bound to it).
const WS_AUDIENCE: &str = "wss://abc123.execute-api.us-east-1.amazonaws.com/prod";
const TICKET_SECRET: &str = "invoke-samples-ticket-secret-0123456789";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The sample files in `dir`, by name without `.json`, sorted.
fn samples_in(dir: &Path) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            (
                p.file_stem().unwrap().to_str().unwrap().to_owned(),
                read_json(&p),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// One sample `name` out of `list`.
fn take(list: &[(String, Value)], name: &str) -> Value {
    list.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no sample {name}"))
        .1
        .clone()
}

/// An API Gateway proxy answer's JSON body.
fn body_json(answer: &Value) -> Value {
    let body = answer["body"].as_str().unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {answer}"))
}

fn ok(function: &str, sample: &str, what: impl std::fmt::Display) {
    println!("ok  {function:<24} {sample:<62} {what}");
}

/// Everything behind the functions.
struct World {
    client: Client,
    tables: HashMap<&'static str, String>,
    stack: support::Running,
    values: HashMap<&'static str, String>,
    /// The stack's secret, as Secrets Manager serves it to a function whose
    /// template gives it `SECRETS_ID`: the same values as the variables.
    secrets: StandIn,
}

impl World {
    async fn new() -> World {
        let client = shared::store::dynamo::DynamoStore::client_from_env()
            .await
            .expect("the SDK configuration");
        let prefix = format!("invoke-{}", uuid::Uuid::new_v4().simple());
        let mut tables = HashMap::new();
        for (logical, _) in tables::template_tables() {
            let name = format!("{prefix}-{logical}");
            tables::create_table(&client, &logical, &name).await;
            tables.insert(&*logical.leak(), name);
        }
        let stack = support::sim_stack(support::dev_secret(), ADMIN).await;
        let base = stack.http("");
        let table = |logical: &str| tables[logical].clone();
        let values: HashMap<&'static str, String> = HashMap::from([
            ("EVENTS_TABLE", table("EventsTable")),
            ("SUBSCRIPTIONS_TABLE", table("SubscriptionsTable")),
            ("CONNECTIONS_TABLE", table("ConnectionsTable")),
            ("STREAMERS_TABLE", table("StreamersTable")),
            ("SNAPSHOTS_TABLE", table("SnapshotsTable")),
            ("USERS_TABLE", table("UsersTable")),
            ("EVENT_RETENTION_DAYS", "90".into()),
            ("SNAPSHOT_RETENTION_DAYS", "30".into()),
            ("RELEASE_AFTER_HOURS", "72".into()),
            ("EVENTSUB_SECRET", DEV_EVENTSUB_SECRET.into()),
            ("TICKET_SECRET", TICKET_SECRET.into()),
            ("WEBSOCKET_AUTH", "tickets".into()),
            ("ADMIN_TOKEN", ADMIN.into()),
            // 32 bytes, base64 (the template's pattern).
            (
                "SESSION_KEY",
                "aW52b2tlLXNhbXBsZXMtc2Vzc2lvbi1rZXktMDEyMzQ=".into(),
            ),
            ("TWITCH_CLIENT_ID", "sim-client-id".into()),
            ("TWITCH_CLIENT_SECRET", "sim-client-secret".into()),
            ("SECRETS_ID", "streamer-events/invoke-samples".into()),
            ("CALLBACK_URL", format!("{base}/eventsub")),
            // The local gateway's `@connections`, under the stage.
            ("WEBSOCKET_ENDPOINT", format!("{base}/prod")),
            ("WEBSOCKET_URL", WS_AUDIENCE.into()),
            (
                "ALLOWED_ORIGINS",
                "https://abc123.execute-api.us-east-1.amazonaws.com".into(),
            ),
            ("SITE_URL", String::new()),
            ("POLL_MODE", "tracked".into()),
            ("RUST_LOG", "info".into()),
            ("METRICS_NAMESPACE", "StreamerEvents/invoke-samples".into()),
        ]);
        let stored: serde_json::Map<String, Value> = Key::ALL
            .iter()
            .map(|k| (k.field().to_owned(), values[k.env()].clone().into()))
            .collect();
        let secrets = StandIn::one(
            std::net::TcpListener::bind("127.0.0.1:0").unwrap(),
            &values["SECRETS_ID"],
            &Value::Object(stored),
        )
        .unwrap();
        World {
            client,
            tables,
            stack,
            values,
            secrets,
        }
    }

    /// Starts `function` with the template's variables and the local endpoints.
    async fn start(&self, function: &str) -> Lambda {
        let base = self.stack.http("");
        let management = &self.stack.stack.management;
        let extra = [
            ("AWS_ACCESS_KEY_ID", management.access_key_id().to_owned()),
            ("AWS_SECRET_ACCESS_KEY", management.secret().to_owned()),
            (
                "DYNAMODB_ENDPOINT",
                std::env::var("DYNAMODB_ENDPOINT").unwrap(),
            ),
            ("TWITCH_HELIX_URL", format!("{base}/helix")),
            ("TWITCH_OAUTH_URL", format!("{base}/oauth2")),
            ("SECRETS_MANAGER_ENDPOINT", self.secrets.url()),
            // The websocket function answers through the API a request came
            // through (the samples': on AWS); here, the local gateway.
            (
                "WEBSOCKET_ENDPOINT",
                self.values["WEBSOCKET_ENDPOINT"].clone(),
            ),
        ];
        Lambda::start(function, &self.values, &extra).await
    }

    /// The items of `table` under partition key `pk` (attribute `pk`).
    async fn partition(&self, table: &str, pk: &str) -> Vec<HashMap<String, AttributeValue>> {
        self.client
            .query()
            .table_name(&self.tables[table])
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(pk.into()))
            .send()
            .await
            .unwrap()
            .items
            .unwrap_or_default()
    }
}

/// The next frame the gateway hands the sample connection, as JSON.
async fn frame(inbox: &mut Inbox) -> Value {
    support::next_frame(inbox).await
}

/// No frame is waiting for the connection.
fn no_frame(inbox: &mut Inbox, after: &str) {
    if let Ok(Outbound::Frame(f)) = inbox.try_recv() {
        panic!(
            "after {after}: an unexpected frame {}",
            String::from_utf8_lossy(&f)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_through_the_lambda_runtime() {
    let world = World::new().await;
    // Started together: their cold starts (under qemu, slow) overlap.
    let (mut manager, mut webhook, mut websocket, mut fanout, mut poller, mut api) = tokio::join!(
        world.start("EventSubManagerFunction"),
        world.start("WebhookFunction"),
        world.start("WebsocketFunction"),
        world.start("FanoutFunction"),
        world.start("PollerFunction"),
        world.start("ApiFunction"),
    );

    let manager_samples = samples_in(&repo().join("events/eventsub_manager"));
    eventsub_manager_tracks(&world, &mut manager, &manager_samples).await;
    webhook_samples(&world, &mut webhook).await;
    let mut inbox =
        world
            .stack
            .stack
            .connections
            .register(CONNECTION, "203.0.113.7", "Mozilla/5.0");
    websocket_connect_and_subscribe(&world, &mut websocket, &mut inbox).await;
    fanout_samples(&world, &mut fanout, &mut inbox).await;
    websocket_leave(&world, &mut websocket, &mut inbox).await;
    poller_samples(&world, &mut poller).await;
    api_samples(&world, &mut api).await;
    eventsub_manager_untracks(&world, &mut manager, &manager_samples).await;
}

// ------------------------------------------------------------ eventsub_manager

async fn eventsub_manager_tracks(world: &World, f: &mut Lambda, samples: &[(String, Value)]) {
    let sim = world.stack.twitch().sim.clone().unwrap();
    let name = f.name.clone();

    let track = f.invoke("admin-track", &take(samples, "admin-track")).await;
    assert_eq!(track["statusCode"], 200, "admin-track: {track}");
    assert_eq!(
        body_json(&track)["login"],
        "user1337",
        "admin-track: {track}"
    );
    assert!(
        !world
            .partition("StreamersTable", "STREAMER#1337")
            .await
            .is_empty(),
        "admin-track wrote the streamer to DynamoDB"
    );
    ok(
        &name,
        "admin-track",
        "200, user1337 tracked in StreamersTable",
    );

    let batch = f
        .invoke("stream-track", &take(samples, "stream-track"))
        .await;
    assert_eq!(
        batch["batchItemFailures"],
        json!([]),
        "stream-track: {batch}"
    );
    let created = sim.subscriptions().len();
    assert_eq!(
        created, 4,
        "the four types that need no authorization, on Twitch"
    );
    ok(
        &name,
        "stream-track",
        "no batch failures; 4 EventSub subscriptions on the simulator",
    );

    let list = f.invoke("admin-list", &take(samples, "admin-list")).await;
    assert_eq!(list["statusCode"], 200, "admin-list: {list}");
    let listed = body_json(&list);
    assert_eq!(listed["streamers"][0]["id"], "1337", "admin-list: {listed}");
    assert_eq!(listed["subscriptions"]["total"], 4, "admin-list: {listed}");
    ok(
        &name,
        "admin-list",
        "200, streamer 1337 with 4 subscriptions",
    );

    let mut forged = take(samples, "admin-list");
    forged["headers"]["authorization"] = "Bearer wrong".into();
    let refused = f.invoke("admin-list (wrong token)", &forged).await;
    assert_eq!(refused["statusCode"], 401, "{refused}");
    assert_eq!(body_json(&refused)["error"], "unauthorized");
    ok(&name, "admin-list with a wrong token", "401 unauthorized");

    let sweep = f.invoke("schedule", &take(samples, "schedule")).await;
    assert!(sweep["reconciled"].as_u64().is_some(), "schedule: {sweep}");
    assert_eq!(sweep["orphans_deleted"], 0, "schedule: {sweep}");
    ok(&name, "schedule", format!("sweep: {sweep}"));
}

async fn eventsub_manager_untracks(world: &World, f: &mut Lambda, samples: &[(String, Value)]) {
    let sim = world.stack.twitch().sim.clone().unwrap();
    support::wait_until("every challenge answered", || {
        sim.subscriptions().iter().all(|s| s.status == "enabled")
    })
    .await;
    let untrack = f
        .invoke("admin-untrack", &take(samples, "admin-untrack"))
        .await;
    assert_eq!(untrack["statusCode"], 200, "admin-untrack: {untrack}");
    let left: Vec<_> = sim
        .subscriptions()
        .into_iter()
        .filter(|s| s.condition.to_string().contains("\"1337\""))
        .collect();
    assert!(
        left.is_empty(),
        "untracking deletes them on Twitch: {left:?}"
    );
    ok(
        &f.name.clone(),
        "admin-untrack",
        "200, the streamer's subscriptions deleted on Twitch",
    );
}

// --------------------------------------------------------------------- webhook

fn header<'a>(event: &'a Value, name: &str) -> &'a str {
    event["headers"][name]
        .as_str()
        .unwrap_or_else(|| panic!("the sample has no {name} header"))
}

async fn webhook_samples(world: &World, f: &mut Lambda) {
    let name = f.name.clone();
    // Signed now, as `local samples` signs them (stale after 10 minutes).
    let dir = std::env::temp_dir().join(format!("invoke-samples-{}", uuid::Uuid::new_v4()));
    local::samples::write(&dir, &support::dev_secret()).unwrap();
    let fresh = samples_in(&dir.join("webhook"));
    std::fs::remove_dir_all(&dir).unwrap();
    let committed = samples_in(&repo().join("events/webhook"));
    let names = |l: &[(String, Value)]| l.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&committed),
        names(&fresh),
        "events/webhook/ holds what `local samples` writes"
    );

    let mut stored = 0;
    for (sample, event) in &fresh {
        let kind = header(event, "twitch-eventsub-message-type");
        let mark = f.mark();
        let answer = f.invoke(sample, event).await;
        // Every notification is stored, a type the catalog does not know too.
        match kind {
            "webhook_callback_verification" => {
                let challenge = serde_json::from_str::<Value>(event["body"].as_str().unwrap())
                    .unwrap()["challenge"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                assert_eq!(answer["statusCode"], 200, "{sample}: {answer}");
                assert_eq!(
                    answer["body"],
                    challenge.as_str(),
                    "{sample}: the challenge echoed"
                );
                assert_eq!(f.metric_after(mark, "Challenges").await, 1.0);
                ok(&name, sample, "200, the challenge echoed as text");
            }
            "revocation" => {
                assert_eq!(answer["statusCode"], 204, "{sample}: {answer}");
                assert_eq!(f.metric_after(mark, "Revocations").await, 1.0);
                ok(&name, sample, "204, Revocations 1");
            }
            _ => {
                assert_eq!(answer["statusCode"], 204, "{sample}: {answer}");
                assert_eq!(f.metric_after(mark, "Stored").await, 1.0, "{sample}");
                stored += 1;
                let id = header(event, "twitch-eventsub-message-id");
                let events = world.partition("EventsTable", "EV#1337").await;
                assert!(
                    events
                        .iter()
                        .any(|i| i.get("message_id") == Some(&AttributeValue::S(id.into()))),
                    "{sample}: message {id} is in EventsTable"
                );
                // The same delivery again (Twitch retries): acknowledged, not stored twice.
                let mark = f.mark();
                let again = f.invoke(sample, event).await;
                assert_eq!(again["statusCode"], 204, "{sample} again: {again}");
                assert_eq!(
                    f.metric_after(mark, "Duplicates").await,
                    1.0,
                    "{sample} again"
                );
                ok(
                    &name,
                    sample,
                    "204, stored in EventsTable; again: 204, a duplicate",
                );
            }
        }
    }
    let events = world.partition("EventsTable", "EV#1337").await;
    assert_eq!(
        events.len(),
        stored,
        "one event per stored notification, no duplicate"
    );

    // A committed sample is signed long ago: too old to trust, stored never.
    let (sample, event) = committed
        .iter()
        .find(|(n, _)| n == "notification-channel.follow")
        .unwrap();
    let mark = f.mark();
    let answer = f.invoke(sample, event).await;
    assert_eq!(answer["statusCode"], 204, "stale {sample}: {answer}");
    assert_eq!(f.metric_after(mark, "Stale").await, 1.0);
    assert_eq!(
        world.partition("EventsTable", "EV#1337").await.len(),
        stored
    );
    ok(
        &name,
        &format!("{sample} (as committed, stale)"),
        "204, Stale 1, nothing stored",
    );
}

// ------------------------------------------------------------------- websocket

async fn websocket_connect_and_subscribe(world: &World, f: &mut Lambda, inbox: &mut Inbox) {
    let name = f.name.clone();
    let samples = samples_in(&repo().join("events/websocket"));

    // As committed, the ticket is long expired.
    let connect = take(&samples, "connect");
    let refused = f.invoke("connect", &connect).await;
    assert_eq!(
        refused["statusCode"], 401,
        "connect (expired ticket): {refused}"
    );
    assert!(world
        .partition("ConnectionsTable", &format!("CONN#{CONNECTION}"))
        .await
        .is_empty());
    ok(
        &name,
        "connect (as committed: an expired ticket)",
        "401, no connection recorded",
    );

    // With a ticket issued now for the same API.
    let key = shared::ticket::TicketKey::new(TICKET_SECRET.as_bytes()).unwrap();
    let ticket = key.issue("dev-user", WS_AUDIENCE, shared::clock::now_ms() / 1000);
    let mut fresh = connect.clone();
    fresh["queryStringParameters"]["ticket"] = ticket.clone().into();
    fresh["multiValueQueryStringParameters"]["ticket"] = json!([ticket]);
    let answer = f.invoke("connect", &fresh).await;
    assert_eq!(answer["statusCode"], 200, "connect: {answer}");
    let recorded = world
        .partition("ConnectionsTable", &format!("CONN#{CONNECTION}"))
        .await;
    assert!(!recorded.is_empty(), "connect recorded the connection");
    ok(
        &name,
        "connect (a fresh ticket)",
        "200, the connection recorded",
    );
    // A ticket opens one socket only.
    let again = f.invoke("connect", &fresh).await;
    assert_eq!(
        again["statusCode"], 401,
        "connect with a used ticket: {again}"
    );
    ok(
        &name,
        "connect (the same ticket again)",
        "401, a ticket is single-use",
    );

    let answer = f.invoke("subscribe", &take(&samples, "subscribe")).await;
    assert_eq!(answer["statusCode"], 200, "subscribe: {answer}");
    let first = frame(inbox).await;
    assert_eq!(first["type"], "subscribed", "subscribe: {first}");
    assert_eq!(first["broadcaster"], "1337", "subscribe: {first}");
    // Then the backlog: the events the webhook stored, newest first.
    let backlog = frame(inbox).await;
    assert!(
        backlog.to_string().contains("1337"),
        "subscribe: a backlog of 1337's events: {backlog}"
    );
    ok(
        &name,
        "subscribe",
        format!(
            "200; frames via @connections: subscribed, then {}",
            backlog["type"]
        ),
    );
    while inbox.try_recv().is_ok() {}

    let answer = f.invoke("default", &take(&samples, "default")).await;
    assert_eq!(answer["statusCode"], 200, "default: {answer}");
    let error = frame(inbox).await;
    assert_eq!(error["type"], "error", "default: {error}");
    ok(
        &name,
        "default",
        format!("200; an error frame: {}", error["code"]),
    );
}

async fn websocket_leave(world: &World, f: &mut Lambda, inbox: &mut Inbox) {
    let name = f.name.clone();
    let samples = samples_in(&repo().join("events/websocket"));

    let answer = f
        .invoke("unsubscribe", &take(&samples, "unsubscribe"))
        .await;
    assert_eq!(answer["statusCode"], 200, "unsubscribe: {answer}");
    let done = frame(inbox).await;
    assert_eq!(done["type"], "unsubscribed", "unsubscribe: {done}");
    ok(&name, "unsubscribe", "200; an unsubscribed frame");

    let answer = f.invoke("disconnect", &take(&samples, "disconnect")).await;
    assert_eq!(answer["statusCode"], 200, "disconnect: {answer}");
    assert!(
        world
            .partition("ConnectionsTable", &format!("CONN#{CONNECTION}"))
            .await
            .is_empty(),
        "disconnect removed the connection's records"
    );
    no_frame(inbox, "disconnect");
    ok(&name, "disconnect", "200, the connection's records removed");
}

// ---------------------------------------------------------------------- fanout

async fn fanout_samples(_world: &World, f: &mut Lambda, inbox: &mut Inbox) {
    let name = f.name.clone();
    for (sample, batch) in samples_in(&repo().join("events/fanout")) {
        let records = batch["Records"].as_array().unwrap();
        let answer = f.invoke(&sample, &batch).await;
        assert_eq!(answer["batchItemFailures"], json!([]), "{sample}: {answer}");
        let mut ids = Vec::new();
        for record in records {
            let image = &record["dynamodb"]["NewImage"];
            // The sample connection watches 1337 only: other streamers' events
            // must not reach it.
            if record["eventName"] != "INSERT"
                || image["kind"]["S"] != "event"
                || image["broadcaster_id"]["S"] != "1337"
            {
                continue;
            }
            let got = frame(inbox).await;
            let want = image["message_id"]["S"].as_str().unwrap();
            assert_eq!(got["type"], "event", "{sample}: {got}");
            assert!(
                got.to_string().contains(want),
                "{sample}: frame for {want}: {got}"
            );
            ids.push(want.to_owned());
        }
        no_frame(inbox, &sample);
        ok(
            &name,
            &sample,
            format!(
                "no batch failures; {} of {} record(s) posted to the 1337 watcher",
                ids.len(),
                records.len()
            ),
        );
    }
}

// ---------------------------------------------------------------------- poller

async fn poller_samples(world: &World, f: &mut Lambda) {
    let name = f.name.clone();
    let event = read_json(&repo().join("events/poller/schedule.json"));
    let status = f.invoke("schedule", &event).await;
    assert_eq!(status["outcome"], "ok", "schedule: {status}");
    assert_eq!(status["mode"], "tracked", "schedule: {status}");
    assert!(
        status["pages"].as_u64() >= Some(1),
        "schedule: Helix asked: {status}"
    );
    assert_eq!(status["errors"], json!([]), "schedule: {status}");
    let state = world.partition("SnapshotsTable", "POLLER").await;
    assert!(
        !state.is_empty(),
        "the poller recorded its status in SnapshotsTable"
    );
    ok(
        &name,
        "schedule",
        format!("ok, {} page(s), status in SnapshotsTable", status["pages"]),
    );
}

// ------------------------------------------------------------------------- api

async fn api_samples(_world: &World, f: &mut Lambda) {
    let name = f.name.clone();
    for (sample, event) in samples_in(&repo().join("events/api")) {
        let answer = f.invoke(&sample, &event).await;
        assert_eq!(answer["statusCode"], 200, "{sample}: {answer}");
        let body = body_json(&answer);
        // What the functions before this one left in the tables.
        let holds = match sample.as_str() {
            // limit=10 of the webhook's 14 stored events: a full page and a cursor.
            "get-events" => {
                body["events"].as_array().map(Vec::len) == Some(10) && body["next"].is_string()
            }
            "get-live" => body["live"].is_array(),
            "get-openapi" => body["openapi"].is_string() && body["paths"]["/api/live"].is_object(),
            "get-poller" | "resume-poller" => body["outcome"] == "ok" && body["paused"] == false,
            "pause-poller" => body["paused"] == true,
            "get-stats" => body["days"].as_array().map(Vec::len) == Some(7),
            "get-streamers" => body["streamers"][0]["login"] == "user1337",
            "get-streams" => body["streamer_id"] == "1337",
            "get-viewers" => body["streamer_id"] == "1337" && body["points"].is_array(),
            other => panic!("{other}: a sample without its expectation"),
        };
        assert!(holds, "{sample}: {body}");
        let text: String = body.to_string().chars().take(100).collect();
        ok(&name, &sample, format!("200 {text}"));
    }
    let door = [
        ("auth-login", 302),
        ("auth-login-channel", 302),
        ("auth-callback-denied", 403),
        ("auth-logout", 200),
        ("get-me", 401),
        ("put-favourite", 401),
        ("delete-favourite", 401),
        ("post-ws-ticket", 401),
        ("post-overlay-shown", 401),
        ("get-page", 200),
        ("get-config", 200),
        ("get-docs", 200),
    ];
    let samples = samples_in(&repo().join("events/api/door"));
    assert_eq!(
        samples.len(),
        door.len(),
        "every door sample has its expectation"
    );
    for (sample, status) in door {
        let answer = f.invoke(sample, &take(&samples, sample)).await;
        assert_eq!(answer["statusCode"], status, "door/{sample}: {answer}");
        ok(&name, &format!("door/{sample}"), status);
    }
}

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
//!   DYNAMODB_ENDPOINT  DynamoDB Local;
//!   IAM_RECORDING      where the IAM recorder writes every AWS call the
//!                      functions made (default `.aws-sam/iam-calls.jsonl`;
//!                      `scripts/iam-check.sh` evaluates it).
//!
//! Each function reaches DynamoDB and `@connections` only through the IAM
//! recorder ([`recorder`]), signing with its own dummy access key.

mod grants;
mod lambda;
mod overlay;
mod recorder;
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
use recorder::Recorder;

/// The admin token the samples carry.
const ADMIN: &str = "local-admin-token-local-admin-token-0000";
/// The connection the WebSocket samples are about.
const CONNECTION: &str = "L8Z3Ncd1IAMCJiw=";
/// A second watcher of 1337 whose socket is gone by the time the fan-out
/// posts to it (API Gateway answers 410: the fan-out removes its records).
const GONE: &str = "G0neC0nnect10n=";
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
    recorder: Recorder,
    /// The stack's secret, as Secrets Manager serves it (behind the
    /// recorder) to a function whose template gives it `SECRETS_ID`: the same
    /// values as the variables. Kept for the run.
    _secrets: StandIn,
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
        let mut values: HashMap<&'static str, String> = HashMap::from([
            ("EVENTS_TABLE", table("EventsTable")),
            ("SUBSCRIPTIONS_TABLE", table("SubscriptionsTable")),
            ("CONNECTIONS_TABLE", table("ConnectionsTable")),
            ("STREAMERS_TABLE", table("StreamersTable")),
            ("SNAPSHOTS_TABLE", table("SnapshotsTable")),
            ("USERS_TABLE", table("UsersTable")),
            ("EVENT_RETENTION_DAYS", "90".into()),
            ("SNAPSHOT_RETENTION_DAYS", "30".into()),
            ("RELEASE_AFTER_HOURS", "72".into()),
            // The template's defaults of the deployment-wide budgets.
            ("DEPLOYMENT_NEW_TRACKS_PER_HOUR", "100".into()),
            ("EVENTSUB_COST_RESERVE_PERCENT", "5".into()),
            ("HELIX_LOOKUP_RESERVE_PERCENT", "10".into()),
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
            // The other front door (only compared, never called).
            (
                "FORMER_CALLBACK_URLS",
                "https://n3x5k2mqzv7r4ta6wy8bcdefgh0jklpq.lambda-url.us-east-1.on.aws/eventsub"
                    .into(),
            ),
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
        let management = &stack.stack.management;
        let recorder = Recorder::start(
            &repo(),
            &recorder::Upstreams {
                dynamodb: &std::env::var("DYNAMODB_ENDPOINT").unwrap(),
                connections: &base,
                connections_key: (management.access_key_id(), management.secret()),
                tables: &tables,
                secrets_manager: &secrets.url(),
            },
        );
        // The local gateway's `@connections`, under the stage, through the
        // IAM recorder.
        values.insert("WEBSOCKET_ENDPOINT", format!("{}/prod", recorder.url));
        World {
            client,
            tables,
            stack,
            values,
            recorder,
            _secrets: secrets,
        }
    }

    /// Starts `function` with the template's variables and the local
    /// endpoints: AWS ones through the IAM recorder, with its own access key.
    async fn start(&self, function: &str) -> Lambda {
        let base = self.stack.http("");
        let extra = [
            ("AWS_ACCESS_KEY_ID", recorder::access_key_id(function)),
            ("AWS_SECRET_ACCESS_KEY", recorder::secret_key(function)),
            ("DYNAMODB_ENDPOINT", self.recorder.url.clone()),
            ("TWITCH_HELIX_URL", format!("{base}/helix")),
            ("TWITCH_OAUTH_URL", format!("{base}/oauth2")),
            // Secrets Manager through the recorder to the stand-in.
            ("SECRETS_MANAGER_ENDPOINT", self.recorder.url.clone()),
            // The websocket function answers through the API a request came
            // through (the samples': on AWS); here, the local gateway.
            (
                "WEBSOCKET_ENDPOINT",
                self.values["WEBSOCKET_ENDPOINT"].clone(),
            ),
        ];
        Lambda::start(function, &self.values, &extra).await
    }

    /// User 1337 logged in (written through the store, as the login callback
    /// writes it): one fresh session for the browser samples and one whose
    /// tokens are an hour past their last validation.
    async fn logged_in_user(&self) -> LoggedIn {
        use shared::store::users::{LoginStore, SealedTokens, Session, SessionStore, User};
        let users = shared::store::dynamo::DynamoUserStore::new(
            self.client.clone(),
            self.tables["UsersTable"].clone(),
        );
        let seal =
            shared::auth::seal::SealKey::from_base64("SESSION_KEY", &self.values["SESSION_KEY"])
                .expect("the samples' session key");
        let now_s = shared::clock::now_ms() / 1000;
        users
            .put_user(&User {
                id: "1337".into(),
                login: "user1337".into(),
                display_name: "User1337".into(),
                picture: None,
                scopes: Vec::new(),
                created_at_s: now_s,
            })
            .await
            .unwrap();
        let mut cookies = Vec::new();
        for validated_at_s in [now_s, now_s - 2 * 3600] {
            let id = shared::auth::session::NewSessionId::generate();
            users
                .create_session(&Session {
                    hash: id.hash.clone(),
                    user_id: "1337".into(),
                    created_at_s: now_s,
                    expires_at_s: now_s + 3600,
                    tokens: Some(SealedTokens {
                        access: seal.seal(&id.hash, "a-token-the-simulator-never-issued"),
                        refresh: None,
                        expires_at_s: now_s + 3600,
                    }),
                    validated_at_s,
                })
                .await
                .unwrap();
            cookies.push(id.cookie);
        }
        LoggedIn {
            session_hash: shared::auth::sha256_hex(&cookies[0]),
            cookie: format!("__Host-sid={}", cookies[0]),
        }
    }

    /// Every item of `table` whose partition key starts with `prefix`.
    async fn partition_prefix(
        &self,
        table: &str,
        prefix: &str,
    ) -> Vec<HashMap<String, AttributeValue>> {
        self.client
            .scan()
            .table_name(&self.tables[table])
            .filter_expression("begins_with(pk, :p)")
            .expression_attribute_values(":p", AttributeValue::S(prefix.into()))
            .send()
            .await
            .unwrap()
            .items
            .unwrap_or_default()
    }

    /// The items of `table` under partition key `pk` (attribute `pk`).
    /// The ids of the named leases in the subscriptions table.
    async fn leases(&self) -> Vec<String> {
        let out = self
            .client
            .scan()
            .table_name(&self.tables["SubscriptionsTable"])
            .filter_expression("begins_with(id, :lease)")
            .expression_attribute_values(":lease", AttributeValue::S("LEASE#".into()))
            .send()
            .await
            .unwrap();
        out.items()
            .iter()
            .filter_map(|i| i.get("id")?.as_s().ok().cloned())
            .collect()
    }

    /// Another instance holds the lease `id` for the next ten minutes.
    async fn hold_lease(&self, id: &str) {
        let until = shared::clock::now_ms() + 600_000;
        self.client
            .put_item()
            .table_name(&self.tables["SubscriptionsTable"])
            .item("id", AttributeValue::S(id.into()))
            .item("owner", AttributeValue::S("another-instance".into()))
            .item("until", AttributeValue::N(until.to_string()))
            .send()
            .await
            .unwrap();
    }

    /// The lease `id` is gone.
    async fn drop_lease(&self, id: &str) {
        self.client
            .delete_item()
            .table_name(&self.tables["SubscriptionsTable"])
            .key("id", AttributeValue::S(id.into()))
            .send()
            .await
            .unwrap();
    }

    /// The event items of `broadcaster`'s feed (the events table's `feed` index).
    async fn feed(&self, broadcaster: &str) -> Vec<HashMap<String, AttributeValue>> {
        self.client
            .query()
            .table_name(&self.tables["EventsTable"])
            .index_name(shared::store::dynamo::FEED_INDEX)
            .key_condition_expression("feed = :f")
            .expression_attribute_values(":f", AttributeValue::S(format!("EV#{broadcaster}")))
            .send()
            .await
            .unwrap()
            .items
            .unwrap_or_default()
    }

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

/// A browser with user 1337's session cookie.
struct LoggedIn {
    cookie: String,
    /// The hash the store keys that session by (what its tickets name).
    session_hash: String,
}

/// The next frame the gateway hands the sample connection, as JSON.
async fn frame(inbox: &mut Inbox) -> Value {
    support::next_frame(inbox).await
}

/// How long a check that nothing arrives keeps listening. A function's
/// `POST @connections` completes before its invocation answers, so a frame
/// it sent is queued already; the grace is for a frame sent late (a
/// background task, a retry) and is long enough for one on loopback.
const NO_FRAME_GRACE: std::time::Duration = std::time::Duration::from_millis(300);

/// No frame reaches the connection within [`NO_FRAME_GRACE`].
async fn no_frame(inbox: &mut Inbox, after: &str) {
    let deadline = tokio::time::Instant::now() + NO_FRAME_GRACE;
    while let Ok(next) = tokio::time::timeout_at(deadline, inbox.recv()).await {
        match next {
            Some(Outbound::Frame(f)) => panic!(
                "after {after}: an unexpected frame {}",
                String::from_utf8_lossy(&f)
            ),
            // A close is not a frame; the gateway forgetting the connection
            // ends what can arrive.
            Some(Outbound::Close) => continue,
            None => return,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_through_the_lambda_runtime() {
    let world = World::new().await;
    // Started together: their cold starts (under qemu, slow) overlap.
    let (mut manager, mut webhook, mut websocket, mut fanout, mut poller, mut api, mut counts) = tokio::join!(
        world.start("EventSubManagerFunction"),
        world.start("WebhookFunction"),
        world.start("WebsocketFunction"),
        world.start("FanoutFunction"),
        world.start("PollerFunction"),
        world.start("ApiFunction"),
        world.start("DayCountsFunction"),
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
    websocket_gone_watcher(&world, &mut websocket).await;
    fanout_samples(&world, &mut fanout, &mut inbox).await;
    fanout_cleaned_the_gone_watcher(&world, &fanout).await;
    day_counts_samples(&world, &mut counts).await;
    websocket_leave(&world, &mut websocket, &mut inbox).await;
    poller_samples(&world, &mut poller).await;
    api_samples(&world, &mut api).await;
    poller_sees_a_live_stream(&world, &mut manager, &mut poller, &manager_samples).await;
    let user = world.logged_in_user().await;
    grants::seed(&world).await;
    api_logged_in(&world, &mut api, &mut websocket, &user).await;
    eventsub_manager_validates_sessions(&world, &mut manager, &manager_samples).await;
    let mut session_socket = websocket_of_a_session(&world, &mut websocket, &user).await;
    webhook_user_revokes(&world, &mut webhook).await;
    revoked_socket_is_closed(&world, &mut websocket, &mut session_socket).await;
    eventsub_manager_untracks(&world, &mut manager, &manager_samples).await;

    let calls = world.recorder.finish().await;
    println!(
        "iam recorder: {calls} AWS call(s) recorded in {}",
        recorder::recording_path(&repo()).display()
    );
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
    assert_eq!(
        (&sweep["skipped"], &sweep["busy"]),
        (&json!(false), &json!(0)),
        "schedule: {sweep}"
    );
    assert_eq!(
        world.leases().await,
        Vec::<String>::new(),
        "every lease the calls above took was given back"
    );
    ok(&name, "schedule", format!("sweep: {sweep}"));

    // Another instance's sweep holds the lease: this one does nothing.
    world.hold_lease("LEASE#sweep").await;
    let skipped = f.invoke("schedule", &take(samples, "schedule")).await;
    assert_eq!(skipped["skipped"], true, "schedule: {skipped}");
    assert_eq!(skipped["reconciled"], 0, "schedule: {skipped}");
    assert!(
        skipped.get("sessions").is_none(),
        "the sessions are validated by the sweep that holds the lease: {skipped}"
    );
    world.drop_lease("LEASE#sweep").await;
    ok(
        &name,
        "schedule while another sweep holds the lease",
        "skipped: no session validated, nothing reconciled",
    );

    // The one-minute schedule: the unsettled_gaps index read (none open).
    let pass = f.invoke("gap-pass", &take(samples, "gap-pass")).await;
    assert!(pass["unsettled"].as_u64().is_some(), "gap-pass: {pass}");
    assert_eq!(pass["failed"], 0, "gap-pass: {pass}");
    ok(&name, "gap-pass", format!("open-gap pass: {pass}"));
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
                let events = world.feed("1337").await;
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
    let events = world.feed("1337").await;
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
    assert_eq!(world.feed("1337").await.len(), stored);
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

/// `sample` (a WebSocket event of [`CONNECTION`]) as [`GONE`]'s, with a
/// ticket issued now.
fn as_gone_connection(sample: &Value) -> Value {
    let text = sample.to_string().replace(CONNECTION, GONE);
    let mut event: Value = serde_json::from_str(&text).unwrap();
    if event["queryStringParameters"]["ticket"].is_string() {
        let key = shared::ticket::TicketKey::new(TICKET_SECRET.as_bytes()).unwrap();
        let ticket = key.issue("dev-user", WS_AUDIENCE, shared::clock::now_ms() / 1000);
        event["queryStringParameters"]["ticket"] = ticket.clone().into();
        event["multiValueQueryStringParameters"]["ticket"] = json!([ticket]);
    }
    event
}

/// The connection a logged-in user's session opened (closed by the revocation).
const SESSION_SOCKET: &str = "S3ss10nS0cketA=";

/// `sample` (a WebSocket event of [`CONNECTION`]) as [`SESSION_SOCKET`]'s,
/// with a ticket issued now to `user`'s session.
fn as_session_socket(sample: &Value, user: &LoggedIn) -> Value {
    let text = sample.to_string().replace(CONNECTION, SESSION_SOCKET);
    let mut event: Value = serde_json::from_str(&text).unwrap();
    if event["queryStringParameters"]["ticket"].is_string() {
        let key = shared::ticket::TicketKey::new(TICKET_SECRET.as_bytes()).unwrap();
        let ticket = key.issue_for_session(
            "1337",
            Some(&user.session_hash),
            WS_AUDIENCE,
            shared::clock::now_ms() / 1000,
        );
        event["queryStringParameters"]["ticket"] = ticket.clone().into();
        event["multiValueQueryStringParameters"]["ticket"] = json!([ticket]);
    }
    event
}

/// User 1337's session opens a socket (its ticket names the session, read
/// at `$connect`) and subscribes (the session read again).
async fn websocket_of_a_session(world: &World, f: &mut Lambda, user: &LoggedIn) -> Inbox {
    let name = f.name.clone();
    let samples = samples_in(&repo().join("events/websocket"));
    let mut inbox =
        world
            .stack
            .stack
            .connections
            .register(SESSION_SOCKET, "203.0.113.9", "Mozilla/5.0");
    let connect = f
        .invoke(
            "connect (a session's ticket)",
            &as_session_socket(&take(&samples, "connect"), user),
        )
        .await;
    assert_eq!(
        connect["statusCode"], 200,
        "connect (a session's ticket): {connect}"
    );
    assert!(
        !world
            .partition("ConnectionsTable", "OPENED#1337")
            .await
            .is_empty(),
        "the socket is listed under its user"
    );
    ok(
        &name,
        "connect (a session's ticket)",
        "200, listed under its user",
    );
    let subscribe = f
        .invoke(
            "subscribe (a session's socket)",
            &as_session_socket(&take(&samples, "subscribe"), user),
        )
        .await;
    assert_eq!(subscribe["statusCode"], 200, "subscribe: {subscribe}");
    let first = frame(&mut inbox).await;
    assert_eq!(
        first["type"], "subscribed",
        "subscribe (a session's socket): {first}"
    );
    while inbox.try_recv().is_ok() {}
    ok(&name, "subscribe (a session's socket)", "200; subscribed");
    inbox
}

/// After the revocation: the user's socket was closed through
/// `@connections` (`DELETE`), and `$disconnect` removes its records.
async fn revoked_socket_is_closed(world: &World, f: &mut Lambda, inbox: &mut Inbox) {
    let name = f.name.clone();
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), inbox.recv()).await {
            Ok(Some(Outbound::Close) | None) => break,
            Ok(Some(Outbound::Frame(_))) => {}
            Err(_) => panic!("the revoked user's socket was not closed within 10 s"),
        }
    }
    let samples = samples_in(&repo().join("events/websocket"));
    let text = take(&samples, "disconnect")
        .to_string()
        .replace(CONNECTION, SESSION_SOCKET);
    let answer = f
        .invoke(
            "disconnect (the revoked socket)",
            &serde_json::from_str(&text).unwrap(),
        )
        .await;
    assert_eq!(answer["statusCode"], 200, "disconnect: {answer}");
    assert!(
        world
            .partition("ConnectionsTable", "OPENED#1337")
            .await
            .is_empty(),
        "disconnect removed the socket's listing"
    );
    ok(
        &name,
        "disconnect (the socket the revocation closed)",
        "200, its records removed",
    );
}

/// A second connection watches 1337, then its socket goes away without a
/// `$disconnect` (as when a client drops): its records stay in the table
/// until a post to it comes back 410.
async fn websocket_gone_watcher(world: &World, f: &mut Lambda) {
    let name = f.name.clone();
    let samples = samples_in(&repo().join("events/websocket"));
    let mut inbox = world
        .stack
        .stack
        .connections
        .register(GONE, "203.0.113.8", "Mozilla/5.0");
    let connect = f
        .invoke(
            "connect (second watcher)",
            &as_gone_connection(&take(&samples, "connect")),
        )
        .await;
    assert_eq!(
        connect["statusCode"], 200,
        "connect (second watcher): {connect}"
    );
    let subscribe = f
        .invoke(
            "subscribe (second watcher)",
            &as_gone_connection(&take(&samples, "subscribe")),
        )
        .await;
    assert_eq!(
        subscribe["statusCode"], 200,
        "subscribe (second watcher): {subscribe}"
    );
    assert_eq!(frame(&mut inbox).await["type"], "subscribed");
    // The backlog was posted before the answer: all of it is waiting.
    while inbox.try_recv().is_ok() {}
    // A streamer named by a login the store does not know: the logged-in
    // caller's lookup allowance pays for a Get Users, and the wish carries
    // the login.
    let mut by_login = as_gone_connection(&take(&samples, "subscribe"));
    by_login["body"] = json!({"action": "subscribe", "broadcaster": "user100002"})
        .to_string()
        .into();
    let answer = f
        .invoke("subscribe (by login, second watcher)", &by_login)
        .await;
    assert_eq!(answer["statusCode"], 200, "subscribe by login: {answer}");
    let subscribed = frame(&mut inbox).await;
    assert_eq!(
        subscribed["type"], "subscribed",
        "subscribe by login: {subscribed}"
    );
    assert_eq!(
        subscribed["broadcaster"], "100002",
        "subscribe by login: {subscribed}"
    );
    world.stack.stack.connections.remove(GONE);
    assert!(
        !world
            .partition("ConnectionsTable", &format!("CONN#{GONE}"))
            .await
            .is_empty(),
        "the second watcher is recorded"
    );
    ok(
        &name,
        "connect + subscribe (a second watcher: 1337, and user100002 by login; then its socket gone)",
        "200, 200, 200; recorded in ConnectionsTable",
    );
}

/// The fan-out's posts to the gone watcher came back 410: its records were
/// removed before it answered.
async fn fanout_cleaned_the_gone_watcher(world: &World, f: &Lambda) {
    assert!(
        world
            .partition("ConnectionsTable", &format!("CONN#{GONE}"))
            .await
            .is_empty(),
        "the fan-out removed the gone watcher's records"
    );
    ok(
        &f.name,
        "(410 from @connections for the gone watcher)",
        "its records removed from ConnectionsTable",
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
    no_frame(inbox, "disconnect").await;
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
        no_frame(inbox, &sample).await;
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

// ------------------------------------------------------------------ day counts

/// The counting consumer: a batch of new-shape inserts counted into 7070's
/// day counters, then the same batch again (Lambda's retry after a failed
/// invocation): refused by its chunk mark, read back, counted once.
async fn day_counts_samples(world: &World, f: &mut Lambda) {
    let name = f.name.clone();
    let counters = || async {
        let mut got: Vec<(String, String)> = world
            .partition("EventsTable", "CNT#7070")
            .await
            .iter()
            .map(|i| match (i.get("sk"), i.get("count")) {
                (Some(AttributeValue::S(sk)), Some(AttributeValue::N(n))) => {
                    (sk.clone(), n.clone())
                }
                other => panic!("counter item {other:?}"),
            })
            .collect();
        got.sort();
        got
    };
    let want = vec![
        ("2026-11-23#channel.cheer".to_owned(), "1".to_owned()),
        ("2026-11-23#channel.follow".to_owned(), "2".to_owned()),
    ];
    for (sample, batch) in samples_in(&repo().join("events/day_counts")) {
        let answer = f.invoke(&sample, &batch).await;
        assert_eq!(answer, Value::Null, "{sample}: {answer}");
        assert_eq!(counters().await, want, "{sample}");
        let again = f.invoke(&format!("{sample} (replayed)"), &batch).await;
        assert_eq!(again, Value::Null, "{sample} replayed: {again}");
        assert_eq!(counters().await, want, "{sample} replayed: counted once");
        ok(
            &name,
            &sample,
            "7070's counters 2 follows + 1 cheer; replayed: unchanged",
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

/// A tracked streamer who is live on Twitch (the simulator's channel
/// 100000): the poll writes its snapshot and its live state (it went live
/// before anyone watched: no "online" in the feed); once its state says it
/// was offline, the next poll records it going online in the feed.
async fn poller_sees_a_live_stream(
    world: &World,
    manager: &mut Lambda,
    f: &mut Lambda,
    manager_samples: &[(String, Value)],
) {
    let mut track = take(manager_samples, "admin-track");
    track["body"] = json!({"streamer": "user100000"}).to_string().into();
    let tracked = manager
        .invoke("admin-track (a live streamer)", &track)
        .await;
    assert_eq!(
        tracked["statusCode"], 200,
        "admin-track user100000: {tracked}"
    );
    let event = read_json(&repo().join("events/poller/schedule.json"));
    let status = f.invoke("schedule (a live streamer tracked)", &event).await;
    assert_eq!(status["outcome"], "ok", "schedule: {status}");
    assert!(
        status["snapshots_written"].as_u64() >= Some(1),
        "schedule: the live stream's snapshot: {status}"
    );
    ok(
        &f.name.clone(),
        "schedule (user100000 tracked and live)",
        format!(
            "{} snapshot(s) written, {} transition(s)",
            status["snapshots_written"], status["transitions"]
        ),
    );
    // As if 100000's stream had ended before this poll: its live state says
    // offline (written through the store), so seeing it live again is news.
    use shared::store::snapshots::SnapshotStore;
    let snapshots = shared::store::dynamo::DynamoSnapshotStore::new(
        world.client.clone(),
        world.tables["SnapshotsTable"].clone(),
    );
    let mut states = snapshots.live_states(&["100000".to_owned()]).await.unwrap();
    assert_eq!(states.len(), 1, "the poll recorded 100000's live state");
    states[0].live = false;
    states[0].stream_id = "an-earlier-stream".into();
    // And as if 1337 had been seen live an hour ago: unseen now, so the
    // poller reads its recent events for EventSub's word on it (a Query of
    // its feed; the IAM recording shows it).
    let mut was_live = states[0].clone();
    was_live.broadcaster_id = "1337".into();
    was_live.login = "user1337".into();
    was_live.live = true;
    was_live.changed_at_ms = shared::clock::now_ms() - 3_600_000;
    states.push(was_live);
    snapshots.put_live_states(&states).await.unwrap();
    let again = f.invoke("schedule (100000 back online)", &event).await;
    assert!(
        again["transitions"].as_u64() >= Some(1),
        "schedule: 100000 went online: {again}"
    );
    assert!(
        !world.feed("100000").await.is_empty(),
        "the online transition is in 100000's feed"
    );
    ok(
        &f.name.clone(),
        "schedule (100000 back online; 1337 live by its state, unseen)",
        format!("{} transition(s), in EventsTable", again["transitions"]),
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
            // 1337 among them (the second watcher wished for user100002 too).
            "get-streamers" => body["streamers"]
                .as_array()
                .is_some_and(|l| l.iter().any(|s| s["login"] == "user1337")),
            "get-streams" => body["streamer_id"] == "1337",
            "get-viewers" => body["streamer_id"] == "1337" && body["points"].is_array(),
            other => panic!("{other}: a sample without its expectation"),
        };
        assert!(holds, "{sample}: {body}");
        let text: String = body.to_string().chars().take(100).collect();
        ok(&name, &sample, format!("200 {text}"));
    }
    // An id the system has never heard of: not a streamer, no live state
    // (the snapshots table is asked), no events: 404.
    let unknown = serde_json::from_str::<Value>(
        &take(&samples_in(&repo().join("events/api")), "get-streams")
            .to_string()
            .replace("1337", "100001"),
    )
    .unwrap();
    let answer = f.invoke("get-streams (an unknown id)", &unknown).await;
    assert_eq!(answer["statusCode"], 404, "get-streams of 100001: {answer}");
    ok(&name, "get-streams (an unknown id: 100001)", 404);

    let account = [
        ("auth-login", 302),
        ("auth-login-channel", 302),
        ("auth-callback-denied", 200),
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
    let samples = samples_in(&repo().join("events/api/account"));
    assert_eq!(
        samples.len(),
        account.len(),
        "every account sample has its expectation"
    );
    for (sample, status) in account {
        let answer = f.invoke(sample, &take(&samples, sample)).await;
        assert_eq!(answer["statusCode"], status, "account/{sample}: {answer}");
        ok(&name, &format!("account/{sample}"), status);
    }
}

// ------------------------------------------------------- logged in, sessions

/// An account request like the `put-favourite` sample (same origin), for
/// `method path` with `body`, carrying `user`'s session cookie.
fn account_request(base: &Value, user: &LoggedIn, method: &str, path: &str, body: Value) -> Value {
    let mut event = base.clone();
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    event["rawPath"] = path.into();
    event["rawQueryString"] = query.into();
    // The runner's queries need no percent-decoding (base64url cursors).
    let parameters: serde_json::Map<String, Value> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
        .collect();
    event["queryStringParameters"] = Value::Object(parameters);
    event["requestContext"]["http"]["method"] = method.into();
    event["requestContext"]["http"]["path"] = path.into();
    event["headers"]["cookie"] = user.cookie.clone().into();
    event["cookies"] = json!([user.cookie]);
    event["body"] = body.to_string().into();
    event
}

/// The routes behind the session cookie: who am I, favourites (add, read,
/// overlay key, remove), WebSocket tickets, and the overlay's own routes.
async fn api_logged_in(world: &World, f: &mut Lambda, websocket: &mut Lambda, user: &LoggedIn) {
    let name = f.name.clone();
    let account = samples_in(&repo().join("events/api/account"));
    let base = take(&account, "put-favourite");
    // A well-formed event cursor (the overlay sample's).
    let shown: Value = serde_json::from_str(
        take(&account, "post-overlay-shown")["body"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let cursor = shown["cursor"].as_str().unwrap().to_owned();
    let call = |what: &'static str, method: &'static str, path: String, body: Value| {
        let event = account_request(&base, user, method, &path, body);
        (what, event)
    };
    let steps = [
        call("GET /api/me", "GET", "/api/me".into(), json!(null)),
        call(
            "PUT /api/me/favourites/user1337",
            "PUT",
            "/api/me/favourites/user1337".into(),
            json!({}),
        ),
        call(
            "POST /api/ws-ticket",
            "POST",
            "/api/ws-ticket".into(),
            json!({}),
        ),
        call(
            "POST /api/me/favourites/user1337/overlay",
            "POST",
            "/api/me/favourites/user1337/overlay".into(),
            json!({}),
        ),
    ];
    for (what, event) in steps.iter() {
        let answer = f.invoke(what, event).await;
        let status = answer["statusCode"].as_u64().unwrap_or(0);
        assert!((200..300).contains(&status), "{what}: {answer}");
        ok(&name, what, status);
        if *what == "POST /api/me/favourites/user1337/overlay" {
            let body = body_json(&answer);
            let url = body["url"]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: no url: {body}"));
            let key = url
                .split_once("#key=")
                .map(|(_, k)| k.to_owned())
                .unwrap_or_else(|| panic!("{what}: no key in {url}"));
            let overlay = [
                (
                    "POST /api/overlay/ticket",
                    "/api/overlay/ticket",
                    json!({"key": key}),
                ),
                (
                    "POST /api/overlay/shown",
                    "/api/overlay/shown",
                    json!({"key": key, "cursor": cursor}),
                ),
            ];
            for (what, path, body) in overlay {
                let answer = f
                    .invoke(what, &account_request(&base, user, "POST", path, body))
                    .await;
                let status = answer["statusCode"].as_u64().unwrap_or(0);
                assert!((200..300).contains(&status), "{what}: {answer}");
                ok(&name, what, status);
            }
            overlay::hears_the_page(world, f, websocket, user, &base, &key).await;
        }
    }
    let read = account_request(
        &base,
        user,
        "PUT",
        &format!("/api/me/favourites/user1337/read?cursor={cursor}"),
        json!({}),
    );
    let answer = f
        .invoke("PUT /api/me/favourites/user1337/read", &read)
        .await;
    let status = answer["statusCode"].as_u64().unwrap_or(0);
    assert!(
        (200..300).contains(&status),
        "PUT /api/me/favourites/user1337/read: {answer}"
    );
    ok(&name, "PUT /api/me/favourites/user1337/read", status);
    for (what, method, path) in [
        (
            "DELETE /api/me/favourites/user1337/overlay",
            "DELETE",
            "/api/me/favourites/user1337/overlay",
        ),
        (
            "DELETE /api/me/favourites/user1337",
            "DELETE",
            "/api/me/favourites/user1337",
        ),
    ] {
        let answer = f
            .invoke(what, &account_request(&base, user, method, path, json!({})))
            .await;
        let status = answer["statusCode"].as_u64().unwrap_or(0);
        assert!((200..300).contains(&status), "{what}: {answer}");
        ok(&name, what, status);
    }
}

/// The sweep's hourly validation: the session validated two hours ago is
/// checked with Twitch (which never issued its token) and ended; of the two
/// grants due, the one Twitch issued is kept (validated now), the other
/// deleted.
async fn eventsub_manager_validates_sessions(
    world: &World,
    f: &mut Lambda,
    samples: &[(String, Value)],
) {
    let sweep = f
        .invoke("schedule (a session due)", &take(samples, "schedule"))
        .await;
    assert!(
        sweep["sessions"]["checked"].as_u64() >= Some(1),
        "schedule (a session due): {sweep}"
    );
    let grants = &sweep["grants"];
    assert_eq!(
        (
            grants["checked"].as_u64(),
            grants["valid"].as_u64(),
            grants["ended"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "schedule (two grants due): {sweep}"
    );
    let live = grants::kept(world, grants::LIVE)
        .await
        .expect("the live grant kept");
    let validated: i64 = live["validated_at"].as_n().unwrap().parse().unwrap();
    assert!(validated > shared::clock::now_ms() / 1000 - 600, "{live:?}");
    assert!(
        grants::kept(world, grants::DEAD).await.is_none(),
        "the dead grant deleted"
    );
    ok(
        &f.name.clone(),
        "schedule (a session due)",
        format!("sessions: {}, grants: {grants}", sweep["sessions"]),
    );
}

/// `user.authorization.revoke` for 1337: the user's sessions end and the
/// broadcaster grant is forgotten.
async fn webhook_user_revokes(world: &World, f: &mut Lambda) {
    let now = time::OffsetDateTime::now_utc();
    let channel = shared::eventsub::fixtures::Channel::new("1337");
    let mut delivery =
        shared::eventsub::fixtures::notification("user.authorization.revoke", &channel, 0, now);
    // The event as Twitch documents it (the fixtures' generic one names a
    // broadcaster); the delivery is signed over this body.
    let mut body: Value = serde_json::from_str(&delivery.body).unwrap();
    body["event"] =
        serde_json::from_str(shared::eventsub::types::authorization::USER_AUTHORIZATION_REVOKE)
            .unwrap();
    delivery.body = body.to_string();
    let event =
        shared::eventsub::fixtures::api_gateway_event(&delivery, &support::dev_secret(), false);
    let answer = f
        .invoke("notification-user.authorization.revoke", &event)
        .await;
    assert_eq!(
        answer["statusCode"], 204,
        "user.authorization.revoke: {answer}"
    );
    let sessions: Vec<_> = world.partition_prefix("UsersTable", "SESSION#").await;
    assert!(
        sessions.is_empty(),
        "the user's sessions ended: {sessions:?}"
    );
    let profile = world.partition("UsersTable", "USER#1337").await;
    assert!(
        profile
            .iter()
            .any(|i| i.contains_key("overlays_suspended_at")),
        "the user's overlays are paused: {profile:?}"
    );
    assert!(
        grants::kept(world, grants::LIVE).await.is_none(),
        "the user's grant (kept tokens) deleted"
    );
    ok(
        &f.name.clone(),
        "notification-user.authorization.revoke (signed now)",
        "204, the user's sessions ended, overlays paused, grant deleted",
    );
}

//! The subscription manager's Lambda entry with the checked-in samples in
//! `events/eventsub_manager/` (a streamers-table stream batch, the schedule,
//! the open-gap pass's schedule, the admin routes), against the Twitch simulator and the real webhook.

use crate::support;

use std::sync::Arc;

use eventsub_manager::handler::{handle, Settings, Trigger};
use serde_json::Value;
use shared::eventsub::status::Status;
use shared::store::streamers::{StreamerStore, Wish};

/// The token the admin samples carry.
const ADMIN: &str = "local-admin-token-local-admin-token-0000";

fn sample(name: &str) -> Value {
    let path = format!(
        "{}/../events/eventsub_manager/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn trigger(event: Value) -> Trigger {
    serde_json::from_value(event).unwrap()
}

/// The admin token of the samples; sessions validated and gaps recovered
/// with the schedule.
fn settings(
    store: &Arc<shared::store::sqlite::SqliteStore>,
    helix: &Arc<shared::helix::Helix>,
) -> Settings {
    Settings {
        admin_token: ADMIN.into(),
        sessions: Some(eventsub_manager::handler::SessionSweep {
            users: store.clone(),
            grants: store.clone(),
            login: shared::helix::login::Login::new(Arc::clone(helix)),
            seal: shared::auth::seal::SealKey::ephemeral(),
            lists: None,
        }),
        recovery: Some(shared::recovery::Recoverer::new(
            Arc::clone(helix),
            store.clone(),
            store.clone(),
        )),
    }
}

/// Streamer 1337 is wanted, as the stream sample's INSERT says.
async fn want_1337(store: &dyn StreamerStore) {
    store
        .want(&Wish {
            broadcaster_id: "1337".into(),
            login: None,
            by: "t".into(),
            at_ms: 1,
        })
        .await
        .unwrap();
}

fn body(answer: &Value) -> Value {
    serde_json::from_str(answer["body"].as_str().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_trigger_sample_is_handled() {
    let stack = support::sim_stack(support::dev_secret(), ADMIN).await;
    let store = stack.store.clone();
    let side = stack.twitch();
    let manager = Arc::clone(&side.manager);
    let sim = side.sim.clone().unwrap();
    let settings = settings(&store, &side.manager.helix);

    // The stream batch: an INSERT (reconciled) and a MODIFY that only
    // refreshed "last watched" (skipped: no Twitch call).
    want_1337(store.as_ref()).await;
    let answer = handle(&manager, &settings, trigger(sample("stream-track"))).await;
    assert_eq!(answer["batchItemFailures"], serde_json::json!([]));
    let created = sim.subscriptions().len();
    assert_eq!(created, 4, "the four types that need no authorization");
    // One list and four creates: the MODIFY record cost nothing.
    assert_eq!(sim.requests("/helix/eventsub/subscriptions"), 5);

    // Admin: list, track by login, untrack.
    let list = handle(&manager, &settings, trigger(sample("admin-list"))).await;
    assert_eq!(list["statusCode"], 200);
    let listed = body(&list);
    assert_eq!(listed["streamers"][0]["id"], "1337");
    assert_eq!(listed["subscriptions"]["total"], 4);
    assert_eq!(listed["subscriptions"]["max_total_cost"], 10_000);

    let track = handle(&manager, &settings, trigger(sample("admin-track"))).await;
    assert_eq!(track["statusCode"], 200);
    assert_eq!(body(&track)["login"], "user1337");

    let mut forged = sample("admin-list");
    forged["headers"]["authorization"] = "Bearer wrong".into();
    let refused = handle(&manager, &settings, trigger(forged)).await;
    assert_eq!(refused["statusCode"], 401);
    assert_eq!(body(&refused)["error"], "unauthorized");

    // Wait for the challenges so the untrack deletes enabled subscriptions.
    support::wait_until("every challenge answered", || {
        sim.subscriptions()
            .iter()
            .all(|s| s.status == Status::Enabled)
    })
    .await;

    // The one-minute schedule's open-gap pass: a subscription Twitch ended
    // after failed deliveries (its gap opened by the webhook) is replaced.
    let failed = sim.subscriptions()[0].id.clone();
    sim.revoke(&failed, "notification_failures_exceeded")
        .await
        .unwrap();
    let pass = handle(&manager, &settings, trigger(sample("gap-pass"))).await;
    assert_eq!(pass["open"], 1, "{pass}");
    assert_eq!(pass["reconciled"], 1, "{pass}");
    assert_eq!(pass["failed"], 0, "{pass}");
    // Recovery runs after the pass; the gap waits for its replacement.
    assert_eq!(
        pass["recovery"],
        serde_json::json!({"closed": 0, "waiting": 0, "stored": 0, "calls": 0}),
        "{pass}"
    );
    assert!(sim.subscriptions().iter().all(|s| s.id != failed));
    support::wait_until("the replacement answered its challenge", || {
        sim.subscriptions()
            .iter()
            .all(|s| s.status == Status::Enabled)
    })
    .await;
    let untrack = handle(&manager, &settings, trigger(sample("admin-untrack"))).await;
    assert_eq!(untrack["statusCode"], 200);
    assert!(
        sim.subscriptions().is_empty(),
        "untracking deletes them on Twitch"
    );

    // The schedule: nothing tracked to reconcile; the two subscriptions
    // about our client are created; no session is due its validation
    // (recovery runs with the open-gap pass, not here).
    let sweep = handle(&manager, &settings, trigger(sample("schedule"))).await;
    assert_eq!(sweep["reconciled"], 0);
    assert_eq!(sweep["orphans_deleted"], 0);
    assert_eq!(sweep["app_created"], 2);
    assert_eq!(sweep["sessions"]["checked"], 0);
    assert!(sweep.get("recovery").is_none(), "{sweep}");
}

/// While another instance holds streamer 1337's lease, the stream sample's
/// record fails (Lambda retries it) and the admin samples answer 503 busy;
/// nothing reaches Twitch. Once given back, the same samples go through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_streamer_fails_its_stream_record_and_answers_the_admin_503_and_a_held_sweep_skips_the_schedule(
) {
    use shared::store::leases::LeaseStore;

    let stack = support::sim_stack(support::dev_secret(), ADMIN).await;
    let store = stack.store.clone();
    let side = stack.twitch();
    let sim = side.sim.clone().unwrap();
    let manager = eventsub_manager::manager::Manager::new(
        Arc::clone(&side.manager.helix),
        eventsub_manager::apply::Target {
            callback: side.manager.target.callback.clone(),
            former_callbacks: Vec::new(),
            secret: side.manager.target.secret.clone(),
            reserve_percent: side.manager.target.reserve_percent,
        },
        store.clone(),
        store.clone(),
        store.clone(),
    )
    .lease_wait(std::time::Duration::from_millis(300));
    let settings = settings(&store, &side.manager.helix);
    want_1337(store.as_ref()).await;
    let now = shared::clock::now_ms();
    assert!(store
        .take_lease("streamer#1337", "another-instance", now, now + 600_000)
        .await
        .unwrap());

    let batch = handle(&manager, &settings, trigger(sample("stream-track"))).await;
    let first = sample("stream-track")["Records"][0]["dynamodb"]["SequenceNumber"].clone();
    assert_eq!(
        batch["batchItemFailures"],
        serde_json::json!([{"itemIdentifier": first}]),
        "{batch}"
    );
    let untrack = handle(&manager, &settings, trigger(sample("admin-untrack"))).await;
    assert_eq!(untrack["statusCode"], 503, "{untrack}");
    assert_eq!(body(&untrack)["error"], "busy");
    assert_eq!(sim.requests("/helix/eventsub"), 0, "Twitch was never asked");

    // Another instance's scheduled run holds the sweep lease: this one
    // neither validates sessions nor sweeps.
    assert!(store
        .take_lease("sweep", "another-instance", now, now + 600_000)
        .await
        .unwrap());
    let skipped = handle(&manager, &settings, trigger(sample("schedule"))).await;
    assert_eq!(skipped["skipped"], true, "{skipped}");
    assert!(skipped.get("sessions").is_none(), "{skipped}");
    assert_eq!(sim.requests("/oauth2/validate"), 0, "{skipped}");

    store
        .return_lease("streamer#1337", "another-instance")
        .await
        .unwrap();
    let batch = handle(&manager, &settings, trigger(sample("stream-track"))).await;
    assert_eq!(batch["batchItemFailures"], serde_json::json!([]), "{batch}");
    assert_eq!(sim.subscriptions().len(), 4);
    store
        .return_lease("sweep", "another-instance")
        .await
        .unwrap();
    let swept = handle(&manager, &settings, trigger(sample("schedule"))).await;
    assert_eq!(swept["skipped"], false, "{swept}");
    assert_eq!(swept["sessions"]["checked"], 0, "{swept}");
}

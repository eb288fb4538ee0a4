//! The local stack end to end: real HTTP on loopback, the real binary, real
//! SQLite files, and the process killed the hard way.

use crate::support;

use std::path::Path;
use std::process::Command;

use local::trigger::{self, TriggerSpec};
use shared::config::EventSubSecret;
use shared::eventsub::headers::MessageType;
use shared::store::{Cursor, EventStore};
use support::{dev_secret, start_binary, temp_db};
use webhook::WebhookState;

fn spec(kind: &str, message_type: MessageType) -> TriggerSpec {
    TriggerSpec {
        kind: kind.into(),
        message_type,
        broadcaster: "1337".into(),
        reason: "authorization_revoked".into(),
        count: 1,
    }
}

/// The webhook alone, in process, on an in-memory store.
async fn in_process() -> support::Running {
    support::webhook_only(dev_secret()).await
}

#[tokio::test]
async fn the_webhook_answers_each_message_type_over_http() {
    let stack = in_process().await;
    let url = stack.http("/eventsub");
    let client = reqwest::Client::new();
    let secret = dev_secret();

    let d = trigger::build(&spec("channel.raid", MessageType::Notification), 0);
    let (status, _) = trigger::send(&client, &url, &secret, &d).await.unwrap();
    assert_eq!(status, 204);
    let page = stack.store.recent("1337", 10, None).await.unwrap();
    assert_eq!(page.events[0].event.message_id, d.message_id);

    let d = trigger::build(&spec("channel.raid", MessageType::Verification), 0);
    let (status, body) = trigger::send(&client, &url, &secret, &d).await.unwrap();
    assert_eq!(status, 200);
    assert!(d.body.contains(&format!("\"challenge\":\"{body}\"")));

    let d = trigger::build(&spec("channel.raid", MessageType::Revocation), 0);
    let (status, _) = trigger::send(&client, &url, &secret, &d).await.unwrap();
    assert_eq!(status, 204);
}

#[tokio::test]
async fn bad_requests_get_json_errors_over_http() {
    let stack = in_process().await;
    let url = stack.http("/eventsub");
    let client = reqwest::Client::new();
    let r = client.post(&url).body("{}").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/json");
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["error"], "missing_header");

    let huge = vec![b'x'; webhook::MAX_BODY_BYTES + 10];
    let r = client.post(&url).body(huge).send().await.unwrap();
    assert_eq!(r.status(), 413);
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["error"], "body_too_large");

    let wrong_secret = EventSubSecret::new("not-the-configured-secret").unwrap();
    let d = trigger::build(&spec("channel.cheer", MessageType::Notification), 0);
    let (status, body) = trigger::send(&client, &url, &wrong_secret, &d)
        .await
        .unwrap();
    assert_eq!(status, 403, "{body}");
    assert!(stack
        .store
        .recent("1337", 10, None)
        .await
        .unwrap()
        .events
        .is_empty());
}

/// Every checked-in sample is a well-formed API Gateway event whose delivery
/// is signed with the development secret: through the Lambda entry it is
/// answered 2xx (stale ones with 204 and nothing stored), never 4xx.
#[tokio::test]
async fn checked_in_samples_are_valid_api_gateway_events() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/webhook");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let request = lambda_http::request::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let stack = in_process().await;
        let state = WebhookState::new(dev_secret(), stack.store.clone(), stack.store.clone());
        let response = webhook::handle(&state, request).await;
        assert!(
            response.status().is_success(),
            "{}: {}",
            path.display(),
            response.status()
        );
        n += 1;
    }
    assert!(n >= 15, "expected the full sample set, found {n}");
}

/// Freshly generated samples (what `local samples` writes) are accepted and stored.
#[tokio::test]
async fn fresh_samples_are_stored_through_the_lambda_entry() {
    let stack = in_process().await;
    let state = WebhookState::new(dev_secret(), stack.store.clone(), stack.store.clone());
    let samples = local::samples::all(&dev_secret());
    for (name, event) in &samples {
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        let response = webhook::handle(&state, request).await;
        assert!(
            response.status().is_success(),
            "{name}: {}",
            response.status()
        );
    }
    let notifications = samples
        .iter()
        .filter(|(n, _)| n.starts_with("notification-"))
        .count();
    let page = stack.store.recent("1337", 100, None).await.unwrap();
    assert_eq!(page.events.len(), notifications);
}

async fn all_message_ids(db: &Path) -> std::collections::HashSet<String> {
    let store = support::open_store(db);
    let mut ids = std::collections::HashSet::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = store.recent("1337", 100, cursor.as_ref()).await.unwrap();
        ids.extend(page.events.iter().map(|e| e.event.message_id.clone()));
        match page.next {
            Some(c) => cursor = Some(c),
            None => return ids,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_events_survive_kill_9() {
    let (dir, db) = temp_db();
    let mut binary = start_binary(&db);
    let client = reqwest::Client::new();
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel();
    // Eight senders post continuously; the process is killed while they do.
    for worker in 0..8u64 {
        let (client, url, acked) = (client.clone(), binary.url.clone(), acked_tx.clone());
        tokio::spawn(async move {
            let spec = spec("channel.cheer", MessageType::Notification);
            for seq in 0.. {
                let d = trigger::build(&spec, worker * 1_000_000 + seq);
                match trigger::send(&client, &url, &dev_secret(), &d).await {
                    Ok((204, _)) => {
                        if acked.send(d.message_id).is_err() {
                            return;
                        }
                    }
                    _ => return,
                }
            }
        });
    }
    drop(acked_tx);
    let mut acked = Vec::new();
    while acked.len() < 300 {
        acked.push(acked_rx.recv().await.expect("acknowledgements keep coming"));
    }
    binary.child.kill().unwrap(); // SIGKILL: no shutdown code runs
    binary.child.wait().unwrap();
    // Acknowledgements that raced the kill were also acknowledged.
    while let Ok(id) = acked_rx.try_recv() {
        acked.push(id);
    }
    let stored = all_message_ids(&db).await;
    let lost: Vec<_> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged events lost: {lost:?}",
        lost.len()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn ctrl_c_stops_the_stack_cleanly_and_keeps_what_it_stored() {
    let (dir, db) = temp_db();
    let mut binary = start_binary(&db);
    let client = reqwest::Client::new();
    let d = trigger::build(&spec("channel.follow", MessageType::Notification), 1);
    let (status, _) = trigger::send(&client, &binary.url, &dev_secret(), &d)
        .await
        .unwrap();
    assert_eq!(status, 204);
    let kill = Command::new("kill")
        .args(["-INT", &binary.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let exit = binary.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    // The reader thread ends at EOF, so this collects everything it printed.
    let said: Vec<String> = binary.lines.iter().collect();
    assert!(
        said.iter().any(|l| l.contains("stopped cleanly")),
        "{said:?}"
    );
    assert!(all_message_ids(&db).await.contains(&d.message_id));
    let _ = std::fs::remove_dir_all(dir);
}

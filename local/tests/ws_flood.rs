//! One socket that floods the stack with messages holds a bounded amount of
//! memory, and what it held is given back once it closes. Alone in its
//! file: it measures this process's resident memory.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use shared::config::Retention;
use shared::store::sqlite::{Durability, SqliteStore};
use tokio_tungstenite::tungstenite::Message;

const MESSAGES: usize = 20_000;
const MB: u64 = 1 << 20;

/// This process's resident memory, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_messages_on_one_socket_hold_little_memory_and_free_it_on_close() {
    // With Twitch (simulated): a subscribe may track a streamer, and waits
    // on the store and Helix as in the review's release stack.
    // On a file, every write durable (the default): writes take a while,
    // as they do on a real disk.
    let (dir, db) = support::temp_db();
    let store = Arc::new(
        SqliteStore::open(
            db.to_str().unwrap(),
            Durability::PowerLoss,
            Retention::default(),
        )
        .unwrap(),
    );
    let s = support::sim_stack_on(store, support::dev_secret(), "admin").await;
    let url = format!("ws://{}/ws?ticket={}", s.addr, s.ticket("4242"));
    let mut ws = support::connect(&url).await;
    // Warm up: the first subscribe builds what every later one reuses.
    support::send(&mut ws, r#"{"action":"subscribe","broadcaster":"1"}"#).await;
    support::next_json(&mut ws).await;
    let before = rss();
    let peak = Arc::new(AtomicU64::new(before));
    let sampler = {
        let peak = Arc::clone(&peak);
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss(), Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    // As fast as the stack takes them; the answers are never read.
    for i in 0..MESSAGES {
        let action = if i % 2 == 0 {
            "subscribe"
        } else {
            "unsubscribe"
        };
        let text = format!(r#"{{"action":"{action}","broadcaster":"flood{}"}}"#, i / 2);
        ws.feed(Message::Text(text.into())).await.unwrap();
    }
    ws.flush().await.unwrap();
    let _ = ws.close(None).await;
    drop(ws);
    // Gone from the gateway, then given 10 s to give back what it held.
    let gone = tokio::time::timeout(support::PATIENCE, async {
        while !s.stack.connections.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(gone.is_ok(), "the socket is still registered");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut after = rss();
    while after > before + 20 * MB && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = rss();
    }
    sampler.abort();
    let grew = peak.load(Ordering::SeqCst).saturating_sub(before);
    eprintln!(
        "RSS {} MB before, +{} MB at peak, {} MB after close",
        before / MB,
        grew / MB,
        after / MB
    );
    let at_once = s.stack.ws.as_ref().unwrap().messages.peak();
    eprintln!("messages handled at once: at most {at_once}");
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
    assert!(
        at_once <= 16,
        "{at_once} of one socket's messages in flight at once"
    );
    assert!(grew <= 50 * MB, "grew by {} MB", grew / MB);
    assert!(
        after <= before + 20 * MB,
        "{} MB before, {} MB 10 s after the close",
        before / MB,
        after / MB
    );
}

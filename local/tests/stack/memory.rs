//! What the real binary gives back once a socket that flooded it closes
//! (issue 22, finding 7). The binary's allocator is its own (mimalloc, set
//! in `local`'s main), so this is measured on the process; `ws_flood.rs`
//! measures the stack's bounds inside a test process.

use std::time::Duration;

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{self, start_binary_with, temp_db};

const MESSAGES: usize = 20_000;
const MB: u64 = 1 << 20;

/// A field of `/proc/<pid>/smaps_rollup` or `status`, in bytes (they are in kB).
fn kb_field(pid: u32, file: &str, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/{file}"));
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

fn rss(pid: u32) -> u64 {
    kb_field(pid, "status", "VmRSS")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_socket_s_memory_goes_back_to_the_system_within_10_s_of_its_close() {
    let (dir, db) = temp_db();
    let mut binary = start_binary_with(&db, &["--open"]);
    let pid = binary.child.id();
    let ws_url = binary
        .url
        .replace("http://", "ws://")
        .replace("/eventsub", "/ws");
    let mut ws = support::connect(&ws_url).await;
    // Warm up: the first subscribe builds what every later one reuses.
    support::send(&mut ws, r#"{"action":"subscribe","broadcaster":"1"}"#).await;
    support::next_json(&mut ws).await;
    let before = rss(pid);
    let huge_before = kb_field(pid, "smaps_rollup", "AnonHugePages");
    // As the review did (scripts/ws-pressure.py flood): as fast as the
    // stack takes them, answers never read, then the client goes away.
    for i in 0..MESSAGES {
        let action = if i % 2 == 0 {
            "subscribe"
        } else {
            "unsubscribe"
        };
        let text = format!(
            r#"{{"action":"{action}","broadcaster":"{}"}}"#,
            1000 + i / 2 % 50
        );
        ws.feed(Message::Text(text.into())).await.unwrap();
    }
    ws.flush().await.unwrap();
    drop(ws);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut after = rss(pid);
    while after > before + 20 * MB && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = rss(pid);
    }
    // What kept it before: mimalloc asked for transparent huge pages, and
    // memory freed inside a huge page stays resident until the kernel
    // splits it, which it does only under memory pressure. (The few taken
    // before `main` turns them off stay; the flood must add none.)
    let huge = kb_field(pid, "smaps_rollup", "AnonHugePages");
    let _ = binary.child.kill();
    let _ = binary.child.wait();
    let _ = std::fs::remove_dir_all(dir);
    eprintln!(
        "RSS {} MB before, {} MB after the close; huge pages {} MB before, {} MB after",
        before / MB,
        after / MB,
        huge_before / MB,
        huge / MB
    );
    assert!(
        huge <= huge_before,
        "the flood was given transparent huge pages: {} MB before, {} MB after",
        huge_before / MB,
        huge / MB
    );
    assert!(
        after <= before + 20 * MB,
        "{} MB before, {} MB 10 s after the close",
        before / MB,
        after / MB
    );
}

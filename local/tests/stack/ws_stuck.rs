//! A client that stops reading: events of other streamers still reach
//! their readers at once, and the stuck socket is closed at its deadline
//! even while a send to it is blocked.

use crate::support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use local::stack::Stack;
use shared::store::{Event, EventStore};

const IDLE: Duration = Duration::from_secs(2);
const LIFETIME: Duration = Duration::from_secs(60);
/// Events to the stuck client's streamer, each near API Gateway's frame limit.
const STUCK_EVENTS: usize = 60;
const PAD: usize = 120 * 1024;

fn event(id: String, broadcaster: &str, payload: String) -> Event {
    Event {
        message_id: id,
        broadcaster_id: broadcaster.into(),
        event_type: "channel.cheer".into(),
        event_version: "1".into(),
        subscription_id: "s".into(),
        received_at_ms: shared::clock::now_ms(),
        summary: None,
        payload,
        recovery: None,
    }
}

/// A WebSocket client whose socket buffers little: it stops reading, and
/// the server's sends to it block soon after.
async fn stuck_client(url: &str) -> support::Socket {
    let addr = url.trim_start_matches("ws://").split('/').next().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(addr.parse().unwrap()).await.unwrap();
    let (ws, _) =
        tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(tcp))
            .await
            .unwrap();
    ws
}

/// A local stack whose sockets idle out after [`IDLE`], its store, and its `/ws` URL.
async fn stack() -> (
    support::Running,
    Arc<shared::store::sqlite::SqliteStore>,
    String,
) {
    let store = support::memory_store();
    let s = support::serve(store.clone(), |addr| {
        let settings = support::stack_settings(support::dev_secret(), None);
        let mut stack = Stack::build(settings, store.clone(), addr, None);
        let ws = Arc::get_mut(&mut stack)
            .and_then(|s| s.ws.as_mut())
            .and_then(Arc::get_mut)
            .expect("not shared before it serves");
        ws.idle = IDLE;
        ws.lifetime = LIFETIME;
        stack
    })
    .await;
    let url = format!("ws://{}/ws", s.addr);
    (s, store, url)
}

fn pad() -> String {
    format!(r#"{{"pad":"{}"}}"#, "x".repeat(PAD))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_delays_no_other_streamers_event() {
    let (s, store, url) = stack().await;
    let mut stuck = stuck_client(&url).await;
    support::send(&mut stuck, r#"{"action":"subscribe","broadcaster":"1001"}"#).await;
    assert_eq!(support::next_json(&mut stuck).await["type"], "subscribed");
    let mut reader = support::connect(&url).await;
    support::send(
        &mut reader,
        r#"{"action":"subscribe","broadcaster":"2002"}"#,
    )
    .await;
    assert_eq!(support::next_json(&mut reader).await["type"], "subscribed");
    assert_eq!(s.stack.connections.len(), 2);

    // The stuck client's streamer gets big events; after each, one for the
    // reader's, timed from its commit to its arrival.
    let pad = pad();
    let mut latencies = Vec::new();
    for i in 0..STUCK_EVENTS {
        store
            .append_once(&event(format!("big{i}"), "1001", pad.clone()), None)
            .await
            .unwrap();
        let sent = Instant::now();
        store
            .append_once(&event(format!("small{i}"), "2002", "{}".into()), None)
            .await
            .unwrap();
        let frame = support::next_json(&mut reader).await;
        latencies.push(sent.elapsed());
        // Fail at once rather than after minutes of a blocked fan-out.
        assert!(
            sent.elapsed() < Duration::from_secs(1),
            "event {i} for an unrelated streamer took {:?}",
            sent.elapsed()
        );
        assert_eq!(frame["id"], format!("small{i}"), "{frame}");
    }
    latencies.sort();
    let p99 = latencies[latencies.len() * 99 / 100 - 1];
    eprintln!(
        "unrelated event: median {:?}, p99 {p99:?}, max {:?}",
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
    assert!(p99 <= Duration::from_millis(50), "p99 {p99:?}");
    drop(stuck);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_closed_at_its_idle_deadline_while_a_send_blocks() {
    let (s, store, url) = stack().await;
    let mut stuck = stuck_client(&url).await;
    support::send(&mut stuck, r#"{"action":"subscribe","broadcaster":"1001"}"#).await;
    assert_eq!(support::next_json(&mut stuck).await["type"], "subscribed");
    assert_eq!(s.stack.connections.len(), 1);
    // Enough to fill its socket's buffers and the gateway's queue: a send
    // to it blocks. Committed at once; the fan-out goes on its own.
    let pad = pad();
    for i in 0..STUCK_EVENTS {
        store
            .append_once(&event(format!("big{i}"), "1001", pad.clone()), None)
            .await
            .unwrap();
    }
    let flooded = Instant::now();
    // Its last successful send was at the latest now: its idle deadline is
    // at most IDLE away; 5 s of grace.
    let cut = tokio::time::timeout(IDLE + Duration::from_secs(5), async {
        while !s.stack.connections.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        cut.is_ok(),
        "the stuck socket is still registered {:?} after the flood",
        flooded.elapsed()
    );
    eprintln!(
        "stuck socket cut {:?} after the flood (idle deadline {IDLE:?})",
        flooded.elapsed()
    );
    drop(stuck);
}

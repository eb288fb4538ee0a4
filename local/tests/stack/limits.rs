//! The local server's limits against clients that hold on: slow heads, slow
//! bodies, and more connections than it serves at once.

use crate::support;

use std::time::Duration;

use local::listen::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn short() -> Limits {
    Limits {
        connections: 64,
        header_read: Duration::from_millis(300),
        request: Duration::from_millis(300),
    }
}

/// Everything the server sends until it closes the connection.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let read = tokio::time::timeout(support::PATIENCE, stream.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the server kept the connection open");
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_that_never_ends_is_cut_off() {
    let s = support::webhook_only_within(support::dev_secret(), short()).await;
    let mut slow = TcpStream::connect(s.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let answer = until_closed(&mut slow).await;
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_ends_is_answered_408_and_stores_nothing() {
    let s = support::webhook_only_within(support::dev_secret(), short()).await;
    let mut slow = TcpStream::connect(s.addr).await.unwrap();
    slow.write_all(
        b"POST /eventsub HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"subscr",
    )
    .await
    .unwrap();
    let answer = until_closed(&mut slow).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"error\":\"request_timeout\""), "{answer}");
    let health = reqwest::get(s.http("/healthz"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let health: serde_json::Value = serde_json::from_str(&health).unwrap();
    assert_eq!(health["stored"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_wait_until_one_closes() {
    let limits = Limits {
        connections: 1,
        header_read: Duration::from_secs(30),
        ..short()
    };
    let s = support::webhook_only_within(support::dev_secret(), limits).await;
    // The backlog is first in, first out: the holder takes the one place.
    let holder = TcpStream::connect(s.addr).await.unwrap();
    let waiting = tokio::spawn(reqwest::get(s.http("/healthz")));
    // Nothing to await for "not served": give it ample time to be wrongly served.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "served beyond the cap");
    drop(holder);
    let answer = tokio::time::timeout(support::PATIENCE, waiting)
        .await
        .expect("served once a place is free")
        .unwrap()
        .unwrap();
    assert_eq!(answer.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_sends_a_byte_is_cut_at_the_head_deadline_from_accept() {
    let limits = Limits {
        connections: 1,
        header_read: Duration::from_millis(300),
        ..short()
    };
    let s = support::webhook_only_within(support::dev_secret(), limits).await;
    // The one place, taken by a socket that says nothing.
    let mut silent = TcpStream::connect(s.addr).await.unwrap();
    let started = std::time::Instant::now();
    let answer = until_closed(&mut silent).await;
    let took = started.elapsed();
    assert_eq!(answer, "", "nothing was asked, nothing answered");
    assert!(took < Duration::from_secs(3), "cut after {took:?}");
    // Its place is free again.
    let health = tokio::time::timeout(support::PATIENCE, reqwest::get(s.http("/healthz")))
        .await
        .expect("served once the silent socket is cut")
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_that_goes_quiet_is_cut_at_the_head_deadline() {
    let s = support::webhook_only_within(support::dev_secret(), short()).await;
    let mut quiet = TcpStream::connect(s.addr).await.unwrap();
    quiet
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let answer = until_closed(&mut quiet).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

//! The local `@connections` API, driven by the real AWS SDK client
//! (aws-sdk-apigatewaymanagement) exactly as a Lambda would drive API Gateway.

mod support;

use std::sync::Arc;

use local::gateway::{Connections, Outbound};
use shared::push::{Push, PushError, Pusher, MAX_FRAME_BYTES};

/// The webhook and `@connections`, running until dropped.
struct Running {
    base: String,
    connections: Arc<Connections>,
    _stack: support::Running,
}

async fn start() -> Running {
    let stack = support::webhook_only(support::dev_secret()).await;
    Running {
        base: stack.http(""),
        connections: Arc::clone(&stack.stack.connections),
        _stack: stack,
    }
}

#[tokio::test]
async fn a_post_reaches_the_connection_at_the_root_and_under_a_stage() {
    let gw = start().await;
    let mut frames = gw.connections.register("abc=", "127.0.0.1", "test");
    for endpoint in [gw.base.clone(), format!("{}/dev", gw.base)] {
        let pusher = Pusher::local(&endpoint);
        pusher.post("abc=", br#"{"type":"event"}"#).await.unwrap();
        assert_eq!(
            frames.recv().await.unwrap(),
            Outbound::Frame(r#"{"type":"event"}"#.into())
        );
    }
}

#[tokio::test]
async fn an_unknown_connection_is_gone() {
    let gw = start().await;
    let pusher = Pusher::local(&gw.base);
    assert_eq!(pusher.post("nobody", b"x").await, Err(PushError::Gone));
    let r = reqwest::Client::new()
        .get(format!("{}/@connections/nobody", gw.base))
        .header("authorization", SIGNED)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
}

#[tokio::test]
async fn frames_over_128_kb_are_refused_by_client_and_gateway() {
    let gw = start().await;
    let _frames = gw.connections.register("big", "127.0.0.1", "test");
    let pusher = Pusher::local(&gw.base);
    let big = vec![b'x'; MAX_FRAME_BYTES + 1];
    assert_eq!(
        pusher.post("big", &big).await,
        Err(PushError::TooLarge(MAX_FRAME_BYTES + 1))
    );
    let r = reqwest::Client::new()
        .post(format!("{}/@connections/big", gw.base))
        .header("authorization", SIGNED)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["x-amzn-errortype"], "PayloadTooLargeException");
}

#[tokio::test]
async fn delete_closes_the_connection_and_later_posts_are_gone() {
    let gw = start().await;
    let mut frames = gw.connections.register("c1", "127.0.0.1", "test");
    let pusher = Pusher::local(&gw.base);
    pusher.close("c1").await.unwrap();
    assert_eq!(frames.recv().await.unwrap(), Outbound::Close);
    assert_eq!(pusher.post("c1", b"x").await, Err(PushError::Gone));
    // Closing what is already gone is not an error.
    pusher.close("c1").await.unwrap();
}

#[tokio::test]
async fn get_describes_a_live_connection() {
    let gw = start().await;
    let _frames = gw.connections.register("c2", "127.0.0.9", "agent/1");
    let r = reqwest::Client::new()
        .get(format!("{}/@connections/c2", gw.base))
        .header("authorization", SIGNED)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["identity"]["sourceIp"], "127.0.0.9");
    assert!(v["connectedAt"].as_str().is_some());
}

/// The shape of a SigV4 `Authorization` header (what the SDK client sends).
const SIGNED: &str = "AWS4-HMAC-SHA256 Credential=local/20261202/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=0";

#[tokio::test]
async fn unsigned_calls_cannot_post_to_read_or_close_a_connection() {
    let gw = start().await;
    let mut frames = gw.connections.register("victim", "127.0.0.1", "test");
    let client = reqwest::Client::new();
    let url = format!("{}/@connections/victim", gw.base);
    for r in [
        client.post(&url).body("forged").send().await.unwrap(),
        client.get(&url).send().await.unwrap(),
        client.delete(&url).send().await.unwrap(),
    ] {
        assert_eq!(r.status(), 403);
        assert_eq!(r.headers()["x-amzn-errortype"], "ForbiddenException");
    }
    // Nothing reached the victim, whose socket is still open.
    assert!(frames.try_recv().is_err());
    assert_eq!(gw.connections.len(), 1);
}

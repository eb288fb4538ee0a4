//! The local `@connections` API, driven by the real AWS SDK client
//! (aws-sdk-apigatewaymanagement) exactly as a Lambda would drive API Gateway.

use crate::support;

use std::sync::Arc;

use local::gateway::{Connections, Outbound};
use shared::push::{Push, PushError, Pusher, MAX_FRAME_BYTES};

/// The webhook and `@connections`, running until dropped.
struct Running {
    base: String,
    connections: Arc<Connections>,
    stack: support::Running,
}

impl Running {
    /// The SDK client for `endpoint`, with the stack's credentials.
    fn pusher(&self, endpoint: &str) -> Pusher {
        self.stack.pusher(endpoint)
    }

    /// A call to `path` signed with the stack's credentials.
    fn signed(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> reqwest::RequestBuilder {
        self.stack
            .signed(&self.stack.stack.management, method, path, body)
    }
}

async fn start() -> Running {
    let stack = support::webhook_only(support::dev_secret()).await;
    Running {
        base: stack.http(""),
        connections: Arc::clone(&stack.stack.connections),
        stack,
    }
}

#[tokio::test]
async fn a_post_reaches_the_connection_at_the_root_and_under_a_stage() {
    let gw = start().await;
    let mut frames = gw.connections.register("abc=", "127.0.0.1", "test");
    for endpoint in [gw.base.clone(), format!("{}/dev", gw.base)] {
        let pusher = gw.pusher(&endpoint);
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
    let pusher = gw.pusher(&gw.base);
    assert_eq!(pusher.post("nobody", b"x").await, Err(PushError::Gone));
    let r = gw
        .signed(reqwest::Method::GET, "/@connections/nobody", vec![])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
}

#[tokio::test]
async fn frames_over_128_kb_are_refused_by_client_and_gateway() {
    let gw = start().await;
    let _frames = gw.connections.register("big", "127.0.0.1", "test");
    let pusher = gw.pusher(&gw.base);
    let big = vec![b'x'; MAX_FRAME_BYTES + 1];
    assert_eq!(
        pusher.post("big", &big).await,
        Err(PushError::TooLarge(MAX_FRAME_BYTES + 1))
    );
    let r = gw
        .signed(reqwest::Method::POST, "/@connections/big", big)
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
    let pusher = gw.pusher(&gw.base);
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
    let r = gw
        .signed(reqwest::Method::GET, "/@connections/c2", vec![])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["identity"]["sourceIp"], "127.0.0.9");
    assert!(v["connectedAt"].as_str().is_some());
}

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
        assert_eq!(
            r.headers()["x-amzn-errortype"],
            "MissingAuthenticationTokenException"
        );
    }
    // Nothing reached the victim, whose socket is still open.
    assert!(frames.try_recv().is_err());
    assert_eq!(gw.connections.len(), 1);
}

#[tokio::test]
async fn a_signature_by_other_credentials_or_a_lone_sigv4_header_is_refused() {
    let gw = start().await;
    let mut frames = gw.connections.register("victim", "127.0.0.1", "test");
    let ours = &gw.stack.stack.management;
    let guessed = local::sigv4::Credentials::new(ours.access_key_id(), "guessed-secret");
    let stranger = local::sigv4::Credentials::random();
    for (credentials, error_type) in [
        (&guessed, "InvalidSignatureException"),
        (&stranger, "UnrecognizedClientException"),
    ] {
        for method in [
            reqwest::Method::POST,
            reqwest::Method::GET,
            reqwest::Method::DELETE,
        ] {
            let r = gw
                .stack
                .signed(
                    credentials,
                    method,
                    "/@connections/victim",
                    b"forged".to_vec(),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 403);
            assert_eq!(r.headers()["x-amzn-errortype"], error_type);
        }
    }
    // What the earlier check let through: the header's form without a valid signature.
    let r = reqwest::Client::new()
        .post(format!("{}/@connections/victim", gw.base))
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential={}/20261202/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
                ours.access_key_id()
            ),
        )
        .header("x-amz-date", "20261202T000000Z")
        .body("forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The SDK client itself, with a wrong secret, gets the same answer.
    let forger = Pusher::local(&gw.base, ours.access_key_id(), "guessed-secret");
    assert!(matches!(
        forger.post("victim", b"forged").await,
        Err(PushError::Transient(_))
    ));
    assert!(frames.try_recv().is_err());
    assert_eq!(gw.connections.len(), 1);
}

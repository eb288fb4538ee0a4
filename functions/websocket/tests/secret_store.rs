//! The WebSocket API with its ticket secret in Secrets Manager (a stand-in
//! on loopback): while the store cannot be reached `$connect` is refused with
//! 503 and an error frame; once it is up the state is built and the ticket
//! is checked against the stored key (this one's signature is not valid: 401).
//!
//! A test binary of its own: it sets the process's environment.

use std::net::TcpListener;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use shared::aws::deferred::Deferred;
use shared::aws::secrets::stand_in::{set_loopback_env, test_secrets, unused_port, StandIn};

const ID: &str = "streamer-events/websocket-test";

fn connect() -> ApiGatewayWebsocketProxyRequest {
    serde_json::from_str(include_str!("../../../events/websocket/connect.json")).unwrap()
}

#[tokio::test]
async fn unreachable_store_refuses_connect_with_503_then_checks_the_ticket() {
    let port = unused_port().unwrap();
    set_loopback_env(ID, &format!("http://127.0.0.1:{port}"));
    for (name, value) in [
        ("EVENTS_TABLE", "events"),
        ("SUBSCRIPTIONS_TABLE", "subscriptions"),
        ("CONNECTIONS_TABLE", "connections"),
        ("USERS_TABLE", "users"),
        ("WEBSOCKET_AUTH", "tickets"),
    ] {
        std::env::set_var(name, value);
    }

    let state = Deferred::init(websocket::aws::state_from)
        .await
        .expect("init");
    let refused = websocket::aws::serve(&state, connect()).await;
    assert_eq!(refused.status_code, 503);
    let frame = match &refused.body {
        Some(aws_lambda_events::encodings::Body::Text(t)) => t.clone(),
        other => panic!("{other:?}"),
    };
    let frame: serde_json::Value = serde_json::from_str(&frame).unwrap();
    assert_eq!(
        (frame["type"].as_str(), frame["code"].as_str()),
        (Some("error"), Some("unavailable"))
    );

    let store = StandIn::one(
        TcpListener::bind(("127.0.0.1", port)).unwrap(),
        ID,
        &test_secrets(),
    )
    .unwrap();
    let checked = websocket::aws::serve(&state, connect()).await;
    assert_eq!(checked.status_code, 401);
    assert_eq!(store.requests(), 1);
}

//! The API with its secrets in Secrets Manager (a stand-in on loopback):
//! while the store cannot be reached every request is a 503
//! `store_unavailable` (the caller retries); the first request after the
//! store is up builds the state and is served.
//!
//! A test binary of its own: it sets the process's environment.

use std::net::TcpListener;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request};
use shared::aws::deferred::Deferred;
use shared::aws::secrets::stand_in::{set_loopback_env, test_secrets, unused_port, StandIn};

const ID: &str = "streamer-events/api-test";

fn openapi() -> Request {
    lambda_http::http::Request::builder()
        .uri("/api/openapi.json")
        .body(Body::Empty)
        .unwrap()
}

fn body(response: &lambda_http::Response<Body>) -> serde_json::Value {
    match response.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn unreachable_store_answers_503_then_the_request_is_served() {
    let port = unused_port().unwrap();
    set_loopback_env(ID, &format!("http://127.0.0.1:{port}"));
    for (name, value) in [
        ("EVENTS_TABLE", "events"),
        ("SUBSCRIPTIONS_TABLE", "subscriptions"),
        ("STREAMERS_TABLE", "streamers"),
        ("SNAPSHOTS_TABLE", "snapshots"),
        ("USERS_TABLE", "users"),
        ("WEBSOCKET_URL", "ws://127.0.0.1:9/ws"),
        ("TWITCH_CLIENT_ID", "client"),
    ] {
        std::env::set_var(name, value);
    }

    let state = Deferred::init(api::aws::state_from).await.expect("init");
    let response = api::aws::serve(&state, openapi()).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body(&response)["error"], "store_unavailable");

    let store = StandIn::one(
        TcpListener::bind(("127.0.0.1", port)).unwrap(),
        ID,
        &test_secrets(),
    )
    .unwrap();
    let response = api::aws::serve(&state, openapi()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(&response)["openapi"], "3.0.3");
    assert_eq!(store.requests(), 1);
}

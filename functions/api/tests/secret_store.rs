//! The API with its secrets in Secrets Manager (a stand-in on loopback):
//! while the store cannot be reached every request is a 503
//! `store_unavailable` (the caller retries); the first request after the
//! store is up builds the state and is served.
//!
//! A test binary of its own: it sets the process's environment.

use std::collections::HashMap;
use std::net::TcpListener;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request};
use shared::aws::deferred::Deferred;
use shared::aws::secrets::stand_in::{unused_port, Answer, StandIn};

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
    for (name, value) in [
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "local".into()),
        ("AWS_SECRET_ACCESS_KEY", "local".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("DYNAMODB_ENDPOINT", "http://127.0.0.1:9".into()),
        ("EVENTS_TABLE", "events".into()),
        ("SUBSCRIPTIONS_TABLE", "subscriptions".into()),
        ("STREAMERS_TABLE", "streamers".into()),
        ("SNAPSHOTS_TABLE", "snapshots".into()),
        ("USERS_TABLE", "users".into()),
        ("WEBSOCKET_URL", "ws://127.0.0.1:9/ws".into()),
        ("TWITCH_CLIENT_ID", "client".into()),
        ("SECRETS_ID", ID.into()),
        (
            "SECRETS_MANAGER_ENDPOINT",
            format!("http://127.0.0.1:{port}"),
        ),
    ] {
        std::env::set_var(name, value);
    }

    let state = Deferred::init(api::aws::state_from).await.expect("init");
    let response = api::aws::serve(&state, openapi()).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body(&response)["error"], "store_unavailable");

    let secret = serde_json::json!({
        "eventsub_secret": "stored-eventsub-secret",
        "ticket_secret": "stored-ticket-secret-of-at-least-32-bytes",
        "admin_token": "stored-admin-token",
        "session_key": "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        "twitch_client_secret": "stored-twitch-client-secret",
    });
    let store = StandIn::serve(
        TcpListener::bind(("127.0.0.1", port)).unwrap(),
        HashMap::from([(ID.to_owned(), Answer::Secret(secret.to_string()))]),
    )
    .unwrap();
    let response = api::aws::serve(&state, openapi()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(&response)["openapi"], "3.0.3");
    assert_eq!(store.requests(), 1);
}

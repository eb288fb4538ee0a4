//! The read API on the local stack: `local::api_host::routes` over real HTTP on
//! loopback, with the page served by the same handler, answered by the api
//! function's own handler.

use crate::support;

use std::sync::Arc;

use serde_json::Value;
use shared::store::streamers::{StreamerStore, Wish};

const TOKEN: &str = "local-admin-token-local-admin-token-0000";

/// Serves the API and the page on an ephemeral port; returns its base URL.
async fn serve() -> String {
    let store = support::memory_store();
    store
        .want(&Wish {
            broadcaster_id: "1337".into(),
            login: Some("user1337".into()),
            by: "test".into(),
            at_ms: 1,
        })
        .await
        .unwrap();
    let state = Arc::new(api::ApiState {
        events: store.clone(),
        streamers: store.clone(),
        gaps: store.clone(),
        snapshots: store,
        admin_token: TOKEN.into(),
        account: None,
        site: Some(api::site::Site {
            websocket_url: "ws://127.0.0.1/ws".into(),
            open: false,
            embeds: true,
            dir: None,
        }),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = local::api_host::routes(state);
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

async fn call(method: reqwest::Method, url: &str, token: Option<&str>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(method, url);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/json", "{url}");
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap())
}

#[tokio::test]
async fn api_routes_answer_through_the_functions_handler() {
    let base = serve().await;
    let (status, body) = call(
        reqwest::Method::GET,
        &format!("{base}/api/streamers?limit=5"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["streamers"][0]["login"], "user1337");

    let (status, body) = call(
        reqwest::Method::GET,
        &format!("{base}/api/streamers/user1337/events?limit=0"),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_parameter"))
    );
}

#[tokio::test]
async fn unknown_api_paths_and_methods_are_json_not_page_files() {
    let base = serve().await;
    for path in ["/api", "/api/", "/api/nope", "/api/index.html"] {
        let (status, body) = call(reqwest::Method::GET, &format!("{base}{path}"), None).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }
    let (status, body) = call(reqwest::Method::DELETE, &format!("{base}/api/live"), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (405, Some("method_not_allowed"))
    );
}

#[tokio::test]
async fn the_poller_switch_needs_the_admin_token() {
    let base = serve().await;
    let url = format!("{base}/api/poller/pause");
    let (status, _) = call(reqwest::Method::POST, &url, None).await;
    assert_eq!(status, 401);
    let (status, body) = call(reqwest::Method::POST, &url, Some(TOKEN)).await;
    assert_eq!((status, &body["paused"]), (200, &Value::Bool(true)));
}

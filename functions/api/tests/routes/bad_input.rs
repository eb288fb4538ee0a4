//! Bad input, unknown routes and methods: 400, 404 and 405 with a JSON body.

use super::*;

#[tokio::test]
async fn every_bad_parameter_is_400_with_a_json_error() {
    let f = Fixture::new();
    feed(&f, 2).await;
    let cursor = f.get("/api/streamers/1337/events").await.body["events"][0]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases = [
        ("/api/streamers/1337/events?limit=0", "invalid_parameter"),
        ("/api/streamers/1337/viewers?points=0", "invalid_parameter"),
        (
            "/api/streamers/1337/viewers?points=1001",
            "invalid_parameter",
        ),
        (
            "/api/streamers/1337/viewers?from=yesterday",
            "invalid_parameter",
        ),
        ("/api/streamers/1337/events?limit=101", "invalid_parameter"),
        ("/api/streamers/1337/events?limit=-1", "invalid_parameter"),
        ("/api/streamers/1337/events?limit=abc", "invalid_parameter"),
        ("/api/streamers/1337/events?limit=", "invalid_parameter"),
        (
            "/api/streamers/1337/events?limit=99999999999999999999",
            "invalid_parameter",
        ),
        (
            "/api/streamers/1337/events?cursor=nope",
            "invalid_parameter",
        ),
        ("/api/streamers/1337/events?after=%00", "invalid_parameter"),
        (
            &format!("/api/streamers/1337/events?cursor={cursor}&after={cursor}"),
            "conflicting_parameters",
        ),
        ("/api/streamers/1337/events?limt=5", "unknown_parameter"),
        (
            "/api/streamers/1337/events?limit=5&limit=6",
            "repeated_parameter",
        ),
        ("/api/streamers/bad-login/events", "invalid_streamer"),
        (
            &format!("/api/streamers/{}/events", "x".repeat(26)),
            "invalid_streamer",
        ),
        ("/api/streamers/%C3%A9/events", "invalid_streamer"),
        ("/api/streamers/1337/stats?days=0", "invalid_parameter"),
        ("/api/streamers/1337/stats?days=91", "invalid_parameter"),
        ("/api/streamers/1337/stats?days=1.5", "invalid_parameter"),
        (
            "/api/streamers/1337/streams?from=yesterday",
            "invalid_parameter",
        ),
        (
            "/api/streamers/1337/streams?to=2026-13-01T00:00:00Z",
            "invalid_parameter",
        ),
        (
            "/api/streamers/1337/streams?from=2026-03-01T00:00:00+02:00",
            "invalid_parameter",
        ),
        (
            "/api/streamers/1337/streams?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z",
            "invalid_parameter",
        ),
        (
            "/api/streamers/1337/streams?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z",
            "invalid_parameter",
        ),
        (
            "/api/streamers/1337/streams?from=99999999999999999",
            "invalid_parameter",
        ),
        (
            "/api/streamers/1337/streams?limit=5001",
            "invalid_parameter",
        ),
        ("/api/streamers?limit=101", "invalid_parameter"),
        ("/api/streamers?cursor=%%%", "invalid_parameter"),
        ("/api/live?limit=0", "invalid_parameter"),
        ("/api/live?cursor=not*base64", "invalid_parameter"),
        ("/api/poller?verbose=1", "unknown_parameter"),
    ];
    for (uri, code) in cases {
        let a = f.get(uri).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{uri}: {}", a.body);
        assert_eq!(a.body["error"], code, "{uri}: {}", a.body);
        assert!(
            a.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{uri}"
        );
        assert_eq!(a.headers["content-type"], "application/json", "{uri}");
    }
}

#[tokio::test]
async fn a_bad_login_is_echoed_as_typed_not_percent_encoded() {
    let f = Fixture::new();

    let a = f
        .get("/api/streamers/this%20is%20not%20valid!!/events")
        .await;

    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.body["error"], "invalid_streamer");
    let message = a.body["message"].as_str().unwrap();
    assert!(message.contains("\"this is not valid!!\""), "{message}");
    assert!(!message.contains("%20"), "{message}");
}

#[tokio::test]
async fn a_bad_parameter_is_reported_before_an_unknown_streamer() {
    let f = Fixture::new();

    let a = f.get("/api/streamers/nobody/events?limit=0").await;

    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_paths_under_api_are_404_json() {
    let f = Fixture::new();
    for uri in [
        "/api",
        "/api/",
        "/api/nope",
        "/api/streamers/1337/nope",
        "/api/streamers/1337/events/extra",
        "/api/streamers//events",
        "/api/poller/pause/now",
    ] {
        let a = f.get(uri).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(a.body["error"], "not_found", "{uri}");
    }
}

#[tokio::test]
async fn a_wrong_method_is_405_json_with_allow() {
    let f = Fixture::new();
    for (method, uri, allow) in [
        ("POST", "/api/streamers", "GET"),
        ("DELETE", "/api/streamers/1337/events", "GET"),
        ("GET", "/api/poller/pause", "POST"),
        ("PUT", "/api/poller", "GET"),
    ] {
        let a = f.call(method, uri, None).await;
        assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        assert_eq!(a.body["error"], "method_not_allowed");
        assert_eq!(a.headers["allow"], allow);
    }
}

#[tokio::test]
async fn a_failing_store_is_503_store_unavailable_and_nothing_else_is_5xx() {
    let f = Fixture::new();
    let broken = Arc::new(failing::Broken);
    let state = ApiState {
        events: broken.clone(),
        streamers: broken.clone(),
        gaps: broken.clone(),
        snapshots: broken,
        admin_token: TOKEN.into(),
        account: None,
        site: None,
    };
    let bearer = format!("Bearer {TOKEN}");
    for (method, uri) in [
        ("GET", "/api/streamers"),
        ("GET", "/api/streamers/user1/events"),
        ("GET", "/api/streamers/1/stats"),
        ("GET", "/api/streamers/1/streams"),
        ("GET", "/api/live"),
        ("GET", "/api/streamers/1/viewers"),
        ("GET", "/api/streamers/1/events.csv"),
        ("GET", "/api/streamers/1/events.jsonl"),
        ("GET", "/api/poller"),
        ("POST", "/api/poller/pause"),
        ("POST", "/api/poller/resume"),
    ] {
        let request = http::Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", &bearer)
            .body(Body::Empty)
            .unwrap();
        let a = answer(api::handle_at(&state, request, f.now).await);
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{uri}");
        assert_eq!(a.body["error"], "store_unavailable", "{uri}");
    }
}

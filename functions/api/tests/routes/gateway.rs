//! API Gateway's event shapes and the samples in `events/`.

use super::*;

#[tokio::test]
async fn a_request_behind_a_named_stage_is_routed_by_its_raw_path() {
    let f = Fixture::new();
    let event = json!({
        "version": "2.0",
        "routeKey": "GET /api/poller",
        "rawPath": "/api/poller",
        "rawQueryString": "",
        "headers": {"host": "abc123.execute-api.us-east-1.amazonaws.com"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "http": {"method": "GET", "path": "/prod/api/poller", "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
            "requestId": "id", "routeKey": "GET /api/poller", "stage": "prod",
            "time": "23/Nov/2026:12:00:00 +0000", "timeEpoch": 1795435200000_i64
        },
        "isBase64Encoded": false
    });
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    assert_eq!(request.uri().path(), "/prod/api/poller");

    let a = answer(api::handle_at(&f.state, request, f.now).await);

    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
}

#[tokio::test]
async fn every_sample_event_in_events_api_is_answered() {
    let f = Fixture::new();
    feed(&f, 3).await;
    f.live("1337", "user1337", true).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/api");
    // The account routes' samples (events/api/account/) have their own test.
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    assert!(names.len() >= 8, "{names:?}");
    for path in names {
        let text = std::fs::read_to_string(&path).unwrap();
        let request = lambda_http::request::from_str(&text).unwrap();
        let a = answer(api::handle_at(&f.state, request, f.now).await);
        assert_eq!(a.status, StatusCode::OK, "{}: {}", path.display(), a.body);
    }
}

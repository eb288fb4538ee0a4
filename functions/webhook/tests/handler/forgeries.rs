//! Signatures, headers and timestamps: what a forger cannot get stored.

use super::*;

#[tokio::test]
async fn signature_covers_the_exact_bytes_received() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 1, now());
    let headers = headers_of(&d);
    // Same JSON, different bytes: what a parse-and-reserialize verifier would accept.
    let value: serde_json::Value = serde_json::from_str(&d.body).unwrap();
    let reserialized = serde_json::to_string_pretty(&value).unwrap();
    assert_ne!(reserialized, d.body);
    let r = t.send_raw(headers.clone(), reserialized.as_bytes()).await;
    assert_error(&r, StatusCode::FORBIDDEN, "invalid_signature");
    let r = t.send_raw(headers, format!("{} ", d.body).as_bytes()).await;
    assert_error(&r, StatusCode::FORBIDDEN, "invalid_signature");
    assert!(t.stored().await.is_empty());
}

#[tokio::test]
async fn a_forgery_signed_with_another_secret_is_refused() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 1, now());
    let mut headers = headers_of(&d);
    let other = EventSubSecret::new("attacker-guessed-secret").unwrap();
    let forged = signature_header(&other, &d.message_id, &d.timestamp, d.body.as_bytes());
    headers.insert(
        h::MESSAGE_SIGNATURE,
        HeaderValue::from_str(&forged).unwrap(),
    );
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::FORBIDDEN,
        "invalid_signature",
    );
    assert_eq!(t.state.metrics.rejected.load(Relaxed), 1);
    assert!(t.stored().await.is_empty());
}

#[tokio::test]
async fn missing_and_malformed_headers_are_named() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 1, now());
    for name in [
        h::MESSAGE_ID,
        h::MESSAGE_TIMESTAMP,
        h::MESSAGE_TYPE,
        h::SUBSCRIPTION_TYPE,
        h::SUBSCRIPTION_VERSION,
    ] {
        let mut headers = headers_of(&d);
        headers.remove(name);
        let r = t.send_raw(headers, d.body.as_bytes()).await;
        assert_error(&r, StatusCode::BAD_REQUEST, "missing_header");
        assert!(body_text(&r).contains(name));
    }
    let mut headers = headers_of(&d);
    headers.remove(h::MESSAGE_SIGNATURE);
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::FORBIDDEN,
        "missing_signature",
    );
    let mut headers = headers_of(&d);
    headers.insert(
        h::MESSAGE_SIGNATURE,
        HeaderValue::from_static("sha256=nothex"),
    );
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::FORBIDDEN,
        "malformed_signature",
    );
    let mut headers = headers_of(&d);
    headers.insert(h::MESSAGE_TIMESTAMP, HeaderValue::from_static("23/11/2026"));
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::BAD_REQUEST,
        "malformed_header",
    );
    assert!(t.stored().await.is_empty());
}

#[tokio::test]
async fn unknown_message_types_are_refused() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 1, now());
    let mut headers = headers_of(&d);
    headers.insert(
        h::MESSAGE_TYPE,
        HeaderValue::from_static("subscription_ping"),
    );
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::BAD_REQUEST,
        "unknown_message_type",
    );
}

#[tokio::test]
async fn a_notification_relabelled_as_a_revocation_is_refused() {
    let t = harness();
    let d = fixtures::notification("channel.follow", &channel(), 1, now());
    let mut headers = headers_of(&d);
    headers.insert(h::MESSAGE_TYPE, HeaderValue::from_static("revocation"));
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::BAD_REQUEST,
        "malformed_body",
    );
    let sub_id = fixtures::subscription_id("channel.follow", "1337");
    assert_eq!(t.store.subscription(&sub_id).await.unwrap(), None);
}

#[tokio::test]
async fn stale_and_future_messages_are_acknowledged_but_never_processed() {
    let t = harness();
    for stamp in [now() - Duration::minutes(11), now() + Duration::minutes(6)] {
        for d in [
            fixtures::notification("channel.cheer", &channel(), 1, stamp),
            fixtures::verification("channel.cheer", &channel(), stamp),
            fixtures::revocation("channel.cheer", &channel(), "user_removed", stamp),
        ] {
            let r = t.send(&d).await;
            assert_eq!(r.status(), StatusCode::NO_CONTENT);
            assert_eq!(body_text(&r), "");
        }
    }
    assert_eq!(t.state.metrics.stale.load(Relaxed), 6);
    assert!(t.stored().await.is_empty());
    let sub_id = fixtures::subscription_id("channel.cheer", "1337");
    assert_eq!(t.store.subscription(&sub_id).await.unwrap(), None);
}

#[tokio::test]
async fn a_stale_message_with_a_bad_signature_is_a_forgery() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 1, now() - Duration::hours(1));
    let mut headers = headers_of(&d);
    headers.insert(
        h::MESSAGE_SIGNATURE,
        HeaderValue::from_str(&format!("sha256={}", "0".repeat(64))).unwrap(),
    );
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::FORBIDDEN,
        "invalid_signature",
    );
    assert_eq!(t.state.metrics.stale.load(Relaxed), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_duplicate_deliveries_store_one_event() {
    let t = Arc::new(harness());
    let d = fixtures::notification("channel.subscribe", &channel(), 3, now());
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (t, d) = (Arc::clone(&t), d.clone());
            tokio::spawn(async move { t.send(&d).await.status() })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::NO_CONTENT);
    }
    assert_eq!(t.stored().await.len(), 1);
    assert_eq!(t.state.metrics.stored.load(Relaxed), 1);
    assert_eq!(t.state.metrics.duplicates.load(Relaxed), 31);
}

#[tokio::test]
async fn a_base64_body_from_api_gateway_is_verified_over_its_decoded_bytes() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 5, now());
    let request = lambda_http::request::from_str(&api_gateway(&d, true)).unwrap();
    let r = handle(&t.state, request).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", body_text(&r));
    assert_eq!(t.stored().await.len(), 1);
}

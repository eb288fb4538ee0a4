//! Validly signed but bad bodies: 4xx with a JSON error, nothing stored.

use super::*;

#[tokio::test]
async fn validly_signed_malformed_json_is_a_400_and_stores_nothing() {
    let t = harness();
    for body in [
        "{not json",
        r#"{"event":{}}"#,
        r#"{"subscription":{"id":"s","type":"channel.cheer","version":"1","status":"enabled"},"event":"text"}"#,
    ] {
        let r = t.send(&signed(body, "channel.cheer", "1")).await;
        assert_error(&r, StatusCode::BAD_REQUEST, "malformed_body");
    }
    assert!(t.stored().await.is_empty());
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let t = harness();
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(MAX_BODY_BYTES));
    let r = t.send(&signed(&big, "channel.cheer", "1")).await;
    assert_error(&r, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
}

#[tokio::test]
async fn subscription_type_headers_must_agree_with_the_signed_body() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 1, now());
    let mut headers = headers_of(&d);
    headers.insert(
        h::SUBSCRIPTION_TYPE,
        HeaderValue::from_static("channel.follow"),
    );
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::BAD_REQUEST,
        "subscription_type_mismatch",
    );
    let mut headers = headers_of(&d);
    headers.insert(h::SUBSCRIPTION_VERSION, HeaderValue::from_static("2"));
    assert_error(
        &t.send_raw(headers, d.body.as_bytes()).await,
        StatusCode::BAD_REQUEST,
        "subscription_type_mismatch",
    );
    assert!(t.stored().await.is_empty());
}

#[tokio::test]
async fn a_deeply_nested_event_is_refused_not_stored() {
    // Twitch's payloads are a few levels deep; 200 levels is an attack on
    // whatever parses it next (the fan-out's frame, a reader's JSON).
    let t = harness();
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let event = format!(r#"{{"broadcaster_user_id":"1337","x":{deep}}}"#);
    let r = t
        .send(&notification(
            "channel.cheer",
            r#"{"broadcaster_user_id":"1337"}"#,
            &event,
        ))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "malformed_body");
    assert!(t.stored().await.is_empty());
}

#[tokio::test]
async fn ids_that_become_keys_are_validated() {
    let t = harness();
    // Empty: filed under the documented bucket, never under "".
    let r = t
        .send(&notification(
            "channel.cheer",
            r#"{"broadcaster_user_id":""}"#,
            r#"{"broadcaster_user_id":""}"#,
        ))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(t
        .store
        .recent("", 10, None)
        .await
        .unwrap()
        .events
        .is_empty());
    assert_eq!(
        t.store
            .recent(webhook::UNATTRIBUTED, 10, None)
            .await
            .unwrap()
            .events
            .len(),
        1
    );
    // Longer than any Twitch id (and than a DynamoDB key may be): refused.
    let long = "9".repeat(5_000);
    let r = t
        .send(&notification(
            "channel.cheer",
            &format!(r#"{{"broadcaster_user_id":"{long}"}}"#),
            r#"{}"#,
        ))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "malformed_body");
    assert!(t
        .store
        .recent(&long, 10, None)
        .await
        .unwrap()
        .events
        .is_empty());
}

#[tokio::test]
async fn subscription_ids_are_1_to_128_printable_ascii_characters_as_the_readme_says() {
    let t = harness();
    let with_id = |id: &str| {
        let body = format!(
            r#"{{"subscription":{{"id":{},"type":"channel.cheer","version":"1","status":"enabled","cost":0,"condition":{{"broadcaster_user_id":"1337"}},"transport":{{"method":"webhook","callback":"https://x/eventsub"}},"created_at":"2026-01-01T00:00:00Z"}},"event":{{"broadcaster_user_id":"1337"}}}}"#,
            serde_json::Value::from(id)
        );
        signed(&body, "channel.cheer", "1")
    };
    // The positive controls first: the longest accepted, and a UUID.
    for ok in [
        "s".repeat(128),
        "f1c2a387-161a-49f9-a165-0f21d7a4e1c4".into(),
    ] {
        let r = t.send(&with_id(&ok)).await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{ok}");
    }
    assert_eq!(t.stored().await.len(), 2);
    for bad in [
        "",
        &"s".repeat(129),
        "sub 1",
        "süb-1",
        "sub\u{7f}",
        "sub\t1",
    ] {
        let r = t.send(&with_id(bad)).await;
        assert_error(&r, StatusCode::BAD_REQUEST, "malformed_body");
    }
    assert_eq!(t.stored().await.len(), 2, "none of those stored");
}

//! Deliveries through the webhook's Lambda function URL (WebhookFrontDoor =
//! function-url): payload 2.0 like the HTTP API's, with the `$default` route
//! key, the URL's host, Lambda's forwarding headers and null path
//! parameters. The handler answers them exactly as it answers the HTTP API.

use super::delivery::DownStore;
use super::*;

/// A function URL event, as Lambda hands it to the runtime, parsed the way
/// the runtime parses it.
fn through_function_url(d: &Delivery, base64_body: bool) -> lambda_http::Request {
    let event = fixtures::function_url_event(d, &secret(), base64_body).to_string();
    lambda_http::request::from_str(&event).unwrap()
}

#[test]
fn the_runtime_reads_a_function_url_event_with_its_own_host_and_path() {
    let d = fixtures::notification("channel.follow", &channel(), 1, now());
    let request = through_function_url(&d, false);
    let host = format!("{}.lambda-url.us-east-1.on.aws", fixtures::FUNCTION_URL_ID);
    assert_eq!(request.method(), "POST");
    assert_eq!(request.uri().path(), "/eventsub");
    assert_eq!(request.headers()["host"], host.as_str());
    // Header names reach the handler whatever their case on the wire.
    assert!(request.headers().contains_key(h::MESSAGE_SIGNATURE));
}

#[tokio::test]
async fn twitchs_sample_follow_through_a_function_url_is_stored_once_and_answered_204() {
    let t = harness();
    let d = fixtures::notification("channel.follow", &channel(), 1, now());

    let first = handle(&t.state, through_function_url(&d, false)).await;
    let again = handle(&t.state, through_function_url(&d, false)).await;

    assert_eq!(
        first.status(),
        StatusCode::NO_CONTENT,
        "{}",
        body_text(&first)
    );
    assert_eq!(
        again.status(),
        StatusCode::NO_CONTENT,
        "{}",
        body_text(&again)
    );
    let stored = t.stored().await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].message_id, d.message_id);
    assert_eq!(stored[0].event_type, "channel.follow");
}

#[tokio::test]
async fn a_base64_body_through_a_function_url_is_verified_over_its_decoded_bytes() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 2, now());

    let r = handle(&t.state, through_function_url(&d, true)).await;

    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", body_text(&r));
    assert_eq!(t.stored().await.len(), 1);
}

#[tokio::test]
async fn a_challenge_through_a_function_url_is_answered_with_itself() {
    let t = harness();
    let d = fixtures::verification("channel.follow", &channel(), now());
    let challenge: serde_json::Value = serde_json::from_str(&d.body).unwrap();

    let r = handle(&t.state, through_function_url(&d, false)).await;

    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body_text(&r), challenge["challenge"].as_str().unwrap());
}

#[tokio::test]
async fn a_forgery_through_a_function_url_is_refused_403_with_a_json_body_and_not_stored() {
    let t = harness();
    let d = fixtures::notification("channel.follow", &channel(), 3, now());
    let other = EventSubSecret::new("attacker-guessed-secret").unwrap();
    let mut event = fixtures::function_url_event(&d, &secret(), false);
    event["headers"][h::MESSAGE_SIGNATURE] = serde_json::Value::String(signature_header(
        &other,
        &d.message_id,
        &d.timestamp,
        d.body.as_bytes(),
    ));
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();

    let r = handle(&t.state, request).await;

    assert_error(&r, StatusCode::FORBIDDEN, "invalid_signature");
    assert!(t.stored().await.is_empty());
}

#[tokio::test]
async fn a_forgery_is_refused_before_any_store_call() {
    // Every store call fails: reaching one would answer 500, not 403. A
    // forged flood through the function URL costs the invocation only.
    let down = Arc::new(DownStore);
    let state = WebhookState::new(secret(), down.clone(), down);
    let d = fixtures::notification("channel.follow", &channel(), 4, now());
    let mut event = fixtures::function_url_event(&d, &secret(), false);
    event["headers"][h::MESSAGE_SIGNATURE] = format!("sha256={}", "0".repeat(64)).into();
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();

    let r = handle(&state, request).await;

    assert_error(&r, StatusCode::FORBIDDEN, "invalid_signature");
}

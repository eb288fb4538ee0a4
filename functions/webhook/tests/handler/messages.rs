//! What each message type is answered with and what it stores.

use super::*;

#[tokio::test]
async fn challenge_is_answered_with_exactly_its_text_and_recorded() {
    let t = harness();
    let d = fixtures::verification("channel.follow", &channel(), now());
    let r = t.send(&d).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/plain");
    let challenge = serde_json::from_str::<serde_json::Value>(&d.body).unwrap()["challenge"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(body_text(&r), challenge);
    let sub_id = fixtures::subscription_id("channel.follow", "1337");
    let state = t.store.subscription(&sub_id).await.unwrap().unwrap();
    assert!(state.callback_verified_at_ms.is_some());
    assert!(t.stored().await.is_empty());
}

#[tokio::test]
async fn notification_is_stored_with_its_summary_and_answered_204() {
    let t = harness();
    let d = fixtures::notification("channel.follow", &channel(), 7, now());
    let r = t.send(&d).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let stored = t.stored().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].message_id, d.message_id);
    assert_eq!(stored[0].event_type, "channel.follow");
    assert_eq!(stored[0].event_version, "2");
    let summary = stored[0].summary.as_ref().unwrap();
    assert_eq!(summary.text, "Viewer_100007 followed User1337");
    // The payload is the event object exactly as sent.
    let sent: serde_json::Value = serde_json::from_str(&d.body).unwrap();
    assert_eq!(stored[0].payload, sent["event"].to_string());
}

#[tokio::test]
async fn every_known_type_gets_a_summary() {
    let t = harness();
    let tracked: Vec<&str> = catalog::tracked().map(|k| k.name).collect();
    for (i, kind) in tracked.iter().enumerate() {
        let d = fixtures::notification(kind, &channel(), i as u64, now());
        assert_eq!(t.send(&d).await.status(), StatusCode::NO_CONTENT, "{kind}");
    }
    let stored = t.stored().await;
    assert_eq!(stored.len(), tracked.len());
    assert!(stored.iter().all(|e| e.summary.is_some()));
}

#[tokio::test]
async fn unknown_subscription_types_are_stored_raw() {
    let t = harness();
    let d = fixtures::notification("channel.goal.begin", &channel(), 1, now());
    assert_eq!(t.send(&d).await.status(), StatusCode::NO_CONTENT);
    let stored = t.stored().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].event_type, "channel.goal.begin");
    assert_eq!(stored[0].summary, None);
}

#[tokio::test]
async fn revocation_records_the_new_status_and_reason() {
    let t = harness();
    let d = fixtures::revocation("channel.follow", &channel(), "moderator_removed", now());
    assert_eq!(t.send(&d).await.status(), StatusCode::NO_CONTENT);
    let sub_id = fixtures::subscription_id("channel.follow", "1337");
    let state = t.store.subscription(&sub_id).await.unwrap().unwrap();
    assert_eq!(state.status, "moderator_removed");
    assert_eq!(
        state.revocation_reason.as_deref(),
        Some("moderator_removed")
    );
    assert!(state.revoked_at_ms.is_some());
}

#[tokio::test]
async fn a_revocation_for_failures_opens_one_gap_from_its_last_delivery_even_when_sent_twice() {
    let t = harness();
    // The raid subscription last delivered 5 minutes ago; the follow one is
    // delivering still (Twitch revokes each on its own count).
    let mut last = None;
    for (kind, ago) in [("channel.raid", 5), ("channel.follow", 1)] {
        let at = now() - Duration::minutes(ago);
        let n = fixtures::notification(kind, &channel(), 1, at);
        respond(process(&t.state, &headers_of(&n), n.body.as_bytes(), at).await);
        last.get_or_insert(shared::clock::unix_ms(at));
    }
    assert_eq!(t.stored().await.len(), 2);

    let reason = "notification_failures_exceeded";
    let d = fixtures::revocation("channel.raid", &channel(), reason, now());
    for _ in 0..2 {
        assert_eq!(t.send(&d).await.status(), StatusCode::NO_CONTENT);
    }
    let gaps = t.store.gaps("1337", 0, i64::MAX).await.unwrap();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    let gap = &gaps[0];
    assert_eq!(gap.key.event_type, "channel.raid");
    assert_eq!(
        Some(gap.key.from_ms),
        last,
        "from the subscription's last delivery, not the revocation nor another type's"
    );
    assert_eq!(
        (gap.cause.as_str(), gap.state, gap.to_ms),
        (reason, GapState::Open, None)
    );
}

#[tokio::test]
async fn a_revocation_for_failures_without_deliveries_opens_its_gap_at_the_verification() {
    let t = harness();
    let at = now() - Duration::minutes(3);
    let v = fixtures::verification("channel.cheer", &channel(), at);
    respond(process(&t.state, &headers_of(&v), v.body.as_bytes(), at).await);
    let d = fixtures::revocation(
        "channel.cheer",
        &channel(),
        "notification_failures_exceeded",
        now(),
    );
    assert_eq!(t.send(&d).await.status(), StatusCode::NO_CONTENT);
    let gaps = t.store.gaps("1337", 0, i64::MAX).await.unwrap();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].key.from_ms, shared::clock::unix_ms(at));
}

#[tokio::test]
async fn a_revocation_for_another_reason_opens_its_gap_at_the_revocation() {
    let t = harness();
    let n = fixtures::notification("channel.follow", &channel(), 1, now());
    assert_eq!(t.send(&n).await.status(), StatusCode::NO_CONTENT);
    for reason in ["authorization_revoked", "user_removed", "version_removed"] {
        let kind = match reason {
            "authorization_revoked" => "channel.cheer",
            "user_removed" => "channel.follow",
            _ => "channel.raid",
        };
        let stamp = now() + Duration::seconds(2);
        let d = fixtures::revocation(kind, &channel(), reason, stamp);
        let r = respond(process(&t.state, &headers_of(&d), d.body.as_bytes(), stamp).await);
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let gaps = t.store.gaps("1337", 0, i64::MAX).await.unwrap();
        let gap = gaps.iter().find(|g| g.key.event_type == kind).unwrap();
        assert_eq!(gap.key.from_ms, shared::clock::unix_ms(stamp), "{reason}");
        assert_eq!(gap.cause, reason);
    }
}

#[tokio::test]
async fn a_plain_api_gateway_challenge_is_answered_through_the_lambda_entry() {
    let t = harness();
    let d = fixtures::verification("channel.raid", &channel(), now());
    let request = lambda_http::request::from_str(&api_gateway(&d, false)).unwrap();
    let r = handle(&t.state, request).await;
    assert_eq!(r.status(), StatusCode::OK);
    let challenge = serde_json::from_str::<serde_json::Value>(&d.body).unwrap()["challenge"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!challenge.is_empty());
    // Exactly the challenge (an empty answer is contained in any body).
    assert_eq!(body_text(&r), challenge);
}

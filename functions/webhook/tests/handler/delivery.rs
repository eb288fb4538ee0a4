//! Twitch's delivery: duplicates and retries stored once, a store failure retried, the metrics.

use super::*;

#[tokio::test]
async fn a_retry_with_a_new_timestamp_is_a_duplicate() {
    let t = harness();
    let d = fixtures::notification("channel.cheer", &channel(), 1, now() - Duration::minutes(2));
    assert_eq!(t.send(&d).await.status(), StatusCode::NO_CONTENT);
    let retry = Delivery {
        timestamp: now()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap(),
        ..d
    };
    assert_eq!(t.send(&retry).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(t.stored().await.len(), 1);
    assert_eq!(t.state.metrics.duplicates.load(Relaxed), 1);
}

#[tokio::test]
async fn each_outcome_counts_under_its_own_cloudwatch_metric() {
    let t = harness();
    let metric = |d: &Delivery, headers: HeaderMap| {
        let body = d.body.clone();
        let state = &t.state;
        async move {
            let outcome = process(state, &headers, body.as_bytes(), now()).await;
            metric_of(&outcome)
        }
    };
    let cheer = fixtures::notification("channel.cheer", &channel(), 1, now());
    assert_eq!(metric(&cheer, headers_of(&cheer)).await, ("Stored", None));
    assert_eq!(
        metric(&cheer, headers_of(&cheer)).await,
        ("Duplicates", None)
    );
    let old = fixtures::notification("channel.cheer", &channel(), 2, now() - Duration::hours(1));
    assert_eq!(metric(&old, headers_of(&old)).await, ("Stale", None));
    let v = fixtures::verification("channel.follow", &channel(), now());
    assert_eq!(metric(&v, headers_of(&v)).await, ("Challenges", None));
    let r = fixtures::revocation("channel.follow", &channel(), "user_removed", now());
    assert_eq!(metric(&r, headers_of(&r)).await, ("Revocations", None));
    let forged = fixtures::notification("channel.cheer", &channel(), 3, now());
    let mut headers = headers_of(&forged);
    headers.insert(
        HeaderName::from_static(h::MESSAGE_SIGNATURE),
        HeaderValue::from_str(&format!("sha256={}", "0".repeat(64))).unwrap(),
    );
    assert_eq!(
        metric(&forged, headers).await,
        ("Rejected", Some("invalid_signature"))
    );
    // The line CloudWatch reads carries the reason as a dimension.
    let line = shared::metrics::line(
        shared::metrics::NAMESPACE,
        "webhook",
        &[("Reason", "invalid_signature")],
        &[shared::metrics::count("Rejected", 1)],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["Reason"], "invalid_signature");
    assert_eq!(v["Rejected"], 1.0);
}

/// A store whose backend is down.
pub(super) struct DownStore;

#[async_trait]
impl EventStore for DownStore {
    async fn append_once(&self, _: &Event, _: Option<&str>) -> Result<Appended, StoreError> {
        Err(StoreError::Unavailable("table unreachable".into()))
    }
    async fn recent(&self, _: &str, _: usize, _: Option<&Cursor>) -> Result<Page, StoreError> {
        Err(StoreError::Unavailable("table unreachable".into()))
    }
    async fn after(&self, _: &str, _: &Cursor, _: usize) -> Result<Page, StoreError> {
        Err(StoreError::Unavailable("table unreachable".into()))
    }
    async fn daily_counts(&self, _: &str, _: &str, _: &str) -> Result<Vec<DailyCount>, StoreError> {
        Err(StoreError::Unavailable("table unreachable".into()))
    }
}

#[async_trait]
impl SubscriptionStore for DownStore {
    async fn record(&self, _: &shared::store::SubscriptionUpdate) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("table unreachable".into()))
    }
    async fn subscription(
        &self,
        _: &str,
    ) -> Result<Option<shared::store::SubscriptionState>, StoreError> {
        Err(StoreError::Unavailable("table unreachable".into()))
    }
}

#[tokio::test]
async fn a_store_failure_is_a_500_so_twitch_retries() {
    let down = Arc::new(DownStore);
    let state = WebhookState::new(secret(), down.clone(), down);
    for d in [
        fixtures::notification("channel.cheer", &channel(), 1, now()),
        fixtures::verification("channel.cheer", &channel(), now()),
        fixtures::revocation("channel.cheer", &channel(), "user_removed", now()),
    ] {
        let outcome = process(&state, &headers_of(&d), d.body.as_bytes(), now()).await;
        assert!(matches!(outcome, Outcome::StoreFailed(_)), "{outcome:?}");
        assert_error(
            &respond(outcome),
            StatusCode::INTERNAL_SERVER_ERROR,
            "store_unavailable",
        );
    }
}

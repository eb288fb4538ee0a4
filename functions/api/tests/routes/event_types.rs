//! The known EventSub types and their labels, for pages to name types by.

use super::*;

#[tokio::test]
async fn every_known_type_is_listed_with_its_label() {
    let f = Fixture::new();

    let a = f.get("/api/event-types").await;

    assert_eq!(a.status, StatusCode::OK);
    let types = a.body["types"].as_array().unwrap();
    assert_eq!(types.len(), shared::eventsub::catalog::TYPES.len());
    let follow = types
        .iter()
        .find(|t| t["type"] == "channel.follow")
        .unwrap();
    assert_eq!(
        follow,
        &json!({"type": "channel.follow", "version": "2", "label": "New follower", "tracked": true})
    );
    assert!(types
        .iter()
        .all(|t| t["label"].as_str().is_some_and(|l| !l.is_empty())));
}

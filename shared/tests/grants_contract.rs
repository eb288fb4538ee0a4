//! The broadcaster grants contract: SQLite (memory, file) and DynamoDB Local
//! with the template's `UsersTable`, where grants share the hourly
//! validation index with sessions.

#[allow(dead_code)] // the event-table helpers serve the other suites
#[macro_use]
mod support;

use std::sync::Arc;

use shared::config::Retention;
use shared::store::dynamo::{DynamoStore, DynamoUserStore};
use shared::store::grants::BroadcasterGrant;
use shared::store::sqlite::{Durability, SqliteStore};
use shared::store::users::{SealedTokens, Session, UserStore};

fn tokens(tag: &str) -> SealedTokens {
    SealedTokens {
        access: format!("sealed-access-{tag}"),
        refresh: Some(format!("sealed-refresh-{tag}")),
        expires_at_s: 20_000,
    }
}

fn grant(id: &str, tag: &str, validated: i64) -> BroadcasterGrant {
    BroadcasterGrant {
        broadcaster_id: id.into(),
        tokens: tokens(tag),
        scopes: vec!["bits:read".into(), "moderator:read:followers".into()],
        granted_at_s: 1_000,
        validated_at_s: validated,
    }
}

async fn a_later_grant_replaces_the_first_and_sessions_do_not_touch_it(store: Arc<dyn UserStore>) {
    assert_eq!(store.grant("1").await.unwrap(), None);
    store.put_grant(&grant("1", "a", 1_000)).await.unwrap();
    assert_eq!(
        store.grant("1").await.unwrap(),
        Some(grant("1", "a", 1_000))
    );
    let mut second = grant("1", "b", 2_000);
    second.scopes = vec![];
    second.tokens.refresh = None;
    store.put_grant(&second).await.unwrap();
    assert_eq!(store.grant("1").await.unwrap(), Some(second));
    // A session of the same user, ended (a logout) with all the others:
    // the grant is not a session and stays.
    store
        .create_session(&Session {
            hash: "s1".into(),
            user_id: "1".into(),
            created_at_s: 1_000,
            expires_at_s: i64::MAX / 2,
            tokens: Some(tokens("s")),
            validated_at_s: 1_000,
        })
        .await
        .unwrap();
    store.end_session("s1").await.unwrap();
    assert_eq!(store.end_sessions_of("1").await.unwrap(), 0);
    assert!(store.grant("1").await.unwrap().is_some());
    // Nor do the user's profile or favourites read it.
    assert!(store.favourites("1").await.unwrap().is_empty());
    assert_eq!(store.user("1").await.unwrap(), None);
}

async fn the_hourly_sweep_sees_grants_oldest_first_and_not_sessions(store: Arc<dyn UserStore>) {
    store.put_grant(&grant("1", "a", 3_000)).await.unwrap();
    store.put_grant(&grant("2", "b", 1_000)).await.unwrap();
    store.put_grant(&grant("3", "c", 9_000)).await.unwrap();
    // A session due as well: it is the sessions' sweep's, not this one's.
    store
        .create_session(&Session {
            hash: "s1".into(),
            user_id: "1".into(),
            created_at_s: 1_000,
            expires_at_s: i64::MAX / 2,
            tokens: Some(tokens("s")),
            validated_at_s: 500,
        })
        .await
        .unwrap();
    let due =
        |v: Vec<BroadcasterGrant>| v.into_iter().map(|g| g.broadcaster_id).collect::<Vec<_>>();
    assert_eq!(
        due(store.grants_to_validate(5_000, 10).await.unwrap()),
        vec!["2", "1"]
    );
    assert_eq!(store.grants_to_validate(5_000, 1).await.unwrap().len(), 1);
    assert_eq!(
        store.sessions_to_validate(5_000, 10).await.unwrap().len(),
        1
    );
    // Renewed (a refresh): no longer due, the new tokens kept.
    let held = tokens("b").access;
    assert!(store
        .renew_grant("2", &held, &tokens("b2"), 6_000)
        .await
        .unwrap());
    assert_eq!(
        due(store.grants_to_validate(5_000, 10).await.unwrap()),
        vec!["1"]
    );
    let renewed = store.grant("2").await.unwrap().unwrap();
    assert_eq!(renewed.tokens, tokens("b2"));
    assert_eq!(
        (renewed.validated_at_s, renewed.granted_at_s),
        (6_000, 1_000)
    );
    // A rotation to no refresh token at all is kept as none.
    let mut bare = tokens("b3");
    bare.refresh = None;
    assert!(store
        .renew_grant("2", &tokens("b2").access, &bare, 7_000)
        .await
        .unwrap());
    assert_eq!(store.grant("2").await.unwrap().unwrap().tokens, bare);
}

async fn writes_after_a_read_hold_only_while_the_token_read_is_still_there(
    store: Arc<dyn UserStore>,
) {
    store.put_grant(&grant("1", "a", 1_000)).await.unwrap();
    let stale = tokens("a").access;
    // Another refresher (or a new login) got there first.
    store.put_grant(&grant("1", "b", 2_000)).await.unwrap();
    assert!(!store
        .renew_grant("1", &stale, &tokens("late"), 3_000)
        .await
        .unwrap());
    assert!(!store.delete_grant("1", Some(&stale)).await.unwrap());
    assert_eq!(
        store.grant("1").await.unwrap(),
        Some(grant("1", "b", 2_000))
    );
    // A grant deleted meanwhile is not brought back by a late renewal.
    assert!(store
        .delete_grant("1", Some(&tokens("b").access))
        .await
        .unwrap());
    assert!(!store
        .renew_grant("1", &tokens("b").access, &tokens("c"), 3_000)
        .await
        .unwrap());
    assert_eq!(store.grant("1").await.unwrap(), None);
    // Unconditional (a revocation at Twitch): whatever it holds; nothing
    // to delete says so.
    store.put_grant(&grant("2", "x", 1_000)).await.unwrap();
    assert!(store.delete_grant("2", None).await.unwrap());
    assert!(!store.delete_grant("2", None).await.unwrap());
    assert!(store
        .grants_to_validate(i64::MAX, 10)
        .await
        .unwrap()
        .is_empty());
}

async fn one_refresh_claim_at_a_time_until_a_renewal_or_its_expiry(store: Arc<dyn UserStore>) {
    store.put_grant(&grant("1", "a", 1_000)).await.unwrap();
    let held = tokens("a").access;
    assert!(store.claim_refresh("1", &held, 1_030, 1_000).await.unwrap());
    // A second refresher, before the claim expires: refused.
    assert!(!store.claim_refresh("1", &held, 1_040, 1_010).await.unwrap());
    // A claim on a token no longer held, or on no grant: refused.
    assert!(!store
        .claim_refresh("1", "other", 1_040, 2_000)
        .await
        .unwrap());
    assert!(!store.claim_refresh("9", &held, 1_040, 2_000).await.unwrap());
    // Once it expired (its refresher died), another may claim.
    assert!(store.claim_refresh("1", &held, 1_070, 1_031).await.unwrap());
    // A renewal ends the claim: the next refresh may be claimed at once.
    assert!(store
        .renew_grant("1", &held, &tokens("b"), 1_040)
        .await
        .unwrap());
    let now_held = tokens("b").access;
    assert!(store
        .claim_refresh("1", &now_held, 1_080, 1_041)
        .await
        .unwrap());
    // The claim is not part of what a grant reads as.
    let mut expected = grant("1", "b", 1_040);
    expected.granted_at_s = 1_000;
    assert_eq!(store.grant("1").await.unwrap(), Some(expected));
    // A new login's grant replaces the claimed one, claim and all.
    store.put_grant(&grant("1", "c", 1_050)).await.unwrap();
    assert!(store
        .claim_refresh("1", &tokens("c").access, 1_090, 1_051)
        .await
        .unwrap());
}

store_contract!(
    one_refresh_claim_at_a_time_until_a_renewal_or_its_expiry,
    a_later_grant_replaces_the_first_and_sessions_do_not_touch_it,
    the_hourly_sweep_sees_grants_oldest_first_and_not_sessions,
    writes_after_a_read_hold_only_while_the_token_read_is_still_there,
);

fn sqlite(path: &str) -> Arc<dyn UserStore> {
    Arc::new(SqliteStore::open(path, Durability::PowerLoss, Retention::default()).unwrap())
}

async fn dynamo() -> Arc<dyn UserStore> {
    let client = DynamoStore::local_client(&support::endpoint());
    let table = format!("users-{}", uuid::Uuid::new_v4().simple());
    support::create_table(&client, "UsersTable", &table).await;
    Arc::new(DynamoUserStore::new(client, table))
}

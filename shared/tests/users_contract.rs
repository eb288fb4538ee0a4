//! The users contract (logins, users, sessions, tickets, favourites,
//! allowances): SQLite (memory, file) and DynamoDB Local with the
//! template's `UsersTable`.

#[allow(dead_code)] // the event-table helpers serve the other suite
#[macro_use]
mod support;

use std::sync::Arc;

use shared::config::Retention;
use shared::store::dynamo::{DynamoStore, DynamoUserStore};
use shared::store::sqlite::{Durability, SqliteStore};
use shared::store::users::{
    Favourite, FavouriteAdded, LoginState, OverlayKey, SealedTokens, Session, User, UserStore,
};
use shared::store::{Cursor, Event};

fn now_s() -> i64 {
    shared::clock::now_ms() / 1000
}

fn user(id: &str) -> User {
    User {
        id: id.into(),
        login: format!("user{id}"),
        display_name: format!("User{id}"),
        picture: Some("https://example.invalid/p.png".into()),
        scopes: vec!["openid".into(), "bits:read".into()],
        created_at_s: 1_000,
    }
}

fn tokens(tag: &str, validated: i64) -> SealedTokens {
    SealedTokens {
        access: format!("sealed-access-{tag}"),
        refresh: Some(format!("sealed-refresh-{tag}")),
        expires_at_s: validated + 14_400,
    }
}

/// A session of `user` created now, expiring in 100 s, holding tokens
/// validated at `validated` (or none). Tests compare with the value this
/// returned, not with a second call (the clock may have ticked).
fn session(hash: &str, user: &str, validated: Option<i64>) -> Session {
    let now = now_s();
    Session {
        hash: hash.into(),
        user_id: user.into(),
        created_at_s: now,
        expires_at_s: now + 100,
        tokens: validated.map(|v| tokens(hash, v)),
        validated_at_s: validated.unwrap_or_default(),
    }
}

fn fav(id: &str, at: i64) -> Favourite {
    Favourite {
        streamer_id: id.into(),
        login: format!("user{id}"),
        added_at_ms: at,
        read_cursor: None,
        overlay: false,
        overlay_sealed: None,
    }
}

async fn a_login_state_is_taken_once_and_only_before_it_expires(store: Arc<dyn UserStore>) {
    let now = now_s();
    let login = LoginState {
        state_hash: "h1".into(),
        nonce: "n1".into(),
        return_to: "/#user1".into(),
        channel: true,
        expires_at_s: now + 600,
    };
    store.begin_login(&login).await.unwrap();
    assert_eq!(
        store.take_login("h1", now).await.unwrap(),
        Some(login.clone())
    );
    assert_eq!(
        store.take_login("h1", now).await.unwrap(),
        None,
        "single use"
    );
    assert_eq!(store.take_login("never", now).await.unwrap(), None);
    let old = LoginState {
        state_hash: "h2".into(),
        expires_at_s: now + 5,
        ..login
    };
    store.begin_login(&old).await.unwrap();
    assert_eq!(
        store.take_login("h2", now + 6).await.unwrap(),
        None,
        "expired"
    );
}

async fn users_round_trip(store: Arc<dyn UserStore>) {
    let u = user("42");
    store.put_user(&u).await.unwrap();
    assert_eq!(store.user("42").await.unwrap(), Some(u.clone()));
    let again = User {
        picture: None,
        login: "renamed".into(),
        scopes: vec![],
        created_at_s: 9_999,
        ..u.clone()
    };
    store.put_user(&again).await.unwrap();
    let got = store.user("42").await.unwrap().unwrap();
    assert_eq!(
        (got.login.as_str(), got.picture, got.scopes.len()),
        ("renamed", None, 0)
    );
    assert_eq!(got.created_at_s, 1_000, "first seen stays");
    assert_eq!(store.user("43").await.unwrap(), None);
}

async fn the_hourly_sweep_sees_sessions_with_tokens_oldest_first(store: Arc<dyn UserStore>) {
    store
        .create_session(&session("s1", "1", Some(3_000)))
        .await
        .unwrap();
    store
        .create_session(&session("s2", "1", Some(1_000)))
        .await
        .unwrap();
    store
        .create_session(&session("s3", "2", None))
        .await
        .unwrap();
    store
        .create_session(&session("s4", "2", Some(9_000)))
        .await
        .unwrap();
    let due = |v: Vec<Session>| v.into_iter().map(|s| s.hash).collect::<Vec<_>>();
    assert_eq!(
        due(store.sessions_to_validate(5_000, 10).await.unwrap()),
        vec!["s2", "s1"]
    );
    assert_eq!(store.sessions_to_validate(5_000, 1).await.unwrap().len(), 1);
    // Validated now: no longer due; tokens replaced (a refresh).
    store
        .set_session_tokens("s2", Some(&tokens("new", 6_000)), 6_000)
        .await
        .unwrap();
    assert_eq!(
        due(store.sessions_to_validate(5_000, 10).await.unwrap()),
        vec!["s1"]
    );
    let s2 = store.session("s2", now_s()).await.unwrap().unwrap();
    assert_eq!(s2.tokens, Some(tokens("new", 6_000)));
    // Revoked: no tokens, never due again, the session itself stays.
    store.set_session_tokens("s1", None, 3_000).await.unwrap();
    assert!(store
        .sessions_to_validate(5_000, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.session("s1", now_s()).await.unwrap().unwrap().tokens,
        None
    );
    // An ended session is not brought back by a late update.
    store.end_session("s4").await.unwrap();
    store
        .set_session_tokens("s4", Some(&tokens("x", 1)), 1)
        .await
        .unwrap();
    store.slide_session("s4", now_s() + 999).await.unwrap();
    assert_eq!(store.session("s4", now_s()).await.unwrap(), None);
}

async fn sessions_expire_slide_and_end_one_or_all(store: Arc<dyn UserStore>) {
    let now = now_s();
    let mut created = Vec::new();
    for (h, u) in [("a", "1"), ("b", "1"), ("c", "2")] {
        let s = session(h, u, Some(7));
        store.create_session(&s).await.unwrap();
        created.push(s);
    }
    // Compared with what was stored (its times taken once, at creation).
    assert_eq!(
        store.session("a", now).await.unwrap(),
        Some(created[0].clone())
    );
    assert_eq!(
        store
            .session("a", created[0].expires_at_s + 1)
            .await
            .unwrap(),
        None,
        "expired"
    );
    store.slide_session("a", now + 500).await.unwrap();
    assert_eq!(
        store
            .session("a", created[0].expires_at_s + 1)
            .await
            .unwrap()
            .map(|s| s.expires_at_s),
        Some(now + 500)
    );
    store.end_session("b").await.unwrap();
    assert_eq!(store.session("b", now).await.unwrap(), None);
    store
        .create_session(&session("d", "1", None))
        .await
        .unwrap();
    assert_eq!(store.end_sessions_of("1").await.unwrap(), 2);
    assert_eq!(store.session("a", now).await.unwrap(), None);
    assert_eq!(store.session("d", now).await.unwrap(), None);
    assert!(
        store.session("c", now).await.unwrap().is_some(),
        "others stay"
    );
}

async fn a_ticket_is_used_once(store: Arc<dyn UserStore>) {
    let exp = now_s() + 60;
    assert!(store.use_ticket("t1", exp).await.unwrap());
    assert!(!store.use_ticket("t1", exp).await.unwrap());
    assert!(store.use_ticket("t2", exp).await.unwrap());
}

async fn favourites_are_capped_and_know_their_fans(store: Arc<dyn UserStore>) {
    store.put_user(&user("1")).await.unwrap();
    store.put_user(&user("2")).await.unwrap();
    assert_eq!(
        store.add_favourite("1", &fav("100", 2), 2).await.unwrap(),
        FavouriteAdded::Added
    );
    assert_eq!(
        store.add_favourite("1", &fav("101", 1), 2).await.unwrap(),
        FavouriteAdded::Added
    );
    assert_eq!(
        store.add_favourite("1", &fav("100", 3), 2).await.unwrap(),
        FavouriteAdded::AlreadyThere
    );
    assert_eq!(
        store.add_favourite("1", &fav("102", 4), 2).await.unwrap(),
        FavouriteAdded::OverCap
    );
    assert_eq!(
        store.favourites("1").await.unwrap(),
        vec![fav("101", 1), fav("100", 2)]
    );
    assert_eq!(
        store.add_favourite("2", &fav("100", 5), 2).await.unwrap(),
        FavouriteAdded::Added
    );
    let mut fans = store.fans("100", 10).await.unwrap();
    fans.sort();
    assert_eq!(fans, vec!["1", "2"]);
    assert!(store.remove_favourite("1", "100").await.unwrap());
    assert!(!store.remove_favourite("1", "100").await.unwrap());
    assert_eq!(store.fans("100", 10).await.unwrap(), vec!["2"]);
    // Room again under the cap.
    assert_eq!(
        store.add_favourite("1", &fav("102", 6), 2).await.unwrap(),
        FavouriteAdded::Added
    );
    assert!(store.favourites("3").await.unwrap().is_empty());
    // How far a favourite was read: kept on it, only for one's own favourites.
    assert!(store.mark_read("2", "100", "cursor-1").await.unwrap());
    assert!(
        !store.mark_read("2", "101", "cursor-1").await.unwrap(),
        "not a favourite"
    );
    let of_2 = store.favourites("2").await.unwrap();
    assert_eq!(of_2[0].read_cursor.as_deref(), Some("cursor-1"));
    assert!(store.favourites("2").await.unwrap().len() == 1);
    // An overlay key: found by its hash, replaced by a new one, revoked.
    assert!(store.set_overlay("2", "100", key("h1")).await.unwrap());
    assert!(
        !store.set_overlay("2", "999", key("h9")).await.unwrap(),
        "not a favourite"
    );
    assert_eq!(
        store.overlay("h1").await.unwrap(),
        Some(("2".into(), "100".into()))
    );
    let f = &store.favourites("2").await.unwrap()[0];
    assert!(f.overlay);
    assert_eq!(
        f.overlay_sealed.as_deref(),
        Some("sealed h1"),
        "kept sealed"
    );
    store.set_overlay("2", "100", key("h2")).await.unwrap();
    let f = &store.favourites("2").await.unwrap()[0];
    assert_eq!(
        f.overlay_sealed.as_deref(),
        Some("sealed h2"),
        "the new one's"
    );
    assert_eq!(store.overlay("h1").await.unwrap(), None, "replaced");
    assert_eq!(
        store.overlay("h2").await.unwrap(),
        Some(("2".into(), "100".into()))
    );
    store.set_overlay("2", "100", None).await.unwrap();
    assert_eq!(store.overlay("h2").await.unwrap(), None, "revoked");
    let f = &store.favourites("2").await.unwrap()[0];
    assert!(!f.overlay);
    assert_eq!(f.overlay_sealed, None, "nothing kept of a revoked key");
    store.set_overlay("2", "100", key("h3")).await.unwrap();
    store.remove_favourite("2", "100").await.unwrap();
    assert_eq!(
        store.overlay("h3").await.unwrap(),
        None,
        "gone with its favourite"
    );
}

/// The feed position of an event that arrived at `ms` with message id `id`.
fn position(ms: i64, id: &str) -> Cursor {
    Cursor::of(&Event {
        message_id: id.into(),
        broadcaster_id: "100".into(),
        event_type: "channel.cheer".into(),
        event_version: "1".into(),
        subscription_id: "s".into(),
        received_at_ms: ms,
        summary: None,
        payload: "{}".into(),
        recovery: None,
    })
}

/// An overlay key by its hash, kept sealed as "sealed <hash>".
fn key(hash: &str) -> Option<OverlayKey> {
    Some(OverlayKey {
        hash: hash.to_owned(),
        sealed: format!("sealed {hash}"),
    })
}

async fn an_overlay_key_resumes_after_the_last_alert_it_showed(store: Arc<dyn UserStore>) {
    let t = 1_800_000_000_000;
    store.add_favourite("5", &fav("100", 1), 10).await.unwrap();
    store.set_overlay("5", "100", key("k1")).await.unwrap();
    // First use: the start is kept, and a later start does not move it.
    let start = Cursor::at_time(t);
    assert_eq!(
        store.overlay_position("k1", &start).await.unwrap(),
        Some(start.clone())
    );
    assert_eq!(
        store
            .overlay_position("k1", &Cursor::at_time(t + 9_000))
            .await
            .unwrap(),
        Some(start.clone()),
        "kept, not restarted"
    );
    // Forward only: a later alert moves it, an earlier one (a second
    // overlay behind, a late retry) and the same one again do not.
    let (a, b) = (position(t + 10, "a"), position(t + 20, "b"));
    assert_eq!(
        store.advance_overlay("k1", &b).await.unwrap(),
        Some(b.clone())
    );
    assert_eq!(
        store.advance_overlay("k1", &a).await.unwrap(),
        Some(b.clone())
    );
    assert_eq!(
        store.advance_overlay("k1", &b).await.unwrap(),
        Some(b.clone())
    );
    assert_eq!(
        store.overlay_position("k1", &start).await.unwrap(),
        Some(b.clone())
    );
    // Same arrival time: the message id decides.
    let b2 = position(t + 20, "c");
    assert_eq!(
        store.advance_overlay("k1", &b2).await.unwrap(),
        Some(b2.clone())
    );
    // Two overlays racing with one key: the latest wins whatever the order.
    let later: Vec<Cursor> = (0..8).map(|i| position(t + 100 + i, "x")).collect();
    let writes: Vec<_> = later
        .iter()
        .rev()
        .map(|c| {
            let (store, c) = (Arc::clone(&store), c.clone());
            tokio::spawn(async move { store.advance_overlay("k1", &c).await.unwrap() })
        })
        .collect();
    for w in writes {
        w.await.unwrap();
    }
    assert_eq!(
        store.overlay_position("k1", &start).await.unwrap(),
        Some(later[7].clone())
    );
    // A new key starts afresh; the old one and unknown ones have no position.
    store.set_overlay("5", "100", key("k2")).await.unwrap();
    assert_eq!(store.advance_overlay("k1", &later[7]).await.unwrap(), None);
    assert_eq!(store.overlay_position("k1", &start).await.unwrap(), None);
    assert_eq!(store.overlay_position("nope", &start).await.unwrap(), None);
    let fresh = Cursor::at_time(t + 500);
    assert_eq!(
        store.overlay_position("k2", &fresh).await.unwrap(),
        Some(fresh)
    );
    store.set_overlay("5", "100", None).await.unwrap();
    assert_eq!(
        store.advance_overlay("k2", &later[7]).await.unwrap(),
        None,
        "revoked"
    );
}

async fn an_allowance_is_spent_per_window(store: Arc<dyn UserStore>) {
    let t = 1_800_000_000; // a window start for 60 s windows
    for _ in 0..3 {
        assert!(store.spend("lookup#1", 3, 60, t + 1).await.unwrap());
    }
    assert!(!store.spend("lookup#1", 3, 60, t + 59).await.unwrap());
    assert!(
        store.spend("lookup#2", 3, 60, t + 59).await.unwrap(),
        "per key"
    );
    assert!(
        store.spend("lookup#1", 3, 60, t + 60).await.unwrap(),
        "next window"
    );
    assert!(!store.spend("lookup#3", 0, 60, t).await.unwrap());
}

async fn a_revocation_pauses_a_users_overlays_until_their_next_login(store: Arc<dyn UserStore>) {
    store.put_user(&user("1")).await.unwrap();
    let mut plain = user("2");
    plain.picture = None;
    store.put_user(&plain).await.unwrap();
    assert!(!store.overlays_suspended("1").await.unwrap());
    store.suspend_overlays("1", 5_000).await.unwrap();
    store.suspend_overlays("2", 5_000).await.unwrap();
    assert!(store.overlays_suspended("1").await.unwrap());
    assert!(store.overlays_suspended("2").await.unwrap());
    store.suspend_overlays("1", 6_000).await.unwrap();
    assert!(
        store.overlays_suspended("1").await.unwrap(),
        "again: still paused"
    );
    // A login (with or without a picture) lifts it; the other user's stays.
    store.put_user(&user("1")).await.unwrap();
    assert!(!store.overlays_suspended("1").await.unwrap());
    assert!(store.overlays_suspended("2").await.unwrap());
    store.put_user(&plain).await.unwrap();
    assert!(!store.overlays_suspended("2").await.unwrap());
    // A user never seen here: nothing to pause, and nothing made up.
    store.suspend_overlays("404", 5_000).await.unwrap();
    assert!(!store.overlays_suspended("404").await.unwrap());
    assert_eq!(store.user("404").await.unwrap(), None);
}

async fn overlay_settings_are_kept_per_favourite_across_a_key_reset(store: Arc<dyn UserStore>) {
    store.add_favourite("6", &fav("100", 1), 10).await.unwrap();
    store.add_favourite("6", &fav("200", 2), 10).await.unwrap();
    assert_eq!(store.overlay_settings("6", "100").await.unwrap(), None);
    assert!(store
        .set_overlay_settings("6", "100", r#"{"duration_s":9}"#)
        .await
        .unwrap());
    assert_eq!(
        store.overlay_settings("6", "100").await.unwrap().as_deref(),
        Some(r#"{"duration_s":9}"#)
    );
    assert_eq!(
        store.overlay_settings("6", "200").await.unwrap(),
        None,
        "another favourite's are its own"
    );
    // A new key (Reset URL) alerts the way the old one did.
    store.set_overlay("6", "100", key("s1")).await.unwrap();
    store.set_overlay("6", "100", key("s2")).await.unwrap();
    assert_eq!(
        store.overlay_settings("6", "100").await.unwrap().as_deref(),
        Some(r#"{"duration_s":9}"#)
    );
    // No such favourite: nothing is made up.
    assert!(!store
        .set_overlay_settings("6", "999", r#"{"duration_s":9}"#)
        .await
        .unwrap());
    assert_eq!(store.overlay_settings("6", "999").await.unwrap(), None);
    assert!(store.favourites("6").await.unwrap().len() == 2);
}

store_contract!(
    a_revocation_pauses_a_users_overlays_until_their_next_login,
    a_login_state_is_taken_once_and_only_before_it_expires,
    users_round_trip,
    the_hourly_sweep_sees_sessions_with_tokens_oldest_first,
    sessions_expire_slide_and_end_one_or_all,
    a_ticket_is_used_once,
    favourites_are_capped_and_know_their_fans,
    an_allowance_is_spent_per_window,
    an_overlay_key_resumes_after_the_last_alert_it_showed,
    overlay_settings_are_kept_per_favourite_across_a_key_reset,
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

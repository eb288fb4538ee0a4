//! What belongs to users: their favourites, and their grants to our app.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_favourite_is_kept_and_the_app_subscriptions_are_kept_once() {
    use shared::store::users::{Favourite, FavouriteStore, LoginStore, User};
    let release_after_ms = 60_000;
    let mut w = world_with(None, release_after_ms).await;
    w.manager.users = Some(w.store.clone());
    let old = now_ms() - 10 * release_after_ms;
    w.manager
        .track(&StreamerRef::Id(STREAMER.into()), "test", old)
        .await
        .unwrap_or_else(|e| panic!("tracking failed: {e}"));
    w.store
        .put_user(&User {
            id: "9".into(),
            login: "user9".into(),
            display_name: "User9".into(),
            picture: None,
            scopes: vec![],
            created_at_s: 0,
        })
        .await
        .unwrap();
    let fav = Favourite {
        streamer_id: STREAMER.into(),
        login: LOGIN.into(),
        added_at_ms: old,
        read_cursor: None,
        overlay: false,
        overlay_sealed: None,
    };
    w.store.add_favourite("9", &fav, 50).await.unwrap();

    let first = w.manager.sweep(now_ms()).await.unwrap();
    assert_eq!((first.released, first.app_created), (0, 2));
    assert!(w.stored(STREAMER).await.wanted, "a favourite is not idle");
    wait_until("both app subscriptions enabled", || {
        let app: Vec<_> = w
            .sim
            .subscriptions()
            .into_iter()
            .filter(|s| s.kind.starts_with("user.authorization."))
            .collect();
        app.len() == 2
            && app
                .iter()
                .all(|s| s.status.is_working() && s.condition["client_id"] == "sim-client-id")
    })
    .await;
    // Kept, not recreated, and never taken for orphans.
    let second = w.manager.sweep(now_ms()).await.unwrap();
    assert_eq!((second.app_created, second.orphans_deleted), (0, 0));
    assert_eq!(
        w.sim
            .subscriptions()
            .iter()
            .filter(|s| s.kind.starts_with("user.authorization."))
            .count(),
        2
    );
}

//! The poller with its Twitch client secret in Secrets Manager (a stand-in
//! on loopback): while the store cannot be reached a run has no state and
//! fails (the next scheduled run tries again); the first run after the store
//! is up builds it, with the stored secret.
//!
//! A test binary of its own: it sets the process's environment.

use std::net::TcpListener;

use shared::aws::deferred::{Deferred, Unavailable};
use shared::aws::secrets::stand_in::{set_loopback_env, test_secrets, unused_port, StandIn};

const ID: &str = "streamer-events/poller-test";

#[tokio::test]
async fn unreachable_store_fails_the_run_then_the_next_one_builds_the_poller() {
    let port = unused_port().unwrap();
    set_loopback_env(ID, &format!("http://127.0.0.1:{port}"));
    for (name, value) in [
        ("EVENTS_TABLE", "events"),
        ("SUBSCRIPTIONS_TABLE", "subscriptions"),
        ("STREAMERS_TABLE", "streamers"),
        ("SNAPSHOTS_TABLE", "snapshots"),
        ("TWITCH_CLIENT_ID", "client"),
    ] {
        std::env::set_var(name, value);
    }
    std::env::remove_var("TWITCH_CLIENT_SECRET");

    let state = Deferred::init(poller::aws::state_from).await.expect("init");
    assert!(matches!(state.get().await, Err(Unavailable)));

    let store = StandIn::one(
        TcpListener::bind(("127.0.0.1", port)).unwrap(),
        ID,
        &test_secrets(),
    )
    .unwrap();
    assert!(state.get().await.is_ok());
    assert_eq!(store.requests(), 1);
}

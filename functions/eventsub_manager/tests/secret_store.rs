//! The subscription manager with its secrets in Secrets Manager (a stand-in
//! on loopback): while the store cannot be reached an admin request is
//! answered 503 and a scheduled sweep fails (the next schedule sweeps); once
//! it is up the state is built and the admin routes check the stored token.
//!
//! A test binary of its own: it sets the process's environment.

use std::net::TcpListener;

use eventsub_manager::handler::{serve, Trigger};
use serde_json::Value;
use shared::aws::deferred::{Deferred, Unavailable};
use shared::aws::secrets::stand_in::{set_loopback_env, test_secrets, unused_port, StandIn};

const ID: &str = "streamer-events/manager-test";

fn trigger(json: &str) -> Trigger {
    serde_json::from_str(json).unwrap()
}

/// The sample admin request, with a token that is not the stored one.
fn admin_list() -> Trigger {
    trigger(include_str!(
        "../../../events/eventsub_manager/admin-list.json"
    ))
}

fn schedule() -> Trigger {
    trigger(include_str!(
        "../../../events/eventsub_manager/schedule.json"
    ))
}

fn status(answer: &Value) -> (i64, String) {
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    (
        answer["statusCode"].as_i64().unwrap(),
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn unreachable_store_answers_admin_503_and_fails_the_sweep_until_it_is_up() {
    let port = unused_port().unwrap();
    set_loopback_env(ID, &format!("http://127.0.0.1:{port}"));
    for (name, value) in [
        ("EVENTS_TABLE", "events"),
        ("SUBSCRIPTIONS_TABLE", "subscriptions"),
        ("STREAMERS_TABLE", "streamers"),
        ("USERS_TABLE", "users"),
        ("TWITCH_CLIENT_ID", "client"),
        ("TWITCH_HELIX_URL", "http://127.0.0.1:9/helix"),
        ("TWITCH_OAUTH_URL", "http://127.0.0.1:9/oauth2"),
        ("CALLBACK_URL", "https://example.invalid/eventsub"),
    ] {
        std::env::set_var(name, value);
    }

    let state = Deferred::init(eventsub_manager::aws::state_from)
        .await
        .expect("init");
    let answer = serve(&state, admin_list()).await.expect("an HTTP answer");
    assert_eq!(status(&answer), (503, "unavailable".into()));
    assert_eq!(serve(&state, schedule()).await.unwrap_err(), Unavailable);

    let store = StandIn::one(
        TcpListener::bind(("127.0.0.1", port)).unwrap(),
        ID,
        &test_secrets(),
    )
    .unwrap();
    let answer = serve(&state, admin_list()).await.expect("an HTTP answer");
    assert_eq!(answer["statusCode"], 401, "{answer}");
    assert_eq!(store.requests(), 1);
}

//! A function's secrets read from Secrets Manager: the real SDK client
//! against a stand-in on loopback that speaks the service's wire protocol.
//! The keys are read; a missing key or a malformed one is a configuration
//! error naming it; an unreachable or overloaded store is "unavailable", and
//! state deferred past it is built at the first call that reaches it. No
//! error's text ever holds a secret's value.

use std::collections::HashMap;
use std::net::TcpListener;

use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
use shared::auth::seal::SealKey;
use shared::aws::deferred::{Deferred, Unavailable};
use shared::aws::secrets::stand_in::{unused_port, Answer, StandIn};
use shared::aws::secrets::{Key, LoadError, Secrets};
use shared::config::ConfigError;

const ID: &str = "streamer-events/test";
/// Values no error may contain.
const SESSION_KEY: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const MALFORMED_SESSION_KEY: &str = "c2VjcmV0LXZhbHVlLXRvby1zaG9ydA==";

fn full_secret() -> serde_json::Value {
    serde_json::json!({
        "eventsub_secret": "eventsub-secret-value",
        "ticket_secret": "ticket-secret-value-of-at-least-32-bytes",
        "admin_token": "admin-token-value",
        "session_key": SESSION_KEY,
        "twitch_client_secret": "twitch-client-secret-value",
    })
}

fn stand_in(answers: &[(&str, Answer)]) -> StandIn {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let answers = answers
        .iter()
        .map(|(id, a)| (id.to_string(), a.clone()))
        .collect::<HashMap<_, _>>();
    StandIn::serve(listener, answers).expect("stand-in")
}

fn client(url: &str) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "static"))
            .endpoint_url(url)
            .build(),
    )
}

async fn fetch(secret: serde_json::Value) -> Secrets {
    let store = stand_in(&[(ID, Answer::Secret(secret.to_string()))]);
    Secrets::fetch(&client(&store.url()), ID)
        .await
        .expect("the secret is read")
}

/// Every value of the full secret, for "never in the text" checks.
fn values() -> Vec<String> {
    let mut v: Vec<String> = full_secret()
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    v.push(MALFORMED_SESSION_KEY.into());
    v
}

fn assert_no_value_in(text: &str) {
    for value in values() {
        assert!(!text.contains(&value), "{text:?} holds a secret value");
    }
}

#[tokio::test]
async fn every_key_is_read_from_the_stored_object() {
    let secrets = fetch(full_secret()).await;
    for key in Key::ALL {
        assert_eq!(
            secrets.required(key).unwrap(),
            full_secret()[key.field()].as_str().unwrap(),
            "{key:?}"
        );
    }
    assert!(secrets
        .read(Key::SessionKey, |v| SealKey::from_base64("SESSION_KEY", &v))
        .is_ok());
    assert_no_value_in(&format!("{secrets:?}"));
}

#[tokio::test]
async fn a_missing_key_is_a_config_error_naming_it_and_the_secret() {
    let mut secret = full_secret();
    secret.as_object_mut().unwrap().remove("admin_token");
    let secrets = fetch(secret).await;
    let e = secrets.required(Key::AdminToken).unwrap_err();
    assert_eq!(
        e,
        ConfigError::SecretKeyMissing {
            key: "admin_token",
            secret: ID.into()
        }
    );
    assert_eq!(e.to_string(), format!("admin_token is not in secret {ID}"));
    assert!(secrets.required(Key::TicketSecret).is_ok());
    assert_eq!(secrets.optional(Key::AdminToken), None);
}

#[tokio::test]
async fn a_malformed_session_key_is_a_config_error_naming_it_not_showing_it() {
    let mut secret = full_secret();
    secret["session_key"] = MALFORMED_SESSION_KEY.into();
    let secrets = fetch(secret).await;
    let e = secrets
        .read(Key::SessionKey, |v| SealKey::from_base64("SESSION_KEY", &v))
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with(&format!("session_key in secret {ID} is not valid: ")),
        "{text}"
    );
    assert!(text.contains("32 bytes"), "{text}");
    assert_no_value_in(&text);
    assert_no_value_in(&format!("{e:?}"));
}

#[tokio::test]
async fn a_secret_that_is_not_a_json_object_is_a_config_error_not_showing_it() {
    for text in ["eventsub-secret-value", "[\"admin-token-value\"]"] {
        let store = stand_in(&[(ID, Answer::Secret(text.into()))]);
        let e = Secrets::fetch(&client(&store.url()), ID).await.unwrap_err();
        let LoadError::Config(ConfigError::SecretUnreadable { secret, .. }) = &e else {
            panic!("{e:?}");
        };
        assert_eq!(secret, ID);
        assert_no_value_in(&e.to_string());
    }
}

#[tokio::test]
async fn a_refusal_is_a_config_error_and_an_overload_is_unavailable() {
    let store = stand_in(&[
        (
            "streamer-events/denied",
            Answer::Error {
                status: 400,
                kind: "AccessDeniedException",
            },
        ),
        (
            "streamer-events/throttled",
            Answer::Error {
                status: 400,
                kind: "ThrottlingException",
            },
        ),
        (
            "streamer-events/failing",
            Answer::Error {
                status: 500,
                kind: "InternalServiceError",
            },
        ),
    ]);
    let client = client(&store.url());
    let e = Secrets::fetch(&client, "streamer-events/absent")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, LoadError::Config(ConfigError::SecretUnreadable { why, .. }) if why.contains("ResourceNotFoundException")),
        "{e:?}"
    );
    let e = Secrets::fetch(&client, "streamer-events/denied")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, LoadError::Config(ConfigError::SecretUnreadable { why, .. }) if why.contains("AccessDeniedException")),
        "{e:?}"
    );
    for id in ["streamer-events/throttled", "streamer-events/failing"] {
        let e = Secrets::fetch(&client, id).await.unwrap_err();
        assert!(
            matches!(&e, LoadError::Unavailable { secret, .. } if secret == id),
            "{e:?}"
        );
    }
}

/// The only test here that sets the environment: the deferred state reads
/// its secrets the way a function does.
#[tokio::test]
async fn deferred_state_fails_while_the_store_is_unreachable_then_is_built_once() {
    let port = unused_port().expect("a port");
    std::env::set_var("AWS_REGION", "us-east-1");
    std::env::set_var("AWS_ACCESS_KEY_ID", "local");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "local");
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    std::env::set_var("SECRETS_ID", ID);
    std::env::set_var(
        "SECRETS_MANAGER_ENDPOINT",
        format!("http://127.0.0.1:{port}"),
    );
    let build = |secrets: Secrets| async move { secrets.required(Key::AdminToken) };

    // Nothing listening: init succeeds without state, and each call fails.
    let state = Deferred::init(build).await.expect("init does not fail");
    assert_eq!(state.get().await.unwrap_err(), Unavailable);
    assert_eq!(state.get().await.unwrap_err(), Unavailable);

    // The store comes up on that port: the next call builds the state.
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("rebind the port");
    let store = StandIn::serve(
        listener,
        HashMap::from([(ID.to_owned(), Answer::Secret(full_secret().to_string()))]),
    )
    .expect("stand-in");
    assert_eq!(state.get().await.unwrap(), "admin-token-value");
    assert_eq!(state.get().await.unwrap(), "admin-token-value");
    assert_eq!(store.requests(), 1, "the secret is fetched once");

    // Reachable at init, a key missing: init fails, naming it.
    let mut secret = full_secret();
    secret.as_object_mut().unwrap().remove("admin_token");
    let store = stand_in(&[(ID, Answer::Secret(secret.to_string()))]);
    std::env::set_var("SECRETS_MANAGER_ENDPOINT", store.url());
    let Err(e) = Deferred::init(build).await else {
        panic!("init succeeded without admin_token");
    };
    assert_eq!(e.to_string(), format!("admin_token is not in secret {ID}"));

    // Without SECRETS_ID the environment is read, as before.
    std::env::remove_var("SECRETS_ID");
    std::env::set_var("ADMIN_TOKEN", "from-the-environment");
    let state = Deferred::init(build).await.expect("init");
    assert_eq!(state.get().await.unwrap(), "from-the-environment");
    assert_eq!(store.requests(), 1);
}

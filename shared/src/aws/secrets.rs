//! A function's secrets: from AWS Secrets Manager when `SECRETS_ID` names
//! the stack's secret, else from the environment (the local stack, the tests,
//! `sam local`).
//!
//! In AWS the secrets are not environment variables, which anyone allowed
//! `lambda:GetFunctionConfiguration` could read: the template gives each
//! function only the secret's name, and its role `GetSecretValue` on that
//! one secret. The secret is one JSON object (see [`Key`]), fetched once per
//! process at init.

#[cfg(feature = "fixtures")]
pub mod stand_in;

use std::fmt;
use std::time::Duration;

use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::Client;
use serde_json::{Map, Value};

use crate::config::{env, ConfigError};

/// The variable naming the secret (`streamer-events/<stack name>`).
pub const SECRETS_ID: &str = "SECRETS_ID";
/// The variable pointing the client at another endpoint (a loopback stand-in),
/// named like `DYNAMODB_ENDPOINT`.
pub const SECRETS_MANAGER_ENDPOINT: &str = "SECRETS_MANAGER_ENDPOINT";

/// A secret setting: its key in the stored JSON object, and the environment
/// variable it is read from without a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The HMAC key Twitch signs deliveries with.
    EventSubSecret,
    /// The key WebSocket tickets are signed with.
    TicketSecret,
    /// The bearer token of the admin routes.
    AdminToken,
    /// 32 random bytes, base64: seals session cookies and stored tokens.
    SessionKey,
    /// The Twitch app's client secret.
    TwitchClientSecret,
}

impl Key {
    /// Every key, in the order the stored object lists them.
    pub const ALL: [Key; 5] = [
        Key::EventSubSecret,
        Key::TicketSecret,
        Key::AdminToken,
        Key::SessionKey,
        Key::TwitchClientSecret,
    ];

    /// The key in the secret's JSON object.
    pub const fn field(self) -> &'static str {
        match self {
            Key::EventSubSecret => "eventsub_secret",
            Key::TicketSecret => "ticket_secret",
            Key::AdminToken => "admin_token",
            Key::SessionKey => "session_key",
            Key::TwitchClientSecret => "twitch_client_secret",
        }
    }

    /// The environment variable read when there is no store.
    pub const fn env(self) -> &'static str {
        match self {
            Key::EventSubSecret => "EVENTSUB_SECRET",
            Key::TicketSecret => "TICKET_SECRET",
            Key::AdminToken => "ADMIN_TOKEN",
            Key::SessionKey => "SESSION_KEY",
            Key::TwitchClientSecret => "TWITCH_CLIENT_SECRET",
        }
    }
}

/// Why the secrets could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Nothing a retry would fix: the function cannot start.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store could not be reached or was overloaded (connect error,
    /// timeout, 5xx, throttling): the next invocation tries again.
    #[error("secret {secret} is unavailable: {why}")]
    Unavailable { secret: String, why: String },
}

/// Where a function's secrets come from.
pub struct Secrets(Source);

enum Source {
    Environment,
    Store {
        id: String,
        fields: Map<String, Value>,
    },
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Environment => f.write_str("Secrets(environment)"),
            Source::Store { id, .. } => write!(f, "Secrets({id}, <redacted>)"),
        }
    }
}

impl Secrets {
    /// The secrets in the environment variables ([`Key::env`]).
    pub fn environment() -> Self {
        Self(Source::Environment)
    }

    /// The secret `SECRETS_ID` names, fetched now; the environment when it is
    /// unset.
    pub async fn from_env() -> Result<Self, LoadError> {
        let Some(id) = env::optional(SECRETS_ID).filter(|id| !id.is_empty()) else {
            return Ok(Self::environment());
        };
        Self::fetch(&client_from_env().await?, &id).await
    }

    /// One `GetSecretValue` of `id`, its string a JSON object.
    pub async fn fetch(client: &Client, id: &str) -> Result<Self, LoadError> {
        let unreadable = |why: String| ConfigError::SecretUnreadable {
            secret: id.to_owned(),
            why,
        };
        let output = client
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| classify(id, e))?;
        let text = output
            .secret_string()
            .ok_or_else(|| unreadable("it has no SecretString".into()))?;
        // serde_json's message names a line and column, never the text.
        let fields = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(fields)) => fields,
            Ok(_) => return Err(unreadable("it is not a JSON object".into()).into()),
            Err(e) => return Err(unreadable(format!("it is not JSON ({e})")).into()),
        };
        Ok(Self(Source::Store {
            id: id.to_owned(),
            fields,
        }))
    }

    /// The secret `key`, given to `parse`. From a store, a missing key and a
    /// value `parse` refuses are errors naming the key and the secret; the
    /// reason is kept, never the value.
    pub fn read<T>(
        &self,
        key: Key,
        parse: impl FnOnce(String) -> Result<T, ConfigError>,
    ) -> Result<T, ConfigError> {
        let Source::Store { id, fields } = &self.0 else {
            return parse(env::required(key.env())?);
        };
        let value = fields
            .get(key.field())
            .and_then(Value::as_str)
            .ok_or_else(|| ConfigError::SecretKeyMissing {
                key: key.field(),
                secret: id.clone(),
            })?;
        parse(value.to_owned()).map_err(|e| ConfigError::SecretKeyInvalid {
            key: key.field(),
            secret: id.clone(),
            why: match e {
                ConfigError::Invalid { why, .. } => why,
                other => other.to_string(),
            },
        })
    }

    /// The secret `key` as it is stored.
    pub fn required(&self, key: Key) -> Result<String, ConfigError> {
        self.read(key, Ok)
    }

    /// The secret `key`, or `None` where it is not set.
    pub fn optional(&self, key: Key) -> Option<String> {
        self.required(key).ok()
    }
}

/// A Secrets Manager client from the process's SDK configuration,
/// `SECRETS_MANAGER_ENDPOINT` overriding the endpoint. Its timeouts keep a
/// fetch that hangs well inside Lambda's 10 s init: 1 s to connect, 2 s an
/// attempt, 5 s in all with the SDK's retries.
pub async fn client_from_env() -> Result<Client, ConfigError> {
    let timeouts = aws_sdk_secretsmanager::config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(5))
        .build();
    let mut config = aws_sdk_secretsmanager::config::Builder::from(super::sdk_config().await?)
        .timeout_config(timeouts);
    if let Some(endpoint) = env::optional(SECRETS_MANAGER_ENDPOINT) {
        config = config.endpoint_url(endpoint);
    }
    Ok(Client::from_conf(config.build()))
}

/// A failed call: transient (the store could not answer) or final (it
/// answered no). The error's text is the SDK's: it never holds the secret.
fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(
    id: &str,
    e: SdkError<E>,
) -> LoadError {
    let why = match &e {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("unknown error");
            let message = service.err().message().unwrap_or("");
            let transient = service.raw().status().is_server_error()
                || code.contains("Throttling")
                || code == "InternalServiceError";
            let why = format!("{code}: {message} (HTTP {})", service.raw().status());
            if !transient {
                return ConfigError::SecretUnreadable {
                    secret: id.to_owned(),
                    why,
                }
                .into();
            }
            why
        }
        // Connect errors, timeouts, unparseable answers.
        other => DisplayErrorContext(other).to_string(),
    };
    LoadError::Unavailable {
        secret: id.to_owned(),
        why,
    }
}

//! Settings read from the environment, validated once at start-up.
//!
//! Every reader follows the same rules (see [`env`]): unset is `Missing` or
//! the documented default; set but malformed is `Invalid`, never silently
//! replaced by the default.

use std::fmt;

/// The one way settings are read from the environment.
pub mod env {
    use std::str::FromStr;

    use super::ConfigError;

    /// A setting that must be set.
    pub fn required(name: &'static str) -> Result<String, ConfigError> {
        std::env::var(name).map_err(|_| ConfigError::Missing(name))
    }

    /// A setting that may be unset.
    pub fn optional(name: &'static str) -> Option<String> {
        std::env::var(name).ok()
    }

    /// A parsed setting: `default` when unset; a value that does not parse,
    /// or that `accept` refuses, is `Invalid` with `expected` as the reason.
    pub fn optional_parsed<T: FromStr>(
        name: &'static str,
        default: T,
        accept: impl Fn(&T) -> bool,
        expected: &str,
    ) -> Result<T, ConfigError> {
        let Some(value) = optional(name) else {
            return Ok(default);
        };
        value
            .parse::<T>()
            .ok()
            .filter(|v| accept(v))
            .ok_or_else(|| ConfigError::Invalid {
                name,
                why: format!("{value:?} is not {expected}"),
            })
    }

    /// A comma-separated list of origins (`https://host[:port]`), each
    /// trimmed of spaces and a trailing `/` (an origin never has one, and a
    /// stray one would refuse every request from it); empty when unset.
    pub fn origins(name: &'static str) -> Vec<String> {
        optional(name)
            .map(|o| {
                o.split(',')
                    .map(|s| s.trim().trim_end_matches('/').to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Why a setting could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("the EventSub secret must be 10 to 100 ASCII characters (got {0} characters)")]
    SecretLength(usize),
    #[error("the EventSub secret must be printable ASCII")]
    SecretNotAscii,
    #[error("{name} is not valid: {why}")]
    Invalid { name: &'static str, why: String },
    /// A key the function needs is absent from (or not a string in) its secret.
    #[error("{key} is not in secret {secret}")]
    SecretKeyMissing { key: &'static str, secret: String },
    /// A key of the secret is there but unusable; `why` never holds the value.
    #[error("{key} in secret {secret} is not valid: {why}")]
    SecretKeyInvalid {
        key: &'static str,
        secret: String,
        why: String,
    },
    /// The store answered, but not with a secret this function can read (not
    /// found, access denied, not a JSON object).
    #[error("secret {secret} cannot be read: {why}")]
    SecretUnreadable { secret: String, why: String },
}

/// The fixed secret the local stack and the trigger command use when
/// `EVENTSUB_SECRET` is unset. Local development only: the AWS template has no
/// default and the Lambda refuses to start without a configured secret.
pub const DEV_EVENTSUB_SECRET: &str = "local-dev-eventsub-secret-do-not-deploy";

/// The EventSub transport secret: the HMAC key Twitch signs every delivery with.
///
/// Its `Debug` and `Display` never show the value, so it cannot leak into logs.
#[derive(Clone)]
pub struct EventSubSecret(String);

impl EventSubSecret {
    /// Accepts a secret Twitch would accept: 10 to 100 printable ASCII characters.
    pub fn new(value: impl Into<String>) -> Result<Self, ConfigError> {
        let value = value.into();
        if !value.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return Err(ConfigError::SecretNotAscii);
        }
        if !(10..=100).contains(&value.len()) {
            return Err(ConfigError::SecretLength(value.len()));
        }
        Ok(Self(value))
    }

    /// Reads `EVENTSUB_SECRET`; in AWS there is no default.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::new(env::required("EVENTSUB_SECRET")?)
    }

    /// The key bytes, for HMAC only.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for EventSubSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EventSubSecret(<redacted>)")
    }
}

/// How long stored events (and their dedupe marks and counters) are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Days an event stays readable before TTL removes it.
    pub days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self { days: 90 }
    }
}

impl Retention {
    /// Reads `EVENT_RETENTION_DAYS` (1 to 3650), default 90.
    pub fn from_env() -> Result<Self, ConfigError> {
        let days = env::optional_parsed(
            "EVENT_RETENTION_DAYS",
            Self::default().days,
            |d| (1..=3650).contains(d),
            "a whole number of days from 1 to 3650",
        )?;
        Ok(Self { days })
    }

    /// Seconds to add to a write time to get its expiry.
    pub fn seconds(&self) -> i64 {
        i64::from(self.days) * 86_400
    }
}

/// Deployment-wide ceilings on the budgets every user shares (issue 22):
/// each keeps a share for the streamers already tracked and the poller, so
/// no group of accounts can spend them all. Per-user limits stay where they
/// are; these bound the sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// Streamers not tracked yet that the whole deployment may start
    /// tracking per hour (`DEPLOYMENT_NEW_TRACKS_PER_HOUR`, default 100).
    pub new_tracks_per_hour: u32,
    /// Percent of `max_total_cost` kept for streamers already tracked: a
    /// newly tracked streamer gets no subscription that would leave less
    /// (`EVENTSUB_COST_RESERVE_PERCENT`, default 5).
    pub eventsub_reserve_percent: u32,
    /// Percent of the Helix bucket's `Ratelimit-Limit` kept for the poller
    /// and the manager: user-triggered lookups are answered "busy" while the
    /// last `Ratelimit-Remaining` this instance saw is under it
    /// (`HELIX_LOOKUP_RESERVE_PERCENT`, default 10).
    pub helix_reserve_percent: u32,
}

impl Default for Budgets {
    fn default() -> Self {
        Self {
            new_tracks_per_hour: 100,
            eventsub_reserve_percent: 5,
            helix_reserve_percent: 10,
        }
    }
}

impl Budgets {
    /// [`Budgets::from_env`], or the defaults with a warning when a setting
    /// is malformed (the local stack's way: it starts anyway).
    pub fn read_or_default() -> Self {
        Self::from_env().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "using the default deployment budgets");
            Self::default()
        })
    }

    /// Reads the three settings above (unset: their defaults).
    pub fn from_env() -> Result<Self, ConfigError> {
        let d = Self::default();
        let percent = |p: &u32| *p <= 100;
        Ok(Self {
            new_tracks_per_hour: env::optional_parsed(
                "DEPLOYMENT_NEW_TRACKS_PER_HOUR",
                d.new_tracks_per_hour,
                |_| true,
                "a whole number of streamers",
            )?,
            eventsub_reserve_percent: env::optional_parsed(
                "EVENTSUB_COST_RESERVE_PERCENT",
                d.eventsub_reserve_percent,
                percent,
                "a whole percentage from 0 to 100",
            )?,
            helix_reserve_percent: env::optional_parsed(
                "HELIX_LOOKUP_RESERVE_PERCENT",
                d.helix_reserve_percent,
                percent,
                "a whole percentage from 0 to 100",
            )?,
        })
    }
}

/// Days snapshots are kept: `SNAPSHOT_RETENTION_DAYS` (1 to 3650), default
/// 30; an invalid value falls back to the default with a warning once.
pub fn snapshot_retention_days() -> u32 {
    static DAYS: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *DAYS.get_or_init(|| {
        env::optional_parsed(
            "SNAPSHOT_RETENTION_DAYS",
            30,
            |d| (1..=3650).contains(d),
            "a whole number of days from 1 to 3650",
        )
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "using 30 days");
            30
        })
    })
}

/// How long snapshots are kept, in seconds ([`snapshot_retention_days`]):
/// what the stores add to a poll time for its expiry and take from now for
/// the oldest poll they read.
pub fn snapshot_retention_s() -> i64 {
    Retention {
        days: snapshot_retention_days(),
    }
    .seconds()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_length_is_checked_at_both_ends() {
        assert_eq!(
            EventSubSecret::new("123456789").unwrap_err(),
            ConfigError::SecretLength(9)
        );
        assert!(EventSubSecret::new("1234567890").is_ok());
        assert!(EventSubSecret::new("x".repeat(100)).is_ok());
        assert_eq!(
            EventSubSecret::new("x".repeat(101)).unwrap_err(),
            ConfigError::SecretLength(101)
        );
    }

    #[test]
    fn secret_must_be_ascii() {
        assert_eq!(
            EventSubSecret::new("pässwörd-long-enough").unwrap_err(),
            ConfigError::SecretNotAscii
        );
    }

    #[test]
    fn a_malformed_setting_is_refused_not_defaulted() {
        // A name no other test or process sets.
        const NAME: &str = "SHARED_CONFIG_TEST_NUMBER";
        let read = || env::optional_parsed(NAME, 7u32, |n| *n > 0, "a positive number");
        std::env::remove_var(NAME);
        assert_eq!(read(), Ok(7));
        std::env::set_var(NAME, "12");
        assert_eq!(read(), Ok(12));
        std::env::set_var(NAME, "0");
        assert!(matches!(
            read(),
            Err(ConfigError::Invalid { name: NAME, .. })
        ));
        std::env::set_var(NAME, "twelve");
        assert!(matches!(
            read(),
            Err(ConfigError::Invalid { name: NAME, .. })
        ));
        std::env::remove_var(NAME);
    }

    #[test]
    fn secret_never_shows_in_debug_output() {
        let s = EventSubSecret::new("super-secret-value").unwrap();
        assert!(!format!("{s:?}").contains("super-secret-value"));
    }
}

//! When a streamer nobody watches is released: the idle time, from the
//! environment, and whether anyone still keeps it as a favourite.

use shared::config::{env, ConfigError};
use shared::store::StoreError;

use super::Manager;

/// Hours nobody watched a streamer before it is released, unless
/// `RELEASE_AFTER_HOURS` says otherwise.
pub const RELEASE_AFTER_HOURS: i64 = 72;

/// `RELEASE_AFTER_HOURS` (a positive number of hours, default
/// [`RELEASE_AFTER_HOURS`]) in milliseconds; a malformed value is refused.
pub fn release_after_ms_from_env() -> Result<i64, ConfigError> {
    let hours = env::optional_parsed(
        "RELEASE_AFTER_HOURS",
        RELEASE_AFTER_HOURS,
        |h| *h > 0,
        "a positive number of hours",
    )?;
    Ok(hours * 3_600_000)
}

impl Manager {
    /// True when some user has `id` as a favourite.
    pub(super) async fn has_fans(&self, id: &str) -> Result<bool, StoreError> {
        match &self.users {
            Some(users) => Ok(!users.fans(id, 1).await?.is_empty()),
            None => Ok(false),
        }
    }

    /// The same manager, releasing streamers nobody watched for `ms`.
    pub fn release_after_ms(mut self, ms: i64) -> Self {
        self.release_after_ms = ms;
        self
    }
}

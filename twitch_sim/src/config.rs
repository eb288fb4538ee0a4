//! The simulator's settings: [`SimConfig`], and in it [`RetryModel`], the
//! simulator's model of how Twitch retries failed deliveries.

use std::time::Duration;

/// How the simulated Twitch behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The only client id the token endpoint accepts.
    pub client_id: String,
    /// That client's secret.
    pub client_secret: String,
    /// How many channels are live in Get Streams.
    pub live_streams: usize,
    /// Seeds the viewer counts and everything else derived pseudo-randomly.
    pub seed: u64,
    /// Lifetime of issued app tokens, in seconds.
    pub token_ttl_secs: u64,
    /// Helix points per minute per client id; also the bucket size.
    pub rate_limit_per_minute: u32,
    /// Subscriptions per page in the EventSub list (Twitch leaves it unspecified).
    pub list_page_size: usize,
    /// The `max_total_cost` of the account.
    pub max_total_cost: u64,
    /// Whether viewer counts change over time (they do on Twitch; turn off
    /// for tests that need one exact sweep).
    pub viewer_drift: bool,
    /// The client's registered redirect URLs (the authorize page sends a
    /// mismatch to the first one, as Twitch does).
    pub redirect_uris: Vec<String>,
    /// Lifetime of user access tokens, in seconds (Twitch: about 4 hours).
    pub user_token_ttl_secs: u64,
    /// The only callbacks subscriptions may deliver to; `None`: any the
    /// simulator accepts (tests with several stacks).
    pub callbacks: Option<Vec<String>>,
    /// How failed deliveries are retried and when they end in revocation.
    pub retries: RetryModel,
    /// True: a subscription may be created beside a live one with the same
    /// type, version and condition at another callback (RFC 0014 allows up
    /// to three of the same; the 409 is then for the same callback only).
    /// False (the default): 409 whatever the callback, as the current docs
    /// read ("a subscription already exists for the specified event type
    /// and condition combination").
    pub duplicates_across_callbacks: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            client_id: "sim-client-id".into(),
            client_secret: "sim-client-secret".into(),
            live_streams: 1000,
            seed: 1,
            token_ttl_secs: 5_000_000,
            rate_limit_per_minute: 800,
            list_page_size: 100,
            max_total_cost: 10_000,
            viewer_drift: true,
            redirect_uris: Vec::new(),
            user_token_ttl_secs: 14_400,
            callbacks: None,
            retries: RetryModel::default(),
            duplicates_across_callbacks: false,
        }
    }
}

/// How the simulator retries a notification its callback did not
/// acknowledge (unreachable, or no 2xx), and when it gives up on a callback.
///
/// Twitch does not publish any of this: its retry count, intervals, retry
/// window and the failure threshold behind `notification_failures_exceeded`
/// are undocumented (`twitch-catchup.md` §1, `twitch.md` §1.5, §1.6). These
/// are the simulator's own model, stated as settings, not Twitch's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryModel {
    /// Waits before each retry, in Twitch time: one retry per entry, so the
    /// retry window is their sum. Default 10 s, 30 s, 60 s, 120 s, 300 s
    /// (520 s, under the 10 minutes receivers are told to accept).
    pub intervals_secs: Vec<f64>,
    /// Messages in a row to one callback that failed every retry before all
    /// its enabled subscriptions become `notification_failures_exceeded`
    /// (and get a `revocation` once it answers again). Default 3.
    pub failure_threshold: u32,
    /// Twitch time divided by this is wall-clock time, so a drill of many
    /// Twitch minutes takes seconds. Default 100 (the 520 s window: 5.2 s).
    pub compression: f64,
}

impl Default for RetryModel {
    fn default() -> Self {
        Self {
            intervals_secs: vec![10.0, 30.0, 60.0, 120.0, 300.0],
            failure_threshold: 3,
            compression: 100.0,
        }
    }
}

impl RetryModel {
    /// The wall-clock wait before retry `n` (1-based); `None` past the last.
    pub fn wait_before(&self, n: usize) -> Option<Duration> {
        let secs = *self.intervals_secs.get(n.checked_sub(1)?)?;
        Some(self.wall(secs))
    }

    /// The wall-clock time from a first attempt to its last retry.
    pub fn window(&self) -> Duration {
        self.wall(self.intervals_secs.iter().sum())
    }

    /// `twitch_secs` of Twitch time on the wall clock (a bad setting, such
    /// as a negative interval or compression, counts as no compression / 0 s).
    fn wall(&self, twitch_secs: f64) -> Duration {
        let factor = if self.compression.is_finite() && self.compression > 0.0 {
            self.compression
        } else {
            1.0
        };
        Duration::try_from_secs_f64(twitch_secs / factor).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::RetryModel;
    use std::time::Duration;

    #[test]
    fn the_default_window_is_520_twitch_seconds_compressed_100_times() {
        let model = RetryModel::default();
        assert_eq!(model.window(), Duration::from_millis(5200));
        assert_eq!(model.wait_before(1), Some(Duration::from_millis(100)));
        assert_eq!(model.wait_before(5), Some(Duration::from_secs(3)));
        assert_eq!(model.wait_before(6), None);
        assert_eq!(model.wait_before(0), None);
    }
}

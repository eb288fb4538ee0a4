//! Helix's token bucket as its headers describe it: `Ratelimit-Limit`,
//! `Ratelimit-Remaining`, `Ratelimit-Reset` (Unix seconds when the bucket is
//! full again). Callers wait instead of spending requests on 429s: with the
//! bucket empty, for one point's refill time (the bucket refills
//! continuously, `limit` points per reset period); after a 429 (a bucket that
//! refills all at once, or other clients sharing it), until the reset.

use std::sync::Mutex;
use std::time::Duration;

use http::HeaderMap;

/// What the last answer said about the bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bucket {
    pub limit: Option<u32>,
    pub remaining: Option<u32>,
    /// Unix seconds.
    pub reset: Option<i64>,
}

impl Bucket {
    /// Whether `remaining` is under `percent` % of `limit`: the share kept
    /// for the poller and the manager. Unknown (no answer yet, or the bucket
    /// refilled since) is not under it.
    pub fn under_reserve(&self, percent: u32) -> bool {
        match (self.limit, self.remaining) {
            (Some(limit), Some(remaining)) => {
                u64::from(remaining) * 100 < u64::from(limit) * u64::from(percent)
            }
            _ => false,
        }
    }

    /// Reads the three headers (absent or malformed ones stay `None`).
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let num = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<i64>().ok())
        };
        Self {
            limit: num("ratelimit-limit").and_then(|v| u32::try_from(v).ok()),
            remaining: num("ratelimit-remaining").and_then(|v| u32::try_from(v).ok()),
            reset: num("ratelimit-reset"),
        }
    }
}

/// Why a user's lookup is refused while the bucket is under its reserve
/// (the api's `deployment_busy` answer and the websocket's frame alike).
pub const LOOKUPS_BUSY: &str = "this deployment is busy: Twitch's rate limit is nearly spent, \
     so new streamers are not looked up for now (streamers already tracked still work); \
     try again in a minute";

/// Shared by every request of one client.
#[derive(Default)]
pub struct RateLimiter {
    last: Mutex<Bucket>,
    /// Set by a 429: wait for the full reset, not for one point.
    throttled: std::sync::atomic::AtomicBool,
    /// Requests that had to wait for a reset (for status reports).
    waits: std::sync::atomic::AtomicU64,
}

/// Never wait longer than this for one reset (a clock far off, a bad header).
pub const MAX_WAIT: Duration = Duration::from_secs(65);

impl RateLimiter {
    /// Records what an answer's headers said.
    pub fn observe(&self, bucket: Bucket) {
        if bucket.remaining.is_none() && bucket.reset.is_none() {
            return;
        }
        if bucket.remaining.is_some_and(|r| r > 0) {
            self.throttled
                .store(false, std::sync::atomic::Ordering::Relaxed);
        }
        if let Ok(mut last) = self.last.lock() {
            *last = bucket;
        }
    }

    /// Marks the bucket empty until `reset` (a 429).
    pub fn exhausted(&self, reset: Option<i64>, now_s: i64) {
        self.throttled
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut last) = self.last.lock() {
            last.remaining = Some(0);
            last.reset = Some(reset.unwrap_or(now_s + 1));
        }
    }

    /// How long to wait before the next request, given the time now (Unix ms).
    pub fn delay(&self, now_ms: i64) -> Duration {
        let Ok(last) = self.last.lock() else {
            return Duration::ZERO;
        };
        match (last.remaining, last.reset) {
            (Some(0), Some(reset)) => {
                // Reset is whole seconds: aim just past it.
                // `reset` is whatever the header said: saturate, never overflow.
                let until_full = reset
                    .saturating_mul(1000)
                    .saturating_add(50)
                    .saturating_sub(now_ms)
                    .max(0);
                let wait_ms = match last.limit {
                    Some(limit)
                        if limit > 0
                            && !self.throttled.load(std::sync::atomic::Ordering::Relaxed) =>
                    {
                        // One point of a bucket refilling `limit` points by the reset.
                        (until_full / i64::from(limit)).max(1)
                    }
                    _ => until_full,
                };
                Duration::from_millis(wait_ms as u64).min(MAX_WAIT)
            }
            _ => Duration::ZERO,
        }
    }

    /// Waits until a request may go out.
    pub async fn wait(&self) {
        let delay = self.delay(crate::clock::now_ms());
        if !delay.is_zero() {
            self.waits
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::debug!(
                wait_ms = delay.as_millis() as u64,
                "Helix rate limit: waiting for the bucket to refill"
            );
            tokio::time::sleep(delay).await;
            // The wait is over: the bucket refilled, whatever it said before.
            if let Ok(mut last) = self.last.lock() {
                last.remaining = None;
            }
        }
    }

    /// What the last answer said about the bucket (this client's view only).
    pub fn last(&self) -> Bucket {
        self.last.lock().map(|b| *b).unwrap_or_default()
    }

    /// How many times requests waited for a reset.
    pub fn waits(&self) -> u64 {
        self.waits.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reset_no_clock_can_reach_waits_at_most_the_longest_wait() {
        for reset in [i64::MAX, i64::MIN, i64::MAX / 1000 + 1] {
            let limiter = RateLimiter::default();
            limiter.observe(Bucket {
                limit: Some(800),
                remaining: Some(0),
                reset: Some(reset),
            });
            assert!(
                limiter.delay(1_700_000_000_000) <= MAX_WAIT,
                "reset {reset}"
            );
            limiter.exhausted(Some(reset), 1_700_000_000);
            assert!(limiter.delay(i64::MIN) <= MAX_WAIT, "reset {reset}");
        }
    }

    #[test]
    fn an_empty_bucket_waits_for_a_point_and_a_429_for_the_reset() {
        let limiter = RateLimiter::default();
        let mut headers = HeaderMap::new();
        headers.insert("Ratelimit-Limit", "800".parse().unwrap());
        headers.insert("Ratelimit-Remaining", "0".parse().unwrap());
        headers.insert("Ratelimit-Reset", "1000".parse().unwrap());
        limiter.observe(Bucket::from_headers(&headers));
        // Empty but refilling: one point's time (60 s for 800 points → 75 ms).
        assert_eq!(limiter.delay(940_000), Duration::from_millis(75));
        assert_eq!(limiter.delay(1_001_000), Duration::from_millis(1));
        // After a 429: the whole way to the reset.
        limiter.exhausted(Some(1_000), 999);
        assert_eq!(limiter.delay(999_000), Duration::from_millis(1_050));
        headers.insert("Ratelimit-Remaining", "5".parse().unwrap());
        limiter.observe(Bucket::from_headers(&headers));
        assert_eq!(limiter.delay(999_000), Duration::ZERO);
        limiter.exhausted(Some(5_000), 999);
        assert_eq!(limiter.delay(999_000), MAX_WAIT, "capped");
    }
}

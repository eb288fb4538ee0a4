//! Helix's rate limit: a token bucket per client id that refills
//! `per_minute` points a minute up to `per_minute` points (Helix's token bucket, <https://dev.twitch.tv/docs/api/guide/#twitch-rate-limits>).

use tokio::time::Instant;

/// One client's bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    capacity: f64,
    points: f64,
    at: Instant,
}

/// What the `Ratelimit-*` headers say after a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Headers {
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds when the bucket is full again.
    pub reset: u64,
}

impl Bucket {
    /// A full bucket of `per_minute` points.
    pub fn full(per_minute: u32, now: Instant) -> Self {
        Self {
            capacity: f64::from(per_minute),
            points: f64::from(per_minute),
            at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let secs = now.saturating_duration_since(self.at).as_secs_f64();
        self.points = (self.points + secs * self.capacity / 60.0).min(self.capacity);
        self.at = now;
    }

    /// Spends one point if there is one; false means answer 429.
    pub fn take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.points >= 1.0 {
            self.points -= 1.0;
            true
        } else {
            false
        }
    }

    /// The headers for the bucket as it is at `now` (`epoch` = Unix seconds then).
    pub fn headers(&mut self, now: Instant, epoch: u64) -> Headers {
        self.refill(now);
        let missing = self.capacity - self.points;
        let per_sec = self.capacity / 60.0;
        let until_full = if per_sec > 0.0 {
            (missing / per_sec).ceil()
        } else {
            0.0
        };
        Headers {
            // Float-to-int `as` saturates, and both values are within 0..=capacity.
            limit: self.capacity as u32,
            remaining: self.points.floor() as u32,
            reset: epoch + until_full as u64,
        }
    }
}

//! The one client for all Twitch HTTP (Helix and OAuth).
//!
//! - [`config`]: base URLs and app credentials, from the environment (the
//!   local stack points them at its Twitch simulator).
//! - [`token`]: the app access token, fetched lazily, cached, renewed before
//!   expiry and once on a 401.
//! - [`ratelimit`]: the `Ratelimit-*` headers: waits when the bucket is empty
//!   rather than failing.
//! - [`answer`]: what Twitch answered ([`answer::Answer`]) and [`HelixError`].
//! - [`client`]: the request loop (auth, rate limit, 429 and 5xx retries),
//!   with the app token or, for recovery's reads, a broadcaster's.
//! - [`login`]: log in with Twitch (user tokens: code exchange, refresh,
//!   validate, revoke; ID tokens against the cached key set).
//! - [`users`], [`eventsub`], [`streams`]: the endpoints this system uses;
//!   paginated ones are streams over cursors.

pub mod answer;
pub mod client;
pub mod config;
pub mod eventsub;
pub mod login;
pub mod ratelimit;
pub mod streams;
pub mod token;
pub mod users;

pub use answer::HelixError;
pub use client::Helix;
pub use config::HelixConfig;

/// The longest token lifetime believed (app tokens last about 60 days, user
/// tokens hours): a larger `expires_in` is Twitch's mistake, and the
/// arithmetic on it (instants, expiry times) would overflow.
pub const LONGEST_LIFETIME: std::time::Duration = std::time::Duration::from_secs(366 * 24 * 3600);

/// An `expires_in` in seconds, within 0..=[`LONGEST_LIFETIME`].
pub(crate) fn believed_lifetime_s(expires_in: i64) -> i64 {
    expires_in.clamp(0, LONGEST_LIFETIME.as_secs() as i64)
}

/// Percent-encodes a query or form value (RFC 3986 unreserved characters stay).
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `k=v&k=v` from pairs, each value encoded.
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_are_percent_encoded() {
        assert_eq!(super::encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(
            super::query(&[("id", "1"), ("login", "x y")]),
            "id=1&login=x%20y"
        );
    }
}

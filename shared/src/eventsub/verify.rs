//! The EventSub signature (HMAC-SHA256 over id + timestamp + raw body) and the
//! freshness window that stops replays.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

use crate::config::EventSubSecret;

/// Messages older than this are never processed (Twitch's replay guidance).
pub const MAX_AGE: Duration = Duration::minutes(10);
/// Messages stamped further ahead than this are implausible: never processed.
pub const MAX_AHEAD: Duration = Duration::minutes(5);

fn mac(secret: &EventSubSecret, message_id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message_id.as_bytes());
    mac.update(timestamp.as_bytes());
    mac.update(body);
    mac
}

/// The signature Twitch would send for this delivery: `sha256=` + lowercase hex.
pub fn signature_header(
    secret: &EventSubSecret,
    message_id: &str,
    timestamp: &str,
    body: &[u8],
) -> String {
    let digest = mac(secret, message_id, timestamp, body)
        .finalize()
        .into_bytes();
    format!("sha256={}", hex::encode(digest))
}

/// True when `signature` is the HMAC of exactly these bytes; constant time.
pub fn signature_matches(
    secret: &EventSubSecret,
    message_id: &str,
    timestamp: &str,
    body: &[u8],
    signature: &[u8; 32],
) -> bool {
    let digest = mac(secret, message_id, timestamp, body)
        .finalize()
        .into_bytes();
    bool::from(digest.as_slice().ct_eq(signature.as_slice()))
}

/// Where a message's timestamp falls relative to the acceptance window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    /// Older than [`MAX_AGE`] by this much in total.
    Stale(Duration),
    /// Ahead of our clock by this much, more than [`MAX_AHEAD`].
    Future(Duration),
}

/// Classifies a message timestamp against `now`.
pub fn freshness(timestamp: OffsetDateTime, now: OffsetDateTime) -> Freshness {
    let age = now - timestamp;
    if age > MAX_AGE {
        Freshness::Stale(age)
    } else if -age > MAX_AHEAD {
        Freshness::Future(-age)
    } else {
        Freshness::Fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(header: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        hex::decode_to_slice(header.trim_start_matches("sha256="), &mut out).unwrap();
        out
    }

    // Public vector 2.1 (twitch_api's verify_request test, recomputed independently).
    const V1_BODY: &str = r#"{"subscription":{"id":"ae2ff348-e102-16be-a3eb-6830c1bf38d2","status":"enabled","type":"channel.follow","version":"1","condition":{"broadcaster_user_id":"44429626"},"transport":{"method":"webhook","callback":"null"},"created_at":"2021-02-19T23:47:00.7621315Z"},"event":{"user_id":"28408015","user_login":"testFromUser","user_name":"testFromUser","broadcaster_user_id":"44429626","broadcaster_user_login":"44429626","broadcaster_user_name":"testBroadcaster"}}"#;

    #[test]
    fn matches_the_public_notification_vector() {
        let secret = EventSubSecret::new("secretabcd").unwrap();
        let sig = signature_header(
            &secret,
            "ae2ff348-e102-16be-a3eb-6830c1bf38d2",
            "2021-02-19T23:47:00.8091512Z",
            V1_BODY.as_bytes(),
        );
        assert_eq!(
            sig,
            "sha256=d10f5bd9474b7ac7bd7105eb79c2d52768b4d0cd2a135982c3bf5a1d59a78823"
        );
    }

    const C_BODY: &str = r#"{"subscription":{"id":"0b7f8f2a-6d0e-4c55-9b7a-1d2c3e4f5a6b","status":"enabled","type":"stream.online","version":"1","cost":0,"condition":{"broadcaster_user_id":"1337"},"transport":{"method":"webhook","callback":"https://example.com/webhooks/callback"},"created_at":"2026-03-01T12:00:00.000000001Z"},"event":{"id":"9001","broadcaster_user_id":"1337","broadcaster_user_login":"cool_user","broadcaster_user_name":"Cool_User","type":"live","started_at":"2026-03-01T12:34:50Z"}}"#;
    const C_ID: &str = "3f1b0c1e-7d35-4f7e-8a57-1b8a3c0d2e11";
    const C_TS: &str = "2026-03-01T12:34:56.123456789Z";
    const C_SIG: &str = "sha256=8d550463886ba1ff01246a8efdf53a094e28ae5b25e1def5a0176e0e7c7dced3";

    fn c_secret() -> EventSubSecret {
        EventSubSecret::new("this-is-a-test-secret-123").unwrap()
    }

    #[test]
    fn accepts_vector_c_over_its_exact_bytes() {
        assert!(signature_matches(
            &c_secret(),
            C_ID,
            C_TS,
            C_BODY.as_bytes(),
            &decode(C_SIG)
        ));
    }

    #[test]
    fn rejects_a_body_that_reserializes_differently() {
        let value: serde_json::Value = serde_json::from_str(C_BODY).unwrap();
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let with_newline = format!("{C_BODY}\n");
        for body in [pretty.as_str(), with_newline.as_str()] {
            assert!(!signature_matches(
                &c_secret(),
                C_ID,
                C_TS,
                body.as_bytes(),
                &decode(C_SIG)
            ));
        }
    }

    #[test]
    fn rejects_a_reformatted_timestamp_and_a_different_secret() {
        assert!(!signature_matches(
            &c_secret(),
            C_ID,
            "2026-03-01T12:34:56.123Z",
            C_BODY.as_bytes(),
            &decode(C_SIG)
        ));
        let other = EventSubSecret::new("this-is-a-test-secret-123 ").unwrap();
        assert!(!signature_matches(
            &other,
            C_ID,
            C_TS,
            C_BODY.as_bytes(),
            &decode(C_SIG)
        ));
    }

    #[test]
    fn the_documented_negative_signatures_are_what_those_mutations_produce() {
        let newline = format!("{C_BODY}\n");
        assert_eq!(
            signature_header(&c_secret(), C_ID, C_TS, newline.as_bytes()),
            "sha256=2e8d6e6a5e0cb6c7bb8c4f03476631150d92397da396caca94313582f44e44de"
        );
        assert_eq!(
            signature_header(
                &c_secret(),
                C_ID,
                "2026-03-01T12:34:56.123Z",
                C_BODY.as_bytes()
            ),
            "sha256=5f8ca2c85b58d85b8436576b576f9a9adb14e40b16a0128eed1f235498000c5e"
        );
    }

    #[test]
    fn freshness_window_has_both_edges() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(freshness(now, now), Freshness::Fresh);
        assert_eq!(freshness(now - Duration::minutes(9), now), Freshness::Fresh);
        assert!(matches!(
            freshness(now - Duration::minutes(11), now),
            Freshness::Stale(_)
        ));
        assert_eq!(freshness(now + Duration::minutes(4), now), Freshness::Fresh);
        assert!(matches!(
            freshness(now + Duration::minutes(6), now),
            Freshness::Future(_)
        ));
    }
}

//! Twitch's answers, through the parsers the Helix and login clients use.

use std::time::Instant;

use bytes::Bytes;
use shared::auth::idtoken::{self, Expected};
use shared::helix::answer::Answer;
use shared::helix::ratelimit::{Bucket, RateLimiter, MAX_WAIT};
use shared::helix::token::TokenResponse;
use shared::helix::{eventsub as subscriptions, login, streams, users, LONGEST_LIFETIME};

use crate::header_lines;

/// The statuses Twitch answers with, picked by a byte.
const STATUSES: &[u16] = &[200, 202, 204, 400, 401, 403, 404, 409, 429, 500, 503];

/// A Twitch answer, through the parser the Helix client uses on it: the
/// first byte picks the endpoint, the second the status, the rest is the
/// body (for the rate limit: the headers, one `name: value` per line; for an
/// ID token: the key set, a NUL, the token).
pub fn helix(data: &[u8]) {
    let [pick, status, body @ ..] = data else {
        return;
    };
    let status = STATUSES[usize::from(*status) % STATUSES.len()];
    let answer = Answer {
        status,
        body: Bytes::copy_from_slice(body),
    };
    let longest_s = LONGEST_LIFETIME.as_secs() as i64;
    match pick % 12 {
        0 => {
            let _ = users::parse(&answer);
        }
        1 => {
            if let Ok((_, Some(cursor))) = streams::parse_page(&answer) {
                assert!(!cursor.is_empty(), "an empty cursor is the last page");
            }
        }
        2 => {
            if let Ok((page, next)) = subscriptions::parse_page(&answer) {
                let _ = page.totals.used_percent();
                assert!(next.is_none_or(|c| !c.is_empty()));
            }
        }
        3 => {
            let _ = subscriptions::parse_created(&answer);
        }
        4 => {
            let _ = subscriptions::parse_deleted(&answer);
        }
        5 => {
            if let Ok(token) = TokenResponse::parse(&answer) {
                let now = Instant::now();
                assert!(token.expires_at(now) <= now + LONGEST_LIFETIME);
            }
        }
        6 => {
            if let Ok(tokens) = login::parse_tokens(status, body) {
                assert!((0..=longest_s).contains(&tokens.expires_in));
            }
        }
        7 => {
            if let Ok(login::Validation::Valid { expires_in, .. }) =
                login::parse_validation(status, body)
            {
                assert!((0..=longest_s).contains(&expires_in));
            }
        }
        8 => {
            let _ = login::parse_revoked(status, body);
        }
        9 => {
            let _ = login::parse_keys(status, body);
        }
        10 => {
            let Some(nul) = body.iter().position(|b| *b == 0) else {
                return;
            };
            let (Ok(keys), Ok(token)) = (
                login::parse_keys(200, &body[..nul]),
                std::str::from_utf8(&body[nul + 1..]),
            ) else {
                return;
            };
            let expected = Expected {
                issuer: "https://id.twitch.tv/oauth2",
                client_id: "fuzz-client",
                nonce: "fuzz-nonce",
                now_s: 1_700_000_000,
            };
            let _ = idtoken::verify(token, &keys, expected);
        }
        _ => {
            let headers = header_lines(body);
            let bucket = Bucket::from_headers(&headers);
            let limiter = RateLimiter::default();
            limiter.observe(bucket);
            assert!(limiter.delay(1_700_000_000_000) <= MAX_WAIT);
            limiter.exhausted(bucket.reset, 1_700_000_000);
            assert!(limiter.delay(1_700_000_000_000) <= MAX_WAIT);
        }
    }
}

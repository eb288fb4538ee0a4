//! The bodies of the fuzz targets: every parser that reads what an outsider
//! sent. Each takes raw bytes and must return (any `Result`), never panic.
//! `fuzz_targets/` wraps each for libFuzzer; `tests/corpus.rs` replays the
//! committed corpora on the stable toolchain.

use std::time::{Duration, Instant, SystemTime};

use api::params::{self, Query};
use bytes::Bytes;
use shared::auth::idtoken::{self, Expected};
use shared::eventsub::envelope::{self, Message};
use shared::eventsub::headers::{DeliveryHeaders, MessageType};
use shared::eventsub::summary::{semantic_key, summarize};
use shared::helix::client::Answer;
use shared::helix::ratelimit::{Bucket, RateLimiter, MAX_WAIT};
use shared::helix::token::TokenResponse;
use shared::helix::{eventsub as subscriptions, login, streams, users, LONGEST_LIFETIME};
use shared::store::Cursor;
use shared::ticket::TicketKey;
use websocket::message::ClientMessage;

/// A target: raw input in, nothing out (a panic is the only failure).
pub type Target = fn(&[u8]);

/// Every target by name, for the corpus replay.
pub const TARGETS: &[(&str, Target)] = &[
    ("eventsub", eventsub),
    ("delivery_headers", delivery_headers),
    ("client_message", client_message),
    ("ticket", ticket),
    ("cursor", cursor),
    ("query", query),
    ("sigv4", sigv4),
    ("helix", helix),
];

/// A webhook body after its signature held: the first byte picks the message
/// type, the rest is the body; a notification goes on to its summary and
/// semantic key, as the webhook does.
pub fn eventsub(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let kind = match pick % 3 {
        0 => MessageType::Notification,
        1 => MessageType::Verification,
        _ => MessageType::Revocation,
    };
    if let Ok(Message::Notification {
        subscription,
        event,
    }) = envelope::parse(kind, body)
    {
        let fields = event.fields();
        let _ = summarize(&subscription.kind, fields);
        let broadcaster = subscription.broadcaster_id().unwrap_or("_unattributed");
        let _ = semantic_key(&subscription.kind, broadcaster, fields);
    }
}

/// Headers from one `name: value` per line (lines that are no header skipped).
fn header_lines(data: &[u8]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for line in data.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name),
            http::HeaderValue::from_bytes(value.trim_ascii()),
        ) {
            map.append(n, v);
        }
    }
    map
}

/// The delivery headers, one `name: value` per line.
pub fn delivery_headers(data: &[u8]) {
    let _ = DeliveryHeaders::parse(&header_lines(data));
}

/// A WebSocket client message (text frames only reach the parser).
pub fn client_message(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ClientMessage::parse(text);
    }
}

/// A `$connect` ticket, checked against a fixed key and audience.
pub fn ticket(data: &[u8]) {
    let Some(key) = TicketKey::new(b"fuzz-ticket-key-fuzz-ticket-key-01") else {
        return;
    };
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = key.verify(text, "wss://example.test/prod", 1_700_000_000);
    }
}

/// An events cursor from a query string.
pub fn cursor(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Cursor::decode(text);
    }
}

/// A read-API query string, through every typed accessor.
pub fn query(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    const ALLOWED: &[&str] = &["limit", "cursor", "after", "days", "from", "to", "page"];
    if let Ok(q) = Query::parse(Some(text), ALLOWED) {
        let _ = q.limit(params::EVENTS_LIMIT);
        let _ = q.days();
        let _ = q.event_cursor("cursor");
        let _ = q.page_token();
        let _ = q.window(1_700_000_000_000);
    }
}

/// A call to the local `@connections` API: method, path and query, headers
/// (one `name: value` per line) and body, separated by NUL bytes. The check
/// answers without panicking; a call without an `Authorization` header is
/// refused; the same call signed by the AWS SDK's SigV4 signer with the
/// stack's credentials is accepted, and refused once its body changes.
pub fn sigv4(data: &[u8]) {
    use local::sigv4::{sign, verify, Credentials};

    let mut parts = data.splitn(4, |b| *b == 0);
    let (method, path, headers, body) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let (Ok(method), Ok(path)) = (
        http::Method::from_bytes(method),
        http::uri::PathAndQuery::try_from(path),
    ) else {
        return;
    };
    let Ok(uri) = http::Uri::builder().path_and_query(path).build() else {
        return;
    };
    let credentials = Credentials::new("LOCALFUZZ", "fuzz-secret");
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_633_600);
    let mut headers = header_lines(headers);
    let verdict = verify(&credentials, &method, &uri, &headers, body, now);
    if !headers.contains_key(http::header::AUTHORIZATION) {
        assert!(verdict.is_err(), "accepted without an Authorization header");
    }

    // What the signer adds itself, or would refuse to sign.
    headers.remove(http::header::AUTHORIZATION);
    headers.remove("x-amz-date");
    headers.insert(
        http::header::HOST,
        http::HeaderValue::from_static("127.0.0.1:3000"),
    );
    let signable: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
        .collect();
    if signable.len() != headers.len() {
        return;
    }
    let url = format!("http://127.0.0.1:3000{}", uri);
    let Ok(added) = sign(
        &credentials,
        "us-east-1",
        now,
        method.as_str(),
        &url,
        &signable,
        body,
    ) else {
        return;
    };
    let mut signed = headers.clone();
    for (name, value) in added {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            signed.insert(n, v);
        }
    }
    assert_eq!(
        verify(&credentials, &method, &uri, &signed, body, now),
        Ok(()),
        "refused what the SDK signed"
    );
    let mut altered = body.to_vec();
    altered.push(b'!');
    assert!(
        verify(&credentials, &method, &uri, &signed, &altered, now).is_err(),
        "accepted a changed body"
    );
}

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

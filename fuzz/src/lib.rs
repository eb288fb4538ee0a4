//! The bodies of the fuzz targets: every parser that reads what an outsider
//! sent. Each takes raw bytes and must return (any `Result`), never panic.
//! `fuzz_targets/` wraps each for libFuzzer; `tests/corpus.rs` replays the
//! committed corpora on the stable toolchain.

use api::params::{self, Query};
use shared::eventsub::envelope::{self, Message};
use shared::eventsub::headers::{DeliveryHeaders, MessageType};
use shared::eventsub::summary::{semantic_key, summarize};
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

/// The delivery headers, one `name: value` per line.
pub fn delivery_headers(data: &[u8]) {
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
    let _ = DeliveryHeaders::parse(&map);
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

//! Short-lived signed tickets for WebSocket `$connect` (browsers cannot set
//! headers on a WebSocket, and a WebSocket API never shares the page's host,
//! so the session cookie cannot reach it: the ticket travels in the query
//! string instead).
//!
//! Form: `v3.<user>.<audience>.<id>.<expiry, Unix seconds>.<session>.<HMAC-SHA256 hex>`
//! (user and audience base64url, session the hex hash the store keys the
//! session by, or empty); the MAC covers everything before it. The
//! audience is the WebSocket API's URL, so a ticket for one deployment does
//! not open another; the id makes it single use (`$connect` marks it used,
//! by hash, with a conditional write); the session ties it, and the socket
//! it opens, to the login it came from, so a logout or a revocation ends
//! them with it. Checked in constant time.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How long a ticket is valid: long enough to open a socket, no longer.
pub const TICKET_TTL_SECONDS: i64 = 60;

/// Why a ticket was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TicketError {
    #[error("ticket is malformed")]
    Malformed,
    #[error("ticket signature is invalid")]
    BadSignature,
    #[error("ticket has expired")]
    Expired,
    #[error("ticket is for another WebSocket API")]
    Audience,
    #[error("ticket was used already")]
    Used,
    #[error("the session this ticket was issued to has ended; log in again")]
    SessionEnded,
}

impl TicketError {
    /// A short stable name for metrics (`ticket_expired`, …).
    pub fn code(&self) -> &'static str {
        match self {
            TicketError::Malformed => "ticket_malformed",
            TicketError::BadSignature => "ticket_signature",
            TicketError::Expired => "ticket_expired",
            TicketError::Audience => "ticket_audience",
            TicketError::Used => "ticket_used",
            TicketError::SessionEnded => "session_ended",
        }
    }
}

/// What an alert overlay's tickets name as their user:
/// `overlay:<streamer>:<key id>` (read-only, that one streamer). The key id
/// ([`overlay_key_id`]) lets the page find the sockets one overlay URL
/// opened, to send them its settings, a test alert or a replay.
pub fn overlay_principal(streamer_id: &str, key_id: &str) -> String {
    format!("overlay:{streamer_id}:{key_id}")
}

/// The short public name of an overlay key, from its stored hash: enough to
/// tell one key's sockets from another's, nothing to open a ticket with.
pub fn overlay_key_id(key_hash: &str) -> &str {
    key_hash.get(..16).unwrap_or(key_hash)
}

/// The streamer an overlay principal is limited to; `None` for anyone else.
pub fn overlay_streamer(principal: &str) -> Option<&str> {
    let rest = principal.strip_prefix("overlay:")?;
    // Sockets opened before keys were named carry the streamer alone.
    Some(rest.split_once(':').map_or(rest, |(streamer, _)| streamer))
}

/// A valid ticket's contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    /// The user it was issued to (`anonymous` in open mode).
    pub user: String,
    /// Random: what makes it single use.
    pub id: String,
    pub expires_at_s: i64,
    /// The hash of the session it was issued to; `None` for anonymous
    /// visitors and overlays, which have none.
    pub session: Option<String>,
}

/// The key tickets are signed with (`TICKET_SECRET`, at least 32 characters).
#[derive(Clone)]
pub struct TicketKey(Vec<u8>);

impl std::fmt::Debug for TicketKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TicketKey(<redacted>)")
    }
}

impl TicketKey {
    /// A key from secret bytes; `None` when shorter than 32 bytes.
    pub fn new(secret: &[u8]) -> Option<Self> {
        (secret.len() >= 32).then(|| Self(secret.to_vec()))
    }

    /// The `TICKET_SECRET` setting's key; a short one is refused.
    pub fn from_setting(secret: String) -> Result<Self, crate::config::ConfigError> {
        Self::new(secret.as_bytes()).ok_or(crate::config::ConfigError::Invalid {
            name: "TICKET_SECRET",
            why: "must be at least 32 bytes".into(),
        })
    }

    fn mac(&self, signed: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(signed.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A ticket for `user`, bound to no session, to connect to `audience`,
    /// valid until `now_s + TICKET_TTL_SECONDS` (anonymous visitors and
    /// overlays; tools and tests).
    pub fn issue(&self, user: &str, audience: &str, now_s: i64) -> String {
        self.issue_for_session(user, None, audience, now_s)
    }

    /// [`TicketKey::issue`] for the session whose hash is `session`: it
    /// opens a socket, and the socket acts for `user`, while that session lives.
    pub fn issue_for_session(
        &self,
        user: &str,
        session: Option<&str>,
        audience: &str,
        now_s: i64,
    ) -> String {
        let id = URL_SAFE_NO_PAD.encode(crate::auth::random_bytes::<16>());
        // A hash is hex: it cannot hold the separator.
        let session = session.filter(|s| s.bytes().all(|b| b.is_ascii_hexdigit()));
        let signed = format!(
            "v3.{}.{}.{id}.{}.{}",
            URL_SAFE_NO_PAD.encode(user.as_bytes()),
            URL_SAFE_NO_PAD.encode(audience.as_bytes()),
            now_s + TICKET_TTL_SECONDS,
            session.unwrap_or_default()
        );
        format!("{signed}.{}", hex::encode(self.mac(&signed)))
    }

    /// The contents of a ticket signed with this key, for `audience`, not
    /// expired. Single use is the caller's part (it needs a store).
    pub fn verify(&self, ticket: &str, audience: &str, now_s: i64) -> Result<Ticket, TicketError> {
        let (signed, mac_hex) = ticket.rsplit_once('.').ok_or(TicketError::Malformed)?;
        let mut mac = [0u8; 32];
        hex::decode_to_slice(mac_hex, &mut mac).map_err(|_| TicketError::Malformed)?;
        let parts: Vec<&str> = signed.split('.').collect();
        let ["v3", user, aud, id, expiry, session] = parts[..] else {
            return Err(TicketError::Malformed);
        };
        if !bool::from(self.mac(signed).ct_eq(&mac)) {
            return Err(TicketError::BadSignature);
        }
        let expires_at_s: i64 = expiry.parse().map_err(|_| TicketError::Malformed)?;
        if expires_at_s < now_s {
            return Err(TicketError::Expired);
        }
        let text = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or(TicketError::Malformed)
        };
        if text(aud)? != audience {
            return Err(TicketError::Audience);
        }
        Ok(Ticket {
            user: text(user)?,
            id: id.to_owned(),
            expires_at_s,
            session: (!session.is_empty()).then(|| session.to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUD: &str = "wss://abc.execute-api.us-east-1.amazonaws.com/prod";

    fn key() -> TicketKey {
        TicketKey::new(b"0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn a_ticket_round_trips_until_it_expires() {
        let t = key().issue("1337", AUD, 1_000);
        let got = key().verify(&t, AUD, 1_000).unwrap();
        assert_eq!((got.user.as_str(), got.expires_at_s), ("1337", 1_060));
        assert_eq!(
            key()
                .verify(&t, AUD, 1_000 + TICKET_TTL_SECONDS)
                .unwrap()
                .user,
            "1337"
        );
        assert_eq!(
            key().verify(&t, AUD, 1_001 + TICKET_TTL_SECONDS),
            Err(TicketError::Expired)
        );
        assert_ne!(
            key()
                .verify(&key().issue("1337", AUD, 1_000), AUD, 1_000)
                .unwrap()
                .id,
            got.id,
            "each ticket has its own id"
        );
    }

    #[test]
    fn a_ticket_names_the_session_it_was_issued_to() {
        let hash = "ab".repeat(32);
        let t = key().issue_for_session("1337", Some(&hash), AUD, 1_000);
        assert_eq!(key().verify(&t, AUD, 1_000).unwrap().session, Some(hash));
        let bare = key().issue("1337", AUD, 1_000);
        assert_eq!(key().verify(&bare, AUD, 1_000).unwrap().session, None);
        let forged = t.replace(&"ab".repeat(32), &"cd".repeat(32));
        assert_eq!(
            key().verify(&forged, AUD, 1_000),
            Err(TicketError::BadSignature),
            "the session is signed"
        );
    }

    #[test]
    fn tampering_other_keys_and_other_audiences_are_refused() {
        let t = key().issue("1337", AUD, 1_000);
        let other = TicketKey::new(b"another-key-another-key-another-key").unwrap();
        assert_eq!(other.verify(&t, AUD, 1_000), Err(TicketError::BadSignature));
        let forged = t.replace(".1060.", ".9999999999.");
        assert_eq!(
            key().verify(&forged, AUD, 1_000),
            Err(TicketError::BadSignature)
        );
        assert_eq!(
            key().verify(&t, "ws://127.0.0.1:3000/ws", 1_000),
            Err(TicketError::Audience)
        );
        for bad in ["", "v1.x", "v3.a.b.c.1..00", "v3.a.b.c.d..zz", "v1.a.1.00"] {
            assert!(key().verify(bad, AUD, 1_000).is_err(), "{bad}");
        }
        assert!(TicketKey::new(b"short").is_none());
    }

    #[test]
    fn an_overlay_principal_names_its_streamer_and_key() {
        let hash = "0123456789abcdef0123456789abcdef";
        let p = overlay_principal("1337", overlay_key_id(hash));
        assert_eq!(p, "overlay:1337:0123456789abcdef");
        assert_eq!(overlay_streamer(&p), Some("1337"));
        // A socket opened before keys were named in principals.
        assert_eq!(overlay_streamer("overlay:1337"), Some("1337"));
        assert_eq!(overlay_streamer("1337"), None);
    }
}

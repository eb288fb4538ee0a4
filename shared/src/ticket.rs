//! Short-lived signed tickets for WebSocket `$connect` (browsers cannot set
//! headers on a WebSocket, so the ticket travels in the query string).
//!
//! Form: `v1.<user, base64url>.<expiry, Unix seconds>.<HMAC-SHA256 hex>`; the
//! MAC covers everything before it. Issued to a logged-in session (or, on the
//! local stack, to a dev user), checked in constant time.

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

    fn mac(&self, signed: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(signed.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A ticket for `user`, valid until `now_s + TICKET_TTL_SECONDS`.
    pub fn issue(&self, user: &str, now_s: i64) -> String {
        let signed = format!(
            "v1.{}.{}",
            URL_SAFE_NO_PAD.encode(user.as_bytes()),
            now_s + TICKET_TTL_SECONDS
        );
        format!("{signed}.{}", hex::encode(self.mac(&signed)))
    }

    /// The user a valid, unexpired ticket was issued to.
    pub fn verify(&self, ticket: &str, now_s: i64) -> Result<String, TicketError> {
        let (signed, mac_hex) = ticket.rsplit_once('.').ok_or(TicketError::Malformed)?;
        let mut mac = [0u8; 32];
        hex::decode_to_slice(mac_hex, &mut mac).map_err(|_| TicketError::Malformed)?;
        let mut parts = signed.split('.');
        let (Some("v1"), Some(user), Some(expiry), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TicketError::Malformed);
        };
        if !bool::from(self.mac(signed).ct_eq(&mac)) {
            return Err(TicketError::BadSignature);
        }
        let expiry: i64 = expiry.parse().map_err(|_| TicketError::Malformed)?;
        if expiry < now_s {
            return Err(TicketError::Expired);
        }
        let user = URL_SAFE_NO_PAD
            .decode(user)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(TicketError::Malformed)?;
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TicketKey {
        TicketKey::new(b"0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn a_ticket_round_trips_until_it_expires() {
        let t = key().issue("dev-user", 1_000);
        assert_eq!(key().verify(&t, 1_000).unwrap(), "dev-user");
        assert_eq!(
            key().verify(&t, 1_000 + TICKET_TTL_SECONDS).unwrap(),
            "dev-user"
        );
        assert_eq!(
            key().verify(&t, 1_001 + TICKET_TTL_SECONDS),
            Err(TicketError::Expired)
        );
    }

    #[test]
    fn tampering_and_other_keys_are_refused() {
        let t = key().issue("dev-user", 1_000);
        let other = TicketKey::new(b"another-key-another-key-another-key").unwrap();
        assert_eq!(other.verify(&t, 1_000), Err(TicketError::BadSignature));
        let forged = t.replace(".1060.", ".9999999999.");
        assert_eq!(key().verify(&forged, 1_000), Err(TicketError::BadSignature));
        for bad in ["", "v1.x", "v2.a.1.00", "v1.a.b.zz"] {
            assert!(key().verify(bad, 1_000).is_err(), "{bad}");
        }
        assert!(TicketKey::new(b"short").is_none());
    }
}

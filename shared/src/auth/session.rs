//! Sessions: the id a browser holds, what the store keeps of it, and how long
//! it lives. The cookie carries 256 random bits; the store keeps only their
//! SHA-256, so a leaked table holds nothing that logs anyone in.

/// A session not used for this long ends.
pub const IDLE_SECONDS: i64 = 7 * 24 * 3600;
/// No session lives longer than this after its login, however busy.
pub const MAX_SECONDS: i64 = 30 * 24 * 3600;
/// A sliding session's expiry is rewritten at most this often (not on every
/// request: a write per page view would cost more than the slide is worth).
pub const SLIDE_EVERY_SECONDS: i64 = 3600;
/// How long a login may take between `/auth/login` and the callback.
pub const LOGIN_STATE_SECONDS: i64 = 600;
/// Twitch asks apps that keep sessions to validate the user's token hourly.
pub const VALIDATE_EVERY_SECONDS: i64 = 3600;

/// A new session id: the cookie value and the hash the store keys it by.
#[derive(Clone)]
pub struct NewSessionId {
    /// Goes to the browser only, in the `Set-Cookie` header.
    pub cookie: String,
    /// What the store keeps.
    pub hash: String,
}

impl std::fmt::Debug for NewSessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewSessionId(hash {})", self.hash)
    }
}

impl NewSessionId {
    /// 256 fresh random bits: every login gets a new id (no fixation).
    pub fn generate() -> Self {
        let cookie = super::random_token();
        let hash = super::sha256_hex(&cookie);
        Self { cookie, hash }
    }
}

/// When a session created at `created_s` and used at `now_s` expires.
pub fn expiry(created_s: i64, now_s: i64) -> i64 {
    (now_s + IDLE_SECONDS).min(created_s + MAX_SECONDS)
}

/// Whether a use at `now_s` should write the slid expiry back.
pub fn should_slide(created_s: i64, expires_at: i64, now_s: i64) -> bool {
    expiry(created_s, now_s) - expires_at >= SLIDE_EVERY_SECONDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_slide_seven_days_but_never_past_thirty() {
        let day = 24 * 3600;
        assert_eq!(expiry(0, 0), 7 * day);
        assert_eq!(expiry(0, 10 * day), 17 * day);
        assert_eq!(expiry(0, 29 * day), 30 * day);
        assert!(!should_slide(0, 7 * day, 60), "no write a minute later");
        assert!(should_slide(0, 7 * day, 3600));
        assert!(
            !should_slide(0, 30 * day, 29 * day),
            "capped: nothing to slide"
        );
    }

    #[test]
    fn ids_are_fresh_and_only_their_hash_is_kept() {
        let a = NewSessionId::generate();
        let b = NewSessionId::generate();
        assert_ne!(a.cookie, b.cookie);
        assert_eq!(a.cookie.len(), 43);
        assert_eq!(a.hash, crate::auth::sha256_hex(&a.cookie));
        assert!(!format!("{a:?}").contains(&a.cookie));
    }
}

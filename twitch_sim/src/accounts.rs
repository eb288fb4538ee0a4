//! The simulated id.twitch.tv's books: authorization codes waiting to be
//! exchanged, users' access and refresh tokens, and the key ID tokens are
//! signed with.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Value};
use shared::auth::idtoken::signer::IdTokenSigner;
use tokio::time::Instant;

use super::users;

/// An authorization code waiting to be exchanged.
pub(crate) struct Code {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) user_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) expires_at: Instant,
}

/// A user access token.
#[derive(Clone)]
pub(crate) struct UserToken {
    pub(crate) client_id: String,
    pub(crate) user_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_at: Instant,
}

/// A refresh token and the access token it last produced.
pub(crate) struct Refresh {
    pub(crate) client_id: String,
    pub(crate) user_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) access: String,
}

/// Codes kept at most: past it, the one closest to expiring goes.
pub(crate) const MAX_PENDING_CODES: usize = 10_000;

#[derive(Default)]
pub(crate) struct Books {
    pub(crate) codes: HashMap<String, Code>,
    pub(crate) access: HashMap<String, UserToken>,
    pub(crate) refresh: HashMap<String, Refresh>,
}

/// Users' tokens and the key ID tokens are signed with.
pub struct Accounts {
    books: Mutex<Books>,
    pub(crate) signer: IdTokenSigner,
}

impl Accounts {
    /// No codes or tokens yet; a fresh signing key (`kid` "1").
    pub fn new() -> Self {
        let signer = match IdTokenSigner::generate("1") {
            Ok(s) => s,
            Err(_) => unreachable!("RSA key generation from the system's random source"),
        };
        Self {
            books: Mutex::default(),
            signer,
        }
    }

    /// Authorization codes handed out and not yet exchanged.
    pub fn pending_codes(&self) -> usize {
        self.books().codes.len()
    }

    pub(crate) fn books(&self) -> MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Kills every token of `user_id` (the user disconnected the app);
    /// returns how many access tokens died.
    pub fn disconnect(&self, user_id: &str) -> usize {
        let mut books = self.books();
        books.refresh.retain(|_, r| r.user_id != user_id);
        let before = books.access.len();
        books.access.retain(|_, t| t.user_id != user_id);
        before - books.access.len()
    }

    /// How many live access tokens `user_id` holds (tests: logout revoked it).
    pub fn live_tokens(&self, user_id: &str, now: Instant) -> usize {
        self.books()
            .access
            .values()
            .filter(|t| t.user_id == user_id && t.expires_at > now)
            .count()
    }

    /// The owner of a live user access token, for `/validate`.
    pub(super) fn validate_json(&self, token: &str, now: Instant) -> Option<Value> {
        let books = self.books();
        let t = books.access.get(token).filter(|t| t.expires_at > now)?;
        Some(json!({
            "client_id": t.client_id,
            "login": users::login(&t.user_id),
            // Twitch sends null, not [], for a token without scopes.
            "scopes": if t.scopes.is_empty() { Value::Null } else { json!(t.scopes) },
            "user_id": t.user_id,
            "expires_in": t.expires_at.saturating_duration_since(now).as_secs(),
        }))
    }
}

impl Default for Accounts {
    fn default() -> Self {
        Self::new()
    }
}

//! A user's Twitch tokens as the store keeps them, sealed by the caller: what
//! a session and a broadcaster's grant both hold.

/// A user's Twitch tokens, sealed for their owner (a session, a grant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedTokens {
    pub access: String,
    pub refresh: Option<String>,
    /// When Twitch said the access token expires (Unix seconds).
    pub expires_at_s: i64,
}

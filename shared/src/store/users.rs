//! Users who logged in with Twitch: their profile, their sessions (each with
//! the Twitch tokens its login got, sealed), their favourites, and the
//! single-use records a login and a WebSocket ticket need (a login's
//! `state`, a ticket's id).
//!
//! Tokens live on the session, not the user: every login mints its own, so
//! logging out in one browser revokes that browser's token only, and the
//! hourly validation ends exactly the sessions whose token died. The one
//! exception is a broadcaster's channel login, whose tokens are their grant
//! ([`super::grants`]), kept apart so that a logout does not end it.
//!
//! Nothing here holds a replayable secret: sessions, login states and
//! tickets are stored by the SHA-256 of their value, Twitch tokens sealed
//! (AES-256-GCM, see `auth::seal`) by the caller before they get here.
//!
//! One trait per role, so each caller takes what it uses: [`LoginStore`]
//! (logins in flight, users), [`SessionStore`] (sessions and their tokens),
//! [`FavouriteStore`] (favourites, read marks, fans), [`OverlayStore`]
//! (alert-overlay keys), [`AllowanceStore`] (tickets, budgets), and
//! [`GrantStore`] (broadcasters' grants, in its own module). One adapter
//! type implements them all; [`UserStore`] names the whole set.

use async_trait::async_trait;

use super::grants::GrantStore;
use super::{Cursor, StoreError};

/// A login in flight, between `/auth/login` and `/auth/callback`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginState {
    /// SHA-256 of the `state` sent to Twitch.
    pub state_hash: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// Where to go after the login (already checked to be a path here).
    pub return_to: String,
    /// The broadcaster's way in: the EventSub scopes were asked for.
    pub channel: bool,
    pub expires_at_s: i64,
}

/// Sessions' tokens are sealed like grants' (re-exported: its home is
/// shared by both).
pub use super::sealed::SealedTokens;

/// A user, keyed on Twitch's `sub` (the user id), never on a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    /// From `/validate` (lowercase), not from the ID token's display name.
    pub login: String,
    pub display_name: String,
    pub picture: Option<String>,
    /// The scopes of the latest login's grant.
    pub scopes: Vec<String>,
    pub created_at_s: i64,
}

/// A browser's session (the cookie holds the id, the store its hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub hash: String,
    pub user_id: String,
    pub created_at_s: i64,
    pub expires_at_s: i64,
    /// This login's Twitch tokens; `None` once revoked.
    pub tokens: Option<SealedTokens>,
    /// Last successful `/validate` of those tokens (Twitch wants one an hour).
    pub validated_at_s: i64,
}

/// A streamer a user follows here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Favourite {
    pub streamer_id: String,
    pub login: String,
    pub added_at_ms: i64,
    /// The feed position the user last read up to ("new since you last
    /// looked" is what comes after it); `None` until they mark it.
    pub read_cursor: Option<String>,
    /// An alert overlay key exists for it (looked up by its hash).
    pub overlay: bool,
    /// That key sealed (`auth::seal`), so its URL can be shown again on
    /// every visit; `None` without a key, or for a key made before keys
    /// were kept sealed.
    pub overlay_sealed: Option<String>,
}

impl Favourite {
    /// A favourite just added: nothing read yet, no overlay.
    pub fn new(streamer_id: &str, login: &str, added_at_ms: i64) -> Self {
        Self {
            streamer_id: streamer_id.to_owned(),
            login: login.to_owned(),
            added_at_ms,
            read_cursor: None,
            overlay: false,
            overlay_sealed: None,
        }
    }
}

/// An alert overlay key as the store keeps it: its hash (how tickets find
/// it) and the key sealed (how its owner's page shows the URL again).
#[derive(Clone, Debug)]
pub struct OverlayKey {
    pub hash: String,
    pub sealed: String,
}

/// What adding a favourite did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FavouriteAdded {
    Added,
    AlreadyThere,
    /// The user has `cap` favourites already; nothing was written.
    OverCap,
}

/// Logins in flight and the users they make (the login flow).
#[async_trait]
pub trait LoginStore: Send + Sync {
    /// Records a login in flight.
    async fn begin_login(&self, login: &LoginState) -> Result<(), StoreError>;

    /// Takes a login state out: at most once, and only before it expires.
    async fn take_login(
        &self,
        state_hash: &str,
        now_s: i64,
    ) -> Result<Option<LoginState>, StoreError>;

    /// Creates or replaces a user (a login: it lifts a suspension of their
    /// overlays).
    async fn put_user(&self, user: &User) -> Result<(), StoreError>;

    /// One user.
    async fn user(&self, id: &str) -> Result<Option<User>, StoreError>;
}

/// Browsers' sessions and the Twitch tokens each holds.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session.
    async fn create_session(&self, session: &Session) -> Result<(), StoreError>;

    /// A session by hash, unless it has expired.
    async fn session(&self, hash: &str, now_s: i64) -> Result<Option<Session>, StoreError>;

    /// Moves a session's expiry (sliding).
    async fn slide_session(&self, hash: &str, expires_at_s: i64) -> Result<(), StoreError>;

    /// Records a session's tokens after a validation or a refresh (`None`:
    /// revoked); a session ended meanwhile stays ended.
    async fn set_session_tokens(
        &self,
        hash: &str,
        tokens: Option<&SealedTokens>,
        validated_at_s: i64,
    ) -> Result<(), StoreError>;

    /// Sessions holding tokens last validated before `before_s`, oldest first.
    async fn sessions_to_validate(
        &self,
        before_s: i64,
        limit: usize,
    ) -> Result<Vec<Session>, StoreError>;

    /// Ends one session.
    async fn end_session(&self, hash: &str) -> Result<(), StoreError>;

    /// Ends every session of a user; how many there were.
    async fn end_sessions_of(&self, user_id: &str) -> Result<usize, StoreError>;
}

/// The streamers each user follows here, and who follows a streamer.
#[async_trait]
pub trait FavouriteStore: Send + Sync {
    /// A user's favourites, oldest first.
    async fn favourites(&self, user_id: &str) -> Result<Vec<Favourite>, StoreError>;

    /// Adds a favourite unless the user already has `cap` of them.
    async fn add_favourite(
        &self,
        user_id: &str,
        favourite: &Favourite,
        cap: usize,
    ) -> Result<FavouriteAdded, StoreError>;

    /// Records how far the user has read a favourite's feed; `false` when it
    /// is not their favourite (nothing written).
    async fn mark_read(
        &self,
        user_id: &str,
        streamer_id: &str,
        cursor: &str,
    ) -> Result<bool, StoreError>;

    /// Removes a favourite; `false` when it was not there.
    async fn remove_favourite(&self, user_id: &str, streamer_id: &str) -> Result<bool, StoreError>;

    /// Up to `limit` users who have `streamer_id` as a favourite.
    async fn fans(&self, streamer_id: &str, limit: usize) -> Result<Vec<String>, StoreError>;
}

/// Alert-overlay keys (one per favourite), where each resumes, and their
/// pause while a user has revoked our app.
#[async_trait]
pub trait OverlayStore: Send + Sync {
    /// Pauses every overlay key of a user who revoked our app at Twitch
    /// (the keys stay; their tickets are refused) until their next login:
    /// [`LoginStore::put_user`] lifts it. Nothing for an unknown user.
    async fn suspend_overlays(&self, user_id: &str, at_s: i64) -> Result<(), StoreError>;

    /// Whether the user's overlay keys are paused (see [`OverlayStore::suspend_overlays`]).
    async fn overlays_suspended(&self, user_id: &str) -> Result<bool, StoreError>;

    /// Gives a favourite an alert-overlay key (`None` revokes it); `false`
    /// when it is not the user's favourite. One key per favourite: a new
    /// one replaces the old.
    async fn set_overlay(
        &self,
        user_id: &str,
        streamer_id: &str,
        key: Option<OverlayKey>,
    ) -> Result<bool, StoreError>;

    /// The (user, streamer) an overlay key's hash belongs to, while that
    /// favourite exists and the key was not replaced or revoked.
    async fn overlay(&self, key_hash: &str) -> Result<Option<(String, String)>, StoreError>;

    /// Keeps a favourite's overlay settings (JSON the api validated);
    /// `false` when the user has no such favourite. They outlive a key
    /// reset: the new URL alerts the way the old one did.
    async fn set_overlay_settings(
        &self,
        user_id: &str,
        streamer_id: &str,
        settings: &str,
    ) -> Result<bool, StoreError>;

    /// A favourite's overlay settings as kept; `None` when never set.
    async fn overlay_settings(
        &self,
        user_id: &str,
        streamer_id: &str,
    ) -> Result<Option<String>, StoreError>;

    /// Where an overlay key's alerts resume: the position of the last alert
    /// it showed. A key that showed none yet keeps `start` (its first use)
    /// and answers it. `None` for a key that is unknown, replaced or revoked.
    async fn overlay_position(
        &self,
        key_hash: &str,
        start: &Cursor,
    ) -> Result<Option<Cursor>, StoreError>;

    /// Records that an overlay key showed the alert at `shown`: the kept
    /// position only ever moves forward (two overlays with one key, or a
    /// late retry, never move it back). Answers the position kept now;
    /// `None` for a key that is unknown, replaced or revoked. A new key for
    /// the favourite starts without one.
    async fn advance_overlay(
        &self,
        key_hash: &str,
        shown: &Cursor,
    ) -> Result<Option<Cursor>, StoreError>;
}

/// The allowance window `now_s` falls in, for windows of `window_s`
/// seconds: its start (part of the allowance's key) and its end (when the
/// record may go).
pub fn allowance_window(now_s: i64, window_s: i64) -> (i64, i64) {
    let window_s = window_s.max(1);
    let start = now_s - now_s.rem_euclid(window_s);
    (start, start + window_s)
}

/// The allowance key of the whole deployment's new tracks (per hour, see
/// `config::Budgets`): beside each user's `track#<user id>`, and no Twitch
/// user id is a word.
pub const DEPLOYMENT_TRACKS: &str = "track#deployment";

/// One window of one key's allowance, as an adapter counts in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllowanceWindow {
    /// Its start (Unix seconds): part of the record's key.
    pub start_s: i64,
    /// Its end: when the record may go.
    pub end_s: i64,
    /// Uses it allows; at least one.
    pub limit: u32,
}

/// Single-use tickets and per-key budgets: what bounds what one user may
/// ask for.
#[async_trait]
pub trait AllowanceStore: Send + Sync {
    /// Marks a ticket as used; `false` when it already was (single use).
    async fn use_ticket(&self, ticket_hash: &str, expires_at_s: i64) -> Result<bool, StoreError>;

    /// Spends one unit of `key`'s allowance of `limit` per `window_s`
    /// seconds; `false` (nothing spent) when it is used up. The policy lives
    /// here, once: a `limit` of 0 allows nothing (no record is written), and
    /// windows follow [`allowance_window`].
    async fn spend(
        &self,
        key: &str,
        limit: u32,
        window_s: i64,
        now_s: i64,
    ) -> Result<bool, StoreError> {
        if limit == 0 {
            return Ok(false);
        }
        let (start_s, end_s) = allowance_window(now_s, window_s);
        let window = AllowanceWindow {
            start_s,
            end_s,
            limit,
        };
        self.count_use(key, &window).await
    }

    /// The adapter's part of [`AllowanceStore::spend`] (callers use that):
    /// counts one use of `key` in `window` unless it has `window.limit`
    /// already; `false` when nothing was counted.
    async fn count_use(&self, key: &str, window: &AllowanceWindow) -> Result<bool, StoreError>;
}

/// Everything the users table holds, every role above and the broadcasters'
/// grants ([`GrantStore`]): for what wires or checks the whole table (the account routes, the contract suite). A caller
/// that needs less takes the role it needs.
pub trait UserStore:
    LoginStore + SessionStore + FavouriteStore + OverlayStore + AllowanceStore + GrantStore
{
}

impl<T> UserStore for T where
    T: LoginStore
        + SessionStore
        + FavouriteStore
        + OverlayStore
        + AllowanceStore
        + GrantStore
        + ?Sized
{
}

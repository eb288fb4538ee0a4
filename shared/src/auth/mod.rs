//! Log in with Twitch: the pieces that do not talk to anyone.
//!
//! - [`idtoken`]: OpenID Connect ID tokens (RS256 JWTs) checked against
//!   Twitch's key set: signature, issuer, audience, expiry, nonce.
//! - [`seal`]: AES-256-GCM for what is kept at rest (the user's Twitch tokens).
//! - [`session`]: session ids (only their hash is stored), lifetimes, the
//!   login-state record's random values.
//! - [`cookies`]: the session and login-state cookies, set and read.
//! - [`guard`]: request checks for cookie-authenticated routes: the `Origin`
//!   of state-changing requests and the `return_to` of a login.

pub mod cookies;
pub mod guard;
pub mod idtoken;
pub mod seal;
pub mod session;

/// `n` bytes from the system's cryptographic random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    // The system source only fails when the OS has none to give (no
    // /dev/urandom, no getrandom): nothing sensible can run then.
    if aws_lc_rs::rand::fill(&mut out).is_err() {
        panic!("the system's random source failed");
    }
    out
}

/// 32 random bytes as base64url without padding (43 characters): session
/// ids, login `state` and `nonce` values.
pub fn random_token() -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// Lower-case hex SHA-256: how a secret value (a session id, a ticket id) is
/// stored, so the store never holds anything that could be replayed.
pub fn sha256_hex(value: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// True when two secret values are equal, compared in constant time (so the
/// time taken says nothing about how much of a guess was right).
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

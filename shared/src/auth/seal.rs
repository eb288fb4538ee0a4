//! AES-256-GCM for secrets kept at rest (a user's Twitch access and refresh
//! tokens). The key comes from configuration (`SESSION_KEY`: 32 bytes,
//! base64); each sealed value carries its own random 96-bit nonce, and the
//! owner's id is bound in as associated data, so a sealed token copied onto
//! another user's record does not open.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use base64::{engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use crate::config::ConfigError;

/// Why a sealed value did not open.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the sealed value is malformed")]
    Malformed,
    #[error("the sealed value does not open with this key and owner")]
    Forged,
}

/// The key that seals and opens; its `Debug` never shows it.
pub struct SealKey(LessSafeKey);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(<redacted>)")
    }
}

impl SealKey {
    /// A key from 32 raw bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        match UnboundKey::new(&AES_256_GCM, bytes) {
            Ok(key) => Self(LessSafeKey::new(key)),
            Err(_) => unreachable!("AES-256-GCM takes exactly 32 bytes"),
        }
    }

    /// A key from its configured form: 32 bytes in standard base64
    /// (`openssl rand -base64 32`).
    pub fn from_base64(name: &'static str, value: &str) -> Result<Self, ConfigError> {
        let bytes = STANDARD
            .decode(value.trim())
            .map_err(|_| ConfigError::Invalid {
                name,
                why: "must be base64 (openssl rand -base64 32)".into(),
            })?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| ConfigError::Invalid {
                name,
                why: format!("must decode to 32 bytes (got {})", b.len()),
            })?;
        Ok(Self::from_bytes(&bytes))
    }

    /// A key that lives and dies with this process (the local stack without
    /// a configured key: sessions do not survive a restart, and say so).
    pub fn ephemeral() -> Self {
        Self::from_bytes(&super::random_bytes::<32>())
    }

    /// `plaintext` sealed for `owner`: base64url(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, owner: &str, plaintext: &str) -> String {
        let nonce = super::random_bytes::<NONCE_LEN>();
        let mut buf = plaintext.as_bytes().to_vec();
        if self
            .0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(owner.as_bytes()),
                &mut buf,
            )
            .is_err()
        {
            // Only inputs beyond GCM's 64 GiB limit fail; tokens are short.
            unreachable!("AES-GCM sealing a short value");
        }
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// The plaintext of a value sealed for `owner` with this key.
    pub fn open(&self, owner: &str, sealed: &str) -> Result<String, SealError> {
        let raw = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| SealError::Malformed)?;
        if raw.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(SealError::Malformed);
        }
        let (nonce, body) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Malformed)?;
        let mut body = body.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(owner.as_bytes()), &mut body)
            .map_err(|_| SealError::Forged)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SealError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_for_its_owner_and_key() {
        let key = SealKey::from_bytes(&[7; 32]);
        let sealed = key.seal("1337", "rfx2uswqe8l4g1mkagrvg5tv0ks3");
        assert!(
            !sealed.contains("rfx2"),
            "the token is not readable at rest"
        );
        assert_eq!(
            key.open("1337", &sealed).unwrap(),
            "rfx2uswqe8l4g1mkagrvg5tv0ks3"
        );
        assert_eq!(key.open("1338", &sealed), Err(SealError::Forged));
        assert_eq!(
            SealKey::from_bytes(&[8; 32]).open("1337", &sealed),
            Err(SealError::Forged)
        );
        assert_ne!(
            sealed,
            key.seal("1337", "rfx2uswqe8l4g1mkagrvg5tv0ks3"),
            "fresh nonce"
        );
        let mut flipped = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(
            key.open("1337", &URL_SAFE_NO_PAD.encode(flipped)),
            Err(SealError::Forged)
        );
        assert_eq!(key.open("1337", "short"), Err(SealError::Malformed));
        assert_eq!(key.open("1337", "!!"), Err(SealError::Malformed));
    }

    #[test]
    fn the_configured_key_must_be_32_bytes_of_base64() {
        assert!(SealKey::from_base64("SESSION_KEY", &STANDARD.encode([1u8; 32])).is_ok());
        assert!(SealKey::from_base64("SESSION_KEY", &STANDARD.encode([1u8; 16])).is_err());
        assert!(SealKey::from_base64("SESSION_KEY", "not base64!").is_err());
        assert_eq!(
            format!("{:?}", SealKey::from_bytes(&[1; 32])),
            "SealKey(<redacted>)"
        );
    }
}

//! OpenID Connect ID tokens: compact JWS (RS256) checked against a JWKS.
//!
//! The checks are the ones OIDC Core §3.1.3.7 asks for, in Twitch's terms:
//! `alg` is exactly `RS256` (never `none` or `HS*`, whatever the header says),
//! the key is found by `kid`, `iss` is the configured issuer (Twitch's has no
//! trailing slash), `aud` and `azp` are our client id, `exp` is in the future
//! (60 s of skew allowed), and `nonce` is the one we stored for this login.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};

/// Clock skew allowed on `exp` and `iat`.
pub const SKEW_SECONDS: i64 = 60;

/// A JSON Web Key Set (`GET /oauth2/keys`).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// One public key of a [`Jwks`]; only RSA keys are used.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Jwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Modulus, base64url.
    #[serde(default)]
    pub n: String,
    /// Public exponent, base64url.
    #[serde(default)]
    pub e: String,
}

/// What a token must match.
#[derive(Clone, Copy, Debug)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The nonce stored with this login's `state`.
    pub nonce: &'a str,
    pub now_s: i64,
}

/// The claims this system reads from a valid ID token.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct IdClaims {
    pub iss: String,
    /// The Twitch user id: the one key for a user.
    pub sub: String,
    pub aud: Audience,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    pub exp: i64,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The display name (never a key: it changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
}

/// `aud`: one client id (Twitch's shape) or a list (OIDC allows it).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, client_id: &str) -> bool {
        match self {
            Audience::One(a) => a == client_id,
            Audience::Many(all) => all.iter().any(|a| a == client_id),
        }
    }
}

/// Why an ID token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdTokenError {
    #[error("the ID token is not a well-formed JWT")]
    Malformed,
    #[error("the ID token's algorithm {0:?} is not RS256")]
    Algorithm(String),
    #[error("no key in the key set matches the ID token's kid {0:?}")]
    UnknownKey(Option<String>),
    #[error("the ID token's signature is invalid")]
    BadSignature,
    #[error("the ID token was issued by {0:?}, not the configured issuer")]
    Issuer(String),
    #[error("the ID token is for another client")]
    Audience,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token's nonce does not match this login")]
    Nonce,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

fn decode_part(part: &str) -> Result<Vec<u8>, IdTokenError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| IdTokenError::Malformed)
}

/// Checks `token` against `keys` and `expected`; the claims when it passes.
/// [`IdTokenError::UnknownKey`] means the key set may be stale: fetch it
/// again once and retry.
pub fn verify(token: &str, keys: &Jwks, expected: Expected<'_>) -> Result<IdClaims, IdTokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdTokenError::Malformed);
    };
    let head: Header =
        serde_json::from_slice(&decode_part(header)?).map_err(|_| IdTokenError::Malformed)?;
    if head.alg != "RS256" {
        return Err(IdTokenError::Algorithm(head.alg));
    }
    let key = find_key(keys, head.kid.as_deref())
        .ok_or_else(|| IdTokenError::UnknownKey(head.kid.clone()))?;
    let (n, e) = (decode_part(&key.n)?, decode_part(&key.e)?);
    let signed = &token[..header.len() + 1 + payload.len()];
    aws_lc_rs::rsa::PublicKeyComponents { n, e }
        .verify(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            signed.as_bytes(),
            &decode_part(signature)?,
        )
        .map_err(|_| IdTokenError::BadSignature)?;
    let claims: IdClaims =
        serde_json::from_slice(&decode_part(payload)?).map_err(|_| IdTokenError::Malformed)?;
    if claims.iss != expected.issuer {
        return Err(IdTokenError::Issuer(claims.iss));
    }
    let azp_ok = claims
        .azp
        .as_deref()
        .is_none_or(|a| a == expected.client_id);
    if !claims.aud.contains(expected.client_id) || !azp_ok {
        return Err(IdTokenError::Audience);
    }
    if claims.exp + SKEW_SECONDS < expected.now_s || claims.iat > expected.now_s + SKEW_SECONDS {
        return Err(IdTokenError::Expired);
    }
    let nonce = claims.nonce.as_deref().unwrap_or_default();
    if nonce.is_empty() || !super::same_secret(nonce, expected.nonce) {
        return Err(IdTokenError::Nonce);
    }
    Ok(claims)
}

/// The RSA signing key a token names; without a `kid`, the set's only key.
fn find_key<'k>(keys: &'k Jwks, kid: Option<&str>) -> Option<&'k Jwk> {
    let rsa = || keys.keys.iter().filter(|k| k.kty == "RSA");
    match kid {
        Some(kid) => rsa().find(|k| k.kid.as_deref() == Some(kid)),
        None if rsa().count() == 1 => rsa().next(),
        None => None,
    }
}

/// Signs ID tokens as Twitch does (RS256, `kid` "1"): the simulator's half.
#[cfg(feature = "fixtures")]
pub mod signer {
    use super::{Jwk, Jwks};
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::KeyPair as _;
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

    /// An RSA key made at start-up; its public half is served as the JWKS.
    pub struct IdTokenSigner {
        key: KeyPair,
        kid: String,
    }

    /// `n` and `e` of a DER `RSAPublicKey` (RFC 8017: a SEQUENCE of two
    /// INTEGERs), without the sign byte DER puts before a high bit.
    fn rsa_public_components(der: &[u8]) -> (&[u8], &[u8]) {
        // One TLV: (tag, contents, rest). Our own key's DER is well-formed.
        fn tlv(b: &[u8]) -> (u8, &[u8], &[u8]) {
            let (tag, first) = (b[0], b[1]);
            let (len, start) = if first < 0x80 {
                (first as usize, 2)
            } else {
                let n = (first & 0x7f) as usize;
                let len = b[2..2 + n]
                    .iter()
                    .fold(0usize, |a, &x| (a << 8) | x as usize);
                (len, 2 + n)
            };
            (tag, &b[start..start + len], &b[start + len..])
        }
        let (_, seq, _) = tlv(der);
        let (_, n, rest) = tlv(seq);
        let (_, e, _) = tlv(rest);
        let trim = |x: &[u8]| -> usize { x.iter().take_while(|&&b| b == 0).count() };
        (&n[trim(n)..], &e[trim(e)..])
    }

    impl std::fmt::Debug for IdTokenSigner {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "IdTokenSigner(kid {})", self.kid)
        }
    }

    impl IdTokenSigner {
        /// A fresh 2048-bit key with this `kid`.
        pub fn generate(kid: &str) -> Result<Self, aws_lc_rs::error::Unspecified> {
            Ok(Self {
                key: KeyPair::generate(KeySize::Rsa2048)?,
                kid: kid.to_owned(),
            })
        }

        /// The public key set (`GET /oauth2/keys`).
        pub fn jwks(&self) -> Jwks {
            let (n, e) = rsa_public_components(self.key.public_key().as_ref());
            Jwks {
                keys: vec![Jwk {
                    kty: "RSA".into(),
                    kid: Some(self.kid.clone()),
                    alg: Some("RS256".into()),
                    use_: Some("sig".into()),
                    n: URL_SAFE_NO_PAD.encode(n),
                    e: URL_SAFE_NO_PAD.encode(e),
                }],
            }
        }

        /// A compact JWS of `claims` with the given header `alg` (tests sign
        /// with other values to check they are refused; RS256 is the real one).
        pub fn sign_with_alg(&self, alg: &str, claims: &serde_json::Value) -> String {
            let header = serde_json::json!({"alg": alg, "typ": "JWT", "kid": self.kid});
            let signed = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            let mut sig = vec![0u8; self.key.public_modulus_len()];
            let rng = aws_lc_rs::rand::SystemRandom::new();
            if self
                .key
                .sign(
                    &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                    &rng,
                    signed.as_bytes(),
                    &mut sig,
                )
                .is_err()
            {
                // Only a wrong buffer size fails here, and it is the modulus length.
                unreachable!("RSA signing with a buffer of the modulus length");
            }
            format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig))
        }

        /// An RS256 ID token of `claims`.
        pub fn sign(&self, claims: &serde_json::Value) -> String {
            self.sign_with_alg("RS256", claims)
        }
    }
}

#[cfg(all(test, feature = "fixtures"))]
mod tests {
    use super::signer::IdTokenSigner;
    use super::*;
    use serde_json::json;

    const ISS: &str = "https://id.twitch.tv/oauth2";
    const CLIENT: &str = "emwrts8hkk8endq84jyrpd6za693";

    fn expected(nonce: &str, now_s: i64) -> Expected<'_> {
        Expected {
            issuer: ISS,
            client_id: CLIENT,
            nonce,
            now_s,
        }
    }

    fn claims(now: i64) -> serde_json::Value {
        // Twitch's documented shape (a real ID token's claims).
        json!({"aud": CLIENT, "exp": now + 900, "iat": now, "iss": ISS, "sub": "1054360985",
               "azp": CLIENT, "nonce": "n-1", "preferred_username": "lauritest"})
    }

    #[test]
    fn a_twitch_shaped_token_passes_and_names_the_user_by_sub() {
        let signer = IdTokenSigner::generate("1").unwrap();
        let token = signer.sign(&claims(1_000));
        let got = verify(&token, &signer.jwks(), expected("n-1", 1_000)).unwrap();
        assert_eq!(got.sub, "1054360985");
        assert_eq!(got.preferred_username.as_deref(), Some("lauritest"));
    }

    #[test]
    fn every_claim_check_refuses_what_it_should() {
        let signer = IdTokenSigner::generate("1").unwrap();
        let keys = signer.jwks();
        let with = |patch: serde_json::Value| {
            let mut c = claims(1_000);
            for (k, v) in patch.as_object().unwrap() {
                c[k] = v.clone();
            }
            signer.sign(&c)
        };
        let check = |t: &str| verify(t, &keys, expected("n-1", 1_000));
        assert_eq!(
            check(&with(json!({"iss": "https://id.twitch.tv/oauth2/"}))),
            Err(IdTokenError::Issuer("https://id.twitch.tv/oauth2/".into()))
        );
        assert_eq!(
            check(&with(json!({"aud": "other"}))),
            Err(IdTokenError::Audience)
        );
        assert_eq!(
            check(&with(json!({"azp": "other"}))),
            Err(IdTokenError::Audience)
        );
        assert_eq!(
            check(&with(json!({"exp": 1_000 - 61}))),
            Err(IdTokenError::Expired)
        );
        assert!(
            check(&with(json!({"exp": 1_000 - 59}))).is_ok(),
            "60 s of skew"
        );
        assert_eq!(
            check(&with(json!({"nonce": "n-2"}))),
            Err(IdTokenError::Nonce)
        );
        assert_eq!(
            check(&with(json!({"nonce": null}))),
            Err(IdTokenError::Nonce)
        );
        assert!(check(&with(json!({"aud": ["x", CLIENT]}))).is_ok());
    }

    #[test]
    fn forged_tokens_are_refused() {
        let signer = IdTokenSigner::generate("1").unwrap();
        let other = IdTokenSigner::generate("1").unwrap();
        let keys = signer.jwks();
        let e = expected("n-1", 1_000);
        // Signed by another key with the same kid.
        let forged = other.sign(&claims(1_000));
        assert_eq!(verify(&forged, &keys, e), Err(IdTokenError::BadSignature));
        // A valid signature over other claims, the payload swapped.
        let good = signer.sign(&claims(1_000));
        let mut evil = claims(1_000);
        evil["sub"] = json!("1");
        let evil_payload = URL_SAFE_NO_PAD.encode(evil.to_string());
        let parts: Vec<&str> = good.split('.').collect();
        let spliced = format!("{}.{}.{}", parts[0], evil_payload, parts[2]);
        assert_eq!(verify(&spliced, &keys, e), Err(IdTokenError::BadSignature));
        // `alg` other than RS256, whatever the signature.
        for alg in ["none", "HS256", "RS512"] {
            let t = signer.sign_with_alg(alg, &claims(1_000));
            assert_eq!(
                verify(&t, &keys, e),
                Err(IdTokenError::Algorithm(alg.into()))
            );
        }
        let unsigned = format!("{}.{}.", parts[0], parts[1]);
        assert_eq!(verify(&unsigned, &keys, e), Err(IdTokenError::BadSignature));
        // A kid the key set does not have.
        let rotated = IdTokenSigner::generate("2").unwrap().sign(&claims(1_000));
        assert_eq!(
            verify(&rotated, &keys, e),
            Err(IdTokenError::UnknownKey(Some("2".into())))
        );
        for junk in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert_eq!(
                verify(junk, &keys, e),
                Err(IdTokenError::Malformed),
                "{junk}"
            );
        }
    }
}

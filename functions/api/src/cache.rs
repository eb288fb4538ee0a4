//! Validators for answers a client may keep: an ETag from the body, and
//! whether the client's copy (`If-None-Match`) is still the answer.

use lambda_http::http::header::IF_NONE_MATCH;
use lambda_http::Request;
use sha2::{Digest, Sha256};

/// A strong ETag for `body` (the first 128 bits of its SHA-256).
pub(crate) fn etag_of(body: &[u8]) -> String {
    format!("\"{}\"", &hex::encode(Sha256::digest(body))[..32])
}

/// True when the request's `If-None-Match` names `etag`.
pub(crate) fn still_fresh(request: &Request, etag: &str) -> bool {
    request
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
}

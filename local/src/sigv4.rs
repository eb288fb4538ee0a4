//! The local `@connections` API's SigV4 check. API Gateway answers an
//! unsigned management call 403; here a request must at least carry a SigV4
//! `Authorization` header (the SDK client signs with the stack's local
//! credentials). The signature itself is not recomputed: the point is that a
//! web page cannot send such a header to loopback without a CORS preflight
//! this stack never grants, so no page the user visits can post to, read or
//! close another client's socket. (Other local processes could forge it; they
//! can read the database file too.)

use http::{header::AUTHORIZATION, HeaderMap};

/// How every SigV4 `Authorization` header begins.
pub const PREFIX: &str = "AWS4-HMAC-SHA256 Credential=";

/// Whether a request carries a SigV4 `Authorization` header.
pub fn is_signed(headers: &HeaderMap) -> bool {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PREFIX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, http::HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn only_a_sigv4_authorization_header_counts() {
        assert!(is_signed(&with(
            "AWS4-HMAC-SHA256 Credential=local/20261202/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=0"
        )));
        assert!(!is_signed(&HeaderMap::new()));
        assert!(!is_signed(&with("Bearer x")));
        assert!(!is_signed(&with("AWS4-HMAC-SHA256")));
    }
}

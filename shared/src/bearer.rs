//! The one check of an admin bearer token (`Authorization: Bearer <token>`),
//! used by the admin routes and the read API's poller switch.

/// True when `authorization` presents `expected` as a bearer token. The
/// scheme name is case-insensitive (RFC 9110 §11.1, RFC 6750 §2.1); the token
/// is compared in constant time. An empty `expected` lets no one in.
pub fn bearer_matches(expected: &str, authorization: Option<&str>) -> bool {
    let presented = authorization
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token)
        .unwrap_or_default();
    !expected.is_empty() && crate::auth::same_secret(presented, expected)
}

#[cfg(test)]
mod tests {
    use super::bearer_matches;

    #[test]
    fn only_the_exact_bearer_token_is_authorized() {
        assert!(bearer_matches("s3cret", Some("Bearer s3cret")));
        assert!(bearer_matches("s3cret", Some("bearer s3cret")));
        assert!(bearer_matches("s3cret", Some("BEARER s3cret")));
        for presented in [
            None,
            Some("s3cret"),
            Some("Bearer s3cre"),
            Some("Bearer s3cret2"),
            Some("Bearer S3CRET"),
            Some("Basic s3cret"),
        ] {
            assert!(!bearer_matches("s3cret", presented), "{presented:?}");
        }
        assert!(!bearer_matches("", Some("Bearer ")));
        assert!(!bearer_matches("", None));
    }
}

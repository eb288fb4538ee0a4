//! Checks on requests to cookie-authenticated routes.
//!
//! - A state-changing request must come from one of our own origins:
//!   `SameSite=Lax` keeps other sites' POSTs from carrying the cookie, but not
//!   sibling subdomains (same site, other origin), so the `Origin` header is
//!   checked too, and a missing or `null` one is refused.
//! - A login's `return_to` must be a path on this site: anything a browser
//!   could resolve to another host is refused, not "fixed".

use http::HeaderMap;

/// Why a request was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GuardError {
    #[error("the request has no Origin header")]
    MissingOrigin,
    #[error("requests from origin {0:?} are not accepted")]
    ForeignOrigin(String),
    #[error("return_to must be a path on this site (starting with a single '/')")]
    ReturnTo,
}

/// Longest `return_to` accepted.
pub const MAX_RETURN_TO: usize = 512;

/// The `Origin` header (case-insensitive name) must be one of `allowed`
/// (each `scheme://host[:port]`, compared without regard to ASCII case).
pub fn same_origin(headers: &HeaderMap, allowed: &[String]) -> Result<(), GuardError> {
    let origin = headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .ok_or(GuardError::MissingOrigin)?;
    if origin != "null" && allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        Ok(())
    } else {
        Err(GuardError::ForeignOrigin(
            origin.chars().take(200).collect(),
        ))
    }
}

/// `raw` when it is a path on this site; `/` when absent.
///
/// Refused: anything not starting with `/`, a second `/` or `\` right after
/// it (`//evil.example`, `/\evil.example`: browsers read both as another
/// host), any backslash, whitespace or control character (URL parsers drop
/// tabs and newlines, turning `/\t/evil` into `//evil`), and overlong values.
pub fn return_to(raw: Option<&str>) -> Result<String, GuardError> {
    let Some(path) = raw.filter(|p| !p.is_empty()) else {
        return Ok("/".into());
    };
    let ok = path.len() <= MAX_RETURN_TO
        && path.starts_with('/')
        && !path[1..].starts_with(['/', '\\'])
        && !path
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control());
    if ok {
        Ok(path.to_owned())
    } else {
        Err(GuardError::ReturnTo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_origin(o: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::ORIGIN, o.parse().unwrap());
        h
    }

    #[test]
    fn only_our_own_origin_may_change_state() {
        let ours = vec!["https://events.example".to_string()];
        assert_eq!(
            same_origin(&with_origin("https://events.example"), &ours),
            Ok(())
        );
        assert_eq!(
            same_origin(&with_origin("HTTPS://Events.Example"), &ours),
            Ok(())
        );
        for bad in [
            "https://evil.example",
            "null",
            "https://events.example.evil",
            "http://events.example",
        ] {
            assert!(
                matches!(
                    same_origin(&with_origin(bad), &ours),
                    Err(GuardError::ForeignOrigin(_))
                ),
                "{bad}"
            );
        }
        assert_eq!(
            same_origin(&HeaderMap::new(), &ours),
            Err(GuardError::MissingOrigin)
        );
    }

    #[test]
    fn return_to_is_a_path_here_or_refused() {
        assert_eq!(return_to(None).unwrap(), "/");
        assert_eq!(return_to(Some("")).unwrap(), "/");
        assert_eq!(return_to(Some("/#user1337")).unwrap(), "/#user1337");
        assert_eq!(
            return_to(Some("/a/b?c=https://x")).unwrap(),
            "/a/b?c=https://x"
        );
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example/",
            "evil.example",
            "/\t/evil.example",
            "/ /x",
            "/a\\b",
            "javascript:alert(1)",
            &format!("/{}", "a".repeat(MAX_RETURN_TO)),
        ] {
            assert_eq!(return_to(Some(bad)), Err(GuardError::ReturnTo), "{bad:?}");
        }
    }
}

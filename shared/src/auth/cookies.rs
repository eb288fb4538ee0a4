//! The session and login-state cookies.
//!
//! Over HTTPS they are `__Host-` cookies (`Secure`, `Path=/`, no `Domain`:
//! bound to this exact host); on the local stack's plain `http://` the
//! browser would refuse `Secure`, so the names lose the prefix and the flag
//! (the stack says so at start-up). Both are `HttpOnly` and `SameSite=Lax`:
//! `Lax`, not `Strict`, because the return from Twitch is a cross-site
//! top-level navigation that must carry the login-state cookie.

use http::HeaderMap;

/// Which cookie attributes this deployment can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CookiePolicy {
    /// Served over HTTPS (AWS): `__Host-` names and `Secure`.
    pub secure: bool,
}

impl CookiePolicy {
    /// The session cookie's name.
    pub fn session(&self) -> &'static str {
        if self.secure {
            "__Host-sid"
        } else {
            "sid"
        }
    }

    /// The login-state cookie's name (one login in flight, 10 minutes).
    pub fn login(&self) -> &'static str {
        if self.secure {
            "__Host-oauth"
        } else {
            "oauth"
        }
    }

    /// A `Set-Cookie` value that sets `name` for `max_age` seconds.
    pub fn set(&self, name: &str, value: &str, max_age: i64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
    }

    /// A `Set-Cookie` value that removes `name`.
    pub fn clear(&self, name: &str) -> String {
        self.set(name, "", 0)
    }
}

/// The value of cookie `name` in the request's `Cookie` header(s), if any.
/// API Gateway's HTTP API joins cookies with `;` and no space, browsers with
/// `; `: both are read.
pub fn read<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_have_the_attributes_the_deployment_allows() {
        let aws = CookiePolicy { secure: true };
        assert_eq!(
            aws.set(aws.session(), "abc", 604800),
            "__Host-sid=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=604800; Secure"
        );
        let local = CookiePolicy { secure: false };
        assert_eq!(
            local.clear(local.login()),
            "oauth=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
        );
    }

    #[test]
    fn cookies_are_read_from_either_separator_and_any_header() {
        let mut h = HeaderMap::new();
        h.append(
            http::header::COOKIE,
            "a=1;__Host-sid=xyz;b=2".parse().unwrap(),
        );
        assert_eq!(read(&h, "__Host-sid"), Some("xyz"));
        h.append(http::header::COOKIE, "c=3; oauth=s1".parse().unwrap());
        assert_eq!(read(&h, "oauth"), Some("s1"));
        assert_eq!(read(&h, "sid"), None, "no prefix confusion");
        let mut empty = HeaderMap::new();
        empty.append(http::header::COOKIE, "sid=".parse().unwrap());
        assert_eq!(read(&empty, "sid"), None);
    }
}

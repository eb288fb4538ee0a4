//! The page (`web/`) and its `/config.json`, served from the same origin as
//! `/api` and `/auth`, so the session cookie is first-party and no CORS is
//! needed. The files are embedded in the binary at build time (a deployment
//! serves exactly what it was built with), each with a strong `ETag` so a
//! browser revalidates with a 304 instead of downloading again. The local
//! stack may point `dir` at `web/` to serve edits without a rebuild.

use std::path::PathBuf;

use lambda_http::http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
    REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use sha2::{Digest, Sha256};

/// One file of the page.
struct Asset {
    path: &'static str,
    body: &'static [u8],
}

macro_rules! assets {
    ($($path:literal),* $(,)?) => {
        &[$(Asset { path: $path, body: include_bytes!(concat!("../../../web/", $path)) }),*]
    };
}

/// Every file of the page (a test checks this against `web/`).
const ASSETS: &[Asset] = assets!(
    "index.html",
    "style.css",
    "js/account.js",
    "js/app.js",
    "js/chart.js",
    "js/embeds.js",
    "js/feed.js",
    "js/filters.js",
    "js/live.js",
    "js/overlay.js",
    "overlay.css",
    "overlay.html",
);

/// The paths served, for the test that compares them with `web/`.
pub fn asset_paths() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|a| a.path)
}

/// What `/config.json` tells the page.
#[derive(Clone, Debug)]
pub struct Site {
    /// Where the page opens its WebSocket.
    pub websocket_url: String,
    /// Anyone may watch without logging in.
    pub open: bool,
    /// Twitch's player and chat can be embedded (real Twitch channels).
    pub embeds: bool,
    /// Read files from here instead of the embedded copies (local development).
    pub dir: Option<PathBuf>,
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The scheme and authority of a WebSocket URL (`wss://host[:port]`): what
/// the page may connect to besides its own origin.
fn ws_origin(url: &str) -> &str {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let end = rest.find('/').map_or(url.len(), |j| i + 3 + j);
            &url[..end]
        }
        None => "'none'",
    }
}

impl Site {
    /// The page's answer for `GET`/`HEAD` of `path`, or `None` when the path
    /// is not the page's.
    pub fn answer(&self, request: &Request, path: &str) -> Option<Response<Body>> {
        let name = if path == "/" {
            "index.html"
        } else {
            path.get(1..)?
        };
        let known = name == "config.json" || ASSETS.iter().any(|a| a.path == name);
        if !known {
            return None;
        }
        let method = request.method().as_str();
        if !matches!(method, "GET" | "HEAD") {
            let refused = crate::ApiError::MethodNotAllowed {
                method: crate::error::shown(method),
                path: crate::error::shown(path),
                allowed: vec!["GET", "HEAD"],
            };
            return Some(refused.into_response());
        }
        if path == "/config.json" {
            let body = json!({
                "websocket_url": self.websocket_url,
                "ticket_url": "/api/ws-ticket",
                "login_url": "/auth/login",
                "open": self.open,
                "embeds": self.embeds,
            });
            let mut response = crate::json(StatusCode::OK, body.to_string());
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            return Some(response);
        }
        let name = if path == "/" {
            "index.html"
        } else {
            &path[1..]
        };
        let asset = ASSETS.iter().find(|a| a.path == name)?;
        let body: Vec<u8> = match &self.dir {
            Some(dir) => std::fs::read(dir.join(asset.path)).ok()?,
            None => asset.body.to_vec(),
        };
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
        let fresh = request
            .headers()
            .get(IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
        let mut response = if fresh {
            let mut r = Response::new(Body::Empty);
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else if request.method().as_str() == "HEAD" {
            Response::new(Body::Empty)
        } else {
            Response::new(Body::Binary(body))
        };
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(name)));
        if let Ok(v) = HeaderValue::from_str(&etag) {
            headers.insert(ETAG, v);
        }
        // Names carry no fingerprint: always revalidate (a 304 is cheap).
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        // The page builds its DOM from event text: no inline script, no
        // foreign scripts, so a crafted chat message or title cannot run code.
        let csp = format!(
            "default-src 'self'; connect-src 'self' {}; img-src 'self' data: https://static-cdn.jtvnw.net; \
             frame-src https://player.twitch.tv https://www.twitch.tv; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
            ws_origin(&self.websocket_url)
        );
        if let Ok(v) = HeaderValue::from_str(&csp) {
            headers.insert(CONTENT_SECURITY_POLICY, v);
        }
        Some(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_page_is_embedded() {
        let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
        let mut on_disk = Vec::new();
        let mut dirs = vec![web.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let rel = path
                    .strip_prefix(&web)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if path.is_dir() {
                    if rel != "tests" {
                        dirs.push(path);
                    }
                } else {
                    on_disk.push(rel);
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = asset_paths().map(str::to_owned).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
    }
}

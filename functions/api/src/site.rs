//! The page (`web/`) and its `/config.json`, served from the same origin as
//! `/api` and `/auth`, so the session cookie is first-party and no CORS is
//! needed; and the API reference at `/api/docs` (`web/docs/`: Swagger UI,
//! vendored gzipped by `scripts/vendor-api-docs.sh`, rendering
//! `/api/openapi.json`). The files are embedded in the binary at build time (a deployment
//! serves exactly what it was built with), each with a strong `ETag` so a
//! browser revalidates with a 304 instead of downloading again. The local
//! stack may point `dir` at `web/` to serve edits without a rebuild.

use std::path::PathBuf;

use lambda_http::http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG,
    REFERRER_POLICY, VARY, X_CONTENT_TYPE_OPTIONS,
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

/// One file served: its URL path (without the leading `/`) and the file
/// under `web/` it is. A file ending in `.gz` is sent as it is, with
/// `Content-Encoding: gzip`.
struct Asset {
    url: &'static str,
    file: &'static str,
    body: &'static [u8],
}

macro_rules! assets {
    ($($file:literal $(at $url:literal)?),* $(,)?) => {
        &[$(Asset {
            url: assets!(@url $file $(, $url)?),
            file: $file,
            body: include_bytes!(concat!("../../../web/", $file)),
        }),*]
    };
    (@url $file:literal) => { $file };
    (@url $file:literal, $url:literal) => { $url };
}

/// Every file served (a test checks this against `web/`).
const ASSETS: &[Asset] = assets!(
    "docs/index.html" at "api/docs",
    "docs/docs.js" at "api/docs/docs.js",
    "docs/docs.css" at "api/docs/docs.css",
    "docs/reference.css" at "api/docs/reference.css",
    "docs/vendor/swagger-ui-bundle.js.gz" at "api/docs/swagger-ui-bundle.js",
    "docs/vendor/swagger-ui.css.gz" at "api/docs/swagger-ui.css",
    "docs/vendor/LICENSE.txt" at "api/docs/LICENSE.txt",
    "docs/vendor/NOTICE.txt" at "api/docs/NOTICE.txt",
    "docs/vendor/THIRD-PARTY-LICENSES.txt" at "api/docs/THIRD-PARTY-LICENSES.txt",
    "docs/vendor/VERSION.txt" at "api/docs/VERSION.txt",
    "index.html",
    "style.css",
    "js/account.js",
    "js/app.js",
    "js/arriving.js",
    "js/chart.js",
    "js/chime.js",
    "js/dock.js",
    "js/embeds.js",
    "js/feed.js",
    "js/filters.js",
    "js/gaps.js",
    "js/labels.js",
    "js/live.js",
    "js/overlay-key.js",
    "js/overlay.js",
    "js/overlay-panel.js",
    "js/poll.js",
    "dock.css",
    "dock.html",
    "overlay.css",
    "overlay.html",
);

/// The gzipped copy of each embedded file, by its place in [`ASSETS`].
static GZIPPED: [crate::gzip::Kept; ASSETS.len()] =
    [const { crate::gzip::Kept::new() }; ASSETS.len()];

/// The files under `web/` served, for the test that compares them with `web/`.
pub fn asset_files() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|a| a.file)
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

/// The type of a file by its extension (of what it holds, for a `.gz`).
fn content_type(file: &str) -> &'static str {
    let file = file.strip_suffix(".gz").unwrap_or(file);
    match file.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Whether the request carries a session cookie, under either policy's name
/// (the site does not know whether it is served over HTTPS).
fn has_session_cookie(request: &Request) -> bool {
    [true, false].into_iter().any(|secure| {
        let name = shared::auth::cookies::CookiePolicy { secure }.session();
        shared::auth::cookies::read(request.headers(), name).is_some_and(|v| !v.is_empty())
    })
}

/// The policy of the page: its own scripts only, so a crafted chat message or
/// title cannot run code; its WebSocket, Twitch's images and embeds.
fn page_policy(websocket_url: &str) -> String {
    format!(
        "default-src 'self'; connect-src 'self' {}; img-src 'self' data: https://static-cdn.jtvnw.net; \
         frame-src https://player.twitch.tv https://www.twitch.tv; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        ws_origin(websocket_url)
    )
}

/// The policy of the API reference: this origin only (Swagger UI fetches the
/// document and "try it out" calls from here); `data:` images are its icons,
/// drawn as inline SVG in its stylesheet. No inline script or style needed.
const DOCS_POLICY: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

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
        let known = name == "config.json" || ASSETS.iter().any(|a| a.url == name);
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
                // Whether to ask `GET /api/me` at all: a visitor who never
                // logged in is not answered 401 on every load. Only whether
                // the browser sent a session cookie, which it knows anyway;
                // `/api/me` still decides whether the session lives.
                "session_cookie": has_session_cookie(request),
            });
            let mut response = crate::json(StatusCode::OK, body.to_string());
            let headers = response.headers_mut();
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            headers.insert(VARY, HeaderValue::from_static("Cookie"));
            return Some(response);
        }
        let (index, asset) = ASSETS.iter().enumerate().find(|(_, a)| a.url == name)?;
        let stored_gzipped = asset.file.ends_with(".gz");
        let takes_gzip = crate::gzip::accepted(request);
        if stored_gzipped && !takes_gzip {
            return Some(crate::ApiError::NotAcceptable("gzip").into_response());
        }
        let plain: Vec<u8> = match &self.dir {
            Some(dir) => std::fs::read(dir.join(asset.file)).ok()?,
            None => asset.body.to_vec(),
        };
        let compressible = !stored_gzipped && crate::gzip::worth_it(&plain);
        // The ETag is of the bytes sent, so each encoding has its own.
        let packed = match (&self.dir, compressible && takes_gzip) {
            (_, false) => None,
            (None, true) => GZIPPED[index].of(asset.body).map(<[u8]>::to_vec),
            (Some(_), true) => crate::gzip::compress(&plain),
        };
        let gzipped = stored_gzipped || packed.is_some();
        let body = packed.unwrap_or(plain);
        let etag = crate::cache::etag_of(&body);
        let fresh = crate::cache::still_fresh(request, &etag);
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
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static(content_type(asset.file)),
        );
        if gzipped {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        if stored_gzipped || compressible {
            headers.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
        }
        if let Ok(v) = HeaderValue::from_str(&etag) {
            headers.insert(ETAG, v);
        }
        // Names carry no fingerprint: always revalidate (a 304 is cheap).
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        let csp = if asset.url.starts_with("api/docs") {
            DOCS_POLICY.to_owned()
        } else {
            page_policy(&self.websocket_url)
        };
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
        let mut embedded: Vec<String> = asset_files().map(str::to_owned).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
    }
}

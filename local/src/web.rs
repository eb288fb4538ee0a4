//! The page (`web/`), served as plain files, plus `/config.json` telling it
//! where the WebSocket endpoint and the ticket issuer are.
//!
//! Files are read from disk on every request (no build step, edits show on
//! reload). Only plain relative names with a known extension are served, so
//! nothing outside the directory can be reached.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

/// The page's directory: `WEB_DIR`, else the repository's `web/`.
pub fn default_dir() -> PathBuf {
    std::env::var_os("WEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../web"))
}

/// Where the page's files are and what it is told at `/config.json`.
pub struct Site {
    pub dir: PathBuf,
    /// `host:port` the stack answers on.
    pub domain: String,
}

/// `/`, `/config.json`, and the page's files for any other `GET`.
pub fn routes(site: Arc<Site>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/config.json", get(config))
        .fallback(file)
        .with_state(site)
}

async fn config(State(site): State<Arc<Site>>) -> Response {
    let mut response = Json(json!({
        "websocket_url": format!("ws://{}/ws", site.domain),
        "ticket_url": "/ws-ticket",
    }))
    .into_response();
    no_cache(&mut response);
    response
}

async fn index(State(site): State<Arc<Site>>) -> Response {
    serve(&site.dir, "index.html").await
}

async fn file(State(site): State<Arc<Site>>, method: Method, uri: Uri) -> Response {
    let name = uri.path().trim_start_matches('/');
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            Json(json!({"error": "method_not_allowed", "message": format!("{method} /{name} is not served")})),
        )
            .into_response();
    }
    serve(&site.dir, name).await
}

fn content_type(name: &str) -> Option<&'static str> {
    let (_, ext) = name.rsplit_once('.')?;
    Some(match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "ico" => "image/x-icon",
        "png" => "image/png",
        _ => return None,
    })
}

/// A name made of plain segments (no `..`, no hidden files, no backslashes).
fn safe(name: &str) -> bool {
    !name.is_empty()
        && name.split('/').all(|segment| {
            !segment.is_empty()
                && !segment.starts_with('.')
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
}

fn not_found(name: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "not_found", "message": format!("no such file: /{name}")})),
    )
        .into_response()
}

fn no_cache(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

async fn serve(dir: &Path, name: &str) -> Response {
    let Some(kind) = content_type(name).filter(|_| safe(name)) else {
        return not_found(name);
    };
    let Ok(bytes) = tokio::fs::read(dir.join(name)).await else {
        return not_found(name);
    };
    let mut response = ([(header::CONTENT_TYPE, kind)], bytes).into_response();
    no_cache(&mut response);
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The page builds its DOM from event text: no inline script, no foreign
    // origins, so a crafted chat message or title cannot run code.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; object-src 'none'; base-uri 'none'",
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_served() {
        assert!(safe("index.html"));
        assert!(safe("js/app.js"));
        for bad in [
            "",
            "../Cargo.toml",
            "js/../../x.js",
            ".env",
            "a//b.js",
            "a\\b.js",
            "/etc/passwd",
        ] {
            assert!(!safe(bad), "{bad:?} must be refused");
        }
        assert!(content_type("x.rs").is_none());
        assert_eq!(content_type("a.js"), Some("text/javascript; charset=utf-8"));
    }
}

//! The browser routes' answers: redirects that set cookies, and small HTML
//! pages for the ways a login can end other than success (a refusal is a
//! page a person can act on, never a bare 500).

use lambda_http::http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, SET_COOKIE,
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};

/// A `302` to `location` that sets `cookies`.
pub fn redirect(location: &str, cookies: &[String]) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::FOUND;
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, v);
    }
    set_cookies(&mut response, cookies);
    no_store(&mut response);
    response
}

/// Adds one `Set-Cookie` header per cookie (API Gateway turns them into its
/// `cookies` list; two cookies in one header would collide).
pub fn set_cookies(response: &mut Response<Body>, cookies: &[String]) {
    for cookie in cookies {
        if let Ok(v) = HeaderValue::from_str(cookie) {
            response.headers_mut().append(SET_COOKIE, v);
        }
    }
}

fn no_store(response: &mut Response<Body>) {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An HTML page with `title`, `text` and a link back to the page.
pub fn page(status: StatusCode, title: &str, text: &str, cookies: &[String]) -> Response<Body> {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Streamer Events</title>\
         <link rel=\"stylesheet\" href=\"/style.css\"></head><body class=\"notice\">\
         <p class=\"brand\">Streamer Events</p>\
         <h1 id=\"title\">{title}</h1><p id=\"text\">{text}</p>\
         <p><a id=\"back\" class=\"button\" href=\"/\">Back to Streamer Events</a></p></body></html>",
        title = escape(title),
        text = escape(text),
    );
    let mut response = Response::new(Body::Text(html));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'self'"),
    );
    set_cookies(&mut response, cookies);
    no_store(&mut response);
    response
}

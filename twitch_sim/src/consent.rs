//! The simulated authorize page: the consent form, its HTML, and the
//! redirects back to the client with their query strings.

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::params::Params;

/// A redirect to `base` with `pairs` added to its query string.
pub(crate) fn redirect_with(base: &str, pairs: &[(&str, &str)]) -> Response {
    let sep = if base.contains('?') { '&' } else { '?' };
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect();
    Redirect::to(&format!("{base}{sep}{}", query.join("&"))).into_response()
}

fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b' ' => out.push('+'),
            b if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') => {
                out.push(b as char)
            }
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The consent form: the same query again, plus the user and the decision.
pub(crate) fn consent_page(params: &Params, scopes: &[String]) -> Response {
    let hidden: String = [
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
        "nonce",
        "claims",
        "force_verify",
    ]
    .iter()
    .filter_map(|k| params.first(k).map(|v| (k, v)))
    .map(|(k, v)| {
        format!(
            r#"<input type="hidden" name="{k}" value="{}">"#,
            html_escape(v)
        )
    })
    .collect();
    let asked: String = scopes
        .iter()
        .map(|s| format!("<li><code>{}</code></li>", html_escape(s)))
        .collect();
    page(
        StatusCode::OK,
        &format!(
            r#"<h1>Twitch (simulated)</h1>
<p>An application wants to log you in and asks for:</p><ul id="scopes">{asked}</ul>
<form method="get" action="/oauth2/authorize">{hidden}
<label>Log in as user id <input id="sim-user" name="sim_user" value="1337" inputmode="numeric"></label>
<p>On this simulated Twitch, user id <i>N</i> logs in as <b>user<i>N</i></b> (1337 is user1337).</p>
<button id="authorize" name="sim_decision" value="allow">Authorize</button>
<button id="cancel" name="sim_decision" value="deny">Cancel</button>
</form>"#
        ),
    )
}

pub(crate) fn page(status: StatusCode, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Twitch (simulated)</title></head><body>{body}</body></html>"
    );
    (
        status,
        [(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; form-action 'self'",
        )],
        Html(html),
    )
        .into_response()
}

//! The account routes over real HTTP on the local stack, against the simulated
//! id.twitch.tv: the login flow and every way it must refuse (state missing,
//! reused, mismatched or not bound to the browser; a refusal at Twitch; open
//! redirects), sessions (forged, ended), the Origin check, per-user caps
//! checked before any Twitch call, tickets, logout, and a broadcaster's grant.
//! The helpers are here; the tests are in one module per part of the account,
//! all one test binary (each binary links the whole stack).

#[path = "../support/mod.rs"]
mod support;

mod favourites;
mod grants;
mod guards;
mod login;
mod recovery;
mod revoke;
mod subscribers;
mod tickets;

use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use shared::store::grants::GrantStore;
use shared::store::streamers::{StreamerStore, Wish};
use shared::store::users::{FavouriteStore, SessionStore};
use support::{next_json, send, Running};

const ADMIN: &str = "admin-token-for-the-account-routes-0123456789";

async fn stack() -> Running {
    support::sim_stack(support::dev_secret(), ADMIN).await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

/// The value of `name` among a response's `Set-Cookie` headers.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers().get_all(SET_COOKIE).iter().find_map(|v| {
        let v = v.to_str().ok()?;
        let (pair, _) = v.split_once(';').unwrap_or((v, ""));
        let (k, val) = pair.split_once('=')?;
        (k == name).then(|| val.to_owned())
    })
}

fn query_param(url: &str, key: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded_pairs(query)
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn form_urlencoded_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        let v = v.replace('+', " ");
        Some((k.to_owned(), percent_decode(&v)))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A login started in a browser: the login cookie and Twitch's answer for
/// `user` deciding `decision` (the callback URL, not yet visited).
struct Started {
    login_cookie: String,
    callback: String,
}

async fn start_login(s: &Running, query: &str, user: &str, decision: &str) -> Started {
    let c = client();
    let r = c
        .get(s.http(&format!("/auth/login{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let login_cookie = set_cookie(&r, "oauth").expect("a login-state cookie");
    let authorize = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let r = c
        .get(format!(
            "{authorize}&sim_user={user}&sim_decision={decision}"
        ))
        .send()
        .await
        .unwrap();
    let callback = r.headers()[LOCATION].to_str().unwrap().to_owned();
    Started {
        login_cookie,
        callback,
    }
}

/// Visits the callback with `cookie` (or none).
async fn finish(started: &Started, cookie: Option<&str>) -> reqwest::Response {
    let mut r = client().get(&started.callback);
    if let Some(c) = cookie {
        r = r.header(COOKIE, format!("oauth={c}"));
    }
    r.send().await.unwrap()
}

/// A full login of `user`: the session cookie's value.
async fn login(s: &Running, user: &str) -> String {
    let started = start_login(s, "", user, "allow").await;
    let r = finish(&started, Some(&started.login_cookie)).await;
    assert_eq!(r.status(), StatusCode::FOUND, "{:?}", r.text().await);
    set_cookie(&r, "sid").expect("a session cookie")
}

/// A request as the page would send it: the session cookie and our Origin.
async fn call(
    s: &Running,
    method: Method,
    path: &str,
    sid: Option<&str>,
    origin: Option<&str>,
) -> (StatusCode, Value) {
    let mut r = client()
        .request(method, s.http(path))
        .header("content-type", "application/json");
    if let Some(sid) = sid {
        r = r.header(COOKIE, format!("sid={sid}"));
    }
    if let Some(o) = origin {
        r = r.header(ORIGIN, o);
    }
    let r = r.body("{}").send().await.unwrap();
    let status = r.status();
    let body = serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null);
    (status, body)
}

fn ours(s: &Running) -> String {
    format!("http://{}", s.addr)
}

/// An overlay key's ticket request: its status and body.
async fn overlay_ticket(s: &Running, key: &str) -> (StatusCode, Value) {
    let r = client()
        .post(s.http("/api/overlay/ticket"))
        .header("content-type", "application/json")
        .body(serde_json::json!({ "key": key }).to_string())
        .send()
        .await
        .unwrap();
    let status = r.status();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null),
    )
}

//! The admin routes (HTTP API): track, untrack and list streamers with the
//! state of each type, the account's subscription budget, and the coverage
//! gaps of our app's own subscriptions (`app`: no streamer's page shows them).
//!
//! - `GET /admin/streamers`
//! - `POST /admin/streamers` `{"streamer":"<login or id>"}`
//! - `DELETE /admin/streamers/{id}`
//!
//! Every call needs `Authorization: Bearer <ADMIN_TOKEN>` (compared in
//! constant time, the scheme in any case: `shared::bearer`). Answers are JSON; errors are `{"error","message"}`.

use serde::Deserialize;
use serde_json::{json, Value};
use shared::bearer::bearer_matches;
use shared::helix::eventsub::Filter;
use shared::store::streamers::Streamer;

use crate::manager::{parse_streamer, Manager, ManagerError, StreamerRef};

/// An HTTP request, whatever carried it (API Gateway, the local stack).
#[derive(Debug, Clone)]
pub struct AdminRequest {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub body: String,
}

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminResponse {
    pub status: u16,
    pub body: Value,
}

fn error(status: u16, code: &str, message: impl Into<String>) -> AdminResponse {
    AdminResponse {
        status,
        body: json!({"error": code, "message": message.into()}),
    }
}

/// The JSON view of a streamer.
pub fn view(s: &Streamer) -> Value {
    let types: serde_json::Map<String, Value> = s
        .types
        .iter()
        .map(|(k, r)| {
            let mut v = serde_json::to_value(&r.state).unwrap_or(Value::Null);
            v["updated_at_ms"] = json!(r.updated_at_ms);
            (k.clone(), v)
        })
        .collect();
    json!({
        "id": s.id,
        "login": s.login,
        "wanted": s.wanted,
        "wanted_since_ms": s.wanted_since_ms,
        "last_watched_ms": s.last_watched_ms,
        "requested_by": s.requested_by,
        "scopes": s.scopes,
        "types": types,
    })
}

fn failure(e: ManagerError) -> AdminResponse {
    match e {
        ManagerError::UnknownLogin(_) => error(404, "unknown_streamer", e.to_string()),
        ManagerError::InvalidStreamer(_) => error(400, "invalid_streamer", e.to_string()),
        ManagerError::Twitch(_) => error(502, "twitch_unavailable", e.to_string()),
        ManagerError::Store(_) => error(503, "store_unavailable", e.to_string()),
        ManagerError::Busy(_) => error(503, "busy", e.to_string()),
    }
}

/// Answers one admin request.
pub async fn route(
    m: &Manager,
    admin_token: &str,
    req: &AdminRequest,
    now_ms: i64,
) -> AdminResponse {
    if !bearer_matches(admin_token, req.authorization.as_deref()) {
        return error(401, "unauthorized", "an admin bearer token is required");
    }
    let path = req.path.trim_end_matches('/');
    match (req.method.as_str(), path) {
        ("GET", "/admin/streamers") => list(m, now_ms).await,
        ("POST", "/admin/streamers") => {
            #[derive(Deserialize)]
            struct Body {
                streamer: String,
            }
            let Ok(body) = serde_json::from_str::<Body>(&req.body) else {
                return error(
                    400,
                    "invalid_body",
                    r#"send {"streamer":"<login or user id>"}"#,
                );
            };
            let parsed = match parse_streamer(&body.streamer) {
                Ok(p) => p,
                Err(e) => return failure(e),
            };
            match m
                .track(&parsed, shared::store::streamers::PINNED_BY, now_ms)
                .await
            {
                Ok(s) => AdminResponse {
                    status: 200,
                    body: view(&s),
                },
                Err(e) => failure(e),
            }
        }
        ("DELETE", p) if p.starts_with("/admin/streamers/") => {
            let id = &p["/admin/streamers/".len()..];
            if !matches!(StreamerRef::parse(id), Some(StreamerRef::Id(_))) {
                return error(400, "invalid_streamer", "untrack by user id (digits)");
            }
            match m.untrack(id, now_ms).await {
                Ok(()) => AdminResponse {
                    status: 200,
                    body: json!({"id": id, "wanted": false}),
                },
                Err(e) => failure(e),
            }
        }
        (_, "/admin/streamers") => error(405, "method_not_allowed", "use GET or POST"),
        _ => error(
            404,
            "not_found",
            format!("no route {} {}", req.method, req.path),
        ),
    }
}

async fn list(m: &Manager, now_ms: i64) -> AdminResponse {
    let mut streamers = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = match m.streamers.tracked(after.as_deref(), 100).await {
            Ok(p) => p,
            Err(e) => return failure(e.into()),
        };
        for id in &page.ids {
            match m.streamers.streamer(id).await {
                Ok(Some(s)) => streamers.push(view(&s)),
                Ok(None) => {}
                Err(e) => return failure(e.into()),
            }
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    // The budget comes with any list page; one page is enough.
    let totals = match m.helix.subscriptions_page(&Filter::All, None).await {
        Ok((page, _)) => json!(page.totals),
        Err(e) => json!({"error": e.to_string()}),
    };
    let app = match app_view(m, now_ms).await {
        Ok(app) => app,
        Err(e) => return failure(e.into()),
    };
    AdminResponse {
        status: 200,
        body: json!({"streamers": streamers, "subscriptions": totals, "app": app}),
    }
}

/// How far back the list shows the app's gaps.
const APP_GAPS_DAYS: i64 = 7;

/// Our app's own subscriptions' coverage: the client id its gaps are kept
/// under, and those of the last [`APP_GAPS_DAYS`] days, oldest first.
async fn app_view(m: &Manager, now_ms: i64) -> Result<Value, shared::store::StoreError> {
    let client_id = m.app_key();
    let gaps = match &m.gaps {
        Some(gaps) => {
            gaps.gaps(client_id, now_ms - APP_GAPS_DAYS * 86_400_000, now_ms)
                .await?
        }
        None => Vec::new(),
    };
    let gaps: Vec<Value> = gaps
        .iter()
        .map(|g| {
            json!({
                "type": g.key.event_type, "from_ms": g.key.from_ms, "to_ms": g.to_ms,
                "cause": g.cause, "state": g.state.as_str(), "recovered": g.recovered,
            })
        })
        .collect();
    Ok(json!({"client_id": client_id, "gaps": gaps}))
}

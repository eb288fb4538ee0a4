//! The route table, as data, and matching a request's method and path to it.
//!
//! Keeping the table as data is what lets a test hold it against
//! `openapi.json`: every route here is documented, and every documented
//! `/api` route is here.

use crate::error::{shown, ApiError};

/// What a route does (one function each in [`crate::routes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Streamers,
    Streamer,
    Events,
    Stats,
    Streams,
    Viewers,
    ExportCsv,
    ExportJsonl,
    Coverage,
    Live,
    Poller,
    PausePoller,
    ResumePoller,
    OpenApi,
    EventTypes,
}

/// One route: method, path template (`{name}` matches one segment), the
/// query parameters it takes, and its endpoint.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub query: &'static [&'static str],
    pub endpoint: Endpoint,
}

/// Every route the handler answers.
pub const ROUTES: &[Route] = &[
    Route {
        method: "GET",
        path: "/api/streamers",
        query: &["limit", "cursor"],
        endpoint: Endpoint::Streamers,
    },
    Route {
        method: "GET",
        path: "/api/streamers/{login}",
        query: &[],
        endpoint: Endpoint::Streamer,
    },
    Route {
        method: "GET",
        path: "/api/streamers/{login}/events",
        query: &["limit", "cursor", "after"],
        endpoint: Endpoint::Events,
    },
    Route {
        method: "GET",
        path: "/api/streamers/{login}/stats",
        query: &["days"],
        endpoint: Endpoint::Stats,
    },
    Route {
        method: "GET",
        path: "/api/streamers/{login}/streams",
        query: &["from", "to", "limit"],
        endpoint: Endpoint::Streams,
    },
    Route {
        method: "GET",
        path: "/api/streamers/{login}/viewers",
        query: &["from", "to", "points"],
        endpoint: Endpoint::Viewers,
    },
    Route {
        method: "GET",
        path: "/api/streamers/{login}/coverage",
        query: &["from", "to"],
        endpoint: Endpoint::Coverage,
    },
    Route {
        method: "GET",
        path: "/api/streamers/{login}/events.csv",
        query: &["from", "to"],
        endpoint: Endpoint::ExportCsv,
    },
    Route {
        method: "GET",
        path: "/api/streamers/{login}/events.jsonl",
        query: &["from", "to"],
        endpoint: Endpoint::ExportJsonl,
    },
    Route {
        method: "GET",
        path: "/api/live",
        query: &["limit", "cursor"],
        endpoint: Endpoint::Live,
    },
    Route {
        method: "GET",
        path: "/api/poller",
        query: &[],
        endpoint: Endpoint::Poller,
    },
    Route {
        method: "POST",
        path: "/api/poller/pause",
        query: &[],
        endpoint: Endpoint::PausePoller,
    },
    Route {
        method: "POST",
        path: "/api/poller/resume",
        query: &[],
        endpoint: Endpoint::ResumePoller,
    },
    Route {
        method: "GET",
        path: "/api/openapi.json",
        query: &[],
        endpoint: Endpoint::OpenApi,
    },
    Route {
        method: "GET",
        path: "/api/event-types",
        query: &[],
        endpoint: Endpoint::EventTypes,
    },
];

/// A matched route and the path segments its placeholders captured, in order.
#[derive(Debug)]
pub struct Found {
    pub route: &'static Route,
    pub captures: Vec<String>,
}

/// The route for `method` and `path`: 404 when no route has the path, 405
/// (with the methods it does take) when the path exists under another method.
pub fn find(method: &str, path: &str) -> Result<Found, ApiError> {
    // One trailing slash is forgiven (`/api/live/`); the root is left alone.
    let trimmed = match path.strip_suffix('/') {
        Some(p) if !p.is_empty() => p,
        _ => path,
    };
    let mut allowed = Vec::new();
    for route in ROUTES {
        let Some(captures) = captures(route.path, trimmed) else {
            continue;
        };
        if route.method == method {
            return Ok(Found { route, captures });
        }
        allowed.push(route.method);
    }
    if allowed.is_empty() {
        Err(ApiError::NotFound {
            method: shown(method),
            path: shown(path),
        })
    } else {
        Err(ApiError::MethodNotAllowed {
            method: shown(method),
            path: shown(path),
            allowed,
        })
    }
}

/// The placeholder values when `path` fits `template`, segment by segment.
fn captures(template: &str, path: &str) -> Option<Vec<String>> {
    let mut wanted = template.split('/');
    let mut given = path.split('/');
    let mut out = Vec::new();
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(out),
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') => {
                if g.is_empty() {
                    return None;
                }
                out.push(g.to_owned());
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_capture_one_non_empty_segment() {
        let found = find("GET", "/api/streamers/user42/events").unwrap();
        assert_eq!(found.route.endpoint, Endpoint::Events);
        assert_eq!(found.captures, ["user42"]);
        assert!(find("GET", "/api/streamers//events").is_err());
        assert!(find("GET", "/api/streamers/a/b/events").is_err());
    }

    #[test]
    fn a_known_path_under_another_method_is_405_with_the_methods_it_takes() {
        match find("GET", "/api/poller/pause") {
            Err(ApiError::MethodNotAllowed { allowed, .. }) => assert_eq!(allowed, ["POST"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn one_trailing_slash_is_forgiven() {
        assert_eq!(
            find("GET", "/api/live/").unwrap().route.endpoint,
            Endpoint::Live
        );
    }
}

//! The OpenAPI document against the routes and answers.

use super::*;

/// `(path, method)` pairs the document describes.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((path.clone(), method.to_ascii_uppercase()));
        }
    }
    out
}

#[tokio::test]
async fn the_openapi_document_is_served_as_checked_in() {
    let f = Fixture::new();

    let a = f.get("/api/openapi.json").await;

    assert_eq!(a.status, StatusCode::OK);
    let file: Value =
        serde_json::from_str(include_str!("../../openapi.json")).expect("openapi.json is JSON");
    assert_eq!(a.body, file);
    assert!(a.body["openapi"].as_str().unwrap().starts_with("3.0"));
}

#[test]
fn every_route_is_documented_with_its_query_parameters_and_nothing_more_under_api() {
    let doc: Value = serde_json::from_str(api::OPENAPI).unwrap();
    let documented_api: BTreeSet<_> = documented(&doc)
        .into_iter()
        .filter(|(path, _)| path.starts_with("/api"))
        .collect();
    let routed: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| (r.path.to_owned(), r.method.to_owned()))
        .chain(
            api::account::ROUTES
                .iter()
                .filter(|(_, path)| path.starts_with("/api"))
                .map(|(m, p)| ((*p).to_owned(), (*m).to_owned())),
        )
        .collect();
    assert_eq!(routed, documented_api);

    for route in ROUTES {
        let op = &doc["paths"][route.path][route.method.to_ascii_lowercase()];
        let query: BTreeSet<&str> = op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "query")
                    .map(|p| p["name"].as_str().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        let taken: BTreeSet<&str> = route.query.iter().copied().collect();
        assert_eq!(query, taken, "{} {}", route.method, route.path);
    }
}

/// Found by schemathesis (scripts/api-contract.sh): `cursor=`, `after=`,
/// `from=` and `to=` were schema-valid (a bare string) but refused. The code
/// is right: an empty cursor is none the API handed out (restarting from the
/// first page would loop a client that sent a null `next`), and an empty time
/// would silently widen the window. So the document says `minLength: 1`, and
/// this holds every such parameter of every read route to it.
#[tokio::test]
async fn every_parameter_documented_as_non_empty_is_refused_empty() {
    let f = Fixture::new();
    feed(&f, 1).await;
    let doc: Value = serde_json::from_str(api::OPENAPI).unwrap();
    let mut checked = BTreeSet::new();
    for route in ROUTES.iter().filter(|r| r.method == "GET") {
        let op = &doc["paths"][route.path]["get"];
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] != "query" || p["schema"]["minLength"].as_u64() != Some(1) {
                continue;
            }
            let name = p["name"].as_str().unwrap();
            let uri = format!("{}?{name}=", route.path.replace("{login}", "1337"));
            let a = f.get(&uri).await;
            assert_eq!(a.status, StatusCode::BAD_REQUEST, "{uri}: {}", a.body);
            assert_eq!(a.body["error"], "invalid_parameter", "{uri}");
            checked.insert(format!("{} {name}", route.path));
        }
    }
    let expected: BTreeSet<String> = [
        "/api/streamers cursor",
        "/api/live cursor",
        "/api/streamers/{login}/events cursor",
        "/api/streamers/{login}/events after",
        "/api/streamers/{login}/streams from",
        "/api/streamers/{login}/streams to",
        "/api/streamers/{login}/viewers from",
        "/api/streamers/{login}/viewers to",
        "/api/streamers/{login}/coverage from",
        "/api/streamers/{login}/coverage to",
        "/api/streamers/{login}/events.csv from",
        "/api/streamers/{login}/events.csv to",
        "/api/streamers/{login}/events.jsonl from",
        "/api/streamers/{login}/events.jsonl to",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(checked, expected);
}

#[test]
fn the_document_also_describes_the_webhook_and_admin_routes() {
    let doc: Value = serde_json::from_str(api::OPENAPI).unwrap();
    let all = documented(&doc);
    for (path, method) in [
        ("/eventsub", "POST"),
        ("/admin/streamers", "GET"),
        ("/admin/streamers", "POST"),
        ("/admin/streamers/{id}", "DELETE"),
        ("/auth/login", "GET"),
        ("/auth/callback", "GET"),
        ("/auth/logout", "POST"),
    ] {
        assert!(
            all.contains(&(path.into(), method.into())),
            "{method} {path}"
        );
    }
}

#[test]
fn every_schema_reference_in_the_document_resolves() {
    fn walk<'a>(v: &'a Value, refs: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    refs.push(r);
                }
                m.values().for_each(|v| walk(v, refs));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, refs)),
            _ => {}
        }
    }
    let doc: Value = serde_json::from_str(api::OPENAPI).unwrap();
    let mut refs = Vec::new();
    walk(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let pointer = r.strip_prefix('#').expect("local reference");
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
}

#[tokio::test]
async fn every_documented_api_route_is_answered() {
    let f = Fixture::new();
    feed(&f, 1).await;
    let doc: Value = serde_json::from_str(api::OPENAPI).unwrap();
    let bearer = format!("Bearer {TOKEN}");
    for (path, method) in documented(&doc) {
        // The account routes need a session: tests/account.rs and the
        // local stack's account suite answer them.
        let account = api::account::ROUTES.iter().any(|(_, p)| *p == path);
        if !path.starts_with("/api") || account {
            continue;
        }
        let uri = path.replace("{login}", "user1337");
        if path.ends_with(".csv") || path.ends_with(".jsonl") {
            let (status, _, _) = f.raw(&uri).await;
            assert_eq!(status, StatusCode::OK, "{method} {uri}");
            continue;
        }
        let a = f.call(&method, &uri, Some(&bearer)).await;
        assert_eq!(a.status, StatusCode::OK, "{method} {uri}: {}", a.body);
    }
}

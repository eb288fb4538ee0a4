//! The admin routes.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_routes_track_list_and_untrack() {
    let w = world().await;
    let token = Some(ADMIN_TOKEN);

    let tracked = w
        .admin(
            "POST",
            "/admin/streamers",
            token,
            &json!({"streamer": LOGIN}).to_string(),
        )
        .await;
    assert_eq!(tracked.status, 200, "{}", tracked.body);
    assert_eq!(tracked.body["id"], STREAMER);
    assert_eq!(tracked.body["login"], LOGIN);
    assert_eq!(tracked.body["wanted"], true);
    assert_eq!(
        tracked.body["types"]["stream.online"]["state"],
        "waiting_for_verification"
    );
    assert_eq!(
        tracked.body["types"]["channel.cheer"]["state"],
        "needs_authorization"
    );
    assert_eq!(
        tracked.body["types"]["channel.cheer"]["scopes"],
        json!(["bits:read"])
    );

    let listed = w.admin("GET", "/admin/streamers", token, "").await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let streamers = listed.body["streamers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(streamers.len(), 1, "{}", listed.body);
    assert_eq!(streamers[0]["id"], STREAMER);
    assert_eq!(streamers[0]["types"].as_object().map(|t| t.len()), Some(12));
    // Four open types, each costing 1 on a channel that granted us nothing.
    assert_eq!(
        listed.body["subscriptions"],
        json!({"total": 4, "total_cost": 4, "max_total_cost": 10_000})
    );

    let untracked = w
        .admin("DELETE", &format!("/admin/streamers/{STREAMER}"), token, "")
        .await;
    assert_eq!(untracked.status, 200, "{}", untracked.body);
    assert_eq!(untracked.body, json!({"id": STREAMER, "wanted": false}));
    assert!(w.ours(STREAMER).is_empty());
    let listed = w.admin("GET", "/admin/streamers", token, "").await;
    assert_eq!(listed.body["streamers"], json!([]));
    assert_eq!(listed.body["subscriptions"]["total"], 0);
}

/// Found by schemathesis (scripts/api-contract.sh): the document's pattern
/// for the body's `streamer` now allows the surrounding whitespace the
/// manager trims, so a padded login is tracked as the login itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_body_may_pad_the_streamer_with_whitespace_as_documented() {
    let w = world().await;
    let doc: serde_json::Value = serde_json::from_str(api::OPENAPI).unwrap();
    let pattern = &doc["paths"]["/admin/streamers"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"]["properties"]["streamer"]["pattern"];
    assert_eq!(pattern, "^\\s*[A-Za-z0-9_]{1,25}\\s*$");

    let padded = format!(" {LOGIN}\t");
    let tracked = w
        .admin(
            "POST",
            "/admin/streamers",
            Some(ADMIN_TOKEN),
            &json!({ "streamer": padded }).to_string(),
        )
        .await;
    assert_eq!(tracked.status, 200, "{}", tracked.body);
    assert_eq!(tracked.body["id"], STREAMER);
    assert_eq!(tracked.body["login"], LOGIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_routes_answer_401_without_the_bearer_token() {
    let w = world().await;
    let body = json!({"streamer": LOGIN}).to_string();
    for token in [None, Some("not-the-admin-token"), Some("")] {
        for (method, path) in [
            ("GET", "/admin/streamers"),
            ("POST", "/admin/streamers"),
            ("DELETE", "/admin/streamers/1337"),
        ] {
            let answer = w.admin(method, path, token, &body).await;
            assert_eq!(answer.status, 401, "{method} {path} with {token:?}");
            assert_eq!(answer.body["error"], "unauthorized");
        }
    }
    assert_eq!(w.sim.requests("/helix"), 0, "Twitch was never asked");
    assert!(w.store.streamer(STREAMER).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_routes_answer_400_to_what_they_cannot_read() {
    let w = world().await;
    let token = Some(ADMIN_TOKEN);
    for (method, path, body, error) in [
        ("POST", "/admin/streamers", "", "invalid_body"),
        (
            "POST",
            "/admin/streamers",
            "{\"login\":\"user1337\"}",
            "invalid_body",
        ),
        ("POST", "/admin/streamers", "not json", "invalid_body"),
        (
            "POST",
            "/admin/streamers",
            "{\"streamer\":\"not a login!\"}",
            "invalid_streamer",
        ),
        (
            "DELETE",
            "/admin/streamers/user1337",
            "",
            "invalid_streamer",
        ),
    ] {
        let answer = w.admin(method, path, token, body).await;
        assert_eq!(
            answer.status, 400,
            "{method} {path} {body:?}: {}",
            answer.body
        );
        assert_eq!(answer.body["error"], error, "{method} {path} {body:?}");
    }
    assert!(w.store.streamer(STREAMER).await.unwrap().is_none());
}

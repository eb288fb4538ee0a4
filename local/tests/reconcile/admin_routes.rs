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

/// A store that counts every call and answers none: what an anonymous
/// request must never reach.
#[derive(Default)]
struct Untouchable {
    calls: std::sync::atomic::AtomicUsize,
}

impl Untouchable {
    fn touched(&self) -> Result<(), shared::store::StoreError> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Err(shared::store::StoreError::Unavailable("touched".into()))
    }
}

#[async_trait::async_trait]
impl StreamerStore for Untouchable {
    async fn want(&self, _: &Wish) -> Result<(), shared::store::StoreError> {
        self.touched()
    }
    async fn streamer(&self, _: &str) -> Result<Option<Streamer>, shared::store::StoreError> {
        self.touched().map(|()| None)
    }
    async fn id_of_login(&self, _: &str) -> Result<Option<String>, shared::store::StoreError> {
        self.touched().map(|()| None)
    }
    async fn tracked(
        &self,
        _: Option<&str>,
        _: usize,
    ) -> Result<shared::store::streamers::TrackedPage, shared::store::StoreError> {
        self.touched().map(|()| Default::default())
    }
    async fn set_types(
        &self,
        _: &str,
        _: &BTreeMap<String, shared::store::streamers::TypeRecord>,
    ) -> Result<(), shared::store::StoreError> {
        self.touched()
    }
    async fn set_scopes(
        &self,
        _: &str,
        _: &[String],
        _: i64,
    ) -> Result<(), shared::store::StoreError> {
        self.touched()
    }
    async fn release(&self, _: &str, _: i64) -> Result<(), shared::store::StoreError> {
        self.touched()
    }
}

#[async_trait::async_trait]
impl SubscriptionStore for Untouchable {
    async fn record(
        &self,
        _: &shared::store::SubscriptionUpdate,
    ) -> Result<(), shared::store::StoreError> {
        self.touched()
    }
    async fn subscription(
        &self,
        _: &str,
    ) -> Result<Option<shared::store::SubscriptionState>, shared::store::StoreError> {
        self.touched().map(|()| None)
    }
}

#[async_trait::async_trait]
impl LeaseStore for Untouchable {
    async fn take_lease(
        &self,
        _: &str,
        _: &str,
        _: i64,
        _: i64,
    ) -> Result<bool, shared::store::StoreError> {
        self.touched().map(|()| false)
    }
    async fn return_lease(&self, _: &str, _: &str) -> Result<(), shared::store::StoreError> {
        self.touched()
    }
}

/// Without the bearer token every route answers 401, before the manager
/// touches the store (no lease taken, no streamer read) or Twitch: anonymous
/// requests cannot hold up scheduled work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_routes_answer_401_without_the_bearer_token_touching_neither_store_nor_twitch() {
    let w = world().await;
    let store = Arc::new(Untouchable::default());
    let mut m = manager_at(&w.base, &w.sim, &w.callback, w.store.clone(), store.clone());
    m.streamers = store.clone();
    m.subscriptions = store.clone();
    let body = json!({"streamer": LOGIN}).to_string();
    for token in [None, Some("not-the-admin-token"), Some("")] {
        for (method, path) in [
            ("GET", "/admin/streamers"),
            ("POST", "/admin/streamers"),
            ("DELETE", "/admin/streamers/1337"),
            ("DELETE", "/admin/streamers/not-an-id"),
            ("PUT", "/admin/streamers"),
            ("GET", "/admin/elsewhere"),
        ] {
            let req = AdminRequest {
                method: method.into(),
                path: path.into(),
                authorization: token.map(|t| format!("Bearer {t}")),
                body: body.clone(),
            };
            let answer = admin::route(&m, ADMIN_TOKEN, &req, now_ms()).await;
            assert_eq!(answer.status, 401, "{method} {path} with {token:?}");
            assert_eq!(answer.body["error"], "unauthorized");
        }
    }
    assert_eq!(
        store.calls.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the store was never touched"
    );
    assert_eq!(w.sim.requests("/"), 0, "Twitch was never asked");
}

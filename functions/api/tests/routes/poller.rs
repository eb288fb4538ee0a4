//! The poller's status, pause and resume behind the admin token.

use super::*;

#[tokio::test]
async fn poller_status_starts_unpaused() {
    let f = Fixture::new();

    let a = f.get("/api/poller").await;

    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["paused"], false);
}

#[tokio::test]
async fn pausing_without_the_admin_token_is_401_and_changes_nothing() {
    let f = Fixture::new();
    for auth in [None, Some("Bearer wrong"), Some(TOKEN), Some("Basic abc")] {
        let a = f.call("POST", "/api/poller/pause", auth).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(a.body["error"], "unauthorized");
        assert_eq!(a.headers["www-authenticate"], "Bearer");
    }
    assert_eq!(f.get("/api/poller").await.body["paused"], false);
}

#[tokio::test]
async fn pause_then_status_shows_paused_and_resume_undoes_it() {
    let f = Fixture::new();
    let bearer = format!("Bearer {TOKEN}");

    let paused = f.call("POST", "/api/poller/pause", Some(&bearer)).await;
    assert_eq!(paused.status, StatusCode::OK);
    assert_eq!(paused.body["paused"], true);
    assert_eq!(f.get("/api/poller").await.body["paused"], true);

    let resumed = f.call("POST", "/api/poller/resume", Some(&bearer)).await;
    assert_eq!(resumed.body["paused"], false);
    assert_eq!(f.get("/api/poller").await.body["paused"], false);
}

#[tokio::test]
async fn an_empty_admin_token_lets_no_one_pause() {
    let mut f = Fixture::new();
    f.state.admin_token = String::new();

    let a = f.call("POST", "/api/poller/pause", Some("Bearer ")).await;

    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

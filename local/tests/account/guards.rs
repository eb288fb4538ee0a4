//! Requests refused for where they come from: a foreign or missing Origin, a
//! DNS-rebinding host name, a page driving the Twitch simulator.

use super::*;

#[tokio::test]
async fn state_changing_routes_refuse_a_foreign_or_missing_origin() {
    let s = stack().await;
    let sid = login(&s, "1337").await;
    for origin in [Some("https://evil.example"), Some("null"), None] {
        for (method, path) in [
            (Method::PUT, "/api/me/favourites/1337"),
            (Method::DELETE, "/api/me/favourites/1337"),
            (Method::POST, "/api/ws-ticket"),
        ] {
            let (status, body) = call(&s, method.clone(), path, Some(&sid), origin).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} {origin:?}");
            assert_eq!(body["error"], "forbidden");
        }
    }
    assert!(
        s.store.favourites("1337").await.unwrap().is_empty(),
        "nothing stored"
    );
}

#[tokio::test]
async fn a_dns_rebinding_page_is_refused_by_its_host_name() {
    let s = stack().await;
    let get = |host: String| {
        let url = s.http("/api/live");
        async move {
            client()
                .get(url)
                .header(reqwest::header::HOST, host)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let port = s.addr.port();
    assert_eq!(get(format!("127.0.0.1:{port}")).await, StatusCode::OK);
    assert_eq!(get(format!("localhost:{port}")).await, StatusCode::OK);
    assert_eq!(
        get(format!("rebound.evil.example:{port}")).await,
        StatusCode::MISDIRECTED_REQUEST
    );
    assert_eq!(
        get("localhost:1".into()).await,
        StatusCode::MISDIRECTED_REQUEST
    );
}

#[tokio::test]
async fn the_simulator_cannot_be_driven_by_a_page_or_aimed_elsewhere() {
    use shared::helix::config::ClientSecret;
    use shared::helix::eventsub::NewSubscription;
    use shared::helix::{Helix, HelixConfig};
    let s = stack().await;
    // A bodyless POST any page could send: refused without the control header.
    let r = client()
        .post(s.http("/sim/deliver?type=channel.raid&broadcaster=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = client()
        .post(s.http("/sim/users/1337/disconnect"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Its fixed credentials cannot make the stack POST to another port.
    let sim = s.twitch().sim.clone().unwrap();
    let helix = Helix::new(HelixConfig::at(
        &s.http("/helix"),
        &s.http("/oauth2"),
        &sim.config().client_id,
        ClientSecret::new(sim.config().client_secret.clone()),
    ))
    .unwrap();
    let elsewhere = NewSubscription::webhook(
        "stream.online",
        "1",
        [("broadcaster_user_id".to_owned(), "1337".to_owned())].into(),
        "http://127.0.0.1:1/eventsub",
        &support::dev_secret(),
    );
    let refused = helix.create_subscription(&elsewhere).await;
    assert!(
        matches!(&refused, Err(e) if e.status() == Some(400)),
        "{refused:?}"
    );
    assert!(sim.subscriptions().is_empty());
}

//! An overlay open in OBS hears the page: its socket, opened through the
//! websocket function with the ticket the api function issued for its key,
//! receives the new settings and a test alert the api function sends
//! through `@connections` (found by its principal in the connections table).

use serde_json::{json, Value};

use super::{account_request, body_json, frame, ok, samples_in, take, LoggedIn, World, CONNECTION};
use crate::lambda::Lambda;

/// The overlay's socket.
const OVERLAY_SOCKET: &str = "0v3rl4ySocketA=";

/// The api's overlay steps with an overlay open: settings and a test alert
/// reach it.
pub async fn hears_the_page(
    world: &World,
    api: &mut Lambda,
    websocket: &mut Lambda,
    user: &LoggedIn,
    base: &Value,
    key: &str,
) {
    let mut inbox = world
        .stack
        .stack
        .connections
        .register(OVERLAY_SOCKET, "203.0.113.11", "OBS");
    let ticket = api
        .invoke(
            "POST /api/overlay/ticket (the overlay's)",
            &account_request(
                base,
                user,
                "POST",
                "/api/overlay/ticket",
                json!({"key": key}),
            ),
        )
        .await;
    let ticket = body_json(&ticket)["ticket"]
        .as_str()
        .unwrap_or_else(|| panic!("no ticket: {ticket}"))
        .to_owned();
    let samples = samples_in(&super::repo().join("events/websocket"));
    let text = take(&samples, "connect")
        .to_string()
        .replace(CONNECTION, OVERLAY_SOCKET);
    let mut connect: Value = serde_json::from_str(&text).unwrap();
    connect["queryStringParameters"]["ticket"] = ticket.clone().into();
    connect["multiValueQueryStringParameters"]["ticket"] = json!([ticket]);
    let answer = websocket
        .invoke("connect (an overlay's ticket)", &connect)
        .await;
    assert_eq!(
        answer["statusCode"], 200,
        "connect (an overlay's ticket): {answer}"
    );
    ok(&websocket.name, "connect (an overlay's ticket)", "200");

    let settings = json!({"types": ["channel.cheer"], "min_bits": 100, "duration_s": 8,
        "sound": true, "volume": 40, "position": "bottom", "min_viewers": 0, "min_gifts": 0});
    let path = "/api/me/favourites/user1337/overlay";
    let put = api
        .invoke(
            "PUT /api/me/favourites/user1337/overlay/settings",
            &account_request(
                base,
                user,
                "PUT",
                &format!("{path}/settings"),
                settings.clone(),
            ),
        )
        .await;
    assert_eq!(put["statusCode"], 200, "PUT settings: {put}");
    assert_eq!(body_json(&put)["overlays_reached"], 1, "{put}");
    let got = frame(&mut inbox).await;
    assert_eq!(got["type"], "overlay_settings", "{got}");
    assert_eq!(got["settings"]["duration_s"], 8, "{got}");
    ok(
        &api.name,
        "PUT /api/me/favourites/user1337/overlay/settings",
        "200; the open overlay got them",
    );

    let test = api
        .invoke(
            "POST /api/me/favourites/user1337/overlay/test",
            &account_request(
                base,
                user,
                "POST",
                &format!("{path}/test"),
                json!({"type": "channel.raid"}),
            ),
        )
        .await;
    assert_eq!(test["statusCode"], 200, "POST test: {test}");
    let got = frame(&mut inbox).await;
    assert_eq!(
        (got["type"].as_str(), got["event_type"].as_str()),
        (Some("overlay_test"), Some("channel.raid")),
        "{got}"
    );
    ok(
        &api.name,
        "POST /api/me/favourites/user1337/overlay/test",
        "200; the open overlay showed it",
    );
}

//! CSV and JSON-lines exports of a window of events.

use super::*;

#[tokio::test]
async fn exports_carry_the_window_oldest_first_as_csv_and_json_lines() {
    let f = Fixture::new();
    let ids = feed(&f, 5).await;
    // Outside the default 24-hour window: left out.
    f.follow("1337", "ancient", f.now_ms() - 3 * DAY_MS).await;
    let (status, kind, csv) = f.raw("/api/streamers/user1337/events.csv").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "received_at,message_id,type,version,actor,action,amount,text"
    );
    assert_eq!(lines.len(), 1 + ids.len(), "{csv}");
    let in_csv: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(in_csv, ids, "oldest first, the window only");
    let (status, kind, jsonl) = f.raw("/api/streamers/user1337/events.jsonl").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "application/x-ndjson")
    );
    let parsed: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        parsed
            .iter()
            .map(|e| e["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ids
    );
    // A window of its own, and the usual refusals.
    let from = f.now_ms() - 4 * DAY_MS;
    let to = f.now_ms() - 2 * DAY_MS;
    let (_, _, old) = f
        .raw(&format!(
            "/api/streamers/user1337/events.csv?from={from}&to={to}"
        ))
        .await;
    assert_eq!(old.lines().count(), 2, "{old}");
    assert_eq!(
        f.get("/api/streamers/nobody/events.csv").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.get("/api/streamers/user1337/events.csv?from=yesterday")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[test]
fn csv_fields_are_quoted_and_never_run_as_formulas() {
    use shared::eventsub::summary::Summary;
    use shared::store::{Cursor, Event, StoredEvent};
    let event = Event {
        message_id: "m1".into(),
        broadcaster_id: "1".into(),
        event_type: "channel.cheer".into(),
        event_version: "1".into(),
        subscription_id: "s".into(),
        received_at_ms: 0,
        summary: Some(Summary {
            actor: Some("=HYPERLINK(\"evil\")".into()),
            action: "cheered".into(),
            amount: Some(100),
            text: "a, \"quoted\"\nline".into(),
        }),
        payload: "{}".into(),
        recovery: None,
    };
    let stored = StoredEvent {
        cursor: Cursor::of(&event),
        event,
    };
    let csv = api::views::events_csv(&[stored]);
    let row = csv.lines().nth(1).unwrap();
    assert!(
        row.starts_with("1970-01-01T00:00:00Z,m1,channel.cheer,1,"),
        "{row}"
    );
    assert!(csv.contains("\"'=HYPERLINK(\"\"evil\"\")\""), "{csv}");
    assert!(csv.contains("\"a, \"\"quoted\"\"\nline\""), "{csv}");
}

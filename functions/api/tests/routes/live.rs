//! Who is live now.

use super::*;

#[tokio::test]
async fn live_lists_who_is_live_in_pages() {
    let f = Fixture::new();
    for i in 1..=5 {
        f.live(&i.to_string(), &format!("user{i}"), i != 3).await;
    }
    let mut seen = Vec::new();
    let mut uri = "/api/live?limit=2".to_owned();
    loop {
        let a = f.get(&uri).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        for s in a.body["live"].as_array().unwrap() {
            assert_eq!(s["live"], true);
            seen.push(s["broadcaster_id"].as_str().unwrap().to_owned());
        }
        match a.body["next"].as_str() {
            Some(next) => uri = format!("/api/live?limit=2&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ["1", "2", "4", "5"]);
}

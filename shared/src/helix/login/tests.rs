use super::*;

#[test]
fn scope_is_read_in_every_shape_twitch_sends() {
    let parse = |json: &str| {
        let t: TokenBody = serde_json::from_str(json).unwrap();
        scopes(t.scope)
    };
    let a = r#"{"access_token":"a","scope":["chat:read","bits:read"]}"#;
    assert_eq!(parse(a), vec!["chat:read", "bits:read"]);
    let s = r#"{"access_token":"a","scope":"channel:read:subscriptions"}"#;
    assert_eq!(parse(s), vec!["channel:read:subscriptions"]);
    assert!(parse(r#"{"access_token":"a"}"#).is_empty());
    assert!(parse(r#"{"access_token":"a","scope":[""]}"#).is_empty());
    let v: ValidateBody = serde_json::from_str(
        r#"{"client_id":"c","login":"x","scopes":null,"user_id":"1","expires_in":5}"#,
    )
    .unwrap();
    assert!(scopes(v.scopes).is_empty());
}

#[test]
fn an_expiry_no_token_can_have_is_brought_within_a_year() {
    let longest = super::super::LONGEST_LIFETIME.as_secs() as i64;
    let body = format!(r#"{{"access_token":"a","expires_in":{}}}"#, i64::MAX);
    let tokens = parse_tokens(200, body.as_bytes()).unwrap();
    assert_eq!(tokens.expires_in, longest);
    let body = r#"{"login":"x","user_id":"1","expires_in":-5}"#;
    match parse_validation(200, body.as_bytes()).unwrap() {
        Validation::Valid { expires_in, .. } => assert_eq!(expires_in, 0),
        Validation::Invalid => panic!("a 200 is a valid token"),
    }
}

#[test]
fn the_authorize_url_asks_for_openid_and_carries_state_and_nonce() {
    let helix = Arc::new(
        Helix::new(super::super::HelixConfig::at(
            "http://127.0.0.1:1/helix",
            "http://127.0.0.1:1/oauth2",
            "cid",
            super::super::config::ClientSecret::new("s"),
        ))
        .unwrap(),
    );
    let login = Login::new(helix);
    let url = login.authorize_url(&Authorize {
        redirect_uri: "http://localhost:3000/auth/callback",
        state: "st",
        nonce: "no",
        scopes: &["bits:read".to_owned()],
        force_verify: false,
    });
    assert!(url.starts_with("http://127.0.0.1:1/oauth2/authorize?client_id=cid&"));
    assert!(url.contains("redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fauth%2Fcallback"));
    assert!(url.contains("&scope=openid%20bits%3Aread"));
    assert!(url.contains("&state=st&nonce=no&"));
    assert!(!url.contains("force_verify"));
    assert!(!url.contains("client_secret") && !url.contains("=s&"));
}

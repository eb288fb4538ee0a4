use super::*;

const URL: &str = "http://127.0.0.1:3000/@connections/abc%3D";
const BODY: &[u8] = br#"{"type":"event"}"#;

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// A POST signed by `by` at `when`, as the server receives it.
fn request(by: &Credentials, when: SystemTime, body: &[u8]) -> HeaderMap {
    let added = sign(
        by,
        "us-east-1",
        when,
        "POST",
        URL,
        &[("host", "127.0.0.1:3000")],
        body,
    )
    .unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("host", "127.0.0.1:3000".parse().unwrap());
    for (k, v) in added {
        headers.insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    headers
}

fn check(
    creds: &Credentials,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<(), Refusal> {
    let uri: Uri = "/@connections/abc%3D".parse().unwrap();
    verify(creds, &Method::POST, &uri, headers, body, now)
}

#[test]
fn a_request_signed_with_the_stacks_credentials_is_accepted() {
    let creds = Credentials::random();
    let headers = request(&creds, at(1_764_633_600), BODY);
    assert_eq!(check(&creds, &headers, BODY, at(1_764_633_660)), Ok(()));
}

#[test]
fn another_secret_a_changed_body_or_path_is_refused() {
    let creds = Credentials::random();
    let forger = Credentials::new(creds.access_key_id(), "guessed");
    let now = at(1_764_633_600);
    assert_eq!(
        check(&creds, &request(&forger, now, BODY), BODY, now),
        Err(Refusal::Mismatch)
    );
    let headers = request(&creds, now, BODY);
    assert_eq!(
        check(&creds, &headers, br#"{"type":"forged"}"#, now),
        Err(Refusal::Mismatch)
    );
    let other: Uri = "/@connections/victim".parse().unwrap();
    assert_eq!(
        verify(&creds, &Method::POST, &other, &headers, BODY, now),
        Err(Refusal::Mismatch)
    );
    assert_eq!(
        verify(
            &creds,
            &Method::DELETE,
            &"/@connections/abc%3D".parse().unwrap(),
            &headers,
            BODY,
            now
        ),
        Err(Refusal::Mismatch)
    );
}

#[test]
fn another_access_key_is_unknown() {
    let creds = Credentials::random();
    let now = at(1_764_633_600);
    let headers = request(&Credentials::random(), now, BODY);
    assert_eq!(check(&creds, &headers, BODY, now), Err(Refusal::UnknownKey));
}

#[test]
fn a_signature_replayed_over_five_minutes_later_or_from_the_future_is_refused() {
    let creds = Credentials::random();
    let signed_at = at(1_764_633_600);
    let headers = request(&creds, signed_at, BODY);
    assert_eq!(check(&creds, &headers, BODY, signed_at + MAX_SKEW), Ok(()));
    let late = signed_at + MAX_SKEW + Duration::from_secs(1);
    assert_eq!(check(&creds, &headers, BODY, late), Err(Refusal::Skewed));
    let early = signed_at - MAX_SKEW - Duration::from_secs(1);
    assert_eq!(check(&creds, &headers, BODY, early), Err(Refusal::Skewed));
}

#[test]
fn an_unsigned_or_malformed_header_is_refused_before_any_hashing() {
    let creds = Credentials::random();
    let now = at(1_764_633_600);
    assert_eq!(
        check(&creds, &HeaderMap::new(), BODY, now),
        Err(Refusal::Missing)
    );
    for bad in [
        "Bearer x",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=a/b",
        "AWS4-HMAC-SHA256 Credential=k/20261202/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
        "AWS4-HMAC-SHA256 Credential=k/20261202/us-east-1/execute-api/aws4_request, Credential=k, SignedHeaders=host, Signature=0",
    ] {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, http::HeaderValue::from_static(bad));
        assert!(
            matches!(check(&creds, &headers, BODY, now), Err(Refusal::Malformed(_))),
            "{bad}"
        );
    }
}

#[test]
fn the_debug_form_shows_no_secret() {
    let creds = Credentials::new("AKID", "s3cr3t-value");
    assert!(!format!("{creds:?}").contains("s3cr3t"));
}

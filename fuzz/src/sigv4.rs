//! The local `@connections` API's signature check against what the AWS
//! SDK's SigV4 signer signs.

use std::time::{Duration, SystemTime};

use crate::header_lines;

/// A call to the local `@connections` API: method, path and query, headers
/// (one `name: value` per line) and body, separated by NUL bytes. The check
/// answers without panicking; a call without an `Authorization` header is
/// refused; the same call signed by the AWS SDK's SigV4 signer with the
/// stack's credentials is accepted, and refused once its body changes.
pub fn sigv4(data: &[u8]) {
    use local::sigv4::{sign, verify, Credentials};

    let mut parts = data.splitn(4, |b| *b == 0);
    let (method, path, headers, body) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let (Ok(method), Ok(path)) = (
        http::Method::from_bytes(method),
        http::uri::PathAndQuery::try_from(path),
    ) else {
        return;
    };
    let Ok(uri) = http::Uri::builder().path_and_query(path).build() else {
        return;
    };
    let credentials = Credentials::new("LOCALFUZZ", "fuzz-secret");
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_633_600);
    let mut headers = header_lines(headers);
    let verdict = verify(&credentials, &method, &uri, &headers, body, now);
    if !headers.contains_key(http::header::AUTHORIZATION) {
        assert!(verdict.is_err(), "accepted without an Authorization header");
    }

    // What the signer adds itself, or would refuse to sign.
    headers.remove(http::header::AUTHORIZATION);
    headers.remove("x-amz-date");
    headers.insert(
        http::header::HOST,
        http::HeaderValue::from_static("127.0.0.1:3000"),
    );
    let signable: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
        .collect();
    if signable.len() != headers.len() {
        return;
    }
    let url = format!("http://127.0.0.1:3000{}", uri);
    let Ok(added) = sign(
        &credentials,
        "us-east-1",
        now,
        method.as_str(),
        &url,
        &signable,
        body,
    ) else {
        return;
    };
    let mut signed = headers.clone();
    for (name, value) in added {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            signed.insert(n, v);
        }
    }
    assert_eq!(
        verify(&credentials, &method, &uri, &signed, body, now),
        Ok(()),
        "refused what the SDK signed"
    );
    let mut altered = body.to_vec();
    altered.push(b'!');
    assert!(
        verify(&credentials, &method, &uri, &signed, &altered, now).is_err(),
        "accepted a changed body"
    );
}

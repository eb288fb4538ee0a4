//! The local `@connections` API's SigV4 check, done as API Gateway does it:
//! the signature is recomputed from the request with the stack's management
//! credentials and compared, the access key must be the stack's, the service
//! `execute-api`, and the signing time within five minutes of now. An
//! unsigned, forged, altered or replayed-later call gets API Gateway's 403.
//!
//! The credentials are the ones in the stack's environment
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`: what an SDK client on this
//! machine pointed at the stack signs with), or, with none set, a random pair
//! made at start-up that nothing outside the process knows.
//!
//! Canonicalisation is the AWS SDK's own signer (`aws-sigv4`), run over the
//! headers the caller says it signed: the same code that signed the request
//! recomputes it, so the two cannot disagree about encoding rules.

use std::time::{Duration, SystemTime};

use http::{header::AUTHORIZATION, HeaderMap, Method, Uri};
use subtle::ConstantTimeEq;

/// How every SigV4 `Authorization` header begins.
const ALGORITHM: &str = "AWS4-HMAC-SHA256 ";
/// The signing time's format in `X-Amz-Date` (ISO 8601 basic, UTC).
const AMZ_DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
/// How far the signing time may be from now, either way.
pub const MAX_SKEW: Duration = Duration::from_secs(5 * 60);
/// The service name API Gateway's management API is signed for.
const SERVICE: &str = "execute-api";

/// The access key the `@connections` API accepts, and its secret.
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// A given pair.
    pub fn new(access_key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret: secret.into(),
        }
    }

    /// The pair given (the environment's `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY`), or a random one when either is missing or empty.
    pub fn given_or_random(access_key_id: Option<String>, secret: Option<String>) -> Self {
        match (access_key_id, secret) {
            (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
                Self::new(id, secret)
            }
            _ => Self::random(),
        }
    }

    /// A pair made now, known only to this process.
    pub fn random() -> Self {
        let id = format!("LOCAL{}", uuid::Uuid::new_v4().simple()).to_uppercase();
        Self::new(id, crate::keys::random_secret())
    }

    /// The access key id (not a secret: it is in every signed request).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret, for a client in this process (tests) that signs with it.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

/// Why a call was refused; each is a 403 with API Gateway's error type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Missing Authentication Token")]
    Missing,
    #[error("Authorization header is not a valid SigV4 one: {0}")]
    Malformed(&'static str),
    #[error("The security token included in the request is invalid.")]
    UnknownKey,
    #[error("Signature expired or not yet current: the signing time is over 5 minutes from now.")]
    Skewed,
    #[error("The request signature we calculated does not match the signature you provided.")]
    Mismatch,
}

impl Refusal {
    /// The `x-amzn-ErrorType` API Gateway sends with it.
    pub fn error_type(&self) -> &'static str {
        match self {
            Refusal::Missing => "MissingAuthenticationTokenException",
            Refusal::Malformed(_) => "IncompleteSignatureException",
            Refusal::UnknownKey => "UnrecognizedClientException",
            Refusal::Skewed | Refusal::Mismatch => "InvalidSignatureException",
        }
    }
}

/// An `Authorization` header's parts.
struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, Refusal> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .ok_or(Refusal::Malformed("not AWS4-HMAC-SHA256"))?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (name, v) = part
            .trim()
            .split_once('=')
            .ok_or(Refusal::Malformed("a part without '='"))?;
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err(Refusal::Malformed("an unknown part")),
        };
        if slot.replace(v).is_some() {
            return Err(Refusal::Malformed("a part given twice"));
        }
    }
    let credential = credential.ok_or(Refusal::Malformed("no Credential"))?;
    let signed_headers = signed_headers.ok_or(Refusal::Malformed("no SignedHeaders"))?;
    let signature = signature.ok_or(Refusal::Malformed("no Signature"))?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, "aws4_request"] = scope[..] else {
        return Err(Refusal::Malformed(
            "Credential is not key/date/region/service/aws4_request",
        ));
    };
    if service != SERVICE {
        return Err(Refusal::Malformed("Credential is not for execute-api"));
    }
    Ok(Authorization {
        access_key_id,
        date,
        region,
        signed_headers,
        signature,
    })
}

/// Signs a request with `credentials` for `region` at `time`: the headers to
/// add (`authorization`, `x-amz-date`). `url` is absolute; `headers` are the
/// ones to sign (a `host` among them or taken from `url`).
pub fn sign(
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Vec<(String, String)>, Refusal> {
    let identity = aws_credential_types::Credentials::new(
        credentials.access_key_id.as_str(),
        credentials.secret.as_str(),
        None,
        None,
        "local",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(time)
        .settings(aws_sigv4::http_request::SigningSettings::default())
        .build()
        .map_err(|_| Refusal::Malformed("unsignable parameters"))?
        .into();
    let signable = aws_sigv4::http_request::SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        aws_sigv4::http_request::SignableBody::Bytes(body),
    )
    .map_err(|_| Refusal::Malformed("unsignable request"))?;
    let signed = aws_sigv4::http_request::sign(signable, &params)
        .map_err(|_| Refusal::Malformed("unsignable request"))?;
    let (instructions, _) = signed.into_parts();
    let (added, _) = instructions.into_parts();
    Ok(added
        .into_iter()
        .map(|h| (h.name().to_owned(), h.value().to_owned()))
        .collect())
}

/// Whether a request to the local `@connections` API is signed by
/// `credentials`, recomputing its signature at `now`.
pub fn verify(
    credentials: &Credentials,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<(), Refusal> {
    let value = headers.get(AUTHORIZATION).ok_or(Refusal::Missing)?;
    let value = value
        .to_str()
        .map_err(|_| Refusal::Malformed("not visible ASCII"))?;
    let auth = parse_authorization(value)?;
    if !bool::from(
        auth.access_key_id
            .as_bytes()
            .ct_eq(credentials.access_key_id.as_bytes()),
    ) {
        return Err(Refusal::UnknownKey);
    }
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or(Refusal::Malformed("no X-Amz-Date"))?;
    let signed_at = time::PrimitiveDateTime::parse(amz_date, AMZ_DATE)
        .map_err(|_| Refusal::Malformed("X-Amz-Date is not YYYYMMDDTHHMMSSZ"))?
        .assume_utc();
    if !amz_date.starts_with(auth.date) || auth.date.len() != 8 {
        return Err(Refusal::Malformed("Credential's date is not X-Amz-Date's"));
    }
    let signed_at = SystemTime::from(signed_at);
    let skew = match now.duration_since(signed_at) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    if skew > MAX_SKEW {
        return Err(Refusal::Skewed);
    }

    // The headers the caller signed, exactly those; `x-amz-date` is the
    // signer's own to add.
    let mut signed: Vec<(&str, &str)> = Vec::new();
    let mut host = None;
    for name in auth.signed_headers.split(';') {
        if name == "x-amz-date" {
            continue;
        }
        let mut values = headers.get_all(name).iter().peekable();
        if values.peek().is_none() {
            return Err(Refusal::Mismatch);
        }
        for v in values {
            let v = v
                .to_str()
                .map_err(|_| Refusal::Malformed("a signed header is not visible ASCII"))?;
            if name == "host" {
                host = Some(v);
            }
            signed.push((name, v));
        }
    }
    let host = host.ok_or(Refusal::Malformed("host is not signed"))?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("http://{host}{path}");
    let expected = sign(
        credentials,
        auth.region,
        signed_at,
        method.as_str(),
        &url,
        &signed,
        body,
    )
    .map_err(|_| Refusal::Mismatch)?;
    let recomputed = expected
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.as_str())
        .ok_or(Refusal::Mismatch)?;
    let recomputed = parse_authorization(recomputed).map_err(|_| Refusal::Mismatch)?;
    let same_signature: bool = recomputed
        .signature
        .as_bytes()
        .ct_eq(auth.signature.as_bytes())
        .into();
    if same_signature && recomputed.signed_headers == auth.signed_headers {
        Ok(())
    } else {
        Err(Refusal::Mismatch)
    }
}

#[cfg(test)]
mod tests;

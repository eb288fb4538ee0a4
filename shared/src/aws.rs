//! The AWS SDK's shared configuration, from the environment Lambda gives a
//! function, built once per process: every client a function builds
//! (DynamoDB, `@connections`) starts from the same one.
//!
//! Region and credentials come from the environment only (`AWS_REGION`,
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), which
//! is where Lambda puts the function role's, and where `sam local invoke` and
//! the local scripts put theirs. `aws-config`'s provider chains are not used:
//! they read profile files, built an STS client for web identity at every
//! cold start, could reach for the instance-metadata address, and were about
//! a megabyte of every binary. Retries, timeouts and the credentials cache
//! are the SDK clients' own defaults.
//!
//! The HTTPS client trusts the Amazon Trust Services roots, compiled in,
//! rather than the platform's store: reading and parsing the platform's
//! certificates was most of a cold start (about 4 of 6 ms here), and every
//! endpoint these clients call (DynamoDB, the API Gateway management API)
//! chains to one of those roots. `AWS_CA_BUNDLE`, the variable the AWS SDKs
//! and CLI read for this, names a PEM bundle to trust instead (a proxy, an
//! endpoint with another CA).

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::region::Region;
pub use aws_types::SdkConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tokio::sync::OnceCell;

use crate::config::{env, ConfigError};

#[cfg(feature = "secrets")]
pub mod deferred;
#[cfg(feature = "secrets")]
pub mod secrets;

/// Amazon Root CA 1–4, PEM.
pub const AMAZON_ROOTS: &[u8] = include_bytes!("aws/amazon-roots.pem");

/// The variable naming a PEM bundle to trust instead of the Amazon roots.
const CA_BUNDLE: &str = "AWS_CA_BUNDLE";

/// The process's SDK configuration, built at the first call; refused when
/// the region or credentials are missing, or `AWS_CA_BUNDLE` names a file
/// that is not a bundle of certificates.
pub async fn sdk_config() -> Result<&'static SdkConfig, ConfigError> {
    static CONFIG: OnceCell<SdkConfig> = OnceCell::const_new();
    CONFIG
        .get_or_try_init(|| async {
            let region = env::optional("AWS_REGION")
                .or_else(|| env::optional("AWS_DEFAULT_REGION"))
                .ok_or(ConfigError::Missing("AWS_REGION"))?;
            let credentials = Credentials::new(
                env::required("AWS_ACCESS_KEY_ID")?,
                env::required("AWS_SECRET_ACCESS_KEY")?,
                env::optional("AWS_SESSION_TOKEN"),
                None,
                "environment",
            );
            let roots = match env::optional(CA_BUNDLE).filter(|v| !v.is_empty()) {
                Some(path) => std::fs::read(&path).map_err(|e| ConfigError::Invalid {
                    name: CA_BUNDLE,
                    why: format!("cannot read {path}: {e}"),
                })?,
                None => AMAZON_ROOTS.to_vec(),
            };
            let client = https_client(roots).map_err(|why| ConfigError::Invalid {
                name: CA_BUNDLE,
                why,
            })?;
            Ok(SdkConfig::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new(region))
                .credentials_provider(SharedCredentialsProvider::new(credentials))
                .http_client(client)
                .build())
        })
        .await
}

/// The SDK's own HTTPS client (rustls with aws-lc, as its default is),
/// trusting exactly the certificates of the PEM bundle `roots`. The bundle is
/// checked here: the SDK would panic on one it cannot use.
pub fn https_client(roots: Vec<u8>) -> Result<SharedHttpClient, String> {
    let mut store = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&roots) {
        let cert = cert.map_err(|e| format!("not a PEM certificate bundle: {e}"))?;
        store
            .add(cert)
            .map_err(|e| format!("a certificate cannot be a root: {e}"))?;
    }
    if store.is_empty() {
        return Err("no certificate in the bundle".into());
    }
    let context = TlsContext::builder()
        .with_trust_store(TrustStore::empty().with_pem_certificate(roots))
        .build()
        .map_err(|e| e.to_string())?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_in_roots_are_the_four_amazon_roots() {
        let certs = CertificateDer::pem_slice_iter(AMAZON_ROOTS)
            .collect::<Result<Vec<_>, _>>()
            .expect("the bundle is valid PEM");
        assert_eq!(certs.len(), 4);
        let mut roots = rustls::RootCertStore::empty();
        let (valid, invalid) = roots.add_parsable_certificates(certs);
        assert_eq!((valid, invalid), (4, 0));
        for n in 1..=4 {
            let name = format!("Amazon Root CA {n}");
            assert!(
                roots.roots.iter().any(|r| r
                    .subject
                    .as_ref()
                    .windows(name.len())
                    .any(|w| w == name.as_bytes())),
                "{name} missing"
            );
        }
        assert!(https_client(AMAZON_ROOTS.to_vec()).is_ok());
    }

    #[test]
    fn a_bundle_without_a_usable_certificate_is_refused_not_panicked_on() {
        for bundle in [
            &b""[..],
            b"not a certificate",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            b"-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n",
        ] {
            assert!(https_client(bundle.to_vec()).is_err(), "{bundle:?}");
        }
    }
}

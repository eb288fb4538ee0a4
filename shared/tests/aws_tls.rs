//! The SDK's HTTPS client trusts the Amazon roots only, unless
//! `AWS_CA_BUNDLE` names a bundle: a real TLS server on loopback with a
//! certificate Amazon did not issue is refused, even with the platform's
//! store naming it, then accepted once `AWS_CA_BUNDLE` does.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A TLS server for 127.0.0.1 with a self-signed certificate that answers
/// every request with an empty `ListTables` result; counts the requests it read.
async fn tls_server() -> (String, String, Arc<AtomicUsize>) {
    let key = rcgen::KeyPair::generate().expect("key");
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
    let cert = params.self_signed(&key).expect("certificate");
    let pem = cert.pem();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    let served = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&served);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // Headers, then the small JSON body the client sends.
                while let Ok(n) = tls.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    if request.windows(4).any(|w| w == b"\r\n\r\n") && request.ends_with(b"}") {
                        break;
                    }
                }
                count.fetch_add(1, Ordering::SeqCst);
                let body = r#"{"TableNames":[]}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (url, pem, served)
}

fn client(url: &str, sdk: Option<&shared::aws::SdkConfig>) -> aws_sdk_dynamodb::Client {
    let builder = match sdk {
        Some(sdk) => aws_sdk_dynamodb::config::Builder::from(sdk),
        None => aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "static"))
            .http_client(
                shared::aws::https_client(shared::aws::AMAZON_ROOTS.to_vec()).expect("client"),
            ),
    };
    aws_sdk_dynamodb::Client::from_conf(
        builder
            .endpoint_url(url)
            .retry_config(RetryConfig::disabled())
            .build(),
    )
}

#[tokio::test]
async fn a_server_amazon_did_not_certify_is_refused_unless_aws_ca_bundle_names_its_certificate() {
    let (url, pem, served) = tls_server().await;
    let dir = std::env::temp_dir().join(format!("aws-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("ca.pem");
    std::fs::write(&file, pem).expect("write the certificate");
    // SAFETY: this test binary runs this one test; nothing else reads the
    // environment concurrently.
    unsafe {
        // The platform's store names the server's certificate: not consulted.
        std::env::set_var("SSL_CERT_FILE", &file);
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::set_var("AWS_ACCESS_KEY_ID", "local");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "local");
    }

    let refused = client(&url, None).list_tables().send().await;
    let error = format!(
        "{:?}",
        refused.expect_err("a self-signed server must be refused")
    );
    assert!(
        error.contains("UnknownIssuer"),
        "not a certificate error: {error}"
    );
    assert_eq!(
        served.load(Ordering::SeqCst),
        0,
        "a request reached an untrusted server"
    );

    // SAFETY: as above.
    unsafe { std::env::set_var("AWS_CA_BUNDLE", &file) };
    let sdk = shared::aws::sdk_config()
        .await
        .expect("the bundle is usable");
    let accepted = client(&url, Some(sdk)).list_tables().send().await;
    let _ = std::fs::remove_dir_all(&dir);
    let tables = accepted.expect("the named certificate is trusted");
    assert!(tables.table_names().is_empty());
    assert_eq!(served.load(Ordering::SeqCst), 1);
}

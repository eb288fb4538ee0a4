//! Answers in gzip when the browser takes it: the page's files and the
//! OpenAPI document are text that gzip shrinks to a quarter or less. Each is
//! compressed once per process, on its first request, and kept.

use std::io::Write;
use std::sync::OnceLock;

use flate2::write::GzEncoder;
use flate2::Compression;
use lambda_http::http::header::ACCEPT_ENCODING;
use lambda_http::Request;

/// Below this, gzip's own header and the work cost more than they save.
const MIN_BYTES: usize = 1024;

/// Whether `Accept-Encoding` takes gzip (listed, or `*`, with a q above 0).
pub fn accepted(request: &Request) -> bool {
    let Some(header) = request
        .headers()
        .get(ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    header.split(',').any(|item| {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or_default().trim();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

/// Whether `body` is worth compressing.
pub fn worth_it(body: &[u8]) -> bool {
    body.len() >= MIN_BYTES
}

/// `body` gzipped, or `None` if the encoder failed (then send it as it is).
pub fn compress(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 3), Compression::best());
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

/// A compressed copy made on first use.
#[derive(Default)]
pub struct Kept(OnceLock<Option<Vec<u8>>>);

impl Kept {
    /// Nothing compressed yet.
    pub const fn new() -> Self {
        Self(OnceLock::new())
    }

    /// `body` gzipped, compressed the first time only.
    pub fn of(&'static self, body: &[u8]) -> Option<&'static [u8]> {
        self.0.get_or_init(|| compress(body)).as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn with(header: &str) -> Request {
        lambda_http::http::Request::builder()
            .header(ACCEPT_ENCODING, header)
            .body(lambda_http::Body::Empty)
            .unwrap()
    }

    #[test]
    fn gzip_is_taken_when_listed_or_starred_and_not_refused() {
        assert!(accepted(&with("gzip, deflate, br, zstd")));
        assert!(accepted(&with("br;q=1.0, GZIP;q=0.5")));
        assert!(accepted(&with("*")));
        assert!(!accepted(&with("br, zstd")));
        assert!(!accepted(&with("gzip;q=0, br")));
        assert!(!accepted(&with("identity")));
        let none = lambda_http::http::Request::builder()
            .body(lambda_http::Body::Empty)
            .unwrap();
        assert!(!accepted(&none));
    }

    #[test]
    fn what_is_compressed_comes_back_the_same() {
        let text = "a feed of events, ".repeat(500);
        let packed = compress(text.as_bytes()).unwrap();
        assert!(packed.len() < text.len() / 10, "{} bytes", packed.len());
        let mut back = String::new();
        flate2::read::GzDecoder::new(packed.as_slice())
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, text);
    }
}

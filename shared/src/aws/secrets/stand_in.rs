//! A Secrets Manager stand-in on loopback for tests and the cold-start
//! benchmark: `GetSecretValue` in the service's wire protocol (awsJson1_1:
//! `POST /`, `X-Amz-Target: secretsmanager.GetSecretValue`, a JSON body
//! `{"SecretId": …}`), answered as the service answers: the secret, or a
//! JSON error `{"__type": …, "message": …}` with its status.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

/// What the stand-in answers for one secret id.
#[derive(Debug, Clone)]
pub enum Answer {
    /// 200 with this `SecretString`.
    Secret(String),
    /// An error of this `__type` with this status (e.g. 400
    /// `AccessDeniedException`, 400 `ThrottlingException`, 500
    /// `InternalServiceError`).
    Error { status: u16, kind: &'static str },
}

/// A running stand-in; its thread serves until the process ends.
pub struct StandIn {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
}

impl StandIn {
    /// Serves `answers` (by secret id; any other id is 400
    /// `ResourceNotFoundException`) on `listener`.
    pub fn serve(listener: TcpListener, answers: HashMap<String, Answer>) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&requests);
        let answers = Arc::new(answers);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (answers, count) = (Arc::clone(&answers), Arc::clone(&count));
                std::thread::spawn(move || connection(stream, &answers, &count));
            }
        });
        Ok(Self { addr, requests })
    }

    /// Serves the one secret `id`, holding `fields` as its JSON string.
    pub fn one(listener: TcpListener, id: &str, fields: &Value) -> std::io::Result<Self> {
        Self::serve(
            listener,
            HashMap::from([(id.to_owned(), Answer::Secret(fields.to_string()))]),
        )
    }

    /// `http://127.0.0.1:<port>`, for `SECRETS_MANAGER_ENDPOINT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Answers the requests of one connection until the client closes it.
fn connection(mut stream: TcpStream, answers: &HashMap<String, Answer>, count: &AtomicUsize) {
    let mut pending = Vec::new();
    while let Some((head, body)) = read_request(&mut stream, &mut pending) {
        let (status, reply) = answer(&head, &body, answers);
        count.fetch_add(1, Ordering::SeqCst);
        let reply = reply.to_string();
        let response = format!(
            "HTTP/1.1 {status} {}\r\ncontent-type: application/x-amz-json-1.1\r\nx-amzn-requestid: stand-in\r\ncontent-length: {}\r\n\r\n{reply}",
            if status == 200 { "OK" } else { "Error" },
            reply.len()
        );
        if stream.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// One request's head (lower-cased) and body; `None` once the peer is gone.
fn read_request(stream: &mut TcpStream, pending: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    let mut buf = [0u8; 4096];
    let end = loop {
        if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut buf).ok().filter(|n| *n > 0)?;
        pending.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&pending[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while pending.len() < end + length {
        let n = stream.read(&mut buf).ok().filter(|n| *n > 0)?;
        pending.extend_from_slice(&buf[..n]);
    }
    let body = pending[end..end + length].to_vec();
    pending.drain(..end + length);
    Some((head, body))
}

/// The status and JSON body the service would send.
fn answer(head: &str, body: &[u8], answers: &HashMap<String, Answer>) -> (u16, Value) {
    let error = |status: u16, kind: &str, message: &str| {
        (status, json!({"__type": kind, "message": message}))
    };
    let target = head
        .lines()
        .find_map(|l| l.strip_prefix("x-amz-target:"))
        .map(str::trim);
    if !head.starts_with("post / ") || target != Some("secretsmanager.getsecretvalue") {
        return error(400, "UnknownOperationException", "only GetSecretValue");
    }
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let Some(id) = request["SecretId"].as_str() else {
        return error(400, "InvalidParameterException", "SecretId is required");
    };
    match answers.get(id) {
        Some(Answer::Secret(text)) => (
            200,
            json!({
                "ARN": format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:{id}-AbCdEf"),
                "Name": id,
                "SecretString": text,
                "VersionId": "00000000-0000-4000-8000-000000000000",
                "VersionStages": ["AWSCURRENT"],
                "CreatedDate": 1_765_000_000.0,
            }),
        ),
        Some(Answer::Error { status, kind }) => error(*status, kind, "stand-in error"),
        None => error(
            400,
            "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret.",
        ),
    }
}

/// A loopback port nothing listens on: a store "not up yet", which a test
/// then starts there with [`StandIn::serve`].
pub fn unused_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Sets, for this whole process, what a function's wiring reads to find AWS
/// on loopback: a region, dummy credentials, no instance metadata, DynamoDB
/// at a port nothing answers on, and the secret `id` at `endpoint`. For test
/// binaries of their own: other threads see the same environment.
pub fn set_loopback_env(id: &str, endpoint: &str) {
    for (name, value) in [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("DYNAMODB_ENDPOINT", "http://127.0.0.1:9"),
        (super::SECRETS_ID, id),
        (super::SECRETS_MANAGER_ENDPOINT, endpoint),
    ] {
        std::env::set_var(name, value);
    }
    std::env::remove_var("AWS_SESSION_TOKEN");
}

/// A secret with every key and a valid dummy value for each.
pub fn test_secrets() -> Value {
    json!({
        "eventsub_secret": "stored-eventsub-secret",
        "ticket_secret": "stored-ticket-secret-of-at-least-32-bytes",
        "admin_token": "stored-admin-token",
        "session_key": "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        "twitch_client_secret": "stored-twitch-client-secret",
    })
}

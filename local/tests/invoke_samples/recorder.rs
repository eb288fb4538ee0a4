//! The IAM recorder (`scripts/iam/recorder.py`) in front of every AWS
//! endpoint the functions call: each function gets its own dummy access key
//! ([`access_key_id`]) and only the recorder's address, so every call it
//! makes is recorded and attributed by its SigV4 credential; the recording is
//! what `scripts/iam-check.sh` evaluates against each function's role.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

/// The functions the recorder attributes calls to (template logical ids).
pub const FUNCTIONS: [&str; 7] = [
    "ApiFunction",
    "PollerFunction",
    "EventSubManagerFunction",
    "WebhookFunction",
    "WebsocketFunction",
    "FanoutFunction",
    "DayCountsFunction",
];

/// `function`'s own dummy access key id: `AKIA` and its name, 20 characters
/// (e.g. `AKIAWEBHOOKFUNCTION0`).
pub fn access_key_id(function: &str) -> String {
    let name: String = function
        .to_uppercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect();
    format!("AKIA{name:0<16}")
}

/// `function`'s dummy secret key (nothing checks it; the gateway behind the
/// recorder sees the recorder's re-signed calls).
pub fn secret_key(function: &str) -> String {
    format!("invoke-samples-secret-of-{function}")
}

/// Where the recording goes: `IAM_RECORDING`, else `.aws-sam/iam-calls.jsonl`.
pub fn recording_path(repo: &Path) -> PathBuf {
    std::env::var_os("IAM_RECORDING")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join(".aws-sam/iam-calls.jsonl"))
}

/// The running recorder; killed on drop (its recording stays `.partial`
/// unless [`Recorder::finish`] was called).
pub struct Recorder {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

/// What the recorder needs to know about the run.
pub struct Upstreams<'a> {
    pub dynamodb: &'a str,
    pub connections: &'a str,
    pub connections_key: (&'a str, &'a str),
    /// Physical table name -> logical id.
    pub tables: &'a HashMap<&'static str, String>,
    /// The Secrets Manager stand-in the recorder forwards to.
    pub secrets_manager: &'a str,
}

impl Recorder {
    /// Starts the recorder (the project's `.venv` Python, or `IAM_PYTHON`).
    pub fn start(repo: &Path, up: &Upstreams<'_>) -> Recorder {
        let python = std::env::var_os("IAM_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo.join(".venv/bin/python"));
        let principals: HashMap<String, &str> =
            FUNCTIONS.iter().map(|f| (access_key_id(f), *f)).collect();
        let tables: HashMap<&String, &str> = up.tables.iter().map(|(l, p)| (p, *l)).collect();
        let meta = json!({
            "tables": tables,
            "principals": principals,
            "build_dir": std::env::var("LAMBDA_BUILD_DIR").unwrap_or_default(),
            "region": "us-east-1",
        });
        // Everything through the environment: the gateway's secret never
        // appears in a process's arguments.
        let mut child = Command::new(&python)
            .arg(repo.join("scripts/iam/recorder.py"))
            .env("IAM_RECORDING", recording_path(repo))
            .env("IAM_PRINCIPALS", json!(principals).to_string())
            .env("IAM_META", meta.to_string())
            .env("IAM_UPSTREAM_DYNAMODB", up.dynamodb)
            .env("IAM_UPSTREAM_CONNECTIONS", up.connections)
            .env("IAM_CONNECTIONS_KEY_ID", up.connections_key.0)
            .env("IAM_CONNECTIONS_SECRET", up.connections_key.1)
            .env("IAM_UPSTREAM_SECRETSMANAGER", up.secrets_manager)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start the IAM recorder with {}: {e}", python.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("the recorder's first line");
        let addr = first
            .trim()
            .strip_prefix("recorder listening on ")
            .unwrap_or_else(|| panic!("the recorder did not start: {first:?}"))
            .to_owned();
        Recorder {
            child,
            url: format!("http://{addr}"),
        }
    }

    /// Closes the recording (renamed from `.partial` to its path) and returns
    /// how many calls it holds.
    pub async fn finish(&self) -> u64 {
        let body = reqwest::Client::new()
            .post(format!("{}/__recorder/finish", self.url))
            .send()
            .await
            .expect("the recorder answers")
            .text()
            .await
            .expect("the recorder's count");
        let answer: Value = serde_json::from_str(&body).expect("the recorder's count as JSON");
        answer["records"].as_u64().expect("a count")
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

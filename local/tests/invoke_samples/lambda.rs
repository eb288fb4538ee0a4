//! One built function running as Lambda runs it: the `bootstrap` from
//! `LAMBDA_BUILD_DIR/<Function>/`, started (through `LAMBDA_RUNNER` when set)
//! with the environment `template.yaml` declares for it and the
//! `AWS_LAMBDA_*` variables, its runtime pointed at a [`RuntimeApi`].

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

use crate::runtime_api::{Outcome, RuntimeApi};

/// The longest one invocation may take (arm64 code under qemu is slow, and
/// the first call also builds the SDK clients).
const INVOKE_PATIENCE: Duration = Duration::from_secs(60);

/// The variables `template.yaml` gives `function` (its own and the globals').
pub fn template_variables(function: &str) -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let names = |v: &serde_yaml::Value| -> Vec<String> {
        v["Environment"]["Variables"]
            .as_mapping()
            .map(|m| m.keys().map(|k| k.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    let resource = &doc["Resources"][function];
    assert_eq!(
        resource["Type"].as_str(),
        Some("AWS::Serverless::Function"),
        "template.yaml has no function {function}"
    );
    let mut all = names(&doc["Globals"]["Function"]);
    all.extend(names(&resource["Properties"]));
    all
}

/// A function process and the emulator it talks to; killed on drop.
pub struct Lambda {
    pub name: String,
    api: RuntimeApi,
    child: Child,
    /// Everything it printed (stdout and stderr), line by line.
    lines: Arc<Mutex<Vec<String>>>,
    /// Becomes true once its output closed (the process ended).
    exited: watch::Receiver<bool>,
}

impl Lambda {
    /// Starts `function` (a logical id in `template.yaml`). Every variable
    /// the template declares for it must be in `values` (so this harness
    /// and the template cannot drift apart); `extra` adds what only a local
    /// run needs (endpoints on loopback).
    pub async fn start(
        function: &str,
        values: &HashMap<&str, String>,
        extra: &[(&str, String)],
    ) -> Lambda {
        let dir = std::env::var("LAMBDA_BUILD_DIR")
            .expect("LAMBDA_BUILD_DIR is not set: run scripts/invoke-samples.sh");
        let bootstrap = PathBuf::from(dir).join(function).join("bootstrap");
        assert!(bootstrap.is_file(), "no {}", bootstrap.display());
        let api = RuntimeApi::start(function).await;

        let runner = std::env::var("LAMBDA_RUNNER").unwrap_or_default();
        let mut words = runner.split_whitespace();
        let mut command = match words.next() {
            Some(program) => {
                let mut c = Command::new(program);
                c.args(words).arg(&bootstrap);
                c
            }
            None => Command::new(&bootstrap),
        };
        // Lambda's environment, and nothing from this machine's.
        command.env_clear();
        for name in template_variables(function) {
            let value = values
                .get(name.as_str())
                .unwrap_or_else(|| panic!("{function}: no local value for {name}"));
            command.env(&name, value);
        }
        for (k, v) in extra {
            command.env(k, v);
        }
        // The credentials come in `extra`: the function's own dummy key,
        // by which the IAM recorder attributes its calls.
        let loopback = [
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ];
        command
            .envs(loopback)
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", function)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{function}"),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "invoke-samples")
            .env("LAMBDA_TASK_ROOT", bootstrap.parent().unwrap())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bootstrap.display()));

        let lines = Arc::new(Mutex::new(Vec::new()));
        let (closed, exited) = watch::channel(false);
        let closed = Arc::new(closed);
        let open_streams = Arc::new(std::sync::atomic::AtomicUsize::new(2));
        let out = child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>);
        let err = child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>);
        for stream in [out, err].into_iter().flatten() {
            let (lines, closed, open) = (
                Arc::clone(&lines),
                Arc::clone(&closed),
                Arc::clone(&open_streams),
            );
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line);
                }
                if open.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
                    let _ = closed.send(true);
                }
            });
        }
        Lambda {
            name: function.to_owned(),
            api,
            child,
            lines,
            exited,
        }
    }

    /// What it printed so far.
    pub fn log(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// How many lines it printed so far (a mark for [`Lambda::metric_after`]).
    pub fn mark(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    /// Sends `event` through the runtime loop and returns the function's
    /// answer; fails the test (with the function's output) on a handler
    /// error, an early exit or no answer in time.
    pub async fn invoke(&mut self, what: &str, event: &Value) -> Value {
        match self.outcome(what, event).await {
            Outcome::Response(v) => v,
            Outcome::Error { error_type, body } => panic!(
                "{} {what}: the runtime reported {error_type}: {body}\n--- its output ---\n{}",
                self.name,
                self.log()
            ),
        }
    }

    /// Like [`Lambda::invoke`], but hands back a reported error too.
    pub async fn outcome(&mut self, what: &str, event: &Value) -> Outcome {
        let answer = self.api.invoke(event).await;
        let mut exited = self.exited.clone();
        let died = async move {
            let _ = exited.wait_for(|&e| e).await;
        };
        tokio::select! {
            a = tokio::time::timeout(INVOKE_PATIENCE, answer) => match a {
                Ok(Ok(outcome)) => outcome,
                _ => panic!("{} {what}: no answer within {INVOKE_PATIENCE:?}\n--- its output ---\n{}", self.name, self.log()),
            },
            () = died => panic!(
                "{} {what}: the process ended (init error: {:?})\n--- its output ---\n{}",
                self.name,
                self.api.init_error(),
                self.log()
            ),
        }
    }

    /// The value of the Embedded Metric Format metric `name` in the first
    /// line printed after `mark` that has it; waits for the line (it is
    /// printed before the answer is posted, but read by another thread).
    pub async fn metric_after(&self, mark: usize, name: &str) -> f64 {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let found = self.lines.lock().unwrap()[mark..].iter().find_map(|line| {
                let v: Value = serde_json::from_str(line).ok()?;
                v.get("_aws")?;
                v.get(name)?.as_f64()
            });
            if let Some(value) = found {
                return value;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}: no metric {name} printed\n--- its output ---\n{}",
                self.name,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Lambda {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

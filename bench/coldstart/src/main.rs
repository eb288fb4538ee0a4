//! Cold-start benchmark driver: a stand-in for the Lambda Runtime API on
//! loopback that times each function from process spawn to its first
//! `GET /2018-06-01/runtime/invocation/next` (its init), then ends it.
//!
//! ```text
//! coldstart [--runs N] [--port P] --baseline PATH[,ARM64_PATH] NAME[+store]=PATH[,ARM64_PATH]...
//! ```
//!
//! A `NAME+store` target reads its secrets from a Secrets Manager stand-in
//! this process serves on loopback (`SECRETS_ID` and
//! `SECRETS_MANAGER_ENDPOINT` set, the secrets' own variables removed; the
//! stored values are those variables' values here), so its init includes
//! the one `GetSecretValue` a deployed function makes.
//!
//! Runs go round-robin (baseline, then each function, N times), so load on
//! the machine falls on all of them alike; one unmeasured round first warms
//! the page cache. The function's environment is this process's own (the
//! calling script sets it) plus the Runtime API address. Prints a table: size
//! (and the arm64 build's size, when given), init median / min / max, and the
//! median against the baseline's.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use shared::aws::secrets::stand_in::{Answer, StandIn};
use shared::aws::secrets::{Key, SECRETS_ID, SECRETS_MANAGER_ENDPOINT};

/// The secret the `+store` targets read.
const BENCH_SECRET: &str = "streamer-events/bench";

/// A stand-in store holding [`BENCH_SECRET`]: every key, with the value of
/// its variable in this process's environment (the calling script's dummies).
fn secret_store() -> std::io::Result<StandIn> {
    let fields: serde_json::Map<String, serde_json::Value> = Key::ALL
        .iter()
        .filter_map(|k| Some((k.field().to_owned(), std::env::var(k.env()).ok()?.into())))
        .collect();
    StandIn::serve(
        TcpListener::bind("127.0.0.1:0")?,
        [(
            BENCH_SECRET.to_owned(),
            Answer::Secret(serde_json::Value::Object(fields).to_string()),
        )]
        .into(),
    )
}

/// A binary to measure.
struct Target {
    name: String,
    path: PathBuf,
    /// The same binary built for arm64 (size only).
    arm64: Option<PathBuf>,
    /// Reads its secrets from the stand-in store rather than the environment.
    store: bool,
    samples: Vec<Duration>,
}

impl Target {
    /// `name` at `PATH[,ARM64_PATH]`.
    fn new(name: &str, paths: &str) -> Self {
        let (path, arm64) = match paths.split_once(',') {
            Some((p, a)) => (p, Some(a.into())),
            None => (paths, None),
        };
        Self {
            name: name.into(),
            path: path.into(),
            arm64,
            store: name.ends_with("+store"),
            samples: Vec::new(),
        }
    }
}

/// What the command line asked for.
struct Args {
    runs: usize,
    port: u16,
    targets: Vec<Target>,
}

fn parse_args() -> Result<Args, String> {
    let mut runs = 15;
    let mut port = 9110;
    let mut baseline = None;
    let mut targets = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or(format!("{flag} wants a value"));
        match arg.as_str() {
            "--runs" => {
                runs = value("--runs")?
                    .parse()
                    .map_err(|e| format!("--runs: {e}"))?
            }
            "--port" => {
                port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?
            }
            "--baseline" => baseline = Some(value("--baseline")?),
            other => {
                let (name, paths) = other
                    .split_once('=')
                    .ok_or(format!("expected NAME=PATH, got {other:?}"))?;
                targets.push(Target::new(name, paths));
            }
        }
    }
    let baseline = baseline.ok_or("--baseline PATH is required")?;
    targets.insert(0, Target::new("hello (baseline)", &baseline));
    if runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    Ok(Args {
        runs,
        port,
        targets,
    })
}

/// Accepts every connection and reports, per request head read in full, when
/// it arrived and its request line.
fn serve(listener: TcpListener) -> Receiver<(Instant, String)> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Some(line) = request_line(stream) {
                if tx.send((Instant::now(), line)).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// The request line once the whole head has arrived; `None` if the peer
/// went away first.
fn request_line(mut stream: TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    text.lines().next().map(str::to_owned)
}

/// Spawns `target` and waits for its first `/next`: the time from spawn.
fn measure_once(
    target: &Target,
    port: u16,
    store: &str,
    arrivals: &Receiver<(Instant, String)>,
) -> Result<Duration, String> {
    while arrivals.try_recv().is_ok() {}
    let mut command = Command::new(&target.path);
    if target.store {
        command
            .env(SECRETS_ID, BENCH_SECRET)
            .env(SECRETS_MANAGER_ENDPOINT, store);
        for key in Key::ALL {
            command.env_remove(key.env());
        }
    }
    let start = Instant::now();
    let mut child = command
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "{}: cannot start {}: {e}",
                target.name,
                target.path.display()
            )
        })?;
    let outcome = wait_for_next(&mut child, start, arrivals);
    let _ = child.kill();
    let _ = child.wait();
    outcome.map_err(|why| {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        format!("{}: {why}\n{stderr}", target.name)
    })
}

fn wait_for_next(
    child: &mut Child,
    start: Instant,
    arrivals: &Receiver<(Instant, String)>,
) -> Result<Duration, String> {
    loop {
        match arrivals.recv_timeout(Duration::from_millis(20)) {
            Ok((at, line)) => {
                return if line.starts_with("GET ") && line.contains("/runtime/invocation/next") {
                    Ok(at - start)
                } else {
                    Err(format!(
                        "first request was {line:?}, not the next invocation"
                    ))
                };
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("exited ({status}) before asking for an invocation"));
                }
                if start.elapsed() > Duration::from_secs(10) {
                    return Err("no request within 10 s".into());
                }
            }
            Err(RecvTimeoutError::Disconnected) => return Err("the listener stopped".into()),
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1e6)
}

fn print_table(args: &Args) {
    let base = median(&args.targets[0].samples);
    println!(
        "{:<24} {:>8} {:>8} {:>9} {:>7} {:>7} {:>7}",
        "function", "x86 MB", "arm64 MB", "init med", "min", "max", "× base"
    );
    for t in &args.targets {
        let size = std::fs::metadata(&t.path)
            .map(|m| mb(m.len()))
            .unwrap_or("?".into());
        let arm = match &t.arm64 {
            Some(p) => std::fs::metadata(p)
                .map(|m| mb(m.len()))
                .unwrap_or("?".into()),
            None => "-".into(),
        };
        let mut sorted = t.samples.clone();
        sorted.sort();
        let med = median(&t.samples);
        println!(
            "{:<24} {:>8} {:>8} {:>7.2}ms {:>7.2} {:>7.2} {:>7.2}",
            t.name,
            size,
            arm,
            ms(med),
            ms(sorted[0]),
            ms(sorted[sorted.len() - 1]),
            med.as_secs_f64() / base.as_secs_f64()
        );
    }
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2
    }
}

fn main() -> ExitCode {
    let mut args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("coldstart: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(("127.0.0.1", args.port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("coldstart: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    let arrivals = serve(listener);
    let store = match secret_store() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("coldstart: cannot start the secret store stand-in: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Round 0 warms the page cache and is not counted.
    for round in 0..=args.runs {
        for t in &mut args.targets {
            match measure_once(t, args.port, &store.url(), &arrivals) {
                Ok(d) if round > 0 => t.samples.push(d),
                Ok(_) => {}
                Err(e) => {
                    eprintln!("coldstart: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    println!(
        "init = spawn to first /next, {} runs each, round-robin; MB = 10^6 bytes; \
         +store: secrets fetched from a loopback Secrets Manager stand-in ({} requests)",
        args.runs,
        store.requests()
    );
    print_table(&args);
    ExitCode::SUCCESS
}

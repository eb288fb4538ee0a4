//! The real binary under a low descriptor limit (`ulimit -n 256`) with more
//! idle connections than that: it keeps its connection cap below the limit
//! (and says so), does not spin or flood its log, and answers again once
//! the idle ones are gone. Alone in its file: it starts its own process.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LIMIT: u64 = 256;
const IDLE: usize = 300;

/// User plus system CPU time of `pid` so far.
fn cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command's closing parenthesis; utime and stime are
    // the 14th and 15th of the line.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_millis(ticks * 1000 / hz)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_descriptors_the_stack_neither_spins_nor_floods_its_log_and_recovers() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_local"));
    command
        .args(["serve", "--port", "0"])
        .env_remove("EVENTSUB_SECRET")
        .env_remove("TWITCH_CLIENT_ID")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: only setrlimit (async-signal-safe) between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: LIMIT,
                rlim_max: LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = Killed(command.spawn().expect("start the local binary"));
    let pid = child.0.id();
    let logged = Arc::new(AtomicUsize::new(0));
    let mut stderr = child.0.stderr.take().unwrap();
    let counter = Arc::clone(&logged);
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n @ 1..) = stderr.read(&mut buf) {
            counter.fetch_add(n, Ordering::SeqCst);
        }
    });
    let stdout = child.0.stdout.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut banner = Vec::new();
    let addr = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the stack announces where it listens");
        banner.push(line.clone());
        if let Some(rest) = line.trim().strip_prefix("listening on http://") {
            break rest.to_owned();
        }
    };

    // More idle connections than descriptors: those over the cap wait in
    // the backlog rather than fail in accept.
    let mut idle = Vec::new();
    for _ in 0..IDLE {
        idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    let (cpu_before, log_before, started) =
        (cpu(pid), logged.load(Ordering::SeqCst), Instant::now());
    // A measurement window, not a wait for an event.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let spent = cpu(pid) - cpu_before;
    let wrote = logged.load(Ordering::SeqCst) - log_before;
    let window = started.elapsed();
    assert!(
        spent < window / 10,
        "{spent:?} of CPU in {window:?} holding {IDLE} idle connections"
    );
    assert!(wrote < 16 * 1024, "{wrote} bytes of log in {window:?}");

    // The banner (printed before it serves) says the cap and why.
    banner.extend(lines.try_iter());
    assert!(
        banner
            .iter()
            .any(|l| l.contains("connections:") && l.contains(&format!("descriptor limit {LIMIT}"))),
        "{banner:#?}"
    );

    drop(idle);
    let health = tokio::time::timeout(
        support::PATIENCE,
        reqwest::get(format!("http://{addr}/healthz")),
    )
    .await
    .expect("answers once the idle connections are gone")
    .unwrap();
    assert_eq!(health.status(), 200);
}

/// The child, killed however the test ends (a failed assertion included).
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

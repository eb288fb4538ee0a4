//! The ingest benchmark's load generator: keeps N HTTP/1.1 connections busy
//! with validly signed, unique notifications and measures each answer.
//!
//! Bodies come from a pool built up front (so the generator spends its core on
//! sending, not on building JSON); every request still gets its own message id,
//! a current timestamp and its own signature, exactly as Twitch would send.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use shared::config::EventSubSecret;
use shared::eventsub::fixtures::{self, Channel};
use shared::eventsub::headers;
use shared::eventsub::verify::signature_header;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use tokio::net::TcpStream;

use crate::cli::{self, LoadArgs};
use crate::report::{rounded, Latencies};

/// How to load the server.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// `host:port` of the local stack.
    pub addr: String,
    pub connections: usize,
    pub duration: Duration,
    pub broadcasters: usize,
}

/// What one run measured.
#[derive(Debug, Default)]
pub struct Report {
    pub ok: u64,
    pub failed: u64,
    pub seconds: f64,
    /// Latencies of successful requests.
    pub latencies: Latencies,
}

/// What `local loadgen` prints: one JSON line (bench-ingest.sh reads `ok`).
#[derive(Debug, Serialize)]
pub struct Summary {
    pub ok: u64,
    pub failed: u64,
    pub seconds: f64,
    pub per_second: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl From<&Report> for Summary {
    fn from(r: &Report) -> Self {
        Self {
            ok: r.ok,
            failed: r.failed,
            seconds: rounded(r.seconds, 2),
            per_second: (r.ok as f64 / r.seconds).round() as u64,
            p50_ms: rounded(r.latencies.ms(0.5), 3),
            p90_ms: rounded(r.latencies.ms(0.9), 3),
            p99_ms: rounded(r.latencies.ms(0.99), 3),
            max_ms: rounded(r.latencies.ms(1.0), 3),
        }
    }
}

/// `local loadgen`: loads the stack at `args.addr`, signing with the local secret.
pub async fn command(args: LoadArgs) -> anyhow::Result<Summary> {
    let secret = cli::eventsub_secret()?.secret;
    let spec = LoadSpec {
        addr: args.addr,
        connections: args.connections,
        duration: Duration::from_secs(args.duration),
        broadcasters: args.broadcasters,
    };
    Ok(Summary::from(&run(&spec, &secret).await?))
}

struct Pool {
    bodies: Vec<Bytes>,
}

fn pool(broadcasters: usize) -> Pool {
    let now = OffsetDateTime::now_utc();
    let bodies = (0..4096u64)
        .map(|i| {
            let channel = Channel::new(&(1000 + i % broadcasters.max(1) as u64).to_string());
            Bytes::from(fixtures::notification("channel.cheer", &channel, i, now).body)
        })
        .collect();
    Pool { bodies }
}

/// Runs the load and returns what it measured.
pub async fn run(spec: &LoadSpec, secret: &EventSubSecret) -> anyhow::Result<Report> {
    let pool = Arc::new(pool(spec.broadcasters));
    let started = Instant::now();
    let deadline = started + spec.duration;
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let mut tasks = Vec::new();
    for conn_no in 0..spec.connections {
        let stream = TcpStream::connect(&spec.addr)
            .await
            .with_context(|| format!("connect {}", spec.addr))?;
        stream.set_nodelay(true)?;
        let (mut sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        let pool = Arc::clone(&pool);
        let secret = secret.clone();
        let (addr, run_id) = (spec.addr.clone(), run_id.clone());
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut failed, mut latencies_us) = (0u64, 0u64, Vec::new());
            let mut seq = 0u64;
            while Instant::now() < deadline {
                let body = pool.bodies[(conn_no + seq as usize * 7) % pool.bodies.len()].clone();
                let id = format!("{run_id}-{conn_no}-{seq}");
                let ts = OffsetDateTime::now_utc()
                    .format(&Rfc3339)
                    .unwrap_or_default();
                let request = hyper::Request::post("/eventsub")
                    .header("host", &addr)
                    .header("content-type", "application/json")
                    .header(headers::MESSAGE_ID, &id)
                    .header(headers::MESSAGE_TIMESTAMP, &ts)
                    .header(headers::MESSAGE_TYPE, "notification")
                    .header(headers::MESSAGE_RETRY, "0")
                    .header(headers::SUBSCRIPTION_TYPE, "channel.cheer")
                    .header(headers::SUBSCRIPTION_VERSION, "1")
                    .header(
                        headers::MESSAGE_SIGNATURE,
                        signature_header(&secret, &id, &ts, &body),
                    )
                    .body(Full::new(body));
                let Ok(request) = request else {
                    failed += 1;
                    break;
                };
                seq += 1;
                let sent = Instant::now();
                match sender.send_request(request).await {
                    Ok(response) => {
                        let accepted = response.status().is_success();
                        let _ = response.into_body().collect().await;
                        if accepted {
                            ok += 1;
                            latencies_us.push(sent.elapsed().as_micros() as u64);
                        } else {
                            failed += 1;
                        }
                    }
                    Err(_) => {
                        failed += 1;
                        break;
                    }
                }
            }
            (ok, failed, latencies_us)
        }));
    }
    let (mut ok, mut failed, mut latencies_us) = (0, 0, Vec::new());
    for t in tasks {
        let (o, f, l) = t.await?;
        ok += o;
        failed += f;
        latencies_us.extend(l);
    }
    Ok(Report {
        ok,
        failed,
        seconds: started.elapsed().as_secs_f64(),
        latencies: Latencies::from_micros(latencies_us),
    })
}

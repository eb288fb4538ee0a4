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
use shared::config::EventSubSecret;
use shared::eventsub::fixtures::{self, Channel};
use shared::eventsub::headers;
use shared::eventsub::verify::signature_header;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use tokio::net::TcpStream;

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
    /// Latencies of successful requests, in microseconds, sorted.
    pub latencies_us: Vec<u32>,
}

impl Report {
    /// The q-quantile latency in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        f64::from(self.latencies_us[i]) / 1000.0
    }
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
            let mut report = Report::default();
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
                    report.failed += 1;
                    break;
                };
                seq += 1;
                let sent = Instant::now();
                match sender.send_request(request).await {
                    Ok(response) => {
                        let ok = response.status().is_success();
                        let _ = response.into_body().collect().await;
                        if ok {
                            report.ok += 1;
                            report.latencies_us.push(sent.elapsed().as_micros() as u32);
                        } else {
                            report.failed += 1;
                        }
                    }
                    Err(_) => {
                        report.failed += 1;
                        break;
                    }
                }
            }
            report
        }));
    }
    let mut total = Report::default();
    for t in tasks {
        let r = t.await?;
        total.ok += r.ok;
        total.failed += r.failed;
        total.latencies_us.extend(r.latencies_us);
    }
    total.seconds = started.elapsed().as_secs_f64();
    total.latencies_us.sort_unstable();
    Ok(total)
}

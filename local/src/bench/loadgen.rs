//! The ingest benchmark's load generator: keeps N HTTP/1.1 connections busy
//! with validly signed notifications of a realistic mix and measures each
//! answer.
//!
//! Bodies come from a pool of unique notifications built up front (so the
//! generator spends its core on sending, not on building JSON): a mix of the
//! types a busy channel gets, over thousands of broadcasters. Every request
//! still gets its own message id, a current timestamp and its own signature,
//! exactly as Twitch would send; and one request in `retry_every` is a Twitch
//! retry: an earlier message of the same connection, same id and body,
//! `Message-Retry: 1`, signed again with a new timestamp.

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

use super::report::{rounded, Latencies};
use crate::cli::LoadArgs;
use crate::settings::eventsub_secret;

/// How to load the server.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// `host:port` of the receiver.
    pub addr: String,
    /// Request path; `{type}`, `{broadcaster}` and `{twurple}` (twurple's
    /// subscription id) are replaced per request.
    pub path: String,
    pub connections: usize,
    pub duration: Duration,
    pub broadcasters: usize,
    /// Unique notifications in the pool (the run repeats them after that).
    pub unique: usize,
    /// One request in this many is a retry of an earlier one (0: none).
    pub retry_every: u64,
}

/// What one run measured.
#[derive(Debug, Default)]
pub struct Report {
    /// First deliveries answered 2xx.
    pub ok: u64,
    /// Retries answered 2xx.
    pub retries_ok: u64,
    pub failed: u64,
    pub seconds: f64,
    /// Unique notifications sent more than once because the pool ran out.
    pub repeated: u64,
    pub mean_body_bytes: u64,
    /// Latencies of every request answered 2xx.
    pub latencies: Latencies,
}

/// What `local loadgen` prints: one JSON line (bench-ingest.sh reads fields).
#[derive(Debug, Serialize)]
pub struct Summary {
    pub ok: u64,
    pub retries_ok: u64,
    pub failed: u64,
    pub repeated: u64,
    pub seconds: f64,
    /// Requests answered 2xx per second, retries included.
    pub per_second: u64,
    pub mean_body_bytes: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl From<&Report> for Summary {
    fn from(r: &Report) -> Self {
        Self {
            ok: r.ok,
            retries_ok: r.retries_ok,
            failed: r.failed,
            repeated: r.repeated,
            seconds: rounded(r.seconds, 2),
            per_second: ((r.ok + r.retries_ok) as f64 / r.seconds).round() as u64,
            mean_body_bytes: r.mean_body_bytes,
            p50_ms: rounded(r.latencies.ms(0.5), 3),
            p90_ms: rounded(r.latencies.ms(0.9), 3),
            p99_ms: rounded(r.latencies.ms(0.99), 3),
            max_ms: rounded(r.latencies.ms(1.0), 3),
        }
    }
}

/// `local loadgen`: loads the receiver at `args.addr`, signing with the local secret.
pub async fn command(args: LoadArgs) -> anyhow::Result<Summary> {
    let secret = eventsub_secret()?.secret;
    let spec = LoadSpec {
        addr: args.addr,
        path: args.path,
        connections: args.connections,
        duration: Duration::from_secs(args.duration),
        broadcasters: args.broadcasters,
        unique: args.unique,
        retry_every: args.retry_every,
    };
    Ok(Summary::from(&run(&spec, &secret).await?))
}

/// One notification ready to sign: its type and version headers and body.
struct Notification {
    kind: &'static str,
    version: &'static str,
    broadcaster: String,
    body: Bytes,
}

/// `unique` distinct notifications over `broadcasters` channels, built on
/// every core (before the clock starts).
fn pool(broadcasters: usize, unique: usize) -> Vec<Notification> {
    let now = OffsetDateTime::now_utc();
    let build = |n: usize| {
        let kind = fixtures::mix_kind(n);
        let broadcaster = (1000 + n % broadcasters.max(1)).to_string();
        let delivery = fixtures::notification(kind, &Channel::new(&broadcaster), n as u64, now);
        Notification {
            kind,
            version: fixtures::version_of(kind),
            broadcaster,
            body: Bytes::from(delivery.body),
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = unique.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let parts: Vec<_> = (0..unique)
            .step_by(chunk)
            .map(|start| {
                s.spawn(move || {
                    (start..(start + chunk).min(unique))
                        .map(build)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().unwrap_or_default())
            .collect::<Vec<Notification>>()
    })
}

/// What one connection counted.
#[derive(Default)]
struct Counts {
    ok: u64,
    retries_ok: u64,
    failed: u64,
    repeated: u64,
    latencies_us: Vec<u64>,
}

/// Runs the load and returns what it measured.
pub async fn run(spec: &LoadSpec, secret: &EventSubSecret) -> anyhow::Result<Report> {
    let pool = Arc::new(pool(spec.broadcasters, spec.unique.max(1)));
    let mean_body_bytes =
        pool.iter().map(|n| n.body.len() as u64).sum::<u64>() / pool.len().max(1) as u64;
    let started = Instant::now();
    let deadline = started + spec.duration;
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let mut tasks = Vec::new();
    for conn_no in 0..spec.connections {
        let stream = TcpStream::connect(&spec.addr)
            .await
            .with_context(|| format!("connect {}", spec.addr))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        let connection = Connection {
            no: conn_no,
            of: spec.connections,
            pool: Arc::clone(&pool),
            secret: secret.clone(),
            addr: spec.addr.clone(),
            path: spec.path.clone(),
            run_id: run_id.clone(),
            retry_every: spec.retry_every,
        };
        tasks.push(tokio::spawn(connection.drive(sender, deadline)));
    }
    let mut total = Counts::default();
    for t in tasks {
        let part = t.await?;
        total.ok += part.ok;
        total.retries_ok += part.retries_ok;
        total.failed += part.failed;
        total.repeated += part.repeated;
        total.latencies_us.extend(part.latencies_us);
    }
    Ok(Report {
        ok: total.ok,
        retries_ok: total.retries_ok,
        failed: total.failed,
        seconds: started.elapsed().as_secs_f64(),
        repeated: total.repeated,
        mean_body_bytes,
        latencies: Latencies::from_micros(total.latencies_us),
    })
}

/// One client connection's share of the load.
struct Connection {
    no: usize,
    of: usize,
    pool: Arc<Vec<Notification>>,
    secret: EventSubSecret,
    addr: String,
    path: String,
    run_id: String,
    retry_every: u64,
}

/// How far back a retry reaches, in this connection's requests.
const RETRY_DEPTH: usize = 16;

impl Connection {
    async fn drive(self, mut sender: http1::SendRequest<Full<Bytes>>, deadline: Instant) -> Counts {
        let mut tally = Counts::default();
        // This connection's recent first deliveries: (message id, pool index).
        let mut recent: Vec<(String, usize)> = Vec::with_capacity(RETRY_DEPTH);
        let mut seq = 0u64;
        let mut next = self.no;
        while Instant::now() < deadline {
            seq += 1;
            let retry = self.retry_every > 0 && seq % self.retry_every == 0 && !recent.is_empty();
            let (id, index) = if retry {
                recent[seq as usize % recent.len()].clone()
            } else {
                let index = next % self.pool.len();
                if next >= self.pool.len() {
                    tally.repeated += 1;
                }
                next += self.of;
                let id = format!("{}-{}-{seq}", self.run_id, self.no);
                if recent.len() == RETRY_DEPTH {
                    recent.remove(0);
                }
                recent.push((id.clone(), index));
                (id, index)
            };
            let Ok(request) = self.request(&id, &self.pool[index], retry) else {
                tally.failed += 1;
                break;
            };
            let sent = Instant::now();
            match sender.send_request(request).await {
                Ok(response) => {
                    let accepted = response.status().is_success();
                    let _ = response.into_body().collect().await;
                    match (accepted, retry) {
                        (true, false) => tally.ok += 1,
                        (true, true) => tally.retries_ok += 1,
                        (false, _) => tally.failed += 1,
                    }
                    if accepted {
                        tally.latencies_us.push(sent.elapsed().as_micros() as u64);
                    }
                }
                Err(_) => {
                    tally.failed += 1;
                    break;
                }
            }
        }
        tally
    }

    fn request(
        &self,
        id: &str,
        n: &Notification,
        retry: bool,
    ) -> Result<hyper::Request<Full<Bytes>>, hyper::http::Error> {
        let ts = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        let mut path = self
            .path
            .replace("{type}", n.kind)
            .replace("{broadcaster}", &n.broadcaster);
        if path.contains("{twurple}") {
            path = path.replace("{twurple}", &twurple_id(n.kind, &n.broadcaster));
        }
        hyper::Request::post(path)
            .header("host", &self.addr)
            .header("content-type", "application/json")
            .header(headers::MESSAGE_ID, id)
            .header(headers::MESSAGE_TIMESTAMP, &ts)
            .header(headers::MESSAGE_TYPE, "notification")
            .header(headers::MESSAGE_RETRY, if retry { "1" } else { "0" })
            .header(headers::SUBSCRIPTION_TYPE, n.kind)
            .header(headers::SUBSCRIPTION_VERSION, n.version)
            .header(
                headers::MESSAGE_SIGNATURE,
                signature_header(&self.secret, id, &ts, &n.body),
            )
            .body(Full::new(n.body.clone()))
    }
}

/// twurple's own id for its subscription to `kind` on `broadcaster` (the
/// last segment of its callback path), for the benchmark's twurple peer.
fn twurple_id(kind: &str, broadcaster: &str) -> String {
    let b = broadcaster;
    match kind {
        "channel.follow" => format!("channel.follow.{b}.{b}"),
        "channel.raid" => format!("channel.raid.to.{b}"),
        "channel.update" => format!("channel.update.v2.{b}"),
        k if k.starts_with("channel.hype_train.") => format!("{k}.v2.{b}"),
        k => format!("{k}.{b}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_is_unique_notifications_over_the_broadcasters() {
        let pool = pool(50, 400);
        assert_eq!(pool.len(), 400);
        // stream.offline carries nothing but the channel: the same body
        // for the same channel, as Twitch sends it.
        let varied: Vec<_> = pool.iter().filter(|n| n.kind != "stream.offline").collect();
        let bodies: std::collections::HashSet<_> = varied.iter().map(|n| n.body.clone()).collect();
        assert_eq!(bodies.len(), varied.len());
        let channels: std::collections::HashSet<_> = pool.iter().map(|n| &n.broadcaster).collect();
        assert_eq!(channels.len(), 50);
        for n in pool.iter() {
            let body: serde_json::Value = serde_json::from_slice(&n.body).unwrap();
            assert_eq!(body["subscription"]["type"], n.kind);
            assert_eq!(body["subscription"]["version"], n.version);
        }
    }
}

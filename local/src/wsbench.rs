//! The fan-out benchmarks, as a client of a running local stack (open mode):
//!
//! - [`fanout`]: N WebSocket clients watch one streamer; one signed
//!   notification is posted; how long until each client has the frame.
//! - [`end_to_end`]: clients watch their own streamers while notifications
//!   are posted at a fixed rate (open loop); latency from the moment a POST is
//!   sent to the moment its frame is read by the client.
//!
//! Frames are matched to posts by the EventSub message id they carry.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use shared::config::EventSubSecret;
use shared::eventsub::fixtures::{self, Channel, Delivery};
use time::OffsetDateTime;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::cli::{EndToEndArgs, FanoutArgs};
use crate::report::Latencies;
use crate::settings::eventsub_secret;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket to the stack and subscribes it to `broadcaster`,
/// returning once the subscription is acknowledged (backlog frames follow).
async fn subscribed(addr: &str, broadcaster: &str) -> anyhow::Result<Socket> {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .context("WebSocket connect (is the stack running with --open?)")?;
    let subscribe = format!(r#"{{"action":"subscribe","broadcaster":"{broadcaster}"}}"#);
    ws.send(Message::Text(subscribe.into())).await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) if t.as_str().contains(r#""type":"subscribed""#) => {
                return Ok(ws)
            }
            Some(Ok(Message::Text(t))) if t.as_str().contains(r#""type":"error""#) => {
                bail!("subscribe refused: {}", t.as_str())
            }
            Some(Ok(_)) => {}
            _ => bail!("socket closed before the subscription was acknowledged"),
        }
    }
}

/// The message id of an event frame (live ones only: backlog is skipped).
fn live_event_id(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    if v["type"] != "event" || v["backlog"] == true {
        return None;
    }
    v["id"].as_str().map(str::to_owned)
}

/// Reads `ws` until it closes, reporting each live event's id and arrival time.
fn read_live_ids(mut ws: Socket, tx: mpsc::UnboundedSender<(String, Instant)>) {
    tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Text(t) = msg {
                if let Some(id) = live_event_id(t.as_str()) {
                    let _ = tx.send((id, Instant::now()));
                }
            }
        }
    });
}

/// One HTTP/1.1 connection posting signed deliveries to `/eventsub`.
struct Poster {
    sender: http1::SendRequest<Full<bytes::Bytes>>,
    addr: String,
    secret: EventSubSecret,
}

impl Poster {
    async fn connect(addr: &str, secret: &EventSubSecret) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        Ok(Self {
            sender,
            addr: addr.to_owned(),
            secret: secret.clone(),
        })
    }

    /// Posts `delivery`; true when it was accepted (2xx).
    async fn post(&mut self, delivery: &Delivery) -> anyhow::Result<bool> {
        let mut request = hyper::Request::post("/eventsub").header("host", &self.addr);
        for (name, value) in delivery.headers(&self.secret) {
            request = request.header(name, value);
        }
        let request = request.body(Full::new(bytes::Bytes::from(delivery.body.clone())))?;
        let response = self.sender.send_request(request).await?;
        let ok = response.status().is_success();
        let _ = response.into_body().collect().await;
        Ok(ok)
    }
}

/// What the fan-out benchmark measured.
#[derive(Debug)]
pub struct FanoutReport {
    pub connections: usize,
    /// Time to open and subscribe every connection.
    pub setup: Duration,
    /// Per round: from the POST being sent to each client reading the frame.
    pub rounds: Vec<Latencies>,
    /// The server's resident memory (KiB) before the clients connected and
    /// once all of them were subscribed and idle, when its pid was given.
    pub server_rss_kb: Option<(u64, u64)>,
}

/// A process's resident memory now, in KiB.
fn rss_kb(pid: u32) -> anyhow::Result<u64> {
    crate::report::status_kb(&pid.to_string(), "VmRSS")
        .with_context(|| format!("no resident memory for process {pid}"))
}

/// Human-readable lines: set-up time, then each round's first, median,
/// p99 and last arrival.
impl fmt::Display for FanoutReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} connections opened and subscribed in {:.2}s",
            self.connections,
            self.setup.as_secs_f64()
        )?;
        if let Some((before, idle)) = self.server_rss_kb {
            write!(
                f,
                "\nserver RSS {:.1} MiB before, {:.1} MiB with the sockets idle: {:.1} KB per socket",
                before as f64 / 1024.0,
                idle as f64 / 1024.0,
                idle.saturating_sub(before) as f64 * 1024.0 / 1000.0 / self.connections as f64
            )?;
        }
        for (i, l) in self.rounds.iter().enumerate() {
            write!(
                f,
                "\nround {}: first {:.1} ms, p50 {:.1} ms, p99 {:.1} ms, last {:.1} ms ({} frames)",
                i + 1,
                l.ms(0.0),
                l.ms(0.5),
                l.ms(0.99),
                l.ms(1.0),
                l.len()
            )?;
        }
        Ok(())
    }
}

/// `local bench-fanout`, against the stack at `args.addr`.
pub async fn fanout_command(args: FanoutArgs) -> anyhow::Result<FanoutReport> {
    let secret = eventsub_secret()?.secret;
    fanout(
        &args.addr,
        &secret,
        args.connections,
        args.rounds,
        args.server_pid,
    )
    .await
}

/// Opens `connections` clients on one streamer, then posts `rounds`
/// notifications one after the other, each once every client has the last.
pub async fn fanout(
    addr: &str,
    secret: &EventSubSecret,
    connections: usize,
    rounds: usize,
    server_pid: Option<u32>,
) -> anyhow::Result<FanoutReport> {
    // The server's pid and its memory before any client connects.
    let before = server_pid
        .map(|pid| rss_kb(pid).map(|kb| (pid, kb)))
        .transpose()?;
    let broadcaster = format!("9{}", OffsetDateTime::now_utc().unix_timestamp());
    let started = Instant::now();
    // Bounded so the stack sees a burst of connects, not a SYN flood.
    let gate = Arc::new(Semaphore::new(256));
    let (tx, mut rx) = mpsc::unbounded_channel::<(String, Instant)>();
    let mut opening = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (gate, addr, b) = (Arc::clone(&gate), addr.to_owned(), broadcaster.clone());
        opening.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await?;
            subscribed(&addr, &b).await
        }));
    }
    let mut sockets = Vec::with_capacity(connections);
    for task in opening {
        sockets.push(task.await??);
    }
    let setup = started.elapsed();
    let server_rss_kb = before
        .map(|(pid, kb)| rss_kb(pid).map(|idle| (kb, idle)))
        .transpose()?;
    for ws in sockets {
        read_live_ids(ws, tx.clone());
    }
    drop(tx);
    let mut poster = Poster::connect(addr, secret).await?;
    let channel = Channel::new(&broadcaster);
    let mut report = FanoutReport {
        connections,
        setup,
        rounds: Vec::new(),
        server_rss_kb,
    };
    for round in 0..rounds {
        let delivery = fixtures::notification(
            "channel.follow",
            &channel,
            round as u64,
            OffsetDateTime::now_utc(),
        );
        let sent = Instant::now();
        if !poster.post(&delivery).await? {
            bail!("the webhook refused round {round}");
        }
        let mut latencies = Vec::with_capacity(connections);
        while latencies.len() < connections {
            let (id, at) = tokio::time::timeout(Duration::from_secs(60), rx.recv())
                .await
                .context("frames stopped arriving")?
                .context("every client is gone")?;
            if id == delivery.message_id {
                latencies.push(at.duration_since(sent).as_micros() as u64);
            }
        }
        report.rounds.push(Latencies::from_micros(latencies));
    }
    Ok(report)
}

/// What the end-to-end benchmark measured.
#[derive(Debug)]
pub struct EndToEndReport {
    pub sent: usize,
    pub accepted: usize,
    pub seconds: f64,
    /// POST sent → frame read by the subscribed client.
    pub delivery: Latencies,
    /// POST sent → 2xx read by the poster.
    pub accept: Latencies,
}

/// Human-readable lines: throughput, then POST → frame and POST → 204 latencies.
impl fmt::Display for EndToEndReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "sent {} in {:.2}s ({:.0}/s), accepted {}, frames received {}",
            self.sent,
            self.seconds,
            self.sent as f64 / self.seconds,
            self.accepted,
            self.delivery.len()
        )?;
        let d = &self.delivery;
        writeln!(
            f,
            "POST -> frame: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            d.ms(0.5),
            d.ms(0.9),
            d.ms(0.99),
            d.ms(1.0)
        )?;
        let a = &self.accept;
        write!(
            f,
            "POST -> 204:   p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            a.ms(0.5),
            a.ms(0.9),
            a.ms(0.99),
            a.ms(1.0)
        )
    }
}

impl EndToEndReport {
    /// An error when some accepted event never reached its client.
    pub fn all_delivered(&self) -> anyhow::Result<()> {
        if self.delivery.len() < self.accepted {
            bail!(
                "{} accepted events never reached their client",
                self.accepted - self.delivery.len()
            );
        }
        Ok(())
    }
}

/// `local bench-e2e`, against the stack at `args.addr`.
pub async fn end_to_end_command(args: EndToEndArgs) -> anyhow::Result<EndToEndReport> {
    let secret = eventsub_secret()?.secret;
    end_to_end(
        &args.addr,
        &secret,
        args.rate,
        Duration::from_secs(args.duration),
        args.broadcasters,
    )
    .await
}

/// Posts `rate` notifications per second for `duration`, spread over
/// `broadcasters` streamers with one client each, and times each frame.
pub async fn end_to_end(
    addr: &str,
    secret: &EventSubSecret,
    rate: u32,
    duration: Duration,
    broadcasters: usize,
) -> anyhow::Result<EndToEndReport> {
    let run = OffsetDateTime::now_utc().unix_timestamp() % 1_000_000;
    let ids: Vec<String> = (0..broadcasters)
        .map(|i| format!("8{run:06}{i:05}"))
        .collect();
    let (tx, mut rx) = mpsc::unbounded_channel::<(String, Instant)>();
    for b in &ids {
        read_live_ids(subscribed(addr, b).await?, tx.clone());
    }
    drop(tx);

    // Deliveries are built before the clock starts; each gets a fresh
    // timestamp when sent would only matter past 10 minutes.
    let total = (f64::from(rate) * duration.as_secs_f64()) as usize;
    let now = OffsetDateTime::now_utc();
    let deliveries: Vec<Delivery> = (0..total)
        .map(|i| {
            let channel = Channel::new(&ids[i % ids.len()]);
            fixtures::notification("channel.cheer", &channel, i as u64, now)
        })
        .collect();
    let sent_at: Arc<Mutex<HashMap<String, Instant>>> = Default::default();

    // Open loop: K posters, each on its own connection and its own share of
    // the schedule, so one slow answer does not hold the others back. Each
    // waits for its answer (an fsync'd group commit, 2-3 ms under load)
    // before its next post: 16 posters capped the run near 7,700 posts/s
    // whatever rate was asked; 64 (the ingest benchmark's connections) keep
    // up with 10,000/s and more.
    const POSTERS: usize = 64;
    let started = Instant::now();
    let interval = Duration::from_secs_f64(POSTERS as f64 / f64::from(rate));
    let deliveries = Arc::new(deliveries);
    let mut posters = Vec::new();
    for k in 0..POSTERS {
        let mut poster = Poster::connect(addr, secret).await?;
        let (deliveries, sent_at) = (Arc::clone(&deliveries), Arc::clone(&sent_at));
        posters.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(
                tokio::time::Instant::from_std(started)
                    + interval.mul_f64(k as f64 / POSTERS as f64),
                interval,
            );
            let mut accept = Vec::new();
            for delivery in deliveries.iter().skip(k).step_by(POSTERS) {
                tick.tick().await;
                let sent = Instant::now();
                if let Ok(mut map) = sent_at.lock() {
                    map.insert(delivery.message_id.clone(), sent);
                }
                if poster.post(delivery).await? {
                    accept.push(sent.elapsed().as_micros() as u64);
                }
            }
            anyhow::Ok(accept)
        }));
    }
    let mut accept = Vec::new();
    for p in posters {
        accept.extend(p.await??);
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut delivery = Vec::with_capacity(accept.len());
    while delivery.len() < accept.len() {
        let Ok(Some((id, at))) = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await
        else {
            break;
        };
        if let Some(sent) = sent_at.lock().ok().and_then(|m| m.get(&id).copied()) {
            delivery.push(at.duration_since(sent).as_micros() as u64);
        }
    }
    Ok(EndToEndReport {
        sent: total,
        accepted: accept.len(),
        seconds,
        delivery: Latencies::from_micros(delivery),
        accept: Latencies::from_micros(accept),
    })
}

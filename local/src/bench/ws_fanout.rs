//! The fan-out benchmark, as a client of a running local stack (open mode):
//! N WebSocket clients watch one streamer; one signed notification is
//! posted; how long until each client has the frame.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use shared::config::EventSubSecret;
use shared::eventsub::fixtures::{self, Channel};
use time::OffsetDateTime;
use tokio::sync::{mpsc, Semaphore};

use super::report::Latencies;
use super::ws_client::{read_live_ids, subscribed, Poster};
use crate::cli::FanoutArgs;
use crate::settings::eventsub_secret;

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
    super::report::status_kb(&pid.to_string(), "VmRSS")
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

//! The end-to-end benchmark, as a client of a running local stack (open
//! mode): clients watch their own streamers while notifications are posted
//! at a fixed rate (open loop); latency from the moment a POST is sent to
//! the moment its frame is read by the client.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::bail;
use shared::config::EventSubSecret;
use shared::eventsub::fixtures::{self, Channel, Delivery};
use time::OffsetDateTime;
use tokio::sync::mpsc;

use super::report::Latencies;
use super::ws_client::{read_live_ids, subscribed, Poster};
use crate::cli::EndToEndArgs;
use crate::settings::eventsub_secret;

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

//! `cargo run -p local`: Streamer Events on one machine.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use local::loadgen::{self, LoadSpec};
use local::server::{self, Stack};
use local::trigger::{self, TriggerSpec};
use local::twitch::{Twitch, TwitchSide};
use local::twitch_sim::SimConfig;
use local::wsbench;
use shared::config::{EventSubSecret, Retention, DEV_EVENTSUB_SECRET};
use shared::eventsub::headers::MessageType;
use shared::helix::config::ClientSecret;
use shared::store::sqlite::{Durability, SqliteStore};
use shared::ticket::TicketKey;

#[derive(Parser)]
#[command(
    version,
    about = "Streamer Events on one machine",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run the local stack (the default).
    Serve(ServeArgs),
    /// Send correctly signed sample deliveries to a webhook.
    Trigger(TriggerArgs),
    /// Regenerate the signed API Gateway sample events in events/.
    Samples {
        #[arg(long, default_value = "events")]
        out: PathBuf,
    },
    /// Load a running local stack with signed, unique notifications.
    Loadgen(LoadArgs),
    /// Fan-out benchmark: N WebSocket clients on one streamer, one event each round.
    BenchFanout(FanoutArgs),
    /// End-to-end benchmark: webhook POST to WebSocket frame, at a fixed rate.
    BenchE2e(EndToEndArgs),
    /// Serve only the Twitch simulator (Helix + OAuth), e.g. for bench-poll.
    Sim(SimArgs),
    /// Poller benchmark: one run against a Helix base URL (e.g. `local sim`).
    BenchPoll(BenchPollArgs),
}

#[derive(Args)]
struct SimArgs {
    #[arg(long, default_value_t = 3100)]
    port: u16,
    /// Live channels in Get Streams.
    #[arg(long, default_value_t = 250_000)]
    streams: usize,
    /// Helix points per minute (Twitch's default is 800).
    #[arg(long, default_value_t = 800)]
    rate_limit: u32,
}

#[derive(Args)]
struct BenchPollArgs {
    /// Base URL of the simulator (`/helix` and `/oauth2` under it).
    #[arg(long, default_value = "http://127.0.0.1:3100")]
    twitch: String,
    /// tracked, top:N or all.
    #[arg(long, default_value = "all")]
    mode: String,
    /// SQLite file the snapshots go to (created fresh); `-`: serialize them
    /// as the DynamoDB adapter would and drop them (the poller's own cost).
    #[arg(long, default_value = "-")]
    db: String,
}

#[derive(Args)]
struct FanoutArgs {
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: String,
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    #[arg(long, default_value_t = 5)]
    rounds: usize,
}

#[derive(Args)]
struct EndToEndArgs {
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: String,
    /// Notifications per second.
    #[arg(long, default_value_t = 1000)]
    rate: u32,
    /// Seconds to run.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Streamers, one subscribed client each.
    #[arg(long, default_value_t = 100)]
    broadcasters: usize,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Port on 127.0.0.1.
    #[arg(long, short, env = "PORT", default_value_t = 3000)]
    port: u16,
    /// SQLite database file, or :memory: for a throwaway run.
    #[arg(long, env = "DB_PATH", default_value = "data/streamer-events.db")]
    db: String,
    /// `power-loss` fsyncs every commit; `process` survives kill -9 but not power loss.
    #[arg(long, value_enum, default_value_t = DurabilityArg::PowerLoss)]
    durability: DurabilityArg,
    /// Let any WebSocket client connect without a ticket (a public feed).
    #[arg(long)]
    open: bool,
    /// Runtime worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Which Twitch: the built-in simulator, or real Twitch (needs
    /// TWITCH_CLIENT_ID, TWITCH_CLIENT_SECRET and --callback). Default: real
    /// when those credentials are set, else the simulator.
    #[arg(long, value_enum)]
    twitch: Option<TwitchArg>,
    /// Public HTTPS URL that reaches this stack's /eventsub (real Twitch only).
    #[arg(long, env = "CALLBACK_URL")]
    callback: Option<String>,
    /// Simulator: live channels in Get Streams.
    #[arg(long, default_value_t = 1000)]
    sim_streams: usize,
    /// Simulator: notifications per second delivered to enabled subscriptions (0: none).
    #[arg(long, default_value_t = 0.0)]
    sim_rate: f64,
    /// Seconds between full sweeps of the subscription manager.
    #[arg(long, default_value_t = 600)]
    sweep_secs: u64,
    /// What the poller records: tracked, top:N or all.
    #[arg(long, env = "POLL_MODE", default_value = "tracked")]
    poll_mode: String,
    /// Seconds between polls (0: no polling).
    #[arg(long, default_value_t = 60)]
    poll_secs: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum TwitchArg {
    Sim,
    Real,
}

#[derive(Clone, Copy, ValueEnum)]
enum DurabilityArg {
    PowerLoss,
    Process,
}

#[derive(Args)]
struct TriggerArgs {
    /// Subscription type, e.g. channel.follow (any type; unknown ones get a generic event).
    kind: String,
    /// Webhook URL: the local stack or a deployed one.
    #[arg(long, default_value = "http://127.0.0.1:3000/eventsub")]
    to: String,
    #[arg(long, value_enum, default_value_t = MessageTypeArg::Notification)]
    message_type: MessageTypeArg,
    /// Broadcaster user id the delivery is about.
    #[arg(long, default_value = "1337")]
    broadcaster: String,
    /// Revocation reason (the subscription's new status).
    #[arg(long, default_value = "authorization_revoked")]
    reason: String,
    #[arg(long, default_value_t = 1)]
    count: u64,
    /// Have the local stack's Twitch simulator deliver it through its own
    /// subscription for that type and streamer (track the streamer first).
    #[arg(long)]
    via_sim: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum MessageTypeArg {
    Notification,
    Verification,
    Revocation,
}

#[derive(Args)]
struct LoadArgs {
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: String,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    #[arg(long, default_value_t = 100)]
    broadcasters: usize,
}

/// Real Twitch from TWITCH_CLIENT_ID, TWITCH_CLIENT_SECRET and --callback.
fn real_twitch(args: &ServeArgs) -> anyhow::Result<Twitch> {
    let id = std::env::var("TWITCH_CLIENT_ID").context("--twitch real needs TWITCH_CLIENT_ID")?;
    let secret = std::env::var("TWITCH_CLIENT_SECRET")
        .context("--twitch real needs TWITCH_CLIENT_SECRET")?;
    let callback = args
        .callback
        .clone()
        .filter(|c| c.starts_with("https://"))
        .context(
            "--twitch real needs --callback https://… (Twitch only calls HTTPS on port 443)",
        )?;
    Ok(Twitch::Real {
        client_id: id,
        client_secret: ClientSecret::new(secret),
        callback,
    })
}

/// `EVENTSUB_SECRET`, or the documented development secret when unset.
fn secret() -> anyhow::Result<(EventSubSecret, bool)> {
    match std::env::var("EVENTSUB_SECRET") {
        Ok(v) => Ok((EventSubSecret::new(v).context("EVENTSUB_SECRET")?, false)),
        Err(_) => Ok((EventSubSecret::new(DEV_EVENTSUB_SECRET)?, true)),
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let threads = match &cli.command {
        None => cli.serve.threads,
        Some(Command::Serve(a)) => a.threads,
        _ => None,
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = threads {
        runtime.worker_threads(n.max(1));
    }
    let runtime = runtime.enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            None => serve(cli.serve).await,
            Some(Command::Serve(args)) => serve(args).await,
            Some(Command::Trigger(args)) => {
                let (secret, _) = secret()?;
                let spec = TriggerSpec {
                    kind: args.kind,
                    message_type: match args.message_type {
                        MessageTypeArg::Notification => MessageType::Notification,
                        MessageTypeArg::Verification => MessageType::Verification,
                        MessageTypeArg::Revocation => MessageType::Revocation,
                    },
                    broadcaster: args.broadcaster,
                    reason: args.reason,
                    count: args.count,
                };
                if args.via_sim {
                    trigger::run_via_sim(&args.to, &spec).await
                } else {
                    trigger::run(&args.to, &secret, &spec).await
                }
            }
            Some(Command::Samples { out }) => {
                let (secret, _) = secret()?;
                let n = local::samples::write(&out, &secret)?;
                println!("wrote {n} signed samples to {}/webhook/", out.display());
                Ok(())
            }
            Some(Command::Loadgen(args)) => {
                let (secret, _) = secret()?;
                let spec = LoadSpec {
                    addr: args.addr,
                    connections: args.connections,
                    duration: Duration::from_secs(args.duration),
                    broadcasters: args.broadcasters,
                };
                let r = loadgen::run(&spec, &secret).await?;
                println!(
                    "{{\"ok\":{},\"failed\":{},\"seconds\":{:.2},\"per_second\":{:.0},\"p50_ms\":{:.3},\"p90_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3}}}",
                    r.ok,
                    r.failed,
                    r.seconds,
                    r.ok as f64 / r.seconds,
                    r.quantile_ms(0.5),
                    r.quantile_ms(0.9),
                    r.quantile_ms(0.99),
                    r.quantile_ms(1.0)
                );
                Ok(())
            }
            Some(Command::BenchFanout(args)) => {
                let (secret, _) = secret()?;
                let r = wsbench::fanout(&args.addr, &secret, args.connections, args.rounds).await?;
                println!(
                    "{} connections opened and subscribed in {:.2}s",
                    r.connections,
                    r.setup.as_secs_f64()
                );
                for (i, l) in r.rounds.iter().enumerate() {
                    println!(
                        "round {}: first {:.1} ms, p50 {:.1} ms, p99 {:.1} ms, last {:.1} ms ({} frames)",
                        i + 1,
                        l.ms(0.0),
                        l.ms(0.5),
                        l.ms(0.99),
                        l.ms(1.0),
                        l.len()
                    );
                }
                Ok(())
            }
            Some(Command::Sim(args)) => {
                let sim = local::twitch_sim::Sim::new(SimConfig {
                    live_streams: args.streams,
                    rate_limit_per_minute: args.rate_limit.max(1),
                    ..SimConfig::default()
                });
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
                    .await
                    .with_context(|| format!("bind 127.0.0.1:{}", args.port))?;
                println!(
                    "Twitch simulator on http://{} ({} live streams, {} points/min)",
                    listener.local_addr()?,
                    args.streams,
                    args.rate_limit
                );
                axum::serve(listener, sim.routes())
                    .with_graceful_shutdown(async {
                        let _ = tokio::signal::ctrl_c().await;
                    })
                    .await?;
                Ok(())
            }
            Some(Command::BenchPoll(args)) => {
                let mode: poller::Mode = args.mode.parse()?;
                let sink = if args.db == "-" {
                    local::pollbench::Sink::Serialize
                } else {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", args.db));
                    }
                    if let Some(dir) = std::path::Path::new(&args.db).parent() {
                        std::fs::create_dir_all(dir)?;
                    }
                    local::pollbench::Sink::Sqlite(args.db.clone())
                };
                let cost = local::pollbench::run(&args.twitch, mode, sink).await?;
                let s = &cost.status;
                println!(
                    "{{\"mode\":\"{}\",\"outcome\":\"{}\",\"pages\":{},\"streams\":{},\"written\":{},\"throttled_waits\":{},\"wall_s\":{:.1},\"cpu_s\":{:.2},\"peak_rss_mib\":{}}}",
                    s.mode, s.outcome, s.pages, s.streams, s.snapshots_written, s.throttled_waits,
                    cost.wall_s, cost.cpu_s, cost.peak_rss_mib
                );
                Ok(())
            }
            Some(Command::BenchE2e(args)) => {
                let (secret, _) = secret()?;
                let r = wsbench::end_to_end(
                    &args.addr,
                    &secret,
                    args.rate,
                    Duration::from_secs(args.duration),
                    args.broadcasters,
                )
                .await?;
                println!(
                    "sent {} in {:.2}s ({:.0}/s), accepted {}, frames received {}",
                    r.sent,
                    r.seconds,
                    r.sent as f64 / r.seconds,
                    r.accepted,
                    r.delivery.len()
                );
                println!(
                    "POST -> frame: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                    r.delivery.ms(0.5),
                    r.delivery.ms(0.9),
                    r.delivery.ms(0.99),
                    r.delivery.ms(1.0)
                );
                println!(
                    "POST -> 204:   p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                    r.accept.ms(0.5),
                    r.accept.ms(0.9),
                    r.accept.ms(0.99),
                    r.accept.ms(1.0)
                );
                if r.delivery.len() < r.accepted {
                    anyhow::bail!("{} accepted events never reached their client", r.accepted - r.delivery.len());
                }
                Ok(())
            }
        }
    })
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let (secret, dev) = secret()?;
    if args.db != ":memory:" {
        if let Some(dir) = std::path::Path::new(&args.db).parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        }
    }
    let durability = match args.durability {
        DurabilityArg::PowerLoss => Durability::PowerLoss,
        DurabilityArg::Process => Durability::Process,
    };
    let store = SqliteStore::open(&args.db, durability, Retention::from_env()?)
        .with_context(|| format!("open {}", args.db))?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .with_context(|| format!("bind 127.0.0.1:{}", args.port))?;
    let addr = listener.local_addr()?;
    println!("Streamer Events local stack");
    println!("  listening on http://{addr}");
    println!("  EventSub webhook: POST http://{addr}/eventsub");
    match store.path() {
        Some(p) => println!(
            "  store: SQLite {} (WAL, {})",
            p.display(),
            match durability {
                Durability::PowerLoss => "fsync per commit: survives power loss",
                Durability::Process => "survives kill -9, not power loss",
            }
        ),
        None => println!("  store: SQLite in memory (lost on exit)"),
    }
    if dev {
        println!("  EventSub secret: the development default (EVENTSUB_SECRET unset); the trigger command uses it too");
    } else {
        println!("  EventSub secret: from EVENTSUB_SECRET");
    }
    println!(
        "  WebSocket: ws://{addr}/ws?ticket=<from GET http://{addr}/ws-ticket>{}",
        if args.open {
            " (open mode: no ticket needed)"
        } else {
            ""
        }
    );
    println!("  send a test event: cargo run -p local -- trigger channel.follow --to http://{addr}/eventsub");

    let purge_store = store.clone();
    let purger = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            match purge_store.purge_expired(now).await {
                Ok(n) if n > 0 => tracing::info!(rows = n, "purged expired rows"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "purge failed"),
            }
        }
    });
    let store = Arc::new(store);
    // Tickets are signed with TICKET_SECRET, or a key that lives and dies with
    // this process (it never leaves it except as signatures).
    let tickets = if args.open {
        None
    } else {
        let secret = std::env::var("TICKET_SECRET").unwrap_or_else(|_| {
            format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            )
        });
        Some(TicketKey::new(secret.as_bytes()).context("TICKET_SECRET must be at least 32 bytes")?)
    };
    let twitch = match args.twitch {
        Some(TwitchArg::Sim) => None,
        Some(TwitchArg::Real) => Some(real_twitch(&args)?),
        None if std::env::var("TWITCH_CLIENT_ID").is_ok() => Some(real_twitch(&args)?),
        None => None,
    };
    let twitch = twitch.unwrap_or_else(|| {
        Twitch::Sim(SimConfig {
            live_streams: args.sim_streams,
            ..SimConfig::default()
        })
    });
    let (admin_token, admin_announced) = match std::env::var("ADMIN_TOKEN") {
        Ok(t) => (t, false),
        Err(_) => (uuid::Uuid::new_v4().simple().to_string(), true),
    };
    let simulated = matches!(twitch, Twitch::Sim(_));
    let side = Arc::new(TwitchSide::new(
        twitch,
        &format!("http://{addr}"),
        secret.clone(),
        store.clone(),
        admin_token.clone(),
    )?);
    if simulated {
        println!("  Twitch: the built-in simulator (Helix at http://{addr}/helix, OAuth at http://{addr}/oauth2)");
    } else {
        println!("  Twitch: real (callback {})", side.manager.target.callback);
    }
    if admin_announced {
        println!("  admin: curl -H 'Authorization: Bearer {admin_token}' http://{addr}/admin/streamers  (set ADMIN_TOKEN to choose it)");
    } else {
        println!("  admin: http://{addr}/admin/streamers (bearer ADMIN_TOKEN)");
    }
    side.spawn_manager(&store, Duration::from_secs(args.sweep_secs.max(1)));
    let poll_mode: poller::Mode = args.poll_mode.parse()?;
    if args.poll_secs > 0 {
        side.spawn_poller(
            store.clone(),
            poll_mode,
            Duration::from_secs(args.poll_secs),
        );
        println!(
            "  poller: {poll_mode} every {} s (status: GET http://{addr}/api/poller)",
            args.poll_secs
        );
    }
    println!("  read API: http://{addr}/api/openapi.json");
    if let (Some(sim), true) = (&side.sim, args.sim_rate > 0.0) {
        sim.start_traffic(args.sim_rate);
    }
    let stack = Stack::with_twitch(secret, store.clone(), addr, tickets, Some(side));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        println!("shutting down: finishing requests in flight");
    };
    server::serve(listener, stack, shutdown).await?;
    purger.abort();
    // Every request in flight has been answered, and each answer came after
    // its commit. The store's writer drains and checkpoints when the runtime
    // drops the last task holding the store (the fan-out feed).
    drop(store);
    println!("stopped cleanly");
    Ok(())
}

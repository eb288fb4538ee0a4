//! `local serve` and `local sim`, start to finish: with the settings read, open
//! the store, print the banner, start the Twitch side, its manager and
//! poller, build the [`Stack`] and serve it until Ctrl-C.
//!
//! Tests build a [`Stack`] with [`Stack::build`] and run it with
//! [`crate::server::run`] on an ephemeral port.

use std::sync::Arc;

use anyhow::Context;
use shared::config::Retention;
use shared::store::sqlite::{Durability, SqliteStore};
use tokio::net::TcpListener;

use crate::cli::SimArgs;
use crate::periodic::{spawn_purger, Recovery, SessionSweep};
use crate::settings::Settings;
use crate::stack::Stack;
use crate::twitch::LocalTwitch;
use crate::{banner, heartbeat, server};
use shared::clock::now_ms;
use twitch_sim::{Sim, SimConfig};

/// `local serve`: builds every part of the stack, says where each one
/// answers, and runs until Ctrl-C.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let store = open_store(&settings.db, settings.durability, settings.retention)?;
    let listener = bind(settings.port).await?;
    let addr = listener.local_addr()?;
    let purger = spawn_purger(store.clone());
    let store = Arc::new(store);
    banner::print(&settings, addr, store.path());
    let side = Arc::new(LocalTwitch::new(
        settings.twitch,
        &format!("http://{addr}"),
        settings.stack.secret.clone(),
        store.clone(),
        settings.admin.token.clone(),
    )?);
    if let Some(path) = heartbeat::path_for(&settings.db) {
        // Before the manager runs: the stop's gaps predate what it finds.
        if let Some((from_ms, to_ms)) = side.stop_rule.stop(heartbeat::last_beat(&path), now_ms()) {
            side.manager
                .record_stop(from_ms, to_ms)
                .await
                .context("record the stop of the stack as coverage gaps")?;
        }
        heartbeat::spawn(path);
    }
    side.spawn_manager(&store, settings.sweep_every, settings.gap_pass_every);
    if let Some(every) = settings.poll_every {
        side.spawn_poller(store.clone(), settings.poll_mode, every);
    }
    if let (Some(sim), true) = (&side.sim, settings.sim_rate > 0.0) {
        sim.start_traffic(settings.sim_rate);
    }
    let stack = Stack::build(settings.stack, store.clone(), addr, Some(side));
    SessionSweep::of(&stack)
        .keeping_lists(&stack, store.clone())
        .spawn(settings.sweep_every);
    Recovery::of(&stack, store.clone()).spawn(settings.gap_pass_every);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        println!("shutting down: finishing requests in flight");
    };
    server::run(listener, stack, shutdown).await?;
    purger.abort();
    // Every request in flight has been answered, and each answer came after
    // its commit. The store's writer drains and checkpoints when the runtime
    // drops the last task holding the store (the fan-out feed).
    drop(store);
    println!("stopped cleanly");
    Ok(())
}

/// `local sim`: only the Twitch simulator (Helix and OAuth), until Ctrl-C.
pub async fn serve_sim(args: SimArgs) -> anyhow::Result<()> {
    let sim = Sim::new(SimConfig {
        live_streams: args.streams,
        rate_limit_per_minute: args.rate_limit.max(1),
        ..SimConfig::default()
    });
    let listener = bind(args.port).await?;
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

async fn bind(port: u16) -> anyhow::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("bind 127.0.0.1:{port}"))
}

/// The SQLite store at `db` (its directory created), or in memory for `:memory:`.
fn open_store(
    db: &str,
    durability: Durability,
    retention: Retention,
) -> anyhow::Result<SqliteStore> {
    if db != ":memory:" {
        if let Some(dir) = std::path::Path::new(db).parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        }
    }
    SqliteStore::open(db, durability, retention).with_context(|| format!("open {db}"))
}

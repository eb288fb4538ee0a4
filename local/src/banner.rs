//! What `local serve` prints at start-up: where each part of the stack
//! answers, and the settings a developer needs to know it runs with.

use std::net::SocketAddr;
use std::path::Path;

use shared::store::sqlite::Durability;

use crate::listen::{self, Limits};
use crate::settings::Settings;
use crate::twitch::Twitch;

/// Prints the banner of the stack at `addr` running with `settings`, its
/// store at `store` (`None`: in memory).
pub fn print(settings: &Settings, addr: SocketAddr, store: Option<&Path>) {
    println!("Streamer Events local stack");
    println!("  listening on http://{addr}");
    let limits = Limits::default();
    match listen::descriptor_limit() {
        Some(n) => println!(
            "  connections: at most {} at once (descriptor limit {n}, {} kept for the store and outbound calls)",
            limits.within_descriptors(Some(n)).connections,
            listen::RESERVED_DESCRIPTORS
        ),
        None => println!(
            "  connections: at most {} at once (descriptor limit unknown)",
            limits.connections
        ),
    }
    println!("  EventSub webhook: POST http://{addr}/eventsub");
    match store {
        Some(p) => println!(
            "  store: SQLite {} (WAL, {})",
            p.display(),
            match settings.durability {
                Durability::PowerLoss => "fsync per commit: survives power loss",
                Durability::Process => "survives kill -9, not power loss",
            }
        ),
        None => println!("  store: SQLite in memory (lost on exit)"),
    }
    if settings.dev_secret {
        println!("  EventSub secret: the development default (EVENTSUB_SECRET unset); the trigger command uses it too");
    } else {
        println!("  EventSub secret: from EVENTSUB_SECRET");
    }
    println!(
        "  WebSocket: ws://{addr}/ws?ticket=<from POST http://{addr}/api/ws-ticket, logged in>{}",
        if settings.stack.tickets.is_none() {
            " (open mode: no ticket needed)"
        } else {
            ""
        }
    );
    println!("  send a test event: cargo run -p local -- trigger channel.follow --to http://{addr}/eventsub");
    match &settings.twitch {
        Twitch::Sim(_) => println!("  Twitch: the built-in simulator (Helix at http://{addr}/helix, OAuth at http://{addr}/oauth2)"),
        Twitch::Real { callback, .. } => println!("  Twitch: real (callback {callback})"),
    }
    let admin = &settings.admin;
    if admin.generated {
        println!(
            "  admin: curl -H 'Authorization: Bearer {}' http://{addr}/admin/streamers  (set ADMIN_TOKEN to choose it)",
            admin.token
        );
    } else {
        println!("  admin: http://{addr}/admin/streamers (bearer ADMIN_TOKEN)");
    }
    if let Some(every) = settings.poll_every {
        println!(
            "  poller: {} every {} s (status: GET http://{addr}/api/poller)",
            settings.poll_mode,
            every.as_secs()
        );
    }
    println!("  read API: http://{addr}/api/openapi.json");
    println!(
        "  log in: http://localhost:{}/auth/login (or the page's button); sessions: {}",
        addr.port(),
        settings.seal_from
    );
    println!("  cookies: plain http on loopback, so without Secure and the __Host- prefix (AWS sets both)");
}

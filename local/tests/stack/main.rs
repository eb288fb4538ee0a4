//! The local stack end to end: the real binary and its SQLite files, the
//! server's limits, WebSocket clients (one that stops reading among them),
//! and the whole loop through the Twitch simulator. One module per concern,
//! all one test binary (each binary links the whole stack).

#[path = "../support/mod.rs"]
mod support;

mod binary;
mod ledger_keys;
mod limits;
mod memory;
mod twitch_e2e;
mod ws_e2e;
mod ws_stuck;

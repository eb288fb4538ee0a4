//! The helpers shared with the simulator's own tests (one copy, in
//! `twitch_sim/tests/support`).

#[path = "../../../../twitch_sim/tests/support/mod.rs"]
mod common;

pub use common::*;

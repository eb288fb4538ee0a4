//! The benchmarks: clients and stand-ins run against a local stack (or the
//! simulator), each a `local` subcommand that `scripts/bench-*.sh` drive.
//!
//! - [`loadgen`]: the ingest benchmark's load generator.
//! - [`sink`]: a receiver that answers 204 and does nothing (the generator's ceiling).
//! - [`pollbench`]: the poller benchmark (one run, its CPU time and peak memory).
//! - [`ws_fanout`]: the fan-out benchmark (N clients on one streamer).
//! - [`ws_end_to_end`]: the end-to-end benchmark (webhook POST to WebSocket frame).
//! - [`ws_client`]: the WebSocket benchmarks' subscribed socket and poster.
//! - [`report`]: latency quantiles and the benchmarks' JSON lines.

pub mod loadgen;
pub mod pollbench;
pub mod report;
pub mod sink;
pub mod ws_client;
pub mod ws_end_to_end;
pub mod ws_fanout;

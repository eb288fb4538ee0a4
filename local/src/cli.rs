//! The `local` command line: every subcommand's arguments, flags, defaults
//! and environment variables (what `local --help` shows).
//!
//! The clap types carry `//` comments, not doc comments: clap turns a type's
//! doc comment into help text, and the help must stay as it is.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use shared::eventsub::headers::MessageType;
use shared::store::sqlite::Durability;

// `local [serve flags] | local <command> …`.
#[derive(Parser)]
#[command(
    version,
    about = "Streamer Events on one machine",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

impl Cli {
    /// The runtime's worker threads: `--threads` of the stack, else one per core.
    pub fn threads(&self) -> Option<usize> {
        match &self.command {
            None => self.serve.threads,
            Some(Command::Serve(a)) => a.threads,
            Some(Command::Sink(_)) => Some(1),
            _ => None,
        }
    }
}

// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Run the local stack (the default).
    Serve(ServeArgs),
    /// Send correctly signed sample deliveries to a webhook.
    Trigger(TriggerArgs),
    /// Regenerate the signed API Gateway sample events in events/.
    Samples(SamplesArgs),
    /// Load a running local stack with signed, unique notifications.
    Loadgen(LoadArgs),
    /// Answer 204 to every request and do nothing: the load generator's ceiling.
    Sink(SinkArgs),
    /// Fan-out benchmark: N WebSocket clients on one streamer, one event each round.
    BenchFanout(FanoutArgs),
    /// End-to-end benchmark: webhook POST to WebSocket frame, at a fixed rate.
    BenchE2e(EndToEndArgs),
    /// Serve only the Twitch simulator (Helix + OAuth), e.g. for bench-poll.
    Sim(SimArgs),
    /// Poller benchmark: one run against a Helix base URL (e.g. `local sim`).
    BenchPoll(BenchPollArgs),
    /// Write days of viewer snapshots for one streamer into a stack's
    /// database (something for the 7-day chart to show).
    History(HistoryArgs),
}

// `local serve` (and `local` alone).
#[derive(Args, Clone)]
pub struct ServeArgs {
    /// Port on 127.0.0.1.
    #[arg(long, short, env = "PORT", default_value_t = 3000)]
    pub port: u16,
    /// SQLite database file, or :memory: for a throwaway run.
    #[arg(long, env = "DB_PATH", default_value = "data/streamer-events.db")]
    pub db: String,
    /// `power-loss` fsyncs every commit; `process` survives kill -9 but not power loss.
    #[arg(long, value_enum, default_value_t = DurabilityArg::PowerLoss)]
    pub durability: DurabilityArg,
    /// Let any WebSocket client connect without a ticket (a public feed).
    #[arg(long)]
    pub open: bool,
    /// Runtime worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Which Twitch: the built-in simulator, or real Twitch (needs
    /// TWITCH_CLIENT_ID, TWITCH_CLIENT_SECRET and --callback). Default: real
    /// when those credentials are set, else the simulator.
    #[arg(long, value_enum)]
    pub twitch: Option<TwitchArg>,
    /// Public HTTPS URL that reaches this stack's /eventsub (real Twitch only).
    #[arg(long, env = "CALLBACK_URL")]
    pub callback: Option<String>,
    /// Simulator: live channels in Get Streams.
    #[arg(long, default_value_t = 1000)]
    pub sim_streams: usize,
    /// Simulator: Helix points per minute (Twitch's app limit: 800); the
    /// outage drill scales it with its compression of Twitch time.
    #[arg(long, default_value_t = 800)]
    pub sim_rate_limit: u32,
    /// Simulator: notifications per second delivered to enabled subscriptions (0: none).
    #[arg(long, default_value_t = 0.0)]
    pub sim_rate: f64,
    /// Seconds between full sweeps of the subscription manager.
    #[arg(long, default_value_t = 600)]
    pub sweep_secs: u64,
    /// Seconds between passes over the streamers with an open coverage gap
    /// (AWS: every minute), fractions allowed (the outage drill's are compressed).
    #[arg(long, default_value_t = 60.0)]
    pub gap_pass_secs: f64,
    /// What the poller records: tracked, top:N or all.
    #[arg(long, env = "POLL_MODE", default_value = "tracked")]
    pub poll_mode: String,
    /// Seconds between polls (0: no polling).
    #[arg(long, default_value_t = 60)]
    pub poll_secs: u64,
}

// `--twitch`.
#[derive(Clone, Copy, ValueEnum)]
pub enum TwitchArg {
    Sim,
    Real,
}

// `--durability`.
#[derive(Clone, Copy, ValueEnum)]
pub enum DurabilityArg {
    PowerLoss,
    Process,
}

impl From<DurabilityArg> for Durability {
    fn from(arg: DurabilityArg) -> Self {
        match arg {
            DurabilityArg::PowerLoss => Durability::PowerLoss,
            DurabilityArg::Process => Durability::Process,
        }
    }
}

// `local trigger`.
#[derive(Args)]
pub struct TriggerArgs {
    /// Subscription type, e.g. channel.follow (any type; unknown ones get a generic event).
    pub kind: String,
    /// Webhook URL: the local stack or a deployed one.
    #[arg(long, default_value = "http://127.0.0.1:3000/eventsub")]
    pub to: String,
    #[arg(long, value_enum, default_value_t = MessageTypeArg::Notification)]
    pub message_type: MessageTypeArg,
    /// Broadcaster user id the delivery is about.
    #[arg(long, default_value = "1337")]
    pub broadcaster: String,
    /// Revocation reason (the subscription's new status).
    #[arg(long, default_value = "authorization_revoked")]
    pub reason: String,
    #[arg(long, default_value_t = 1)]
    pub count: u64,
    /// Have the local stack's Twitch simulator deliver it through its own
    /// subscription for that type and streamer (track the streamer first).
    #[arg(long)]
    pub via_sim: bool,
}

// `--message-type`.
#[derive(Clone, Copy, ValueEnum)]
pub enum MessageTypeArg {
    Notification,
    Verification,
    Revocation,
}

impl From<MessageTypeArg> for MessageType {
    fn from(arg: MessageTypeArg) -> Self {
        match arg {
            MessageTypeArg::Notification => MessageType::Notification,
            MessageTypeArg::Verification => MessageType::Verification,
            MessageTypeArg::Revocation => MessageType::Revocation,
        }
    }
}

// `local samples`.
#[derive(Args)]
pub struct SamplesArgs {
    #[arg(long, default_value = "events")]
    pub out: PathBuf,
}

// `local loadgen`.
#[derive(Args)]
pub struct LoadArgs {
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: String,
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Path to POST to; `{type}`, `{broadcaster}` and `{twurple}` (twurple's
    /// subscription id) are filled in per request.
    #[arg(long, default_value = "/eventsub")]
    pub path: String,
    #[arg(long, default_value_t = 5000)]
    pub broadcasters: usize,
    /// Unique notifications built before the run (repeated after that).
    #[arg(long, default_value_t = 300_000)]
    pub unique: usize,
    /// One request in this many is a Twitch retry of an earlier one (0: none).
    #[arg(long, default_value_t = 20)]
    pub retry_every: u64,
}

// `local sink`.
#[derive(Args)]
pub struct SinkArgs {
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 3901)]
    pub port: u16,
}

// `local bench-fanout`.
#[derive(Args)]
pub struct FanoutArgs {
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: String,
    #[arg(long, default_value_t = 10_000)]
    pub connections: usize,
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// The server's pid on this machine: report its memory per idle socket.
    #[arg(long)]
    pub server_pid: Option<u32>,
}

// `local bench-e2e`.
#[derive(Args)]
pub struct EndToEndArgs {
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: String,
    /// Notifications per second.
    #[arg(long, default_value_t = 1000)]
    pub rate: u32,
    /// Seconds to run.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Streamers, one subscribed client each.
    #[arg(long, default_value_t = 100)]
    pub broadcasters: usize,
}

// `local sim`.
#[derive(Args)]
pub struct SimArgs {
    #[arg(long, default_value_t = 3100)]
    pub port: u16,
    /// Live channels in Get Streams.
    #[arg(long, default_value_t = 250_000)]
    pub streams: usize,
    /// Helix points per minute (Twitch's default is 800).
    #[arg(long, default_value_t = 800)]
    pub rate_limit: u32,
}

// `local bench-poll`.
#[derive(Args)]
pub struct BenchPollArgs {
    /// Base URL of the simulator (`/helix` and `/oauth2` under it).
    #[arg(long, default_value = "http://127.0.0.1:3100")]
    pub twitch: String,
    /// tracked, top:N or all.
    #[arg(long, default_value = "all")]
    pub mode: String,
    /// SQLite file the snapshots go to (created fresh); `-`: serialize them
    /// as the DynamoDB adapter would and drop them (the poller's own cost).
    #[arg(long, default_value = "-")]
    pub db: String,
}

// `local history`.
#[derive(Args)]
pub struct HistoryArgs {
    /// The stack's SQLite file (`serve --db`).
    #[arg(long)]
    pub db: String,
    /// The streamer's user id.
    #[arg(long)]
    pub broadcaster: String,
    /// Days back from now.
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// Minutes between two snapshots.
    #[arg(long, default_value_t = 10)]
    pub every_mins: u32,
}

//! `local serve`'s settings: its flags and every environment variable it
//! reads, read once at start-up (through `shared::config::env`) into one
//! [`Settings`]; the stack's own part is [`StackSettings`].

use std::path::PathBuf;
use std::time::Duration;

use shared::auth::seal::SealKey;
use shared::config::{env, Budgets, ConfigError, EventSubSecret, Retention, DEV_EVENTSUB_SECRET};
use shared::helix::config::ClientSecret;
use shared::store::sqlite::Durability;
use shared::ticket::TicketKey;

use crate::cli::{ServeArgs, TwitchArg};
use crate::keys::{self, random_secret, SealKeyError};
use crate::sigv4::Credentials;
use crate::twitch::Twitch;
use twitch_sim::SimConfig;

/// Why `local serve` cannot start with the settings it was given.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    SealKey(#[from] SealKeyError),
    #[error(transparent)]
    PollMode(#[from] poller::mode::BadMode),
    /// `--twitch real` without what real Twitch needs.
    #[error("--twitch real needs {0}")]
    RealTwitch(&'static str),
}

/// Everything `local serve` runs with.
pub struct Settings {
    /// Port on 127.0.0.1 (`--port`, `PORT`).
    pub port: u16,
    /// The SQLite file, or `:memory:` (`--db`, `DB_PATH`).
    pub db: String,
    pub durability: Durability,
    /// How long events are kept (`EVENT_RETENTION_DAYS`).
    pub retention: Retention,
    /// True when `EVENTSUB_SECRET` is unset and the development secret is used.
    pub dev_secret: bool,
    /// The simulator, or real Twitch (`--twitch`, `TWITCH_CLIENT_ID`, …).
    pub twitch: Twitch,
    /// The admin routes' bearer token (`ADMIN_TOKEN`, or one made up).
    pub admin: AdminToken,
    /// Between two full sweeps of the subscription manager (and of sessions).
    pub sweep_every: Duration,
    /// Between two passes over the streamers with an open coverage gap.
    pub gap_pass_every: Duration,
    /// What the poller records (`--poll-mode`, `POLL_MODE`).
    pub poll_mode: poller::Mode,
    /// Between two polls; `None`: no polling.
    pub poll_every: Option<Duration>,
    /// Simulator notifications per second (0: none).
    pub sim_rate: f64,
    /// Where the key sealing sessions' tokens came from (the banner says).
    pub seal_from: String,
    /// What the stack itself is built from.
    pub stack: StackSettings,
}

/// What [`crate::stack::Stack::build`] needs beyond a store and an address.
pub struct StackSettings {
    /// The EventSub secret deliveries are signed with.
    pub secret: EventSubSecret,
    /// The key `/ws` tickets are signed with; `None`: open mode.
    pub tickets: Option<TicketKey>,
    /// The key that seals sessions' Twitch tokens.
    pub seal: SealKey,
    /// Fan-out posts at once (`BROADCAST_CONCURRENCY`).
    pub fanout_concurrency: usize,
    /// What `@connections` calls must be signed with.
    pub management: Credentials,
    /// The page's directory (`WEB_DIR`).
    pub web_dir: PathBuf,
    /// Deployment-wide ceilings (`shared::config::Budgets`).
    pub budgets: Budgets,
}

impl Settings {
    /// Reads `args` and the environment, once.
    pub fn read(args: ServeArgs) -> Result<Self, SettingsError> {
        let LocalSecret { secret, is_dev } = eventsub_secret()?;
        let tickets = keys::ticket_key(args.open, env::optional("TICKET_SECRET"))?;
        let (stack, seal_from) = StackSettings::for_db(&args.db, secret, tickets)?;
        let poll_every = (args.poll_secs > 0).then(|| Duration::from_secs(args.poll_secs));
        Ok(Self {
            port: args.port,
            durability: Durability::from(args.durability),
            retention: Retention::from_env()?,
            dev_secret: is_dev,
            twitch: choose_twitch(&args)?,
            admin: AdminToken::read(),
            sweep_every: Duration::from_secs(args.sweep_secs.max(1)),
            gap_pass_every: Duration::from_secs_f64(args.gap_pass_secs.clamp(0.1, 86_400.0)),
            poll_mode: args.poll_mode.parse()?,
            poll_every,
            sim_rate: args.sim_rate,
            seal_from,
            stack,
            db: args.db,
        })
    }
}

impl StackSettings {
    /// The stack's settings from the environment, with these secret, ticket
    /// key and seal key.
    pub fn read(secret: EventSubSecret, tickets: Option<TicketKey>, seal: SealKey) -> Self {
        let fanout_concurrency = fanout::concurrency_from_env().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "using the default fan-out concurrency");
            fanout::DEFAULT_CONCURRENCY
        });
        Self {
            secret,
            tickets,
            seal,
            fanout_concurrency,
            management: Credentials::given_or_random(
                env::optional("AWS_ACCESS_KEY_ID"),
                env::optional("AWS_SECRET_ACCESS_KEY"),
            ),
            web_dir: web_dir(),
            budgets: Budgets::read_or_default(),
        }
    }

    /// [`StackSettings::read`] with the seal key `local serve --db db` uses
    /// (see [`keys::seal_key`]), and where that key came from.
    pub fn for_db(
        db: &str,
        secret: EventSubSecret,
        tickets: Option<TicketKey>,
    ) -> Result<(Self, String), SealKeyError> {
        let (seal, from) = keys::seal_key(db, env::optional("SESSION_KEY"))?;
        Ok((Self::read(secret, tickets, seal), from))
    }
}

/// The page's directory: `WEB_DIR`, else the repository's `web/` (served
/// from disk so edits show on reload; the Lambda serves embedded copies).
fn web_dir() -> PathBuf {
    env::optional("WEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web"))
}

/// The EventSub secret the local tools sign and check with.
pub struct LocalSecret {
    pub secret: EventSubSecret,
    /// True when `EVENTSUB_SECRET` is unset and the documented development
    /// secret is used (the start-up banner says so).
    pub is_dev: bool,
}

/// `EVENTSUB_SECRET`, or the documented development secret when unset.
pub fn eventsub_secret() -> Result<LocalSecret, ConfigError> {
    match env::optional("EVENTSUB_SECRET") {
        Some(v) => Ok(LocalSecret {
            secret: EventSubSecret::new(v)?,
            is_dev: false,
        }),
        None => Ok(LocalSecret {
            secret: EventSubSecret::new(DEV_EVENTSUB_SECRET)?,
            is_dev: true,
        }),
    }
}

/// `--twitch`, or real Twitch when its credentials are set, else the simulator.
fn choose_twitch(args: &ServeArgs) -> Result<Twitch, SettingsError> {
    let client_id = env::optional("TWITCH_CLIENT_ID");
    let real = match args.twitch {
        Some(TwitchArg::Sim) => false,
        Some(TwitchArg::Real) => true,
        None => client_id.is_some(),
    };
    if !real {
        return Ok(Twitch::Sim(SimConfig {
            live_streams: args.sim_streams,
            rate_limit_per_minute: args.sim_rate_limit.max(1),
            // Only this process's own Twitch client uses it: a secret made now
            // means no other local process can mint the app's token and delete
            // its subscriptions or drain its rate budget.
            client_secret: random_secret(),
            ..SimConfig::default()
        }));
    }
    // Real Twitch from TWITCH_CLIENT_ID, TWITCH_CLIENT_SECRET and --callback.
    let client_id = client_id.ok_or(SettingsError::RealTwitch("TWITCH_CLIENT_ID"))?;
    let secret = env::optional("TWITCH_CLIENT_SECRET")
        .ok_or(SettingsError::RealTwitch("TWITCH_CLIENT_SECRET"))?;
    let callback = args
        .callback
        .clone()
        .filter(|c| c.starts_with("https://"))
        .ok_or(SettingsError::RealTwitch(
            "--callback https://… (Twitch only calls HTTPS on port 443)",
        ))?;
    Ok(Twitch::Real {
        client_id,
        client_secret: ClientSecret::new(secret),
        callback,
    })
}

/// The bearer token of the admin routes.
pub struct AdminToken {
    pub token: String,
    /// True when `ADMIN_TOKEN` is unset and this one was made up (the banner
    /// then shows it, or nobody could use the routes).
    pub generated: bool,
}

impl AdminToken {
    /// `ADMIN_TOKEN`, or one made up now.
    fn read() -> Self {
        match env::optional("ADMIN_TOKEN") {
            Some(token) => Self {
                token,
                generated: false,
            },
            None => Self {
                token: uuid::Uuid::new_v4().simple().to_string(),
                generated: true,
            },
        }
    }
}

//! Streamer Events on one machine: the Lambda handlers behind a local HTTP
//! server, an embedded SQLite store, and the tools around them.
//!
//! - [`settings`]: `local serve`'s flags and environment, read once.
//! - [`app`]: `local serve` and `local sim`, start to finish (store, Twitch
//!   side, manager, poller, banner, stack, server).
//! - [`banner`]: what `local serve` prints at start-up.
//! - [`stack`]: the stack assembled ([`stack::Stack::build`]): webhook,
//!   tickets, `/ws`, `@connections`, fan-out feed, account routes, api.
//! - [`server`]: the stack's routes, the `Host` check and the server run.
//! - [`fanout_feed`]: the store's commit feed fanned out, one lane per streamer.
//! - [`periodic`]: the hourly purge of expired rows, the session sweep and
//!   recovery from Helix of what coverage gaps missed.
//! - [`heartbeat`]: when the stack was last alive, so a stop past Twitch's
//!   retry window becomes coverage gaps at the next start.
//! - [`keys`]: random secrets, the ticket key and the sessions' seal key.
//! - [`cli`]: the command line's arguments.
//! - [`listen`]: the HTTP server's limits: connections, header and request deadlines.
//! - [`bridge`]: axum request → `lambda_http` request → handler → axum response.
//! - [`function_url`]: the webhook through a Lambda function URL's event
//!   (`/function-url/…`), as `WebhookFrontDoor=function-url` delivers it.
//! - [`api_host`]: the api function's handler: the read API, the account routes
//!   (log in, sessions, favourites, tickets) and the page.
//! - [`gateway`]: live WebSocket connections and the `@connections` API.
//! - [`sigv4`]: the `@connections` API's SigV4 check (signatures recomputed with the stack's credentials).
//! - [`ws`]: the WebSocket endpoint, turning frames into API Gateway events.
//! - [`trigger`]: sends correctly signed sample deliveries, like `twitch event trigger`.
//! - [`twitch`]: the Twitch side: simulator (the `twitch_sim` crate) or real
//!   Twitch, the subscription manager on the store's streamer changes, the admin routes.
//! - [`samples`]: writes the API Gateway–shaped sample events in `events/`.
//! - [`history`]: writes days of viewer snapshots into a stack's database.
//! - [`bench`]: the benchmarks (ingest load generator and sink, poller,
//!   fan-out and end-to-end WebSocket), each a `local` subcommand.

pub mod api_host;
pub mod app;
pub mod banner;
pub mod bench;
pub mod bridge;
pub mod cli;
pub mod fanout_feed;
pub mod function_url;
pub mod gateway;
pub mod heartbeat;
pub mod history;
pub mod keys;
pub mod listen;
pub mod periodic;
pub mod samples;
pub mod server;
pub mod settings;
pub mod sigv4;
pub mod stack;
pub mod trigger;
pub mod twitch;
pub mod ws;

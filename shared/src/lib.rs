//! Streamer Events: what every function and the local stack share.
//!
//! Map of the crate:
//! - [`auth`]: log in with Twitch without the talking: ID token checks, sealed
//!   tokens at rest, session ids and lifetimes, cookies, origin and redirect checks.
//! - `aws` (features `dynamo`, `push`): the AWS SDK configuration from the
//!   environment, loaded once per process for every client, and its HTTPS client
//!   (the Amazon roots compiled in). With feature `secrets`: `aws::secrets`,
//!   a function's secrets from its Secrets Manager secret (`SECRETS_ID`) or
//!   its environment, and `aws::deferred`, its state built at init or at the
//!   first invocation that can read them (`aws::secrets::stand_in`, feature
//!   `fixtures`: the store on loopback, for tests and benchmarks).
//! - [`bearer`]: the admin bearer-token check (constant time, any-case scheme).
//! - [`clock`]: now and RFC 3339 times as Unix milliseconds.
//! - [`config`]: settings read from the environment, including the EventSub
//!   secret (validated, never printed).
//! - [`eventsub::headers`]: the `Twitch-Eventsub-*` request headers, parsed and checked.
//! - [`eventsub::verify`]: HMAC signature check (and signing, for tools) and the
//!   freshness window.
//! - [`eventsub::catalog`]: the one list of EventSub types and the lookups by
//!   name (label, summary, dedupe key); which ones a tracked streamer gets.
//! - [`eventsub::kind`]: what the catalog says of one type (version,
//!   condition, authorization, label, summary, dedupe key, sample, fixture).
//! - [`eventsub::types`]: a file per family of types (follow, subscriptions,
//!   cheer, raid, stream, hype trains, …), each type's entry, summary, dedupe
//!   key, Twitch's documented sample, fixture and tests in one place.
//! - [`eventsub::status`]: the subscription status vocabulary (working,
//!   failed, revoked).
//! - [`eventsub::subscription`]: the one `subscription` object (webhook bodies
//!   and Helix alike) and the rule for which condition field names the broadcaster.
//! - [`eventsub::envelope`]: the JSON bodies of the three message types.
//! - [`eventsub::summary`]: the normalized one-line summary and the field
//!   readers the types' summaries are written with.
//! - `eventsub::fixtures` (feature `fixtures`): realistic signed sample
//!   deliveries, each event from its type's fixture.
//! - `eventsub::scene` (feature `fixtures`): what a type's fixture event is
//!   made from (the channel, a varying viewer, the time).
//! - [`ticket`]: short-lived signed tickets for WebSocket `$connect`.
//! - [`frames`]: the JSON frames WebSocket clients receive.
//! - [`store`]: the storage traits (one per aggregate) and their shared types.
//! - [`store::coverage`]: coverage gaps (a streamer's type wanted and not
//!   received), their life from open to recovering to closed; each adapter
//!   keeps them beside the streamers (`gaps.rs`).
//! - [`store::grants`]: each broadcaster's sealed grant, apart from sessions
//!   (both adapters keep it in the users table, `users/grants.rs`).
//! - [`store::users`]: the users table's traits, one per role (logins,
//!   sessions, favourites, overlays, allowances), and the allowance policy;
//!   each adapter has a `users/` folder with a file per role.
//! - `store::sqlite` (feature `sqlite`): the embedded adapter, with group commit.
//! - `store::dynamo` (feature `dynamo`): the DynamoDB adapter; its module doc
//!   holds the key schema of every table next to its access patterns, and it
//!   alone reads items, from queries and from stream records alike;
//!   `store::dynamo::capacity` meters the capacity units its requests consume
//!   (tests and the cost report attach it; the functions never do);
//!   `store::dynamo::day_counts` counts the events stream's inserts into the
//!   day counters exactly once (the counting consumer's work);
//!   `store::dynamo::legacy_events` is the write before the keyed put (the
//!   migration tests' fixture, to delete after one retention period).
//! - [`metrics`]: CloudWatch metrics as Embedded Metric Format log lines.
//! - [`push`]: the port to WebSocket clients (post a frame to a connection);
//!   its AWS adapter `Pusher` (feature `push`) is the API Gateway
//!   `@connections` client, pointed at AWS or at the local stack.
//! - `sessions` (feature `helix`): the hourly validation of sessions' Twitch
//!   tokens (refresh once, else end the session).
//! - `grants` (feature `helix`): broadcasters' grants in use: kept at a
//!   channel login, validated hourly like sessions, and opened (refreshed
//!   when expired) for recovery, or "the broadcaster must log in again".
//! - `helix` (feature `helix`): the one client for Twitch HTTP (app token,
//!   and a broadcaster's token for recovery's reads; rate limits, retries,
//!   cursor pages): users, EventSub subscriptions, streams.
//! - `recovery` (feature `helix`): after a coverage gap, what Helix still
//!   knows of it (follows, stream starts and ends, redemptions) stored as
//!   recovered events, each once, and the gap closed with what was found;
//!   a file per concern (sources per type, fetches, rebuilt events, the
//!   broadcaster's token, the run).

pub mod auth;
#[cfg(any(feature = "dynamo", feature = "push"))]
pub mod aws;
pub mod bearer;
pub mod clock;
pub mod config;
pub mod eventsub;
pub mod frames;
#[cfg(feature = "helix")]
pub mod grants;
#[cfg(feature = "helix")]
pub mod helix;
pub mod metrics;
pub mod push;
#[cfg(feature = "helix")]
pub mod recovery;
#[cfg(feature = "helix")]
pub mod sessions;
pub mod store;
pub mod ticket;

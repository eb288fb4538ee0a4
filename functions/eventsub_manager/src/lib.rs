//! The subscription manager: keeps Twitch's EventSub subscriptions in line
//! with the streamers users want to watch.
//!
//! - [`plan`]: what to create and delete for one streamer, and the state of
//!   each type (a pure function; its cases in `plan/tests.rs`), moving
//!   subscriptions from a former callback create-before-delete
//!   (`plan/tests_moving.rs`).
//! - [`apply`]: carries a plan out through the Helix client and turns
//!   Twitch's answers (202, 409, 403, 400, 429) into those states.
//! - [`budget`]: the EventSub cost budget from Twitch's totals: what a
//!   create costs, the reserve kept for streamers already tracked.
//! - [`manager`]: tracking and releasing streamers, one-streamer reconciles
//!   with stored states; `manager/sweep.rs`: the sweep over every tracked
//!   streamer ([`manager::SweepReport`]); `manager/coverage.rs`: a type
//!   enabled again ends its coverage gap; `manager/gap_pass.rs`: the
//!   one-minute pass over streamers with an open gap
//!   ([`manager::GapPassReport`]); `manager/app_coverage.rs`: the gaps of
//!   our app's own subscriptions, under the client id; `manager/stop.rs`: a
//!   stop of the stack recorded as gaps.
//! - [`lease`]: the store leases that let several instances run at once
//!   without deleting a wanted subscription (the design is there).
//! - [`app_subscriptions`]: the subscriptions about our own client (users
//!   granting and revoking our app), one of each kept.
//! - [`admin`]: the admin HTTP routes (track, untrack, list with states and budget).
//! - `handler` (feature `aws`): the Lambda entry (streamers-table stream,
//!   schedule, HTTP), its three triggers typed with `aws_lambda_events`.
//! - `aws` (feature `aws`): the Lambda's wiring, from the environment.

pub mod admin;
pub mod app_subscriptions;
pub mod apply;
#[cfg(feature = "aws")]
pub mod aws;
pub mod budget;
#[cfg(feature = "aws")]
pub mod handler;
pub mod lease;
pub mod manager;
pub mod plan;

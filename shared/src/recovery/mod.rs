//! Recovery from Helix: after a coverage gap ends (its type is received
//! again, the gap `recovering`), what Twitch still lists of the window is
//! stored as recovered events, each once, and the gap is closed with what
//! was found and what could not be.
//!
//! - [`sources`]: per EventSub type, the Helix endpoint that can give its
//!   missed events back (and what it cannot), or why nothing can.
//! - [`fetch`]: the Helix reads, paged back only as far as the gap, each
//!   call counted against the run's budget.
//! - [`rebuild`]: Helix's answers as the events EventSub would have
//!   delivered, with the live delivery's semantic key.
//! - [`subscribers`]: subscriptions found by diffing today's subscriber
//!   list against the kept one.
//! - [`baseline`]: the kept list taken while no subscription gap is
//!   unsettled, and the diff run for a recovering `channel.subscribe` gap.
//! - [`backoff`]: when a gap whose run failed is tried again.
//! - [`tokens`]: the broadcaster's token, from their kept grant.
//! - [`run`]: one run over the recovering gaps ([`Recoverer::run`]):
//!   store, settle, retry with backoff, stop at the budget.

pub mod backoff;
pub mod baseline;
pub mod fetch;
pub mod rebuild;
pub mod run;
pub mod sources;
pub mod subscribers;
pub mod tokens;

pub use run::{Recoverer, RunReport};
pub use tokens::{Grants, UserTokens};

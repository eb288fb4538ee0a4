//! The subscription manager: keeps Twitch's EventSub subscriptions in line
//! with the streamers users want to watch.
//!
//! - [`plan`]: what to create and delete for one streamer, and the state of
//!   each type (a pure function).
//! - [`apply`]: carries a plan out through the Helix client and turns
//!   Twitch's answers (202, 409, 403, 400, 429) into those states.

pub mod apply;
pub mod plan;

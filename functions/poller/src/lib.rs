//! The live-stream poller: on a schedule, snapshots live streams from Helix
//! Get Streams, stores them in batches, and keeps track of who is live.
//!
//! - [`mode`]: `tracked`, `top:N`, `all`.
//! - [`live`]: debounced online/offline transitions from what a poll saw.
//! - [`run`]: one run: pause flag, lease, pages (deduped by stream id),
//!   batched writes overlapping the fetches, transitions as feed events,
//!   the status record.
//! - [`config`]: the Lambda's settings from the environment.

pub mod config;
pub mod live;
pub mod mode;
pub mod run;

pub use mode::Mode;
pub use run::{PollError, Poller};

//! The live-stream poller: on a schedule, snapshots live streams from Helix
//! Get Streams, stores them in batches, and keeps track of who is live.
//!
//! - [`mode`]: `tracked`, `top:N`, `all`.
//! - [`live`]: debounced online/offline transitions from what a poll saw.
//! - [`run`]: one run: pause flag, lease, pages (deduped by stream id),
//!   batched writes overlapping the fetches, transitions as feed events,
//!   the status record (`run/feed.rs`: transitions as feed events,
//!   `run/metrics.rs`: the run's CloudWatch metrics).
//! - `aws` (feature `aws`): the Lambda's wiring, from the environment.

#[cfg(feature = "aws")]
pub mod aws;
pub mod live;
pub mod mode;
pub mod run;

pub use mode::Mode;
pub use run::{PollError, Poller};

//! Twitch EventSub over webhooks: headers, signature, bodies and summaries.

pub mod catalog;
pub mod envelope;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod headers;
pub mod samples;
pub mod status;
pub mod subscription;
pub mod summary;
pub mod verify;

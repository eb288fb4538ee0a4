//! Twitch EventSub over webhooks: headers, signature, bodies and summaries.

pub mod catalog;
pub mod envelope;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod headers;
pub mod kind;
#[cfg(feature = "fixtures")]
pub mod scene;
pub mod status;
pub mod subscription;
pub mod summary;
pub mod types;
pub mod verify;

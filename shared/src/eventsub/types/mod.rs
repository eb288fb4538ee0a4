//! One file per family of EventSub types, each holding, per type, its
//! catalog entry ([`Kind`](super::kind::Kind): version, condition,
//! authorization, human label), its summary, its dedupe key, Twitch's
//! documented sample, its fixture and a test over the sample. The
//! [`catalog`](super::catalog) lists them; adding a type is a file here (or
//! an entry in its family's file) and one line in `catalog::TYPES`.
//!
//! Samples are as printed in Twitch's reference
//! (<https://dev.twitch.tv/docs/eventsub/eventsub-reference/>).

pub mod authorization;
pub mod channel_points;
pub mod chat;
pub mod cheer;
pub mod follow;
pub mod hype_train;
pub mod moderation;
pub mod polls;
pub mod predictions;
pub mod raid;
pub mod stream;
pub mod subscriptions;

/// The one-line summary of `kind`'s documented sample, if it has a summary.
#[cfg(test)]
pub(crate) fn sample_line(kind: &super::kind::Kind) -> Option<String> {
    let event: serde_json::Value = serde_json::from_str(kind.sample).unwrap();
    kind.summarize.map(|summarize| summarize(&event).text)
}

/// Asserts `kind`'s documented sample is about `broadcaster` and reads as a
/// line in the feed.
#[cfg(test)]
pub(crate) fn assert_sample_about(kind: &super::kind::Kind, broadcaster: &str) {
    let event: serde_json::Value = serde_json::from_str(kind.sample).unwrap();
    assert_eq!(event["broadcaster_user_id"], broadcaster, "{}", kind.name);
    assert!(sample_line(kind).is_some(), "{}", kind.name);
}

/// The line `summarize` gives for a documented `sample`.
#[cfg(test)]
pub(crate) fn sample_text(
    summarize: fn(&serde_json::Value) -> super::summary::Summary,
    sample: &str,
) -> String {
    let event: serde_json::Value = serde_json::from_str(sample).unwrap();
    summarize(&event).text
}

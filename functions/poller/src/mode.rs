//! What a run polls: `tracked`, `top:N` or `all`.

use std::fmt;
use std::str::FromStr;

/// The poller's mode, from `POLL_MODE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every wanted streamer, by user id, 100 per call.
    Tracked,
    /// The N most-watched live streams.
    Top(usize),
    /// Every live stream on Twitch.
    All,
}

/// A mode that could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("poll mode must be tracked, top:N (N from 1 to 1,000,000) or all, not {0:?}")]
pub struct BadMode(pub String);

impl FromStr for Mode {
    type Err = BadMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "tracked" => Ok(Self::Tracked),
            "all" => Ok(Self::All),
            other => other
                .strip_prefix("top:")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| (1..=1_000_000).contains(n))
                .map(Self::Top)
                .ok_or_else(|| BadMode(s.to_owned())),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tracked => f.write_str("tracked"),
            Self::Top(n) => write!(f, "top:{n}"),
            Self::All => f.write_str("all"),
        }
    }
}

impl Mode {
    /// True when a tracked streamer missing from the results is offline (not
    /// merely outside the top N).
    pub fn sees_everyone(&self) -> bool {
        matches!(self, Self::Tracked | Self::All)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_print() {
        for text in ["tracked", "top:10000", "all"] {
            assert_eq!(text.parse::<Mode>().unwrap().to_string(), text);
        }
        for bad in ["", "top:", "top:0", "top:x", "everything", "top:2000000"] {
            assert!(bad.parse::<Mode>().is_err(), "{bad:?}");
        }
    }
}

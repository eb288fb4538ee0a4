//! The stack's heartbeat: when it was last known alive, so that a stop (a
//! Ctrl-C, a `kill -9`, a crash) becomes a coverage fact at the next start.
//!
//! Every second the stack writes the time to `<db>.alive` (written aside
//! and renamed, so a kill never leaves half a number). At start-up the
//! time between that beat and now is how long it was down. The rule
//! ([`StopRule`]): down longer than Twitch's retry window, deliveries may
//! have been given up on, and every type then received gets a gap
//! (`Manager::record_stop`); down for less, Twitch's retries get through and
//! a gap would be a false alarm. With the simulator the window is its
//! stated retry model's; with real Twitch it is undocumented
//! (`twitch-catchup.md` §1), so every stop longer than a beat counts: a gap
//! says "may be missing" of a window we cannot prove covered. An in-memory
//! store has no heartbeat (nothing of it outlives a stop).

use std::path::{Path, PathBuf};
use std::time::Duration;

use shared::clock::now_ms;

/// Between two beats: the precision of a stop's start.
pub const BEAT: Duration = Duration::from_secs(1);

/// The heartbeat file of the store at `db`; `None` for `:memory:`.
pub fn path_for(db: &str) -> Option<PathBuf> {
    (db != ":memory:").then(|| PathBuf::from(format!("{db}.alive")))
}

/// The last beat written to `path` (Unix ms); `None` when there is none (a
/// first start) or it cannot be read as one.
pub fn last_beat(path: &Path) -> Option<i64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Writes `at_ms` as the beat at `path`, aside then renamed.
pub fn beat(path: &Path, at_ms: i64) -> std::io::Result<()> {
    let aside = path.with_extension("alive.tmp");
    std::fs::write(&aside, at_ms.to_string())?;
    std::fs::rename(&aside, path)
}

/// Beats into `path` every [`BEAT`] until the process ends.
pub fn spawn(path: PathBuf) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(BEAT);
        loop {
            tick.tick().await;
            let path = path.clone();
            let written = tokio::task::spawn_blocking(move || beat(&path, now_ms())).await;
            if let Ok(Err(e)) = written {
                tracing::warn!(error = %e, "could not write the heartbeat");
            }
        }
    })
}

/// Which stop is a coverage fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopRule {
    /// Down for no longer than this, Twitch's retries get through.
    pub retry_window: Duration,
}

impl StopRule {
    /// The window `(from_ms, to_ms)` to record as a stop, when the last beat
    /// was `last_ms` and the stack starts at `now_ms`: only when down longer
    /// than the retry window (and longer than a beat, its precision).
    pub fn stop(&self, last_ms: Option<i64>, now_ms: i64) -> Option<(i64, i64)> {
        let last = last_ms?.min(now_ms);
        let limit = self.retry_window.max(BEAT).as_millis() as i64;
        (now_ms - last > limit).then_some((last, now_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_longer_than_the_retry_window_is_recorded_a_shorter_one_is_not() {
        let rule = StopRule {
            retry_window: Duration::from_millis(5_200),
        };
        assert_eq!(rule.stop(Some(10_000), 20_000), Some((10_000, 20_000)));
        assert_eq!(
            rule.stop(Some(10_000), 13_000),
            None,
            "3 s down: retries get through"
        );
        assert_eq!(rule.stop(None, 20_000), None, "a first start is no stop");
        let undocumented = StopRule {
            retry_window: Duration::ZERO,
        };
        assert_eq!(
            undocumented.stop(Some(10_000), 10_900),
            None,
            "within a beat"
        );
        assert_eq!(
            undocumented.stop(Some(10_000), 12_500),
            Some((10_000, 12_500))
        );
    }

    #[test]
    fn the_beat_is_read_back_and_an_in_memory_store_has_none() {
        let dir = std::env::temp_dir().join(format!("heartbeat-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = path_for(dir.join("x.db").to_str().unwrap()).unwrap();
        assert_eq!(last_beat(&path), None);
        beat(&path, 1_234).unwrap();
        assert_eq!(last_beat(&path), Some(1_234));
        assert_eq!(path_for(":memory:"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

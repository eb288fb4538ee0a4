//! A stop of the stack as a coverage fact (the local stack: stopped, or
//! killed, and started again; in AWS nothing stops as a whole).
//!
//! While the stack is down Twitch's deliveries fail and are retried. Down
//! for less than Twitch's retry window, the retries get through and nothing
//! is lost: no gap. Down for longer, whatever Twitch sent meanwhile may be
//! gone, whether or not it also revoked the subscriptions: every type that
//! was being received (each tracked streamer's enabled types, and our app's
//! own) gets a gap from the last moment the stack was known alive to its
//! start, cause [`STACK_STOPPED`], ended at once (receiving works again from
//! the start; recovery may fetch what Helix still knows). Which stop is long
//! enough is the caller's rule (`local/src/heartbeat.rs`, docs/coverage.md).
//! A type whose gap is already open keeps it: that gap is the older fact.

use shared::eventsub::catalog;
use shared::store::coverage::GapKey;
use shared::store::streamers::TypeState;
use shared::store::StoreError;

use super::Manager;

/// The cause of a gap a stop of the stack left.
pub const STACK_STOPPED: &str = "stack_stopped";

impl Manager {
    /// Records that the stack was down from `from_ms` to `to_ms` (past
    /// Twitch's retry window): one ended gap per type then received. How
    /// many gaps were recorded.
    pub async fn record_stop(&self, from_ms: i64, to_ms: i64) -> Result<usize, StoreError> {
        let Some(gaps) = &self.gaps else {
            return Ok(0);
        };
        let mut receiving: Vec<(String, Vec<String>)> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.streamers.tracked(after.as_deref(), 100).await?;
            for id in &page.ids {
                let Some(s) = self.streamers.streamer(id).await? else {
                    continue;
                };
                let enabled = s
                    .types
                    .iter()
                    .filter(|(_, r)| matches!(r.state, TypeState::Enabled { .. }))
                    .map(|(k, _)| k.clone())
                    .collect();
                receiving.push((id.clone(), enabled));
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        let app = catalog::app_types().map(|k| k.name.to_owned()).collect();
        receiving.push((self.app_key().to_owned(), app));
        let mut recorded = 0;
        for (id, kinds) in receiving {
            let open = self.types_not_received(&id, to_ms).await?;
            for kind in kinds.into_iter().filter(|k| !open.contains(k)) {
                let key = GapKey {
                    streamer_id: id.clone(),
                    event_type: kind.clone(),
                    from_ms,
                };
                if gaps.open_gap(&key, STACK_STOPPED, to_ms).await? {
                    gaps.end_gap(&id, &kind, to_ms).await?;
                    recorded += 1;
                }
            }
        }
        if recorded > 0 {
            tracing::warn!(
                from_ms,
                to_ms,
                gaps = recorded,
                "the stack was down past the retry window: coverage gaps recorded"
            );
        }
        Ok(recorded)
    }
}

//! Online/offline transitions from what a poll saw, debounced: a streamer
//! goes offline only after `misses` polls in a row without it, so one page
//! drift or one flapping stream does not produce a storm of events.

use std::collections::{HashMap, HashSet};

use shared::clock::rfc3339_ms;
use shared::store::snapshots::{LiveState, Snapshot};

/// A change worth an event in the feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transition {
    Online(Snapshot),
    Offline(LiveState),
}

/// What a poll knows besides what it saw.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Absence from the results means offline in this mode (not top N).
    pub absence_is_offline: bool,
    /// Polls in a row without a live streamer before it is offline.
    pub offline_after: u32,
    /// Streamers EventSub said went offline since they went live: offline
    /// now, whatever the mode and the debounce.
    pub told_offline: HashSet<String>,
    /// A stream first seen that started longer ago than this is recorded as
    /// live without a "went live" event (it went live before we watched).
    pub fresh_for_ms: i64,
}

/// The new live states of `tracked` streamers and the transitions, given what
/// this poll saw (`seen`, by broadcaster) and their previous states.
pub fn decide(
    tracked: &[String],
    seen: &HashMap<String, Snapshot>,
    previous: &HashMap<String, LiveState>,
    ctx: &Context,
    now_ms: i64,
) -> (Vec<LiveState>, Vec<Transition>) {
    let mut states = Vec::new();
    let mut transitions = Vec::new();
    for id in tracked {
        let before = previous.get(id);
        match (seen.get(id), before) {
            (Some(snap), prev) => {
                let was_live = prev.is_some_and(|p| p.live);
                // A new stream id while "live" means the stream restarted.
                let restarted = prev.is_some_and(|p| p.live && p.stream_id != snap.stream_id);
                // Never watched before and long running: it went live before
                // we looked, and a "went live" now would be news from the past.
                let old_news = prev.is_none()
                    && rfc3339_ms(&snap.started_at).is_some_and(|t| now_ms - t > ctx.fresh_for_ms);
                if (!was_live || restarted) && !old_news {
                    transitions.push(Transition::Online(snap.clone()));
                }
                states.push(LiveState {
                    broadcaster_id: id.clone(),
                    login: snap.broadcaster_login.clone(),
                    live: true,
                    stream_id: snap.stream_id.clone(),
                    started_at: snap.started_at.clone(),
                    viewer_count: snap.viewer_count,
                    game_name: snap.game_name.clone(),
                    title: snap.title.clone(),
                    changed_at_ms: if was_live && !restarted {
                        prev.map_or(now_ms, |p| p.changed_at_ms)
                    } else {
                        now_ms
                    },
                    last_seen_ms: now_ms,
                    misses: 0,
                });
            }
            (None, Some(prev))
                if prev.live && (ctx.absence_is_offline || ctx.told_offline.contains(id)) =>
            {
                let misses = prev.misses + 1;
                if misses >= ctx.offline_after || ctx.told_offline.contains(id) {
                    let off = LiveState {
                        live: false,
                        changed_at_ms: now_ms,
                        misses,
                        ..prev.clone()
                    };
                    transitions.push(Transition::Offline(off.clone()));
                    states.push(off);
                } else {
                    states.push(LiveState {
                        misses,
                        ..prev.clone()
                    });
                }
            }
            _ => {}
        }
    }
    (states, transitions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(b: &str, stream: &str) -> Snapshot {
        Snapshot {
            stream_id: stream.into(),
            broadcaster_id: b.into(),
            broadcaster_login: format!("user{b}"),
            game_id: String::new(),
            game_name: String::new(),
            title: String::new(),
            language: "en".into(),
            viewer_count: 1,
            started_at: "2026-11-23T10:00:00Z".into(),
            tags: vec![],
            polled_at_ms: 0,
        }
    }

    fn run(
        seen: &[(&str, &str)],
        prev: &[LiveState],
        absence_is_offline: bool,
        now: i64,
    ) -> (Vec<LiveState>, Vec<Transition>) {
        let tracked = vec!["1".to_string(), "2".to_string()];
        let seen = seen
            .iter()
            .map(|(b, s)| (b.to_string(), snap(b, s)))
            .collect();
        let prev = prev
            .iter()
            .map(|p| (p.broadcaster_id.clone(), p.clone()))
            .collect();
        let ctx = Context {
            absence_is_offline,
            offline_after: 2,
            told_offline: HashSet::new(),
            fresh_for_ms: i64::MAX,
        };
        decide(&tracked, &seen, &prev, &ctx, now)
    }

    #[test]
    fn online_at_once_offline_after_two_misses_and_no_storm_from_flapping() {
        let (s1, t1) = run(&[("1", "a")], &[], true, 10);
        assert!(matches!(&t1[..], [Transition::Online(s)] if s.broadcaster_id == "1"));
        // Still live next poll: no event, the online time kept.
        let (s2, t2) = run(&[("1", "a")], &s1, true, 20);
        assert!(t2.is_empty());
        assert_eq!(s2[0].changed_at_ms, 10);
        // One miss (drift, a flap): still live, no event.
        let (s3, t3) = run(&[], &s2, true, 30);
        assert!(t3.is_empty());
        assert!(s3[0].live && s3[0].misses == 1);
        // Seen again: the miss is forgotten, no second "online".
        let (s4, t4) = run(&[("1", "a")], &s3, true, 40);
        assert!(t4.is_empty());
        assert_eq!(s4[0].misses, 0);
        // Two misses in a row: offline, once.
        let (s5, _) = run(&[], &s4, true, 50);
        let (s6, t6) = run(&[], &s5, true, 60);
        assert!(matches!(&t6[..], [Transition::Offline(s)] if s.stream_id == "a"));
        assert!(!s6[0].live);
        let (_, t7) = run(&[], &s6, true, 70);
        assert!(t7.is_empty(), "offline stays quiet");
    }

    #[test]
    fn eventsub_offline_counts_in_every_mode_and_old_streams_are_not_news() {
        let (s1, _) = run(&[("1", "a")], &[], false, 10);
        let prev: HashMap<String, LiveState> = s1
            .iter()
            .map(|p| (p.broadcaster_id.clone(), p.clone()))
            .collect();
        let ctx = Context {
            absence_is_offline: false,
            offline_after: 2,
            told_offline: ["1".to_string()].into(),
            fresh_for_ms: i64::MAX,
        };
        let (states, t) = decide(&["1".to_string()], &HashMap::new(), &prev, &ctx, 20);
        assert!(matches!(&t[..], [Transition::Offline(_)]));
        assert!(!states[0].live);

        // First look at a stream that started an hour ago: live, no event.
        let ctx = Context {
            absence_is_offline: true,
            offline_after: 2,
            told_offline: HashSet::new(),
            fresh_for_ms: 10 * 60_000,
        };
        let seen: HashMap<String, Snapshot> = [("1".to_string(), snap("1", "a"))].into();
        let started = rfc3339_ms("2026-11-23T10:00:00Z").unwrap();
        let (states, t) = decide(
            &["1".to_string()],
            &seen,
            &HashMap::new(),
            &ctx,
            started + 3_600_000,
        );
        assert!(t.is_empty());
        assert!(states[0].live);
        let (_, t) = decide(
            &["1".to_string()],
            &seen,
            &HashMap::new(),
            &ctx,
            started + 60_000,
        );
        assert_eq!(t.len(), 1, "a fresh stream is news");
    }

    #[test]
    fn outside_the_top_n_is_not_offline_and_a_new_stream_is_a_new_online() {
        let (s1, _) = run(&[("1", "a")], &[], false, 10);
        let (s2, t2) = run(&[], &s1, false, 20);
        assert!(t2.is_empty() && s2.is_empty(), "nothing decided about it");
        let (_, t3) = run(&[("1", "b")], &s1, false, 30);
        assert!(matches!(&t3[..], [Transition::Online(s)] if s.stream_id == "b"));
    }
}

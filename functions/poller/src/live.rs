//! Online/offline transitions from what a poll saw, debounced: a streamer
//! goes offline only after `misses` polls in a row without it, so one page
//! drift or one flapping stream does not produce a storm of events.

use std::collections::HashMap;

use shared::store::snapshots::{LiveState, Snapshot};

/// A change worth an event in the feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transition {
    Online(Snapshot),
    Offline(LiveState),
}

/// The new live states of `tracked` streamers and the transitions, given what
/// this poll saw (`seen`, by broadcaster), their previous states, and whether
/// absence means offline in this mode.
pub fn decide(
    tracked: &[String],
    seen: &HashMap<String, Snapshot>,
    previous: &HashMap<String, LiveState>,
    absence_is_offline: bool,
    offline_after: u32,
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
                if !was_live || restarted {
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
            (None, Some(prev)) if prev.live && absence_is_offline => {
                let misses = prev.misses + 1;
                if misses >= offline_after {
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
        decide(&tracked, &seen, &prev, absence_is_offline, 2, now)
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
    fn outside_the_top_n_is_not_offline_and_a_new_stream_is_a_new_online() {
        let (s1, _) = run(&[("1", "a")], &[], false, 10);
        let (s2, t2) = run(&[], &s1, false, 20);
        assert!(t2.is_empty() && s2.is_empty(), "nothing decided about it");
        let (_, t3) = run(&[("1", "b")], &s1, false, 30);
        assert!(matches!(&t3[..], [Transition::Online(s)] if s.stream_id == "b"));
    }
}

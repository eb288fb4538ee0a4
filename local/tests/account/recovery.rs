//! Recovery from Helix after a coverage gap, against the simulator: what an
//! outage kept from the callback is read back once the gap turns
//! recovering, stored once with the ledger's times and marked recovered;
//! a retry or a late live delivery stores nothing more; Twitch failing,
//! no grant, a refused token and a type with no source each end as the
//! gap's note says.

use std::collections::BTreeMap;
use std::time::Duration;

use shared::clock::{now_ms, rfc3339_ms};
use shared::eventsub::status::Status;
use shared::recovery::run::NO_GRANT;
use shared::store::coverage::{Gap, GapKey, GapState, GapStore};
use shared::store::{EventStore, StoredEvent};
use support::wait_until;
use twitch_sim::{Failure, Sim};

use super::*;

pub(super) const CHANNEL: &str = "6060";
const FOLLOW: &str = "channel.follow";
const REDEMPTION: &str = "channel.channel_points_custom_reward_redemption.add";
const ONLINE: &str = "stream.online";
const OFFLINE: &str = "stream.offline";
const RECOVERABLE: [&str; 4] = [FOLLOW, REDEMPTION, ONLINE, OFFLINE];

pub(super) fn recovery(s: &Running) -> local::periodic::Recovery {
    local::periodic::Recovery::of(&s.stack, s.store.clone())
}

/// The channel logged in as a broadcaster (its grant kept) with its
/// subscriptions enabled: type → subscription id at the simulator.
pub(super) async fn broadcaster_subscribed(s: &Running) -> BTreeMap<String, String> {
    let started = start_login(s, "?channel=1", CHANNEL, "allow").await;
    let done = finish(&started, Some(&started.login_cookie)).await;
    assert_eq!(done.status(), StatusCode::FOUND);
    let side = s.twitch();
    let sim = side.sim.clone().unwrap();
    side.manager.reconcile_one(CHANNEL, now_ms()).await.unwrap();
    wait_until("the channel's subscriptions enabled", || {
        enabled(&sim).len() == RECOVERABLE.len()
    })
    .await;
    side.manager.reconcile_one(CHANNEL, now_ms()).await.unwrap();
    enabled(&sim)
}

/// The channel's enabled subscriptions of the recoverable types.
fn enabled(sim: &Sim) -> BTreeMap<String, String> {
    sim.subscriptions()
        .into_iter()
        .filter(|s| s.status == Status::Enabled && RECOVERABLE.contains(&s.kind.as_str()))
        .filter(|s| s.condition["broadcaster_user_id"] == CHANNEL)
        .map(|s| (s.kind, s.id))
        .collect()
}

/// Events generated while the callback cannot be reached: never delivered,
/// but in the ledger and in what Helix lists. Then Twitch gives up on the
/// callback: every subscription revoked for failures (so nothing is
/// retried), the revocations lost while it cannot be reached; the outage ends.
async fn undelivered(sim: &Sim, subs: &BTreeMap<String, String>, kinds: &[&str]) {
    sim.outage(Duration::from_secs(600));
    for kind in kinds {
        let delivered = sim.deliver(&subs[*kind]).await;
        assert!(
            delivered.is_err(),
            "{kind} was not delivered: {delivered:?}"
        );
    }
    for id in subs.values() {
        let reason = "notification_failures_exceeded";
        assert!(sim.revoke(id, reason).await.is_err());
    }
    sim.outage(Duration::ZERO);
}

/// A gap of `kind` from `from_ms`, ended now (recovering).
pub(super) async fn recovering_gap(s: &Running, kind: &str, from_ms: i64) -> GapKey {
    let key = GapKey {
        streamer_id: CHANNEL.into(),
        event_type: kind.into(),
        from_ms,
    };
    s.store
        .open_gap(&key, "notification_failures_exceeded", from_ms)
        .await
        .unwrap();
    s.store.end_gap(CHANNEL, kind, now_ms()).await.unwrap();
    key
}

pub(super) async fn gap(s: &Running, key: &GapKey) -> Gap {
    let gaps = s.store.gaps(CHANNEL, 0, i64::MAX).await.unwrap();
    gaps.into_iter().find(|g| g.key == *key).expect("the gap")
}

pub(super) async fn feed(s: &Running) -> Vec<StoredEvent> {
    s.store.recent(CHANNEL, 100, None).await.unwrap().events
}

pub(super) fn recovered_of<'a>(feed: &'a [StoredEvent], kind: &str) -> Vec<&'a StoredEvent> {
    feed.iter()
        .filter(|e| e.event.event_type == kind && e.event.recovery.is_some())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_recovered_once_with_the_ledgers_times_after_its_gap_turns_recovering() {
    let s = stack().await;
    let sim = s.twitch().sim.clone().unwrap();
    let subs = broadcaster_subscribed(&s).await;
    let kinds = [FOLLOW, FOLLOW, REDEMPTION, ONLINE, OFFLINE];
    undelivered(&sim, &subs, &kinds).await;

    // Nothing to recover while the gaps are open.
    let side = s.twitch();
    side.manager.reconcile_one(CHANNEL, now_ms()).await.unwrap();
    let before = recovery(&s).once(now_ms()).await.unwrap();
    assert_eq!((before.stored, before.calls), (0, 0), "{before:?}");
    // Replaced and enabled again: the gaps turn recovering.
    wait_until("the replacements enabled", || {
        enabled(&sim).len() == RECOVERABLE.len()
    })
    .await;
    side.manager.reconcile_one(CHANNEL, now_ms()).await.unwrap();
    let gaps = s.store.gaps(CHANNEL, 0, i64::MAX).await.unwrap();
    assert_eq!(gaps.len(), RECOVERABLE.len(), "{gaps:?}");
    assert!(gaps.iter().all(|g| g.state == GapState::Recovering));

    let report = recovery(&s).once(now_ms()).await.unwrap();
    assert_eq!((report.closed, report.stored), (4, 5), "{report:?}");
    let feed = feed(&s).await;
    let ledger = sim.ledger(CHANNEL);
    for kind in RECOVERABLE {
        let generated: Vec<_> = ledger
            .iter()
            .filter(|e| e.kind == kind && !e.delivered)
            .collect();
        let found = recovered_of(&feed, kind);
        assert_eq!(found.len(), generated.len(), "{kind}");
        for entry in &generated {
            // The stored event of this happening: by the key the live
            // delivery would have (offline has none: the only one).
            let key_of = |e: &StoredEvent| {
                let event: serde_json::Value = serde_json::from_str(&e.event.payload).unwrap();
                shared::eventsub::catalog::semantic_key(kind, CHANNEL, &event)
            };
            let stored = found
                .iter()
                .find(|e| key_of(e) == entry.semantic_key)
                .unwrap_or_else(|| panic!("{kind} {entry:?} recovered"));
            assert_eq!(entry.semantic_key.is_some(), kind != OFFLINE);
            let at = rfc3339_ms(&entry.happened_at).unwrap();
            let recovery = stored.event.recovery.as_ref().unwrap();
            let exact = [FOLLOW, REDEMPTION].contains(&kind);
            assert_eq!(recovery.time_exact, exact, "{kind}");
            if exact {
                // The time Twitch lists is the event's own.
                assert_eq!(stored.event.received_at_ms, at, "{kind}");
            } else {
                // An archive's times are whole seconds.
                assert!((stored.event.received_at_ms - at).abs() < 1_000, "{kind}");
            }
        }
        let closed = gaps_of(&s, kind).await;
        assert_eq!(closed.state, GapState::Closed);
        let counted = closed.recovered.exact + closed.recovered.approximate;
        assert_eq!(counted, generated.len() as u64, "{kind}");
    }

    // Recovery again over the same window (a retry of it) stores nothing.
    let from = gaps_of(&s, FOLLOW).await.key.from_ms;
    let again = recovering_gap(&s, FOLLOW, from + 1).await;
    let retry = recovery(&s).once(now_ms()).await.unwrap();
    assert_eq!((retry.closed, retry.stored), (1, 0), "{retry:?}");
    assert_eq!(gap(&s, &again).await.recovered.exact, 0);

    // A late live delivery of a recovered follow is a duplicate.
    let follow = ledger.iter().find(|e| e.kind == FOLLOW).unwrap();
    let replacement = &enabled(&sim)[FOLLOW];
    let (status, _) = sim
        .deliver_event(replacement, Some(follow.event.clone()))
        .await
        .unwrap();
    assert!((200..300).contains(&status));
    let after = self::feed(&s).await;
    assert_eq!(after.len(), feed.len(), "nothing stored twice");
}

async fn gaps_of(s: &Running, kind: &str) -> Gap {
    let gaps = s.store.gaps(CHANNEL, 0, i64::MAX).await.unwrap();
    gaps.into_iter()
        .find(|g| g.key.event_type == kind)
        .expect("a gap of that type")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twitch_failing_leaves_the_gap_recovering_and_a_later_run_finishes_it() {
    let s = stack().await;
    let sim = s.twitch().sim.clone().unwrap();
    let subs = broadcaster_subscribed(&s).await;
    let from = now_ms();
    undelivered(&sim, &subs, &[FOLLOW]).await;
    let key = recovering_gap(&s, FOLLOW, from).await;

    // Throttled: the broadcaster's bucket is empty.
    let followers = "/helix/channels/followers";
    sim.fail_next(followers, Failure::RateLimited { reset_in_secs: 60 }, 1);
    let now = now_ms();
    let throttled = recovery(&s).once(now).await.unwrap();
    assert_eq!((throttled.closed, throttled.waiting), (0, 1));
    let waiting = gap(&s, &key).await;
    assert_eq!(
        (waiting.state, waiting.recovered.attempts),
        (GapState::Recovering, 1)
    );
    // Not again before its backoff.
    let early = recovery(&s).once(now + 1_000).await.unwrap();
    assert_eq!(early.calls, 0);

    // Failing: each of the client's 4 attempts at the call answered 500.
    sim.fail_next(followers, Failure::Status(500), 4);
    let failed = recovery(&s).once(now + 31_000).await.unwrap();
    assert_eq!(failed.closed, 0);
    let waiting = gap(&s, &key).await;
    assert_eq!(
        (waiting.state, waiting.recovered.attempts),
        (GapState::Recovering, 2)
    );

    // Twitch answers again: done.
    let done = recovery(&s).once(now + 31_000 + 61_000).await.unwrap();
    assert_eq!((done.closed, done.stored), (1, 1), "{done:?}");
    let closed = gap(&s, &key).await;
    assert_eq!(
        (
            closed.state,
            closed.recovered.exact,
            closed.recovered.attempts
        ),
        (GapState::Closed, 1, 0)
    );
    assert_eq!(recovered_of(&feed(&s).await, FOLLOW).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_grant_the_gap_waits_for_the_broadcaster_to_log_in_again() {
    let s = stack().await;
    // Nobody logged in for this channel: no grant.
    let key = recovering_gap(&s, FOLLOW, now_ms() - 60_000).await;
    let report = recovery(&s).once(now_ms()).await.unwrap();
    assert_eq!((report.closed, report.waiting, report.calls), (0, 1, 0));
    let waiting = gap(&s, &key).await;
    assert_eq!(waiting.state, GapState::Recovering);
    assert_eq!(waiting.recovered.note.as_deref(), Some(NO_GRANT));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_twitch_refuses_closes_the_gap_as_authorization_revoked() {
    let s = stack().await;
    let sim = s.twitch().sim.clone().unwrap();
    broadcaster_subscribed(&s).await;
    let key = recovering_gap(&s, FOLLOW, now_ms() - 60_000).await;
    // The broadcaster disconnects the app at Twitch: their tokens die.
    sim.disconnect_user(CHANNEL);
    let report = recovery(&s).once(now_ms()).await.unwrap();
    assert_eq!(report.closed, 1, "{report:?}");
    let closed = gap(&s, &key).await;
    assert_eq!(closed.state, GapState::Closed);
    let note = closed.recovered.note.unwrap_or_default();
    assert!(note.starts_with("authorization revoked"), "{note}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_type_no_helix_endpoint_recovers_is_closed_at_once_with_the_reason() {
    let s = stack().await;
    let key = recovering_gap(&s, "channel.raid", now_ms() - 60_000).await;
    let report = recovery(&s).once(now_ms()).await.unwrap();
    assert_eq!((report.closed, report.calls), (1, 0));
    let closed = gap(&s, &key).await;
    assert_eq!(closed.state, GapState::Closed);
    assert_eq!(
        closed.recovered.note.as_deref(),
        Some("Twitch keeps no record of raids")
    );
}

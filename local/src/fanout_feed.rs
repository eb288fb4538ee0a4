//! The events table's stream, played by the store's commit feed: every
//! newly stored event goes through the same fan-out as in AWS, one lane per
//! streamer.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use shared::store::StoredEvent;
use tokio::sync::broadcast::error::RecvError;

/// Fans out each event `feed` carries, as the events table's stream does in AWS.
/// Each event is fanned out in its own task, as each stream record is its
/// own invocation in AWS: one that panics is logged and counted (`/healthz`
/// shows `fanout_panics`), and live delivery goes on for everyone else.
/// A streamer's events go out in order, one at a time, in that streamer's
/// lane; streamers' lanes run side by side, so a client that stopped
/// reading (its posts retried, then given up) holds up its streamer only.
pub fn spawn(
    fan_out: fanout::FanoutState,
    mut feed: tokio::sync::broadcast::Receiver<StoredEvent>,
    panics: Arc<AtomicU64>,
) {
    let fan_out = Arc::new(fan_out);
    tokio::spawn(async move {
        let mut lanes: std::collections::HashMap<String, FanOutLane> = Default::default();
        loop {
            match feed.recv().await {
                Ok(event) => {
                    // Lanes end once idle; forget those before looking one up.
                    lanes.retain(|_, lane| !lane.is_closed());
                    let key = event.event.broadcaster_id.clone();
                    let queue = lanes
                        .entry(key.clone())
                        .or_insert_with(|| start_lane(Arc::clone(&fan_out), Arc::clone(&panics)));
                    match queue.try_send(event) {
                        Ok(()) => {}
                        Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                            tracing::warn!(
                                broadcaster = %key,
                                "fan-out of this streamer fell behind; clients refetch by cursor"
                            );
                        }
                        // It ended between the check and the send: a new one.
                        Err(tokio::sync::mpsc::error::TrySendError::Closed(event)) => {
                            let fresh = start_lane(Arc::clone(&fan_out), Arc::clone(&panics));
                            let _ = fresh.try_send(event);
                            lanes.insert(key, fresh);
                        }
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(
                        skipped = n,
                        "fan-out fell behind; clients refetch by cursor"
                    );
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
}

/// One streamer's queue of events to fan out.
type FanOutLane = tokio::sync::mpsc::Sender<StoredEvent>;

/// Events one streamer's lane may hold before newer ones are dropped
/// (clients refetch by cursor, as after a lag of the whole feed).
const LANE_QUEUE: usize = 256;
/// A lane with nothing to do this long ends (a new one starts on demand).
const LANE_IDLE: Duration = Duration::from_secs(30);

/// Starts a lane: its events fanned out one after another.
fn start_lane(fan_out: Arc<fanout::FanoutState>, panics: Arc<AtomicU64>) -> FanOutLane {
    let (sender, mut events) = tokio::sync::mpsc::channel::<StoredEvent>(LANE_QUEUE);
    tokio::spawn(async move {
        loop {
            let event = match tokio::time::timeout(LANE_IDLE, events.recv()).await {
                Ok(Some(event)) => event,
                Ok(None) => break,
                Err(_) => {
                    // Closed first, then drained: nothing sent to it is lost.
                    events.close();
                    match events.try_recv() {
                        Ok(event) => event,
                        Err(_) => break,
                    }
                }
            };
            let (now, _) = fanout::start(event.event.received_at_ms);
            let state = Arc::clone(&fan_out);
            let one = tokio::spawn(async move { fanout::fan_out(&state, &event, now).await });
            match one.await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "fan-out failed"),
                Err(e) => {
                    panics.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::error!(error = %e, "fan-out of one event panicked; delivery goes on");
                }
            }
        }
    });
    sender
}

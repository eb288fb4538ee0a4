//! One recovery run over the gaps that are `recovering` (receiving works
//! again): per gap, what its type's source ([`super::sources`]) still knows
//! of the window is read from Helix and stored through `append_once`, then
//! the gap is settled.
//!
//! - Found and stored: closed, with the exact and approximate counts and
//!   what the source cannot give back.
//! - No source: closed at once, the note says why.
//! - `channel.subscribe`: diffed against the kept subscriber list
//!   ([`super::baseline`]); no list kept before the gap: closed with the note.
//! - Twitch failed or throttled: stays recovering, tried again after a
//!   backoff that doubles per failed run (the count is kept with the gap).
//! - No grant: stays recovering ("the broadcaster must log in again to
//!   recover this") until they do, or closed with that note after
//!   [`GIVE_UP_AFTER_MS`].
//! - Twitch refused the broadcaster's token (401, 403): closed,
//!   "authorization revoked".
//! - The run's Helix calls spent: the run stops; that gap is the first
//!   the next run takes.
//!
//! Stored events broadcast by themselves (the SQLite store's commit feed,
//! the DynamoDB events table's stream), so a recovered event reaches the
//! feed and the WebSocket like any other.

use std::sync::Arc;

use serde::Serialize;

use crate::grants::GrantError;
use crate::helix::Helix;
use crate::store::coverage::{Gap, GapState, GapStore, Recovered};
use crate::store::subscribers::{SubscriberList, SubscriberListStore};
use crate::store::{Appended, Event, EventStore, StoreError, MAX_READ};

use super::backoff::due;
use super::baseline::{Diffing, ListError, Subscribed, NO_LIST};

use super::fetch::{self, Budget, FetchError};
use super::rebuild::{self, Channel, Found};
use super::sources::{self, source_of, Source};
use super::tokens::UserTokens;

/// Helix calls one run may make, unless set otherwise: a few pages per
/// gap, far below the app's 800 points a minute, so live work goes first.
pub const CALLS_PER_RUN: u32 = 60;

/// A gap that waits for the broadcaster's login this long after its end
/// is closed with the note: what Twitch still lists fades within days.
pub const GIVE_UP_AFTER_MS: i64 = 7 * 86_400_000;

/// What a gap says while no grant lets recovery act for the broadcaster.
pub const NO_GRANT: &str = "the broadcaster must log in again to recover this";

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// Gaps closed (recovered, unrecoverable, or given up).
    pub closed: usize,
    /// Gaps left recovering (a failure, no grant, their backoff, the budget).
    pub waiting: usize,
    /// Events stored by this run.
    pub stored: u64,
    /// Helix calls made.
    pub calls: u32,
}

/// What recovering one gap came to.
enum Outcome {
    /// Each with its semantic key, if it has one.
    /// With a subscriber list to keep once they are stored.
    Found(Vec<(Event, Option<String>)>, Option<SubscriberList>),
    Unrecoverable(&'static str),
    NoGrant,
    Revoked(String),
    Retry(String),
    OutOfCalls,
}

/// The recovery worker: Helix, the gaps, the events, and the broadcasters'
/// tokens (without them, only what the app token reads is recovered).
pub struct Recoverer {
    helix: Arc<Helix>,
    gaps: Arc<dyn GapStore>,
    events: Arc<dyn EventStore>,
    tokens: Option<Arc<dyn UserTokens>>,
    lists: Option<Arc<dyn SubscriberListStore>>,
    calls_per_run: u32,
}

impl Recoverer {
    /// A worker with no broadcaster tokens and [`CALLS_PER_RUN`].
    pub fn new(helix: Arc<Helix>, gaps: Arc<dyn GapStore>, events: Arc<dyn EventStore>) -> Self {
        Self {
            helix,
            gaps,
            events,
            tokens: None,
            lists: None,
            calls_per_run: CALLS_PER_RUN,
        }
    }

    /// Acts for broadcasters with the tokens `tokens` gives.
    pub fn with_tokens(mut self, tokens: Arc<dyn UserTokens>) -> Self {
        self.tokens = Some(tokens);
        self
    }

    /// Diffs `channel.subscribe` gaps against the lists `lists` keeps.
    pub fn with_subscriber_lists(mut self, lists: Arc<dyn SubscriberListStore>) -> Self {
        self.lists = Some(lists);
        self
    }

    /// At most `calls` Helix calls per run.
    pub fn calls_per_run(mut self, calls: u32) -> Self {
        self.calls_per_run = calls;
        self
    }

    /// One run at `now_ms` over the gaps that are recovering and due.
    pub async fn run(&self, now_ms: i64) -> Result<RunReport, StoreError> {
        let mut report = RunReport::default();
        let mut budget = Budget::new(self.calls_per_run);
        let gaps = self.gaps.unsettled_gaps(MAX_READ).await?;
        for gap in gaps.iter().filter(|g| g.state == GapState::Recovering) {
            if !due(gap, now_ms) {
                report.waiting += 1;
                continue;
            }
            let outcome = self.recover(gap, &mut budget, now_ms).await?;
            if matches!(outcome, Outcome::OutOfCalls) {
                report.waiting += 1;
                break;
            }
            let (state, recovered, stored) = self.settle(gap, outcome, now_ms).await?;
            self.gaps
                .settle_gap(&gap.key, state, &recovered, now_ms)
                .await?;
            report.stored += stored;
            match state {
                GapState::Closed => report.closed += 1,
                _ => report.waiting += 1,
            }
        }
        report.calls = budget.used();
        if report.calls > 0 || report.closed > 0 {
            tracing::info!(?report, "recovery run");
        }
        Ok(report)
    }

    /// Reads what Helix still knows of `gap`'s window.
    async fn recover(
        &self,
        gap: &Gap,
        budget: &mut Budget,
        now_ms: i64,
    ) -> Result<Outcome, StoreError> {
        let source = source_of(&gap.key.event_type);
        if let Source::Unrecoverable(why) = source {
            return Ok(Outcome::Unrecoverable(why));
        }
        let broadcaster = gap.key.streamer_id.as_str();
        let token = if source.needs_user_token() {
            let Some(tokens) = &self.tokens else {
                return Ok(Outcome::NoGrant);
            };
            match tokens.user_token(broadcaster, now_ms / 1000).await {
                Ok(token) => Some(token),
                Err(GrantError::NoGrant) => return Ok(Outcome::NoGrant),
                Err(GrantError::Unavailable(why)) => return Ok(Outcome::Retry(why)),
                Err(GrantError::Store(e)) => return Err(e),
            }
        } else {
            None
        };
        let window = (gap.key.from_ms, gap.to_ms.unwrap_or(now_ms));
        let read = if source == Source::Subscribers {
            let token = token.as_deref().unwrap_or_default();
            match self.diffed(gap, window.1, token, budget, now_ms).await? {
                Ok(outcome) => return Ok(outcome),
                Err(e) => Err(e),
            }
        } else {
            self.read(source, broadcaster, token.as_deref(), window, budget)
                .await
                .map(|found| {
                    let events = found.into_iter().map(|f| f.into_event(broadcaster));
                    (events.collect(), None)
                })
        };
        Ok(match read {
            Ok((found, baseline)) => Outcome::Found(found, baseline),
            Err(FetchError::Budget) => Outcome::OutOfCalls,
            Err(FetchError::Refused { status, message }) => {
                Outcome::Revoked(format!("Twitch answered {status}: {message}"))
            }
            Err(FetchError::Helix(e)) => Outcome::Retry(e.to_string()),
        })
    }

    /// A `channel.subscribe` gap diffed against the kept list: the
    /// outcome, or why Helix could not be read.
    async fn diffed(
        &self,
        gap: &Gap,
        to_ms: i64,
        token: &str,
        budget: &mut Budget,
        now_ms: i64,
    ) -> Result<Result<Outcome, FetchError>, StoreError> {
        let Some(lists) = &self.lists else {
            return Ok(Ok(Outcome::Unrecoverable(NO_LIST)));
        };
        let diffing = Diffing {
            helix: &self.helix,
            gaps: self.gaps.as_ref(),
            events: self.events.as_ref(),
            lists: lists.as_ref(),
        };
        let subscribed = diffing.subscribed_within(&gap.key, to_ms, token, budget, now_ms);
        Ok(match subscribed.await {
            Ok(Subscribed::NoList) => Ok(Outcome::Unrecoverable(NO_LIST)),
            Ok(Subscribed::Found(events, baseline)) => Ok(Outcome::Found(
                events.into_iter().map(|e| (e, None)).collect(),
                baseline,
            )),
            Err(ListError::Fetch(e)) => Err(e),
            Err(ListError::Store(e)) => return Err(e),
            Err(ListError::Keep(e)) => Ok(Outcome::Retry(e.to_string())),
            Err(ListError::Grant(_)) => Ok(Outcome::NoGrant),
        })
    }

    /// The happenings `source` lists for `broadcaster` within `window`.
    async fn read(
        &self,
        source: Source,
        broadcaster: &str,
        token: Option<&str>,
        window: (i64, i64),
        budget: &mut Budget,
    ) -> Result<Vec<Found>, FetchError> {
        let helix = self.helix.as_ref();
        let within = |at: i64| window.0 <= at && at <= window.1;
        let token = token.unwrap_or_default();
        match source {
            Source::Followers => {
                let followers =
                    fetch::followers_within(helix, token, broadcaster, window, budget).await?;
                if followers.is_empty() {
                    return Ok(Vec::new());
                }
                let (login, name) = fetch::names(helix, broadcaster, budget).await?;
                let channel = channel(broadcaster, &login, &name);
                Ok(rebuild::follows(&channel, &followers))
            }
            Source::Redemptions => {
                let mut found = Vec::new();
                for reward in fetch::rewards(helix, token, broadcaster, budget).await? {
                    for status in ["UNFULFILLED", "FULFILLED", "CANCELED"] {
                        let what = (broadcaster, reward.id.as_str(), status);
                        found.extend(
                            fetch::redemptions_within(helix, token, what, window, budget).await?,
                        );
                    }
                }
                Ok(found
                    .iter()
                    .filter_map(|r| {
                        let login = r["broadcaster_login"].as_str().unwrap_or_default();
                        let name = r["broadcaster_name"].as_str().unwrap_or_default();
                        rebuild::redemption(&channel(broadcaster, login, name), r)
                    })
                    .collect())
            }
            Source::StreamStarts | Source::StreamEnds => {
                let live = fetch::live_stream(helix, broadcaster, budget).await?;
                let archives = fetch::archives(helix, broadcaster, budget).await?;
                let mut found = Vec::new();
                if let (Source::StreamStarts, Some(s)) = (source, &live) {
                    let channel = channel(broadcaster, &s.user_login, &s.user_name);
                    found.extend(rebuild::stream_start(
                        &channel,
                        &s.id,
                        &s.started_at,
                        sources::STREAMS,
                    ));
                }
                let live_id = live.as_ref().map(|s| s.id.as_str());
                for video in &archives {
                    let channel = channel(broadcaster, &video.user_login, &video.user_name);
                    let stream_id = video.stream_id.as_deref().unwrap_or_default();
                    let is_live = !stream_id.is_empty() && Some(stream_id) == live_id;
                    found.extend(match source {
                        // The live stream's start is known exactly already.
                        Source::StreamStarts if !is_live && !stream_id.is_empty() => {
                            rebuild::stream_start(
                                &channel,
                                stream_id,
                                &video.created_at,
                                sources::VIDEOS,
                            )
                        }
                        // A live stream's archive has not ended.
                        Source::StreamEnds if !is_live => rebuild::stream_end(&channel, video),
                        _ => None,
                    });
                }
                Ok(found.into_iter().filter(|f| within(f.at_ms)).collect())
            }
            // Diffed in `recover`; nothing to read here.
            Source::Subscribers | Source::Unrecoverable(_) => Ok(Vec::new()),
        }
    }

    /// Stores what was found and says what the gap becomes.
    async fn settle(
        &self,
        gap: &Gap,
        outcome: Outcome,
        now_ms: i64,
    ) -> Result<(GapState, Recovered, u64), StoreError> {
        let before = &gap.recovered;
        let closed = |note: String| Recovered {
            note: Some(note),
            attempts: 0,
            ..before.clone()
        };
        let waiting = |note: String| Recovered {
            note: Some(note),
            attempts: before.attempts.saturating_add(1),
            ..before.clone()
        };
        Ok(match outcome {
            Outcome::Found(found, baseline) => {
                let (exact, approximate) = self.store(found).await?;
                // Only once the new subscribers are stored: a failed store is
                // retried against the old baseline.
                if let (Some(list), Some(lists)) = (baseline, &self.lists) {
                    if let Err(e) = lists.keep_subscribers(&list).await {
                        // The next hourly list replaces it.
                        tracing::warn!(broadcaster = %list.broadcaster_id, error = %e, "subscriber list not kept");
                    }
                }
                let source = source_of(&gap.key.event_type);
                let recovered = Recovered {
                    exact: before.exact + exact,
                    approximate: before.approximate + approximate,
                    note: Some(source.limits().to_owned()),
                    attempts: 0,
                };
                (GapState::Closed, recovered, exact + approximate)
            }
            Outcome::Unrecoverable(why) => (GapState::Closed, closed(why.to_owned()), 0),
            Outcome::Revoked(why) => (
                GapState::Closed,
                closed(format!("authorization revoked: {why}")),
                0,
            ),
            Outcome::NoGrant => {
                let ended = gap.to_ms.unwrap_or(now_ms);
                let state = if now_ms - ended > GIVE_UP_AFTER_MS {
                    GapState::Closed
                } else {
                    GapState::Recovering
                };
                (state, waiting(NO_GRANT.to_owned()), 0)
            }
            Outcome::Retry(why) => (
                GapState::Recovering,
                waiting(format!("Twitch could not be read, retrying: {why}")),
                0,
            ),
            Outcome::OutOfCalls => (GapState::Recovering, before.clone(), 0),
        })
    }

    /// Appends each happening once; (exact, approximate) newly stored.
    async fn store(&self, found: Vec<(Event, Option<String>)>) -> Result<(u64, u64), StoreError> {
        let (mut exact, mut approximate) = (0, 0);
        for (event, key) in found {
            let time_exact = event.recovery.as_ref().is_some_and(|r| r.time_exact);
            if let Appended::Stored(_) = self.events.append_once(&event, key.as_deref()).await? {
                if time_exact {
                    exact += 1;
                } else {
                    approximate += 1;
                }
            }
        }
        Ok((exact, approximate))
    }
}

fn channel<'a>(id: &'a str, login: &'a str, name: &'a str) -> Channel<'a> {
    Channel { id, login, name }
}

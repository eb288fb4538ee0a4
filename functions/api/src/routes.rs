//! One function per endpoint: validate the parameters, read the stores, shape
//! the answer.

use std::sync::Arc;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde_json::Value;
use shared::bearer::bearer_matches;
use shared::store::{day_of, Cursor, DAY_MS};

use crate::error::ApiError;
use crate::params::{self, Query, StreamerRef};
use crate::router::Endpoint;
use crate::views;
use crate::ApiState;

/// Streamer records read at once for `/api/streamers` (one `GetItem` each in
/// AWS): enough to hide latency, few enough not to burst the table.
const STREAMER_READS_IN_FLIGHT: usize = 16;

/// One matched request, transport aside.
#[derive(Debug)]
pub struct Call<'a> {
    pub endpoint: Endpoint,
    /// The query parameters the route takes.
    pub allowed: &'static [&'static str],
    /// What the path's placeholders captured, in order.
    pub captures: &'a [String],
    /// The raw (URL-encoded) query string.
    pub query: Option<&'a str>,
    /// The `Authorization` header, when present and readable.
    pub authorization: Option<&'a str>,
    pub now_ms: i64,
}

/// A successful answer.
#[derive(Debug)]
pub enum Reply {
    Json(Value),
    /// JSON about a window wholly in the past: clients and caches may keep it.
    Settled(Value),
    /// Served as is (already JSON text).
    Document(&'static str),
    /// A download (an export): its type, its file name and its text.
    File {
        content_type: &'static str,
        name: String,
        body: String,
    },
}

/// How long after its end a window's answer is settled: the poller's lease
/// (16 minutes) bounds how late a run writes the snapshots it polled.
pub const SETTLED_AFTER_MS: i64 = 20 * 60_000;

/// `Cache-Control` of a settled answer: an hour, as retention may still
/// take its oldest data away.
pub const SETTLED_CACHE: &str = "public, max-age=3600";

/// Most events one export carries; a longer window is asked for in parts.
pub const EXPORT_MAX: usize = 10_000;

/// Answers one matched request.
pub async fn answer(state: &ApiState, call: &Call<'_>) -> Result<Reply, ApiError> {
    let query = Query::parse(call.query, call.allowed)?;
    let login = call
        .captures
        .first()
        .map(String::as_str)
        .unwrap_or_default();
    let value = match call.endpoint {
        Endpoint::Streamers => streamers(state, &query).await?,
        Endpoint::Streamer => streamer(state, login).await?,
        Endpoint::Events => events(state, login, &query).await?,
        Endpoint::Stats => stats(state, login, &query, call.now_ms).await?,
        Endpoint::Streams => streams(state, login, &query, call.now_ms).await?,
        Endpoint::Viewers => viewers(state, login, &query, call.now_ms).await?,
        Endpoint::Coverage => coverage(state, login, &query, call.now_ms).await?,
        Endpoint::ExportCsv => return export(state, login, &query, call.now_ms, Format::Csv).await,
        Endpoint::ExportJsonl => {
            return export(state, login, &query, call.now_ms, Format::Jsonl).await
        }
        Endpoint::Live => live(state, &query).await?,
        Endpoint::Poller => poller(state).await?,
        Endpoint::PausePoller => set_paused(state, call.authorization, true).await?,
        Endpoint::ResumePoller => set_paused(state, call.authorization, false).await?,
        Endpoint::OpenApi => return Ok(Reply::Document(crate::OPENAPI)),
        Endpoint::EventTypes => views::event_types(),
    };
    let windowed = matches!(call.endpoint, Endpoint::Viewers | Endpoint::Streams);
    let settled = windowed
        && query
            .window(call.now_ms)
            .is_ok_and(|w| w.to_ms < call.now_ms.saturating_sub(SETTLED_AFTER_MS));
    Ok(if settled {
        Reply::Settled(value)
    } else {
        Reply::Json(value)
    })
}

/// `GET /api/streamers`: a page of tracked streamers with live and type states.
async fn streamers(state: &ApiState, query: &Query) -> Result<Value, ApiError> {
    let limit = query.limit(params::STREAMERS_LIMIT)?;
    let after = query.page_token()?;
    let page = state.streamers.tracked(after.as_deref(), limit).await?;
    // Owned ids and store handles: a closure over borrowed ones trips the
    // compiler's `Send` check of the Lambda's future (higher-ranked lifetimes).
    let records: Vec<_> = stream::iter(page.ids.clone())
        .map(|id| {
            let store = Arc::clone(&state.streamers);
            async move { store.streamer(&id).await }
        })
        .buffered(STREAMER_READS_IN_FLIGHT)
        .try_collect()
        .await?;
    let live = state.snapshots.live_states(&page.ids).await?;
    let streamers = records
        .iter()
        .flatten()
        // Released between the page and the read: no longer tracked.
        .filter(|s| s.wanted)
        .map(|s| {
            let live = live.iter().find(|l| l.broadcaster_id == s.id);
            views::streamer(s, live)
        })
        .collect();
    Ok(views::streamers_page(streamers, page.next.as_deref()))
}

/// `GET /api/streamers/{login}/events`: newest first, or after a cursor oldest first.
/// `GET /api/streamers/{login}`: one streamer, tracked or not, with the
/// state of each EventSub type: what this deployment receives for it.
async fn streamer(state: &ApiState, login: &str) -> Result<Value, ApiError> {
    let id = streamer_id(state, login).await?;
    let record = state.streamers.streamer(&id).await?;
    let live = state.snapshots.live_state(&id).await?;
    Ok(views::streamer_detail(&id, record.as_ref(), live.as_ref()))
}

async fn events(state: &ApiState, login: &str, query: &Query) -> Result<Value, ApiError> {
    let limit = query.limit(params::EVENTS_LIMIT)?;
    let before = query.event_cursor("cursor")?;
    let after = query.event_cursor("after")?;
    if before.is_some() && after.is_some() {
        return Err(ApiError::ConflictingParameters(
            "cursor",
            "after",
            "cursor pages back through older events, after reads forward from a position",
        ));
    }
    let id = streamer_id(state, login).await?;
    let page = match after {
        Some(after) => state.events.after(&id, &after, limit).await?,
        None => state.events.recent(&id, limit, before.as_ref()).await?,
    };
    Ok(views::events_page(&page))
}

/// `GET /api/streamers/{login}/stats`: counts per type per UTC day, the last
/// `days` days up to today, each day with the types a coverage gap touched.
async fn stats(
    state: &ApiState,
    login: &str,
    query: &Query,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let days = query.days()?;
    let id = streamer_id(state, login).await?;
    let all: Vec<String> = (0..i64::from(days))
        .rev()
        .map(|back| day_of(now_ms - back * DAY_MS))
        .collect();
    let (Some(from), Some(to)) = (all.first(), all.last()) else {
        return Ok(views::stats(&id, &all, &[], &[]));
    };
    let counts = state.events.daily_counts(&id, from, to).await?;
    let first_day_ms = (now_ms - (i64::from(days) - 1) * DAY_MS).div_euclid(DAY_MS) * DAY_MS;
    let gaps = state.gaps.gaps(&id, first_day_ms, now_ms).await?;
    Ok(views::stats(&id, &all, &counts, &gaps))
}

/// `GET /api/streamers/{login}/coverage`: the gaps in what this deployment
/// received for the streamer that overlap a window, oldest first.
async fn coverage(
    state: &ApiState,
    login: &str,
    query: &Query,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let window = query.window(now_ms)?;
    let id = streamer_id(state, login).await?;
    let gaps = state.gaps.gaps(&id, window.from_ms, window.to_ms).await?;
    Ok(views::coverage(&id, window, &gaps))
}

/// `GET /api/streamers/{login}/streams`: snapshots in a window, oldest first.
async fn streams(
    state: &ApiState,
    login: &str,
    query: &Query,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let window = query.window(now_ms)?;
    let limit = query.limit(params::SNAPSHOTS_LIMIT)?;
    let id = streamer_id(state, login).await?;
    let snapshots = state
        .snapshots
        .snapshots(&id, window.from_ms, window.to_ms, limit)
        .await?;
    Ok(views::streams(&id, window, &snapshots, limit))
}

/// `GET /api/streamers/{login}/viewers`: viewers in a window as at most
/// `points` buckets (each the highest count polled in it), oldest first:
/// a week fits one small answer.
async fn viewers(
    state: &ApiState,
    login: &str,
    query: &Query,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let window = query.window(now_ms)?;
    let points = query.points()?;
    let id = streamer_id(state, login).await?;
    let span = window.to_ms - window.from_ms + 1;
    let bucket_ms = (span + points as i64 - 1) / points as i64;
    let bucket_ms = bucket_ms.max(params::MIN_BUCKET_MS);
    let series = state
        .snapshots
        .viewer_series(&id, window.from_ms, window.to_ms, bucket_ms)
        .await?;
    Ok(views::viewers(&id, window, bucket_ms, &series))
}

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Jsonl,
}

/// `GET /api/streamers/{login}/events.csv|.jsonl?from=&to=`: a streamer's
/// events in a window (default the last 24 hours, at most 31 days), oldest
/// first, at most [`EXPORT_MAX`]; JSON lines carry each event as the read
/// API shows it, CSV one row per event with its summary.
async fn export(
    state: &ApiState,
    login: &str,
    query: &Query,
    now_ms: i64,
    format: Format,
) -> Result<Reply, ApiError> {
    let window = query.window(now_ms)?;
    let id = streamer_id(state, login).await?;
    let mut cursor = Cursor::at_time(window.from_ms);
    let mut rows = Vec::new();
    'pages: while rows.len() < EXPORT_MAX {
        let page = state
            .events
            .after(&id, &cursor, shared::store::MAX_PAGE)
            .await?;
        let Some(last) = page.events.last() else {
            break;
        };
        cursor = last.cursor.clone();
        for e in &page.events {
            if e.event.received_at_ms > window.to_ms || rows.len() == EXPORT_MAX {
                break 'pages;
            }
            rows.push(e.clone());
        }
        if page.next.is_none() {
            break;
        }
    }
    let stem = format!("{id}-events-{}-{}", window.from_ms, window.to_ms);
    Ok(match format {
        Format::Jsonl => Reply::File {
            content_type: "application/x-ndjson",
            name: format!("{stem}.jsonl"),
            body: rows
                .iter()
                .map(|e| format!("{}\n", views::event(e)))
                .collect(),
        },
        Format::Csv => Reply::File {
            content_type: "text/csv; charset=utf-8",
            name: format!("{stem}.csv"),
            body: views::events_csv(&rows),
        },
    })
}

/// `GET /api/live`: a page of who is live now.
async fn live(state: &ApiState, query: &Query) -> Result<Value, ApiError> {
    let limit = query.limit(params::LIVE_LIMIT)?;
    let after = query.page_token()?;
    let page = state.snapshots.live_now(after.as_deref(), limit).await?;
    Ok(views::live_page(&page))
}

/// `GET /api/poller`: what the last run did, and whether polling is paused.
async fn poller(state: &ApiState) -> Result<Value, ApiError> {
    let status = state.snapshots.poller_status().await?;
    Ok(serde_json::to_value(status).unwrap_or(Value::Null))
}

/// `POST /api/poller/pause|resume` (admin): flips the switch, answers the status.
async fn set_paused(
    state: &ApiState,
    authorization: Option<&str>,
    paused: bool,
) -> Result<Value, ApiError> {
    if !bearer_matches(&state.admin_token, authorization) {
        return Err(ApiError::Unauthorized);
    }
    state.snapshots.set_paused(paused).await?;
    tracing::info!(paused, "poller switched by the admin route");
    poller(state).await
}

/// The user id a `{login}` segment names, when the system knows that streamer:
/// a login must be in the streamers store; an id must be there, or have a
/// live state (the poller saw it) or stored events (EventSub sent some).
async fn streamer_id(state: &ApiState, segment: &str) -> Result<String, ApiError> {
    match params::streamer(segment)? {
        StreamerRef::Login(login) => state
            .streamers
            .id_of_login(&login)
            .await?
            .ok_or(ApiError::UnknownStreamer(login)),
        StreamerRef::Id(id) => {
            if state.streamers.streamer(&id).await?.is_some()
                || state.snapshots.live_state(&id).await?.is_some()
                || !state.events.recent(&id, 1, None).await?.events.is_empty()
            {
                Ok(id)
            } else {
                Err(ApiError::UnknownStreamer(id))
            }
        }
    }
}

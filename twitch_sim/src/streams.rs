//! `GET /helix/streams` over `live_streams` channels (user ids 100000, 100001,
//! …) whose viewer counts follow a heavy-tailed distribution and drift with
//! time. The list is sorted by viewers and paged by offset, so a sweep while
//! counts change can repeat or skip streams, as Twitch warns for Get Streams' pagination.

use std::collections::HashSet;
use std::f64::consts::TAU;
use std::sync::{Arc, Mutex};

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::gate::helix_error;
use super::params::{self, Params};
use super::random::{mix, unit};
use super::users;
use super::Sim;

/// The first live channel's user id; channel `i` is this plus `i`.
pub const FIRST_USER_ID: u64 = 100_000;
/// Page size when `first` is absent.
pub const DEFAULT_FIRST: usize = 20;
/// Most streams per page, and most values per repeated filter.
pub const MAX_FIRST: usize = 100;

const GAMES: [(&str, &str); 6] = [
    ("509658", "Just Chatting"),
    ("32982", "Grand Theft Auto V"),
    ("21779", "League of Legends"),
    ("516575", "VALORANT"),
    ("27471", "Minecraft"),
    ("504461", "Celeste"),
];
const LANGUAGES: [&str; 6] = ["en", "es", "de", "pt", "ja", "other"];
/// How far viewer counts swing around each channel's base (±35 %).
const DRIFT_AMPLITUDE: f64 = 0.35;
/// No channel has more viewers than this, whatever the tail draws.
const MAX_VIEWERS: f64 = 400_000.0;

/// One live channel's fixed traits.
#[derive(Debug, Clone)]
struct Channel {
    base_viewers: f64,
    period_secs: f64,
    phase: f64,
    started_ago_secs: i64,
    game: usize,
    language: usize,
}

/// The live channels, fixed at start, and their ranking at the latest second.
#[derive(Debug)]
pub struct Population {
    channels: Vec<Channel>,
    born: OffsetDateTime,
    /// Ranking of the second it was computed for; recomputed once per second.
    ranked: Mutex<Option<(u64, Arc<Vec<usize>>)>>,
}

impl Population {
    /// `size` live channels drawn from `seed`.
    pub fn new(size: usize, seed: u64) -> Self {
        let channels = (0..size as u64)
            .map(|i| {
                let n = i * 8;
                // Pareto tail (alpha 0.9): most channels have a handful of
                // viewers, a few have tens of thousands.
                let tail = unit(seed, n).powf(-1.0 / 0.9) - 1.0;
                Channel {
                    base_viewers: (1.5 * tail).min(MAX_VIEWERS),
                    period_secs: 60.0 + 540.0 * unit(seed, n + 1),
                    phase: TAU * unit(seed, n + 2),
                    started_ago_secs: (mix(seed, n + 3) % 43_200) as i64,
                    game: (mix(seed, n + 4) % GAMES.len() as u64) as usize,
                    language: (mix(seed, n + 5) % LANGUAGES.len() as u64) as usize,
                }
            })
            .collect();
        Self {
            channels,
            born: OffsetDateTime::now_utc(),
            ranked: Mutex::new(None),
        }
    }

    /// How many channels are live.
    pub fn len(&self) -> usize {
        self.channels.len()
    }

    /// True when nobody is live.
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }

    /// The user id of channel `index`.
    pub fn user_id(index: usize) -> String {
        (FIRST_USER_ID + index as u64).to_string()
    }

    /// The channel index of a user id, if that user is live.
    pub fn index_of(&self, user_id: &str) -> Option<usize> {
        let id: u64 = user_id.parse().ok()?;
        let index = usize::try_from(id.checked_sub(FIRST_USER_ID)?).ok()?;
        (index < self.channels.len()).then_some(index)
    }

    /// Viewers of channel `index` at second `tick` of the simulator's clock.
    pub fn viewers(&self, index: usize, tick: u64) -> u64 {
        let Some(c) = self.channels.get(index) else {
            return 0;
        };
        let swing = DRIFT_AMPLITUDE * (TAU * tick as f64 / c.period_secs + c.phase).sin();
        // Never negative: the swing is at most ±35 %.
        (c.base_viewers * (1.0 + swing)).round() as u64
    }

    /// Channel indices by viewers at `tick`, most first (index breaks ties).
    pub fn ranked(&self, tick: u64) -> Arc<Vec<usize>> {
        let mut cache = self.ranked.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, order)) = cache.as_ref() {
            if *at == tick {
                return Arc::clone(order);
            }
        }
        let mut order: Vec<usize> = (0..self.channels.len()).collect();
        order.sort_by_key(|&i| (std::cmp::Reverse(self.viewers(i, tick)), i));
        let order = Arc::new(order);
        *cache = Some((tick, Arc::clone(&order)));
        order
    }

    /// Channel `index` as Get Streams returns it at `tick`.
    pub fn stream_json(&self, index: usize, tick: u64) -> Value {
        let user_id = Self::user_id(index);
        let login = users::login(&user_id);
        let (started_ago, (game_id, game_name), language) = match self.channels.get(index) {
            Some(c) => (c.started_ago_secs, GAMES[c.game], LANGUAGES[c.language]),
            None => (0, GAMES[0], LANGUAGES[0]),
        };
        let started_at = (self.born - Duration::seconds(started_ago))
            .format(&Rfc3339)
            .unwrap_or_default();
        json!({
            "id": (41_000_000_000u64 + index as u64).to_string(),
            "user_id": user_id,
            "user_login": login,
            "user_name": users::display_name(&user_id),
            "game_id": game_id,
            "game_name": game_name,
            "type": "live",
            "title": format!("{game_name} with {login}"),
            "tags": [language.to_uppercase()],
            "tag_ids": [],
            "viewer_count": self.viewers(index, tick),
            "started_at": started_at,
            "language": language,
            "thumbnail_url": format!("https://static-cdn.jtvnw.net/previews-ttv/live_user_{login}-{{width}}x{{height}}.jpg"),
            "is_mature": false,
        })
    }

    fn matches(&self, index: usize, games: &[&str], languages: &[&str]) -> bool {
        let Some(c) = self.channels.get(index) else {
            return false;
        };
        (games.is_empty() || games.contains(&GAMES[c.game].0))
            && (languages.is_empty() || languages.contains(&LANGUAGES[c.language]))
    }
}

/// A validated Get Streams request.
struct StreamsQuery<'a> {
    first: usize,
    offset: usize,
    /// Channel indices asked for by `user_id` / `user_login`; `None` = all.
    only: Option<HashSet<usize>>,
    games: Vec<&'a str>,
    languages: Vec<&'a str>,
}

fn read_query<'a>(params: &'a Params, live: &Population) -> Result<StreamsQuery<'a>, String> {
    let first = match params.first("first") {
        None => DEFAULT_FIRST,
        Some(v) => match v.parse::<usize>() {
            Ok(n @ 1..=MAX_FIRST) => n,
            _ => return Err(format!("first must be from 1 to {MAX_FIRST}")),
        },
    };
    if !matches!(params.first("type"), None | Some("all" | "live")) {
        return Err("type must be all or live".into());
    }
    // Offset cursors can only go forward; say so rather than ignore it.
    if params.first("before").is_some() {
        return Err("the simulator does not support before".into());
    }
    let offset = match params.first("after") {
        None => 0,
        Some(c) => params::offset(c).ok_or("invalid cursor in after")?,
    };
    let user_ids = params.all("user_id");
    let user_logins = params.all("user_login");
    let games = params.all("game_id");
    let languages = params.all("language");
    for (name, values) in [
        ("user_id", &user_ids),
        ("user_login", &user_logins),
        ("game_id", &games),
        ("language", &languages),
    ] {
        if values.len() > MAX_FIRST {
            return Err(format!("at most {MAX_FIRST} {name} values"));
        }
    }
    let only = (!user_ids.is_empty() || !user_logins.is_empty()).then(|| {
        let by_login = user_logins.iter().filter_map(|l| users::id_for_login(l));
        user_ids
            .iter()
            .map(|id| (*id).to_owned())
            .chain(by_login)
            .filter_map(|id| live.index_of(&id))
            .collect()
    });
    Ok(StreamsQuery {
        first,
        offset,
        only,
        games,
        languages,
    })
}

/// One page of live streams, most viewers first.
pub async fn get_streams(State(sim): State<Arc<Sim>>, RawQuery(query): RawQuery) -> Response {
    let Ok(params) = Params::parse(query.as_deref().unwrap_or("")) else {
        return helix_error(StatusCode::BAD_REQUEST, "malformed query string");
    };
    let q = match read_query(&params, &sim.live) {
        Ok(q) => q,
        Err(message) => return helix_error(StatusCode::BAD_REQUEST, &message),
    };
    let tick = if sim.config.viewer_drift {
        sim.elapsed_secs() as u64
    } else {
        0
    };
    let ranked = sim.live.ranked(tick);
    let mut page: Vec<usize> = ranked
        .iter()
        .copied()
        .filter(|i| q.only.as_ref().is_none_or(|only| only.contains(i)))
        .filter(|&i| sim.live.matches(i, &q.games, &q.languages))
        .skip(q.offset)
        .take(q.first + 1)
        .collect();
    let more = page.len() > q.first;
    page.truncate(q.first);
    let data: Vec<Value> = page
        .iter()
        .map(|&i| sim.live.stream_json(i, tick))
        .collect();
    let pagination = if more {
        json!({"cursor": params::cursor(q.offset + q.first)})
    } else {
        json!({})
    };
    Json(json!({"data": data, "pagination": pagination})).into_response()
}

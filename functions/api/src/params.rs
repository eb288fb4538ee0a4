//! Path and query parameters: parsed strictly, each failure a 400 that says
//! what a valid value looks like.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use shared::store::Cursor;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::{shown, shown_segment, ApiError};

/// Events per page: default and most.
pub const EVENTS_LIMIT: Limit = Limit {
    default: 20,
    max: shared::store::MAX_PAGE,
};
/// Streamers per page of `/api/streamers`.
pub const STREAMERS_LIMIT: Limit = Limit {
    default: 100,
    max: 100,
};
/// Live streamers per page of `/api/live`.
pub const LIVE_LIMIT: Limit = Limit {
    default: 20,
    max: 100,
};
/// Snapshots per answer of `/streams` (a day of one-minute polls fits).
pub const SNAPSHOTS_LIMIT: Limit = Limit {
    default: 5000,
    max: 5000,
};
/// Buckets of `/viewers`: default (5 minutes of a day, 30 of a week) and most.
pub const POINTS: Limit = Limit {
    default: 288,
    max: 1000,
};
/// The shortest `/viewers` bucket, in ms (the poller's finest interval).
pub const MIN_BUCKET_MS: i64 = 1000;
/// Days of `/stats`: default and most (the events' default retention).
pub const DAYS_DEFAULT: u32 = 7;
/// The longest `/stats` window, in days.
pub const DAYS_MAX: u32 = 90;
/// `/streams` window when neither end is given, in ms (24 hours).
pub const STREAMS_DEFAULT_SPAN_MS: i64 = 24 * 3_600_000;
/// The longest `/streams` window, in ms (31 days).
pub const STREAMS_MAX_SPAN_MS: i64 = 31 * shared::store::DAY_MS;

/// Longest store key a page token may carry (user ids are ≤ 20 digits).
const MAX_TOKEN_KEY: usize = 128;
/// Latest instant accepted, 9999-12-31T23:59:59.999Z (RFC 3339's last year).
const MAX_EPOCH_MS: i64 = 253_402_300_799_999;

/// A page size's default and upper bound (the lower bound is 1).
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub default: usize,
    pub max: usize,
}

/// A request's query parameters, each known to the route and given once.
#[derive(Debug, Default)]
pub struct Query {
    pairs: Vec<(&'static str, String)>,
}

impl Query {
    /// Parses `raw` (URL-encoded) and refuses names `allowed` does not list and
    /// names given twice: a typo (`limt=5`) must not silently mean the default.
    pub fn parse(raw: Option<&str>, allowed: &'static [&'static str]) -> Result<Self, ApiError> {
        let mut pairs: Vec<(&'static str, String)> = Vec::new();
        for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let Some(known) = allowed.iter().copied().find(|a| *a == name) else {
                return Err(ApiError::UnknownParameter {
                    name: shown(&name),
                    takes: if allowed.is_empty() {
                        "no parameters".into()
                    } else {
                        allowed.join(", ")
                    },
                });
            };
            if pairs.iter().any(|(n, _)| *n == known) {
                return Err(ApiError::RepeatedParameter(known));
            }
            pairs.push((known, value.into_owned()));
        }
        Ok(Self { pairs })
    }

    /// The value of `name`, when given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `limit`: a whole number from 1 to `bounds.max`, else `bounds.default`.
    pub fn limit(&self, bounds: Limit) -> Result<usize, ApiError> {
        match self.get("limit") {
            None => Ok(bounds.default),
            Some(text) => whole(text)
                .filter(|n| (1..=bounds.max as u64).contains(n))
                .map(|n| n as usize)
                .ok_or_else(|| ApiError::InvalidParameter {
                    name: "limit",
                    why: format!(
                        "{:?} is not a whole number from 1 to {}",
                        shown(text),
                        bounds.max
                    ),
                }),
        }
    }

    /// `points`: a whole number from 1 to [`POINTS`]`.max`, else its default.
    pub fn points(&self) -> Result<usize, ApiError> {
        match self.get("points") {
            None => Ok(POINTS.default),
            Some(text) => whole(text)
                .filter(|n| (1..=POINTS.max as u64).contains(n))
                .map(|n| n as usize)
                .ok_or_else(|| ApiError::InvalidParameter {
                    name: "points",
                    why: format!(
                        "{:?} is not a whole number from 1 to {}",
                        shown(text),
                        POINTS.max
                    ),
                }),
        }
    }

    /// `days`: a whole number from 1 to [`DAYS_MAX`], else [`DAYS_DEFAULT`].
    pub fn days(&self) -> Result<u32, ApiError> {
        match self.get("days") {
            None => Ok(DAYS_DEFAULT),
            Some(text) => whole(text)
                .filter(|n| (1..=u64::from(DAYS_MAX)).contains(n))
                .map(|n| n as u32)
                .ok_or_else(|| ApiError::InvalidParameter {
                    name: "days",
                    why: format!(
                        "{:?} is not a whole number from 1 to {DAYS_MAX}",
                        shown(text)
                    ),
                }),
        }
    }

    /// An event cursor (`cursor` or `after`): the `next` or `cursor` of an
    /// earlier answer, exactly as given.
    pub fn event_cursor(&self, name: &'static str) -> Result<Option<Cursor>, ApiError> {
        self.get(name)
            .map(|text| {
                Cursor::decode(text).map_err(|_| ApiError::InvalidParameter {
                    name,
                    why: format!(
                        "{:?} is not a cursor this API handed out (use an event's \"cursor\" or a page's \"next\" as is)",
                        shown(text)
                    ),
                })
            })
            .transpose()
    }

    /// A page token (`cursor` of `/api/streamers` and `/api/live`): a store
    /// key as [`page_token`] wrapped it.
    pub fn page_token(&self) -> Result<Option<String>, ApiError> {
        self.get("cursor")
            .map(|text| {
                URL_SAFE_NO_PAD
                    .decode(text)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .filter(|key| !key.is_empty() && key.len() <= MAX_TOKEN_KEY)
                    .ok_or_else(|| ApiError::InvalidParameter {
                        name: "cursor",
                        why: format!(
                            "{:?} is not a cursor this API handed out (use a page's \"next\" as is)",
                            shown(text)
                        ),
                    })
            })
            .transpose()
    }

    /// `from`/`to` of `/streams`, checked against each other and `now_ms`:
    /// `to` defaults to now, `from` to 24 hours before `to`; `to` must not be
    /// before `from`, nor the window longer than 31 days.
    pub fn window(&self, now_ms: i64) -> Result<Window, ApiError> {
        let from = self.get("from").map(|t| instant("from", t)).transpose()?;
        let to = self.get("to").map(|t| instant("to", t)).transpose()?;
        let to_ms = to.unwrap_or(now_ms);
        let from_ms = from.unwrap_or(to_ms.saturating_sub(STREAMS_DEFAULT_SPAN_MS));
        if to_ms < from_ms {
            return Err(ApiError::InvalidParameter {
                name: "to",
                why: format!(
                    "the window ends ({}) before it starts ({})",
                    rfc3339(to_ms),
                    rfc3339(from_ms)
                ),
            });
        }
        if to_ms - from_ms > STREAMS_MAX_SPAN_MS {
            return Err(ApiError::InvalidParameter {
                name: "from",
                why: format!(
                    "the window from {} to {} is longer than 31 days; ask for it in parts",
                    rfc3339(from_ms),
                    rfc3339(to_ms)
                ),
            });
        }
        Ok(Window { from_ms, to_ms })
    }
}

/// A time window in Unix ms, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from_ms: i64,
    pub to_ms: i64,
}

/// Wraps a store's paging key so clients treat it as opaque.
pub fn page_token(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

pub use shared::store::streamers::StreamerRef;

/// Who a `{login}` path segment names (digits are a user id, as the
/// subscription manager reads them).
pub fn streamer(segment: &str) -> Result<StreamerRef, ApiError> {
    StreamerRef::parse(segment).ok_or_else(|| ApiError::InvalidStreamer(shown_segment(segment)))
}

/// Digits only (no sign, no spaces), small enough to never overflow.
fn whole(text: &str) -> Option<u64> {
    let ok = (1..=15).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| text.parse().ok()).flatten()
}

/// RFC 3339 (`2026-03-01T12:00:00Z`) or Unix milliseconds (`1772366400000`).
fn instant(name: &'static str, text: &str) -> Result<i64, ApiError> {
    if let Some(ms) = whole(text) {
        return i64::try_from(ms)
            .ok()
            .filter(|ms| *ms <= MAX_EPOCH_MS)
            .ok_or_else(|| ApiError::InvalidParameter {
                name,
                why: format!("{text} ms is after the year 9999"),
            });
    }
    match OffsetDateTime::parse(text, &Rfc3339) {
        Ok(t) => Ok(shared::clock::unix_ms(t)),
        // An unencoded `+02:00` arrives as ` 02:00` (`+` means space in a query).
        Err(_) if text.contains(' ') => Err(ApiError::InvalidParameter {
            name,
            why: format!(
                "{:?} is not an RFC 3339 time; a `+` in a query string must be sent as %2B (or use Z)",
                shown(text)
            ),
        }),
        Err(_) => Err(ApiError::InvalidParameter {
            name,
            why: format!(
                "{:?} is neither an RFC 3339 time (2026-03-01T12:00:00Z) nor Unix milliseconds",
                shown(text)
            ),
        }),
    }
}

/// An instant for messages, RFC 3339 in UTC.
pub fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("{ms} ms"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_ids_and_the_rest_logins_lowercased() {
        assert_eq!(streamer("1337").unwrap(), StreamerRef::Id("1337".into()));
        assert_eq!(
            streamer("Some_User").unwrap(),
            StreamerRef::Login("some_user".into())
        );
        for bad in ["", "a-b", "é", &"x".repeat(26), &"1".repeat(26)] {
            assert!(streamer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn instants_are_rfc3339_or_epoch_ms() {
        assert_eq!(
            instant("from", "2026-03-01T12:00:00Z").unwrap(),
            1_772_366_400_000
        );
        assert_eq!(
            instant("from", "2026-03-01T14:00:00+02:00").unwrap(),
            1_772_366_400_000
        );
        assert_eq!(instant("from", "1772366400000").unwrap(), 1_772_366_400_000);
        for bad in [
            "",
            "-1",
            "yesterday",
            "2026-03-01",
            "2026-03-01T14:00:00 02:00",
        ] {
            assert!(instant("from", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn page_tokens_round_trip() {
        let q = Query::parse(Some(&format!("cursor={}", page_token("42"))), &["cursor"]).unwrap();
        assert_eq!(q.page_token().unwrap().as_deref(), Some("42"));
    }
}

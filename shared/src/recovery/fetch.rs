//! The Helix reads recovery makes, each paged only as far back as the gap
//! it serves, and each call counted against the run's [`Budget`] so that
//! recovery yields to live work (the poller, lookups) and resumes at the
//! next run.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::clock::rfc3339_ms;
use crate::helix::answer::Answer;
use crate::helix::eventsub::Pagination;
use crate::helix::streams::LiveStream;
use crate::helix::{query, Helix, HelixError};

/// Why a fetch stopped.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The run's Helix calls are spent: the rest waits for the next run.
    #[error("this run's Helix calls are spent")]
    Budget,
    /// Twitch refused the broadcaster's token (401: revoked or dead; 403:
    /// a scope is missing): retrying will not help until they log in again.
    #[error("Twitch refused the broadcaster's authorization ({status}): {message}")]
    Refused { status: u16, message: String },
    /// Twitch failed or throttled (5xx, 429, unreachable): try again later.
    #[error(transparent)]
    Helix(#[from] HelixError),
}

/// Helix calls one recovery run may still make.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    left: u32,
    used: u32,
}

impl Budget {
    /// A run allowed `calls` Helix calls.
    pub fn new(calls: u32) -> Self {
        Self {
            left: calls,
            used: 0,
        }
    }

    /// Spends one call, or says the run must stop.
    fn spend(&mut self) -> Result<(), FetchError> {
        self.left = self.left.checked_sub(1).ok_or(FetchError::Budget)?;
        self.used += 1;
        Ok(())
    }

    /// Calls made so far.
    pub fn used(&self) -> u32 {
        self.used
    }
}

/// A page of a Helix list.
#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct ListPage<T> {
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    data: Vec<T>,
    #[serde(default)]
    pagination: Pagination,
}

/// Twitch has answered `"data": null` for an empty list.
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// One read: with the broadcaster's token when given (then a 401 or 403 is
/// a refusal of it), else the app's.
async fn read<T: DeserializeOwned>(
    helix: &Helix,
    user_token: Option<&str>,
    path: &str,
    budget: &mut Budget,
) -> Result<ListPage<T>, FetchError> {
    budget.spend()?;
    let answer: Answer = match user_token {
        Some(token) => helix.get_as_user(path, token).await?,
        None => helix.request(Method::GET, path, None).await?,
    };
    if user_token.is_some() && matches!(answer.status, 401 | 403) {
        let message = answer.error().to_string();
        return Err(FetchError::Refused {
            status: answer.status,
            message,
        });
    }
    if answer.status == 429 {
        return Err(HelixError::RateLimited(1).into());
    }
    Ok(answer.json()?)
}

/// The first page of a list, its items only.
async fn first_page<T: DeserializeOwned>(
    helix: &Helix,
    user_token: Option<&str>,
    (path, params): (&str, &[(&str, &str)]),
    budget: &mut Budget,
) -> Result<Vec<T>, FetchError> {
    let url = format!("{path}?{}", query(params));
    Ok(read(helix, user_token, &url, budget).await?.data)
}

/// The cursor of the next page, if there is one.
fn next(pagination: Pagination) -> Option<String> {
    pagination.cursor.filter(|c| !c.is_empty())
}

/// A follower as Get Channel Followers lists them.
#[derive(Clone, Debug, Deserialize)]
pub struct Follower {
    pub user_id: String,
    pub user_login: String,
    pub user_name: String,
    pub followed_at: String,
}

/// The items of a newest-first list read with the broadcaster's token
/// whose time (`at`) lies within `[from_ms, to_ms]`, paging until a page
/// reaches back before `from_ms`.
async fn newest_within<T: DeserializeOwned>(
    helix: &Helix,
    token: &str,
    (path, params): (&str, &[(&str, &str)]),
    (from_ms, to_ms): (i64, i64),
    at: impl Fn(&T) -> Option<i64>,
    budget: &mut Budget,
) -> Result<Vec<T>, FetchError> {
    let mut found = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut params = params.to_vec();
        if let Some(c) = &cursor {
            params.push(("after", c));
        }
        let url = format!("{path}?{}", query(&params));
        let page: ListPage<T> = read(helix, Some(token), &url, budget).await?;
        let mut older = false;
        for item in page.data {
            match at(&item) {
                Some(t) if t < from_ms => older = true,
                Some(t) if t <= to_ms => found.push(item),
                _ => {}
            }
        }
        cursor = next(page.pagination);
        if older || cursor.is_none() {
            return Ok(found);
        }
    }
}

/// The followers who followed within `window` (Get Channel Followers
/// lists the newest first).
pub async fn followers_within(
    helix: &Helix,
    token: &str,
    broadcaster: &str,
    window: (i64, i64),
    budget: &mut Budget,
) -> Result<Vec<Follower>, FetchError> {
    let params = [("broadcaster_id", broadcaster), ("first", "100")];
    let at = |f: &Follower| rfc3339_ms(&f.followed_at);
    newest_within(
        helix,
        token,
        ("/channels/followers", &params),
        window,
        at,
        budget,
    )
    .await
}

/// An archive video as Get Videos lists it.
#[derive(Clone, Debug, Deserialize)]
pub struct Video {
    #[serde(default)]
    pub stream_id: Option<String>,
    pub user_login: String,
    pub user_name: String,
    pub created_at: String,
    /// Twitch's duration text, e.g. `1h2m3s`.
    pub duration: String,
}

/// The broadcaster's most recent archives (one page of 100: a gap further
/// back than that many broadcasts has lost its archives anyway).
pub async fn archives(
    helix: &Helix,
    broadcaster: &str,
    budget: &mut Budget,
) -> Result<Vec<Video>, FetchError> {
    let params = [
        ("user_id", broadcaster),
        ("type", "archive"),
        ("first", "100"),
    ];
    first_page(helix, None, ("/videos", &params), budget).await
}

/// The broadcaster's stream if it is live now.
pub async fn live_stream(
    helix: &Helix,
    broadcaster: &str,
    budget: &mut Budget,
) -> Result<Option<LiveStream>, FetchError> {
    budget.spend()?;
    Ok(helix.streams_of(&[broadcaster]).await?.into_iter().next())
}

/// The login and display name of a user (for the `broadcaster_user_*`
/// fields of a rebuilt event), by Get Users with the app token.
pub async fn names(
    helix: &Helix,
    user_id: &str,
    budget: &mut Budget,
) -> Result<(String, String), FetchError> {
    budget.spend()?;
    let users = helix.users(&[user_id], &[]).await?;
    Ok(users
        .into_iter()
        .next()
        .map(|u| (u.login, u.display_name))
        .unwrap_or_default())
}

/// A custom reward, as Get Custom Reward lists it.
#[derive(Clone, Debug, Deserialize)]
pub struct Reward {
    pub id: String,
}

/// The rewards this app created on the channel (only theirs have
/// redemptions Twitch answers to us).
pub async fn rewards(
    helix: &Helix,
    token: &str,
    broadcaster: &str,
    budget: &mut Budget,
) -> Result<Vec<Reward>, FetchError> {
    let params = [
        ("broadcaster_id", broadcaster),
        ("only_manageable_rewards", "true"),
    ];
    let path = "/channel_points/custom_rewards";
    first_page(helix, Some(token), (path, &params), budget).await
}

/// The redemptions of one reward in one status made within `window`
/// (each as Helix gives it), asked newest first.
pub async fn redemptions_within(
    helix: &Helix,
    token: &str,
    (broadcaster, reward_id, status): (&str, &str, &str),
    window: (i64, i64),
    budget: &mut Budget,
) -> Result<Vec<serde_json::Value>, FetchError> {
    let params = [
        ("broadcaster_id", broadcaster),
        ("reward_id", reward_id),
        ("status", status),
        ("sort", "NEWEST"),
        ("first", "50"),
    ];
    let path = "/channel_points/custom_rewards/redemptions";
    let at = |r: &serde_json::Value| r["redeemed_at"].as_str().and_then(rfc3339_ms);
    newest_within(helix, token, (path, &params), window, at, budget).await
}

/// A subscriber as Get Broadcaster Subscriptions lists them.
#[derive(Clone, Debug, Deserialize)]
pub struct Listed {
    pub user_id: String,
    pub user_login: String,
    pub user_name: String,
    pub tier: String,
    #[serde(default)]
    pub is_gift: bool,
    /// Empty when not a gift.
    #[serde(default)]
    pub gifter_id: String,
}

/// The broadcaster's current subscribers, every page of 100 (Twitch lists
/// only today's, with no time: the baseline a gap is diffed against).
pub async fn subscribers(
    helix: &Helix,
    token: &str,
    broadcaster: &str,
    budget: &mut Budget,
) -> Result<Vec<Listed>, FetchError> {
    let mut listed = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut params = vec![("broadcaster_id", broadcaster), ("first", "100")];
        if let Some(c) = &cursor {
            params.push(("after", c));
        }
        let url = format!("/subscriptions?{}", query(&params));
        let page: ListPage<Listed> = read(helix, Some(token), &url, budget).await?;
        listed.extend(page.data);
        cursor = next(page.pagination);
        if cursor.is_none() {
            return Ok(listed);
        }
    }
}

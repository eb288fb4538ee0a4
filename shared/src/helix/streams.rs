//! `GET /streams`: live streams, sorted by viewers (most first). By user id
//! (100 per call; offline ones are absent) or the whole list in pages of up
//! to 100. The list moves while it is read: callers dedupe by stream id.

use futures_util::stream::Stream as FuturesStream;
use reqwest::Method;
use serde::Deserialize;

use super::answer::Answer;
use super::eventsub::{paginate, Pagination};
use super::{Helix, HelixError};

/// A live stream, as Get Streams returns it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct LiveStream {
    pub id: String,
    pub user_id: String,
    pub user_login: String,
    pub user_name: String,
    #[serde(default)]
    pub game_id: String,
    #[serde(default)]
    pub game_name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub language: String,
    pub viewer_count: u64,
    pub started_at: String,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Page {
    data: Vec<LiveStream>,
    #[serde(default)]
    pagination: Pagination,
}

/// Helix's cap on `first` and on `user_id` values per call.
pub const PER_CALL: usize = 100;

/// A `GET /streams` answer: its streams and the next page's cursor, if any.
pub fn parse_page(answer: &Answer) -> Result<(Vec<LiveStream>, Option<String>), HelixError> {
    let page: Page = answer.json()?;
    Ok((page.data, page.pagination.cursor.filter(|c| !c.is_empty())))
}

impl Helix {
    /// The live streams of these users (the offline ones are not in it).
    pub async fn streams_of(&self, user_ids: &[&str]) -> Result<Vec<LiveStream>, HelixError> {
        let mut live = Vec::new();
        for chunk in user_ids.chunks(PER_CALL) {
            let mut params: Vec<(&str, &str)> = chunk.iter().map(|id| ("user_id", *id)).collect();
            params.push(("first", "100"));
            let path = format!("/streams?{}", super::query(&params));
            live.extend(parse_page(&self.request(Method::GET, &path, None).await?)?.0);
        }
        Ok(live)
    }

    /// One page of all live streams (`first` ≤ 100), after `cursor`.
    pub async fn streams_page(
        &self,
        first: usize,
        cursor: Option<&str>,
    ) -> Result<(Vec<LiveStream>, Option<String>), HelixError> {
        let first = first.clamp(1, PER_CALL).to_string();
        let mut params = vec![("first", first.as_str())];
        if let Some(c) = cursor {
            params.push(("after", c));
        }
        let path = format!("/streams?{}", super::query(&params));
        parse_page(&self.request(Method::GET, &path, None).await?)
    }

    /// Every page of live streams, most watched first, as a stream.
    pub fn all_streams(
        &self,
        first: usize,
    ) -> impl FuturesStream<Item = Result<Vec<LiveStream>, HelixError>> + '_ {
        paginate(move |cursor| async move { self.streams_page(first, cursor.as_deref()).await })
    }
}

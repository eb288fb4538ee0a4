//! EventSub subscriptions: create (202; 409 = it already exists), list
//! (oldest first, one filter at a time, cursor pages), delete (204; 404 =
//! already gone). Webhook subscriptions need the app token, which is what
//! the client uses.

use std::collections::BTreeMap;

use futures_util::stream::{self, Stream};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::answer::Answer;
use super::{Helix, HelixError};
use crate::eventsub::status::Status;
use crate::eventsub::subscription::{Subscription, Transport};

/// The account's subscription budget, sent with every create and list
/// (serialized with Twitch's names).
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Totals {
    pub total: u64,
    pub total_cost: u64,
    pub max_total_cost: u64,
}

impl Totals {
    /// The share of `max_total_cost` in use, in percent (0 when there is no maximum).
    pub fn used_percent(&self) -> f64 {
        if self.max_total_cost == 0 {
            return 0.0;
        }
        self.total_cost as f64 * 100.0 / self.max_total_cost as f64
    }
}

/// A subscription to create (webhook transport).
#[derive(Clone, Debug, Serialize)]
pub struct NewSubscription {
    #[serde(rename = "type")]
    pub kind: String,
    pub version: String,
    pub condition: BTreeMap<String, String>,
    pub transport: Transport,
}

impl NewSubscription {
    /// A webhook subscription to `callback`, signed with `secret`.
    pub fn webhook(
        kind: &str,
        version: &str,
        condition: BTreeMap<String, String>,
        callback: &str,
        secret: &crate::config::EventSubSecret,
    ) -> Self {
        Self {
            kind: kind.to_owned(),
            version: version.to_owned(),
            condition,
            transport: Transport {
                method: "webhook".into(),
                callback: Some(callback.to_owned()),
                secret: Some(String::from_utf8_lossy(secret.expose()).into_owned()),
            },
        }
    }
}

/// What a create did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Created {
    /// Accepted; Twitch now sends the challenge to the callback.
    New(Box<Subscription>, Totals),
    /// 409: one with the same type and condition exists already.
    Exists,
}

/// One list filter (Twitch takes at most one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    All,
    Status(Status),
    Type(String),
    /// Any user id in the condition.
    UserId(String),
    SubscriptionId(String),
}

#[derive(Deserialize)]
struct Page {
    data: Vec<Subscription>,
    #[serde(flatten)]
    totals: Totals,
    #[serde(default)]
    pagination: Pagination,
}

/// Helix's `pagination` object: `{}` on the last page.
#[derive(Debug, Default, Deserialize)]
pub struct Pagination {
    pub cursor: Option<String>,
}

/// One page of a subscription list with the account's totals.
#[derive(Debug)]
pub struct ListPage {
    pub subscriptions: Vec<Subscription>,
    pub totals: Totals,
}

/// A create answer: the new subscription and the totals after it, or that
/// it already existed (409).
pub fn parse_created(answer: &Answer) -> Result<Created, HelixError> {
    if answer.status == 409 {
        return Ok(Created::Exists);
    }
    let page: Page = answer.json()?;
    match page.data.into_iter().next() {
        Some(sub) => Ok(Created::New(Box::new(sub), page.totals)),
        None => Err(HelixError::Decode("a 202 without the subscription".into())),
    }
}

/// A delete answer: whether it was there to delete.
pub fn parse_deleted(answer: &Answer) -> Result<bool, HelixError> {
    match answer.status {
        204 | 200 => Ok(true),
        404 => Ok(false),
        _ => Err(answer.error()),
    }
}

/// A list answer: the page (subscriptions and totals) and the next
/// page's cursor, if any.
pub fn parse_page(answer: &Answer) -> Result<(ListPage, Option<String>), HelixError> {
    let page: Page = answer.json()?;
    let next = page.pagination.cursor.filter(|c| !c.is_empty());
    Ok((
        ListPage {
            subscriptions: page.data,
            totals: page.totals,
        },
        next,
    ))
}

impl Helix {
    /// Creates a subscription.
    pub async fn create_subscription(&self, new: &NewSubscription) -> Result<Created, HelixError> {
        let body = serde_json::to_vec(new).map_err(|e| HelixError::Decode(e.to_string()))?;
        parse_created(
            &self
                .request(Method::POST, "/eventsub/subscriptions", Some(body))
                .await?,
        )
    }

    /// Deletes a subscription; `false` when Twitch no longer had it.
    pub async fn delete_subscription(&self, id: &str) -> Result<bool, HelixError> {
        let path = format!("/eventsub/subscriptions?{}", super::query(&[("id", id)]));
        parse_deleted(&self.request(Method::DELETE, &path, None).await?)
    }

    /// One page of subscriptions matching `filter`, after `cursor`; the next
    /// cursor comes back when there is more.
    pub async fn subscriptions_page(
        &self,
        filter: &Filter,
        cursor: Option<&str>,
    ) -> Result<(ListPage, Option<String>), HelixError> {
        let mut params: Vec<(&str, &str)> = Vec::new();
        match filter {
            Filter::All => {}
            Filter::Status(s) => params.push(("status", s.as_str())),
            Filter::Type(t) => params.push(("type", t)),
            Filter::UserId(u) => params.push(("user_id", u)),
            Filter::SubscriptionId(i) => params.push(("subscription_id", i)),
        }
        if let Some(c) = cursor {
            params.push(("after", c));
        }
        let path = if params.is_empty() {
            "/eventsub/subscriptions".to_owned()
        } else {
            format!("/eventsub/subscriptions?{}", super::query(&params))
        };
        parse_page(&self.request(Method::GET, &path, None).await?)
    }

    /// Every page of subscriptions matching `filter`, as a stream.
    pub fn subscriptions<'a>(
        &'a self,
        filter: &'a Filter,
    ) -> impl Stream<Item = Result<ListPage, HelixError>> + 'a {
        paginate(
            move |cursor| async move { self.subscriptions_page(filter, cursor.as_deref()).await },
        )
    }
}

/// Turns a "page after cursor" call into a stream of pages that ends when a
/// page comes without a cursor (or with the one it was asked with, which
/// would loop forever).
pub fn paginate<'a, T, F, Fut>(fetch: F) -> impl Stream<Item = Result<T, HelixError>> + 'a
where
    T: 'a,
    F: Fn(Option<String>) -> Fut + 'a,
    Fut: std::future::Future<Output = Result<(T, Option<String>), HelixError>> + 'a,
{
    // State: None = finished, Some(cursor) = fetch after cursor.
    stream::unfold(Some(None::<String>), move |state| {
        let call = state.map(|cursor| {
            let asked = cursor.clone();
            (fetch(cursor), asked)
        });
        async move {
            let (fut, asked) = call?;
            match fut.await {
                Ok((page, next)) => {
                    let next = next.filter(|n| Some(n) != asked.as_ref());
                    Some((Ok(page), next.map(Some)))
                }
                Err(e) => Some((Err(e), None)),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_percent_is_the_share_of_the_maximum_cost() {
        let b = |total_cost, max_total_cost| Totals {
            total: 0,
            total_cost,
            max_total_cost,
        };
        assert_eq!(b(8_000, 10_000).used_percent(), 80.0);
        assert_eq!(b(0, 10_000).used_percent(), 0.0);
        // A list without a budget (max 0) is not "over budget".
        assert_eq!(b(5, 0).used_percent(), 0.0);
    }
}

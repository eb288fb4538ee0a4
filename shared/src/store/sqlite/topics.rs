//! Who is subscribed to which streamer, in memory.
//!
//! Derived from `connection_topics`: loaded when the store opens, changed by
//! the same writer jobs that change the table (so in commit order), and
//! loaded again when a commit fails. Fan-out asks it for a streamer's
//! subscribers on every event; answering from memory spares each event a
//! read on the blocking pool (at 8,000 events/s those reads and their thread
//! hand-offs were about a quarter of the server's CPU).

use std::collections::{BTreeMap, HashMap, HashSet};

use rusqlite::Connection;

use crate::store::connections::SubscriberPage;

/// Subscribers by streamer, and the streamers of each connection.
#[derive(Debug, Default)]
pub(crate) struct Topics {
    /// Streamer → connection id → when the subscription expires (ms).
    by_streamer: HashMap<String, BTreeMap<String, i64>>,
    /// Connection id → its streamers (for a disconnect).
    by_connection: HashMap<String, HashSet<String>>,
}

impl Topics {
    /// Everything in `connection_topics`.
    pub(crate) fn load(conn: &Connection) -> rusqlite::Result<Self> {
        let mut topics = Self::default();
        let mut stmt = conn.prepare_cached(
            "SELECT connection_id, broadcaster_id, expires_at_ms FROM connection_topics",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
        })?;
        for row in rows {
            let (connection, streamer, expires) = row?;
            topics.add(&connection, &streamer, expires);
        }
        Ok(topics)
    }

    /// `connection` now follows `streamer` until `expires_at_ms`.
    pub(crate) fn add(&mut self, connection: &str, streamer: &str, expires_at_ms: i64) {
        self.by_streamer
            .entry(streamer.to_owned())
            .or_default()
            .insert(connection.to_owned(), expires_at_ms);
        self.by_connection
            .entry(connection.to_owned())
            .or_default()
            .insert(streamer.to_owned());
    }

    /// `connection` no longer follows `streamer`.
    pub(crate) fn remove(&mut self, connection: &str, streamer: &str) {
        self.drop_subscriber(connection, streamer);
        if let Some(streamers) = self.by_connection.get_mut(connection) {
            streamers.remove(streamer);
            if streamers.is_empty() {
                self.by_connection.remove(connection);
            }
        }
    }

    /// `connection` is gone, with all its subscriptions.
    pub(crate) fn remove_connection(&mut self, connection: &str) {
        for streamer in self.by_connection.remove(connection).unwrap_or_default() {
            self.drop_subscriber(connection, &streamer);
        }
    }

    /// Takes `connection` out of `streamer`'s subscribers (and the streamer
    /// out of the index when none are left).
    fn drop_subscriber(&mut self, connection: &str, streamer: &str) {
        if let Some(subscribers) = self.by_streamer.get_mut(streamer) {
            subscribers.remove(connection);
            if subscribers.is_empty() {
                self.by_streamer.remove(streamer);
            }
        }
    }

    /// The connections following `streamer` that have not expired at
    /// `now_ms`, in id order after `after`, at most `limit` (the same page the
    /// `connection_topics_by_topic` index gives).
    pub(crate) fn page(
        &self,
        streamer: &str,
        after: Option<&str>,
        limit: usize,
        now_ms: i64,
    ) -> SubscriberPage {
        let limit = limit.max(1);
        let ids: Vec<String> = self
            .by_streamer
            .get(streamer)
            .map(|subscribers| {
                let from = match after {
                    Some(a) => subscribers.range::<str, _>((
                        std::ops::Bound::Excluded(a),
                        std::ops::Bound::Unbounded,
                    )),
                    None => subscribers.range::<str, _>(..),
                };
                from.filter(|(_, expires)| **expires > now_ms)
                    .take(limit)
                    .map(|(id, _)| id.clone())
                    .collect()
            })
            .unwrap_or_default();
        let next = (ids.len() == limit).then(|| ids.last().cloned()).flatten();
        SubscriberPage {
            connection_ids: ids,
            next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(page: &SubscriberPage) -> Vec<&str> {
        page.connection_ids.iter().map(String::as_str).collect()
    }

    #[test]
    fn pages_go_in_id_order_skip_the_expired_and_end_without_a_next() {
        let mut t = Topics::default();
        for (id, expires) in [("c", 100), ("a", 100), ("b", 10), ("d", 100)] {
            t.add(id, "s1", expires);
        }
        t.add("a", "s2", 100);
        let first = t.page("s1", None, 2, 50);
        assert_eq!(ids(&first), ["a", "c"]);
        assert_eq!(first.next.as_deref(), Some("c"));
        let second = t.page("s1", first.next.as_deref(), 2, 50);
        assert_eq!(ids(&second), ["d"]);
        assert_eq!(second.next, None);
        assert!(t.page("nobody", None, 10, 50).connection_ids.is_empty());
    }

    #[test]
    fn an_unsubscribe_or_a_disconnect_takes_the_connection_out() {
        let mut t = Topics::default();
        t.add("a", "s1", 100);
        t.add("a", "s2", 100);
        t.add("b", "s1", 100);
        t.remove("b", "s1");
        assert_eq!(ids(&t.page("s1", None, 10, 0)), ["a"]);
        t.remove_connection("a");
        assert!(t.page("s1", None, 10, 0).connection_ids.is_empty());
        assert!(t.page("s2", None, 10, 0).connection_ids.is_empty());
        assert!(t.by_streamer.is_empty() && t.by_connection.is_empty());
    }
}

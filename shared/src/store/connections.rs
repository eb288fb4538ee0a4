//! WebSocket connections and the streamers (topics) each one watches.
//!
//! API Gateway cuts every WebSocket connection after two hours and
//! `$disconnect` is best effort, so every record carries an expiry and readers
//! ignore what has expired, whether or not TTL has removed it yet.

use async_trait::async_trait;

use super::StoreError;

/// How long connection and topic records live: API Gateway's 2-hour maximum
/// connection duration plus a margin.
pub const CONNECTION_TTL_MS: i64 = (2 * 3600 + 600) * 1000;

/// A connection as `$connect` records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConnection {
    /// API Gateway's connection id.
    pub id: String,
    /// Who opened it (the ticket's user, or `anonymous` in open mode).
    pub principal: String,
    /// The hash of the session its ticket was issued to: the socket acts
    /// for its user only while that session lives.
    pub session: Option<String>,
    pub connected_at_ms: i64,
}

/// What `subscribe` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscribed {
    Added,
    /// The connection already watched this streamer.
    Already,
    /// The connection is at its topic cap.
    TooManyTopics,
    /// No live connection with that id.
    UnknownConnection,
}

/// A live connection: who opened it and what it watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub principal: String,
    /// The session it acts for (see [`NewConnection::session`]).
    pub session: Option<String>,
    /// Sorted.
    pub topics: Vec<String>,
}

/// One page of the connections watching a streamer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriberPage {
    pub connection_ids: Vec<String>,
    /// Pass back to get the next page; `None` when this was the last.
    pub next: Option<String>,
}

/// Connections and their topics.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// Records a new connection.
    async fn connect(&self, connection: &NewConnection) -> Result<(), StoreError>;

    /// Adds `broadcaster_id` to the connection's topics, at most `max_topics`.
    async fn subscribe(
        &self,
        connection_id: &str,
        broadcaster_id: &str,
        max_topics: u32,
        now_ms: i64,
    ) -> Result<Subscribed, StoreError>;

    /// Removes one topic; false when the connection did not watch it.
    async fn unsubscribe(
        &self,
        connection_id: &str,
        broadcaster_id: &str,
    ) -> Result<bool, StoreError>;

    /// The streamers a live connection watches, sorted.
    async fn topics(&self, connection_id: &str, now_ms: i64) -> Result<Vec<String>, StoreError>;

    /// A live connection's principal and topics (one read); `None` when
    /// there is no such connection or it has expired.
    async fn connection(
        &self,
        connection_id: &str,
        now_ms: i64,
    ) -> Result<Option<Connection>, StoreError>;

    /// Live connections watching `broadcaster_id`, a page at a time (an index
    /// query, never a scan), in connection-id order after `after`.
    async fn subscribers(
        &self,
        broadcaster_id: &str,
        after: Option<&str>,
        limit: usize,
        now_ms: i64,
    ) -> Result<SubscriberPage, StoreError>;

    /// The live connections `principal` opened, in id order (a user's
    /// sockets, to close when they revoke our app); anonymous visitors'
    /// are not kept by principal and answer none.
    async fn connections_of(&self, principal: &str, now_ms: i64)
        -> Result<Vec<String>, StoreError>;

    /// Removes a connection and all its topics (on `$disconnect` or a 410).
    async fn disconnect(&self, connection_id: &str) -> Result<(), StoreError>;
}

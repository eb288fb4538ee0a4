//! The embedded SQLite adapter, used by the local stack.
//!
//! Durability: WAL journal. Every write goes through one writer thread that
//! commits whatever requests are waiting as one transaction (group commit), and
//! a request is answered only after its transaction has committed. With the
//! default `synchronous=FULL` a commit is fsynced, so an acknowledged event
//! survives both `kill -9` and power loss; `Durability::Process` (`NORMAL`)
//! still survives a killed process but may lose the last commits on power loss.
//!
//! Tables (their `CREATE` statements and migrations in `schema.rs`; one
//! module per aggregate holds its row mapping: `events.rs`,
//! `subscriptions.rs`, `connections.rs`, `streamers.rs`, `snapshots.rs`,
//! `users.rs`):
//! - `events`: rows appended in arrival order (a rowid table, so a batch of
//!   kilobyte-sized payloads lands on a few tail pages); the index
//!   `events_by_broadcaster (broadcaster_id, sort_key, event_type)` is a
//!   streamer's feed in order, and covers the daily counts, which are counted
//!   from it rather than kept in counter rows (a counter row is one more
//!   random page written per event).
//!   Each row carries its `message_id` and `semantic_key`: the dedupe marks
//!   live in memory (`marks.rs`) and are rebuilt from these at start, so a
//!   stored event writes no page of its own for them. A recovered event's
//!   row also names its Helix endpoint (`recovered_from`) and whether its
//!   time is exact (`time_exact`); both NULL for a delivered one.
//! - `dedupe (key)`: marks written by earlier versions, read at start until
//!   they expire; nothing writes it any more.
//! - `subscriptions (id)`: EventSub subscription state.
//! - `connections (id)`, `connection_topics (connection_id, broadcaster_id)`
//!   with the index `connection_topics_by_topic`: WebSocket connections. Who
//!   follows which streamer is also kept in memory (`topics.rs`, loaded at
//!   start and changed by the same writes), which fan-out reads per event.
//! - `streamers (id)` with `streamers_by_login`, `streamer_types (streamer_id,
//!   kind)`: who is wanted, their grant, each EventSub type's state.
//! - `snapshots (broadcaster_id, polled_at_ms, stream_id)`, `live_states
//!   (broadcaster_id)` with `live_states_live`, `poller (key)`: the poller's
//!   history, who is live, its pause flag and status (its `owner` and
//!   `until_ms` columns are no longer written: the lease moved to `leases`).
//! - `leases (name)`: named leases (`leases.rs`): the poller's run, the
//!   subscription manager's sweep and each streamer's reconcile.
//! - `gaps (streamer_id, from_ms, event_type)` with `gaps_open` (unique: one
//!   open gap per streamer and type) and `gaps_unsettled`: coverage gaps
//!   (`gaps.rs`).
//! - `subscriber_lists (broadcaster_id)`: each broadcaster's kept
//!   subscriber list, one JSON array (`subscriber_lists.rs`).
//! - `users (id)`, `sessions (hash)` with `sessions_by_user` and
//!   `sessions_to_validate`, `login_states (state_hash)`, `used_tickets
//!   (hash)`, `favourites (user_id, streamer_id)` with
//!   `favourites_by_streamer` (a favourite keeps its overlay key's hash and
//!   the position of the last alert that key showed), `allowances (key)`:
//!   log in with Twitch.
//!
//! Rows past their `expires_at` are removed by [`SqliteStore::purge_expired`].

mod connections;
mod events;
mod gaps;
mod leases;
mod marks;
mod schema;
mod snapshots;
mod streamers;
mod subscriber_lists;
mod subscriptions;
mod topics;
mod users;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

use super::StoreError;
use crate::config::Retention;
use marks::Marks;
use topics::Topics;
use writer::Writer;

/// How hard a commit is pushed to disk before it is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=FULL`: survives power loss.
    #[default]
    PowerLoss,
    /// `synchronous=NORMAL`: survives a crashed or killed process only.
    Process,
}

/// Committed events a slow feed subscriber may fall behind by before it skips.
const FEED_CAPACITY: usize = 16 * 1024;

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// The path that names a throwaway in-memory database.
const IN_MEMORY: &str = ":memory:";

/// A connection to the database at `path` (`:memory:` for a throwaway one)
/// as the store's writer opens it: its pragmas for `durability`, its schema,
/// migrated. Public for the engine benchmark, which writes through it.
pub fn open_connection(path: &str, durability: Durability) -> Result<Connection, StoreError> {
    let conn = if path == IN_MEMORY {
        Connection::open_in_memory()
    } else {
        Connection::open(path)
    }
    .map_err(unavailable)?;
    let sync = match durability {
        Durability::PowerLoss => "FULL",
        Durability::Process => "NORMAL",
    };
    // The writer's page cache stays small (2 MiB, about SQLite's default;
    // reads go through mmap and the readers' own caches). A B-tree split
    // parks a page under the lock-byte page number (page 262,145), so at
    // every commit SQLite drops pages "past the end" by walking the
    // cache's whole hash table: with a 64 MiB cache that walk was 5.9 % of
    // the server's CPU under the ingest mix, with 2 MiB 0.4 %.
    conn.execute_batch(&format!(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; PRAGMA busy_timeout=5000; \
         PRAGMA cache_size=-2048; PRAGMA mmap_size=1073741824; PRAGMA wal_autocheckpoint=16384; \
         PRAGMA temp_store=MEMORY;"
    ))
    .map_err(unavailable)?;
    conn.execute_batch(schema::SCHEMA).map_err(unavailable)?;
    schema::migrate(&conn).map_err(unavailable)?;
    Ok(conn)
}

/// The SQLite store: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Writer,
    /// Events just committed, for the local broadcast (the DynamoDB stream's part).
    feed: tokio::sync::broadcast::Sender<super::StoredEvent>,
    /// Streamers whose wanted state or scopes changed, or a type of which
    /// opened a coverage gap (the streamers table's stream, as the
    /// subscription manager's trigger filters it).
    streamer_changes: tokio::sync::broadcast::Sender<String>,
    /// Who is subscribed to which streamer (`connection_topics`, in memory):
    /// fan-out reads it instead of the table. Changed inside the writes that
    /// change the table, before their commit, so no event committed after a
    /// subscribe can miss it; loaded again if a commit fails.
    topics: Arc<Mutex<Topics>>,
    /// Read-only connections for file databases; `None` for `:memory:`, whose
    /// reads go through the writer's connection (the only one that sees it).
    readers: Option<Mutex<Vec<Connection>>>,
    path: Option<PathBuf>,
    retention: Retention,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, or an in-memory one
    /// for `:memory:`.
    pub fn open(
        path: &str,
        durability: Durability,
        retention: Retention,
    ) -> Result<Self, StoreError> {
        let memory = path == IN_MEMORY;
        let conn = open_connection(path, durability)?;
        let marks = Marks::load(&conn, time::OffsetDateTime::now_utc().unix_timestamp())
            .map_err(unavailable)?;
        let topics = Arc::new(Mutex::new(Topics::load(&conn).map_err(unavailable)?));
        let reload = Arc::clone(&topics);
        // A failed commit took back what its jobs changed in the table.
        let after_failed_commit = Box::new(move |c: &Connection| match Topics::load(c) {
            Ok(fresh) => {
                if let Ok(mut t) = reload.lock() {
                    *t = fresh;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "could not reload the subscriptions after a failed commit")
            }
        });
        Ok(Self {
            inner: Arc::new(Inner {
                writer: Writer::start(conn, marks, after_failed_commit).map_err(unavailable)?,
                feed: tokio::sync::broadcast::channel(FEED_CAPACITY).0,
                streamer_changes: tokio::sync::broadcast::channel(1024).0,
                topics,
                readers: (!memory).then(|| Mutex::new(Vec::new())),
                path: (!memory).then(|| PathBuf::from(path)),
                retention,
            }),
        })
    }

    /// Ids of streamers whose wanted state or scopes changed, or a type of
    /// which opened a coverage gap, from now on, after the commit: the local
    /// stand-in for the streamers table's stream (filtered as the
    /// subscription manager's trigger is).
    pub fn streamer_changes(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.inner.streamer_changes.subscribe()
    }

    /// Announces, after its commit, that a streamer's wanted state or scopes
    /// changed, or that a gap opened for one of its types.
    pub(crate) fn streamer_changed(&self, id: &str) {
        let _ = self.inner.streamer_changes.send(id.to_owned());
    }

    /// Every event stored from now on, after its commit: the local stand-in
    /// for the events table's DynamoDB stream (new events only, no duplicates).
    pub fn appended(&self) -> tokio::sync::broadcast::Receiver<super::StoredEvent> {
        self.inner.feed.subscribe()
    }

    pub(crate) fn announce(&self, event: super::StoredEvent) {
        // No subscriber is fine: nobody is watching.
        let _ = self.inner.feed.send(event);
    }

    /// Where the database lives (`None` when in memory).
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    pub(crate) fn retention(&self) -> Retention {
        self.inner.retention
    }

    /// Runs `f` inside the next group-commit transaction; answers after commit.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.inner.writer.submit(move |c, _| f(c)).await
    }

    /// [`SqliteStore::write`] with the writer's dedupe marks at hand.
    pub(crate) async fn write_marked<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut Marks) -> rusqlite::Result<T> + Send + 'static,
    {
        self.inner.writer.submit(f).await
    }

    /// [`SqliteStore::write_marked`] for a job that changes the database
    /// with at most one statement (see [`Writer::submit_one_statement`]).
    pub(crate) async fn write_one_statement<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut Marks) -> rusqlite::Result<T> + Send + 'static,
    {
        self.inner.writer.submit_one_statement(f).await
    }

    /// Runs a read on a pooled read-only connection (or the writer's, in memory).
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let Some(path) = self.inner.path.clone() else {
            return self.write(f).await;
        };
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let pool = inner
                .readers
                .as_ref()
                .ok_or_else(|| unavailable("no reader pool"))?;
            let pooled = pool.lock().map_err(unavailable)?.pop();
            let conn = match pooled {
                Some(c) => c,
                None => {
                    let c = Connection::open_with_flags(
                        &path,
                        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )
                    .map_err(unavailable)?;
                    c.busy_timeout(std::time::Duration::from_secs(5))
                        .map_err(unavailable)?;
                    c
                }
            };
            let out = f(&conn).map_err(unavailable);
            if let Ok(mut pool) = pool.lock() {
                pool.push(conn);
            }
            out
        })
        .await
        .map_err(unavailable)?
    }

    /// Deletes every row whose `expires_at` (Unix seconds) is before `now_s`;
    /// returns how many went. DynamoDB does this by TTL.
    pub async fn purge_expired(&self, now_s: i64) -> Result<usize, StoreError> {
        let topics = self.topics();
        self.write_marked(move |c, marks| {
            marks.purge(now_s);
            let mut n = 0;
            for table in [
                "events",
                "dedupe",
                "snapshots",
                "viewer_polls",
                "login_states",
                "sessions",
                "used_tickets",
                "allowances",
            ] {
                n += c.execute(
                    &format!("DELETE FROM {table} WHERE expires_at < ?1"),
                    [now_s],
                )?;
            }
            for table in ["connections", "connection_topics"] {
                n += c.execute(
                    &format!("DELETE FROM {table} WHERE expires_at_ms < ?1"),
                    [now_s * 1000],
                )?;
            }
            // Loaded again here, in the writer's order: a subscribe that
            // commits after this purge runs after it, so it stays in.
            let fresh = Topics::load(c)?;
            if let Ok(mut t) = topics.lock() {
                *t = fresh;
            }
            Ok(n)
        })
        .await
    }

    /// The in-memory subscriptions, for the writes that change them.
    pub(crate) fn topics(&self) -> Arc<Mutex<Topics>> {
        Arc::clone(&self.inner.topics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::users::OverlayStore;
    use crate::store::Cursor;

    #[tokio::test]
    async fn a_file_made_before_a_column_was_added_gets_it_on_open() {
        let dir = std::env::temp_dir().join(format!("se-migrate-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("old.db");
        {
            // The favourites table as it first shipped, with an overlay key.
            let old = Connection::open(&path).unwrap();
            old.execute_batch(
                "CREATE TABLE favourites (user_id TEXT NOT NULL, streamer_id TEXT NOT NULL, \
                 login TEXT NOT NULL, added_at_ms INTEGER NOT NULL, read_cursor TEXT, overlay_hash TEXT, \
                 PRIMARY KEY (user_id, streamer_id)) WITHOUT ROWID; \
                 INSERT INTO favourites VALUES ('1', '2', 'user2', 1, NULL, 'h');",
            )
            .unwrap();
        }
        let store = SqliteStore::open(
            path.to_str().unwrap(),
            Durability::Process,
            Retention::default(),
        )
        .unwrap();
        let start = Cursor::at_time(5);
        assert_eq!(
            store.overlay_position("h", &start).await.unwrap(),
            Some(start)
        );
        drop(store);
        // Opening again finds the column there and leaves it.
        SqliteStore::open(
            path.to_str().unwrap(),
            Durability::Process,
            Retention::default(),
        )
        .unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }
}

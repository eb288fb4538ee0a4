//! The database's schema: every table and index (described in `mod.rs`),
//! created when missing, and what a file written by an earlier version needs
//! on open.

use rusqlite::Connection;

/// Every table and index, created when missing.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    seq             INTEGER PRIMARY KEY,
    broadcaster_id  TEXT NOT NULL,
    sort_key        TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    event_version   TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    received_at_ms  INTEGER NOT NULL,
    summary         TEXT,
    payload         TEXT NOT NULL,
    expires_at      INTEGER NOT NULL,
    semantic_key    TEXT,
    recovered_from  TEXT,
    time_exact      INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_broadcaster ON events (broadcaster_id, sort_key, event_type);
CREATE TABLE IF NOT EXISTS dedupe (
    key        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subscriptions (
    id                      TEXT PRIMARY KEY,
    kind                    TEXT NOT NULL,
    version                 TEXT NOT NULL,
    broadcaster_id          TEXT,
    condition               TEXT NOT NULL,
    status                  TEXT NOT NULL,
    callback_verified_at_ms INTEGER,
    revoked_at_ms           INTEGER,
    revocation_reason       TEXT,
    updated_at_ms           INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_by_broadcaster ON subscriptions (broadcaster_id);
CREATE TABLE IF NOT EXISTS connections (
    id              TEXT PRIMARY KEY,
    principal       TEXT NOT NULL,
    connected_at_ms INTEGER NOT NULL,
    expires_at_ms   INTEGER NOT NULL,
    session         TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS connections_by_principal ON connections (principal);
CREATE TABLE IF NOT EXISTS connection_topics (
    connection_id  TEXT NOT NULL,
    broadcaster_id TEXT NOT NULL,
    expires_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (connection_id, broadcaster_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS connection_topics_by_topic ON connection_topics (broadcaster_id, connection_id);
CREATE TABLE IF NOT EXISTS streamers (
    id              TEXT PRIMARY KEY,
    login           TEXT,
    wanted          INTEGER NOT NULL,
    wanted_since_ms INTEGER NOT NULL,
    last_watched_ms INTEGER NOT NULL,
    requested_by    TEXT NOT NULL,
    scopes          TEXT NOT NULL DEFAULT '[]'
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS streamers_by_login ON streamers (login);
CREATE TABLE IF NOT EXISTS streamer_types (
    streamer_id   TEXT NOT NULL,
    kind          TEXT NOT NULL,
    state         TEXT NOT NULL,
    recreated     INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (streamer_id, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    broadcaster_id TEXT NOT NULL,
    polled_at_ms   INTEGER NOT NULL,
    stream_id      TEXT NOT NULL,
    body           TEXT NOT NULL,
    expires_at     INTEGER NOT NULL,
    PRIMARY KEY (broadcaster_id, polled_at_ms, stream_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS viewer_polls (
    broadcaster_id TEXT NOT NULL,
    polled_at_ms   INTEGER NOT NULL,
    viewers        INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    PRIMARY KEY (broadcaster_id, polled_at_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS live_states (
    broadcaster_id TEXT PRIMARY KEY,
    live           INTEGER NOT NULL,
    body           TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS live_states_live ON live_states (live, broadcaster_id);
CREATE TABLE IF NOT EXISTS login_states (
    state_hash TEXT PRIMARY KEY,
    nonce      TEXT NOT NULL,
    return_to  TEXT NOT NULL,
    channel    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS users (
    id           TEXT PRIMARY KEY,
    login        TEXT NOT NULL,
    display_name TEXT NOT NULL,
    picture      TEXT,
    scopes       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    overlays_suspended_at INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (
    hash             TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    access           TEXT,
    refresh          TEXT,
    token_expires_at INTEGER NOT NULL,
    validated_at     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id);
CREATE INDEX IF NOT EXISTS sessions_to_validate ON sessions (validated_at) WHERE access IS NOT NULL;
CREATE TABLE IF NOT EXISTS grants (
    broadcaster_id   TEXT PRIMARY KEY,
    access           TEXT NOT NULL,
    refresh          TEXT,
    token_expires_at INTEGER NOT NULL,
    scopes           TEXT NOT NULL,
    granted_at       INTEGER NOT NULL,
    validated_at     INTEGER NOT NULL,
    refreshing_until INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS grants_to_validate ON grants (validated_at);
CREATE TABLE IF NOT EXISTS used_tickets (
    hash       TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS favourites (
    user_id     TEXT NOT NULL,
    streamer_id TEXT NOT NULL,
    login       TEXT NOT NULL,
    added_at_ms INTEGER NOT NULL,
    read_cursor TEXT,
    overlay_hash TEXT,
    overlay_shown TEXT,
    PRIMARY KEY (user_id, streamer_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS favourites_by_streamer ON favourites (streamer_id, user_id);
CREATE UNIQUE INDEX IF NOT EXISTS favourites_by_overlay ON favourites (overlay_hash) WHERE overlay_hash IS NOT NULL;
CREATE TABLE IF NOT EXISTS allowances (
    key        TEXT PRIMARY KEY,
    used       INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS poller (
    key   TEXT PRIMARY KEY,
    owner TEXT,
    until_ms INTEGER,
    body  TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
    name     TEXT PRIMARY KEY,
    owner    TEXT NOT NULL,
    until_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS gaps (
    streamer_id   TEXT NOT NULL,
    event_type    TEXT NOT NULL,
    from_ms       INTEGER NOT NULL,
    to_ms         INTEGER,
    cause         TEXT NOT NULL,
    state         TEXT NOT NULL,
    recovered     TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (streamer_id, from_ms, event_type)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS gaps_open ON gaps (streamer_id, event_type) WHERE state = 'open';
CREATE INDEX IF NOT EXISTS gaps_unsettled ON gaps (streamer_id, from_ms) WHERE state != 'closed';
CREATE TABLE IF NOT EXISTS subscriber_lists (
    broadcaster_id TEXT PRIMARY KEY,
    taken_at_ms    INTEGER NOT NULL,
    subscribers    TEXT NOT NULL
) WITHOUT ROWID;
";

/// Columns added after their table first shipped: a database file made
/// before gets them on open (`CREATE TABLE IF NOT EXISTS` leaves it as it was).
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("favourites", "overlay_shown", "TEXT"),
    ("favourites", "overlay_sealed", "TEXT"),
    ("events", "semantic_key", "TEXT"),
    ("connections", "session", "TEXT"),
    ("users", "overlays_suspended_at", "INTEGER"),
    ("favourites", "overlay_settings", "TEXT"),
    // Recovered events (issue 24): the Helix endpoint and whether the time is exact.
    ("events", "recovered_from", "TEXT"),
    ("events", "time_exact", "INTEGER"),
];

fn add_missing_columns(conn: &Connection) -> rusqlite::Result<()> {
    for (table, column, decl) in ADDED_COLUMNS {
        let there: i64 = conn.query_row(
            "SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name = ?2",
            [table, column],
            |r| r.get(0),
        )?;
        if there == 0 {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))?;
        }
    }
    Ok(())
}

/// Brings a database written by an earlier version up to this schema.
pub(super) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    add_missing_columns(conn)?;
    // Replaced by events_by_broadcaster, which also counts the days.
    conn.execute_batch("DROP INDEX IF EXISTS events_feed; DROP TABLE IF EXISTS daily_counts;")
}

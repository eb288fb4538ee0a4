//! The background checkpointer: copies the WAL back into the database file
//! on a connection and thread of its own, so that no commit waits for it.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its
//! threshold: that commit, and every request queued behind it, waited while
//! some 16,000 pages were copied and the database file fsynced — tens of
//! milliseconds, the ingest's p99. Here the writer only nudges this thread
//! every [`EVERY_JOBS`] committed jobs (and it looks by itself after
//! [`IDLE`]), and the thread runs at the lowest priority, taking the CPU
//! time the requests leave. A `PASSIVE` checkpoint never blocks the writer;
//! it is repeated while it gains on the log, so that it catches up between
//! two commits, and a log that is wholly copied is started over by the
//! writer's next commit instead of growing. The writer keeps SQLite's own automatic checkpoint at
//! [`BACKSTOP_PAGES`], for a checkpointer that cannot keep up.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::watch;

use super::unavailable;
use crate::store::StoreError;

/// Committed jobs between nudges: at the ingest mix's ~1.2 WAL pages per
/// event, about the 16,384 pages SQLite's automatic checkpoint waited for.
pub(super) const EVERY_JOBS: usize = 12 * 1024;
/// The writer's own automatic checkpoint, reached only if this one falls
/// behind: a 256 MiB log.
pub(super) const BACKSTOP_PAGES: u32 = 64 * 1024;
/// How long a quiet database waits before what is in its log is copied.
const IDLE: Duration = Duration::from_secs(5);
/// Checkpoints in a row, at most, while catching up with a busy writer.
const MAX_PASSES: usize = 8;

/// The outcome of the last checkpoint, in WAL pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Progress {
    /// Pages in the log.
    pub log: i64,
    /// Of those, copied into the database file.
    pub copied: i64,
}

/// The running checkpointer; stops when it and every nudge are dropped.
pub(super) struct Checkpointer {
    nudge: Option<SyncSender<()>>,
    #[cfg_attr(not(test), allow(dead_code))]
    progress: watch::Receiver<Progress>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path` (already in WAL mode).
    pub(super) fn start(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(unavailable)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(unavailable)?;
        let (nudge, nudged) = mpsc::sync_channel(1);
        let (report, progress) = watch::channel(Progress::default());
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                yield_to_the_commit_path();
                run(&conn, &nudged, &report)
            })
            .map_err(unavailable)?;
        Ok(Self {
            nudge: Some(nudge),
            progress,
            thread: Some(thread),
        })
    }

    /// What the writer calls after each commit with the jobs it carried.
    pub(super) fn nudger(&self) -> impl FnMut(usize) + Send + 'static {
        let nudge = self.nudge.clone();
        let mut since = 0;
        move |jobs| {
            since += jobs;
            if since >= EVERY_JOBS {
                since = 0;
                // Full: a checkpoint is already asked for.
                if let Some(n) = &nudge {
                    let _ = n.try_send(());
                }
            }
        }
    }

    /// Asks for a checkpoint now.
    #[cfg(test)]
    pub(super) fn nudge(&self) {
        if let Some(n) = &self.nudge {
            let _ = n.try_send(());
        }
    }

    /// The last checkpoint's outcome, as it changes.
    #[cfg(test)]
    pub(super) fn progress(&self) -> watch::Receiver<Progress> {
        self.progress.clone()
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.nudge.take();
        // The writer's nudger is gone by now (the store drops its writer
        // first), so the thread sees the channel closed.
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Lowers this thread's CPU priority to the least (nice 19): a checkpoint
/// copies thousands of pages, and on a busy core it should take the time the
/// requests leave, not a fair share of theirs. If it falls behind, the log
/// grows to the writer's backstop, which then checkpoints in the commit path.
fn yield_to_the_commit_path() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid and setpriority take plain integers and touch no memory
    // of ours; on Linux a thread id names that thread alone.
    unsafe {
        let tid = libc::gettid();
        if libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19) != 0 {
            tracing::debug!("could not lower the checkpoint thread's priority");
        }
    }
}

fn run(conn: &Connection, nudged: &mpsc::Receiver<()>, report: &watch::Sender<Progress>) {
    loop {
        match nudged.recv_timeout(IDLE) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => catch_up(conn, report),
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Checkpoints until the log is wholly copied, a pass gains nothing, or
/// [`MAX_PASSES`].
fn catch_up(conn: &Connection, report: &watch::Sender<Progress>) {
    let mut last = None;
    for _ in 0..MAX_PASSES {
        let progress = match passive(conn) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "background checkpoint failed; the writer's own checkpoint is the backstop");
                return;
            }
        };
        report.send_replace(progress);
        if progress.copied >= progress.log || last == Some(progress) {
            return;
        }
        last = Some(progress);
    }
}

fn passive(conn: &Connection) -> rusqlite::Result<Progress> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok(Progress {
            log: row.get(1)?,
            copied: row.get(2)?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database in WAL mode that never checkpoints by itself, as the
    /// writer's would below its backstop.
    fn database(name: &str) -> (std::path::PathBuf, Connection) {
        let dir = std::env::temp_dir().join(format!("se-{name}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; \
             CREATE TABLE t (v INTEGER PRIMARY KEY, pad TEXT NOT NULL)",
        )
        .unwrap();
        (path, conn)
    }

    /// `commits` transactions of a few pages each.
    fn write(conn: &Connection, commits: usize) {
        for _ in 0..commits {
            conn.execute_batch(
                "BEGIN; INSERT INTO t (pad) SELECT printf('%.2000c', 'x') FROM \
                 (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3); COMMIT;",
            )
            .unwrap();
        }
    }

    /// Nudges, and waits for a checkpoint after it that copied the whole log.
    async fn checkpointed(c: &Checkpointer) -> Progress {
        let mut progress = c.progress();
        progress.mark_unchanged();
        c.nudge();
        loop {
            tokio::time::timeout(Duration::from_secs(10), progress.changed())
                .await
                .expect("a checkpoint within 10 s")
                .unwrap();
            let p = *progress.borrow_and_update();
            if p.log > 0 && p.copied == p.log {
                return p;
            }
        }
    }

    #[tokio::test]
    async fn a_nudge_copies_the_whole_log_into_the_database_file() {
        let (path, conn) = database("checkpoint");
        write(&conn, 20);
        let checkpointer = Checkpointer::start(&path).unwrap();
        let done = checkpointed(&checkpointer).await;
        assert!(done.log >= 20, "every commit wrote pages: {done:?}");
        // Nothing is left for the writer's connection to copy.
        let left: (i64, i64, i64) = conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!((left.1, left.2), (done.log, done.log));
    }

    #[tokio::test]
    async fn a_wholly_copied_log_starts_over_instead_of_growing() {
        let (path, conn) = database("restart");
        let wal = path.with_file_name("db.sqlite-wal");
        let checkpointer = Checkpointer::start(&path).unwrap();
        let mut sizes = Vec::new();
        for _ in 0..5 {
            write(&conn, 50);
            sizes.push(std::fs::metadata(&wal).unwrap().len());
            // The next round's first commit writes from the log's start again.
            checkpointed(&checkpointer).await;
        }
        // Without the restarts the log would be five rounds long by now.
        assert!(
            sizes.iter().all(|s| *s < sizes[0] * 3 / 2),
            "the log grew: {sizes:?}"
        );
    }
}

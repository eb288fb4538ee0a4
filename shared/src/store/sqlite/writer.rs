//! The single writer thread and its group commit.
//!
//! Requests queue on a channel; the thread takes everything waiting (up to
//! [`MAX_BATCH`]) and applies it in one transaction, each request inside its
//! own savepoint so that one failing request cannot leave half its rows in the
//! others' commit. Replies go out only after `COMMIT` returns: nothing is
//! acknowledged before it is durable. One fsync then covers the whole batch,
//! which is what makes SQLite fast under many concurrent webhook requests.
//! The thread also owns the dedupe [`Marks`]: staged per job, kept only when
//! the commit holds.

use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::marks::Marks;
use super::unavailable;
use crate::store::StoreError;

/// Most requests one transaction carries.
const MAX_BATCH: usize = 1024;
/// Requests that may wait for the writer before senders are held back.
const QUEUE: usize = 16 * 1024;

/// Applied inside the transaction; returns what to do once its fate is known.
type Job = Box<dyn FnOnce(&Connection, &mut Marks) -> Reply + Send>;
/// Called with the commit's outcome.
type Reply = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

/// Called on the writer's connection after a commit failed and rolled back,
/// for state kept in step with the tables to be loaded again.
pub(super) type AfterFailedCommit = Box<dyn FnMut(&Connection) + Send>;

pub(super) struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub(super) fn start(
        conn: Connection,
        marks: Marks,
        after_failed_commit: AfterFailedCommit,
    ) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, marks, after_failed_commit, rx))?;
        Ok(Self {
            jobs: Some(tx),
            thread: Some(thread),
        })
    }

    pub(super) async fn submit<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut Marks) -> rusqlite::Result<T> + Send + 'static,
    {
        self.submit_as(Scope::Savepoint, f).await
    }

    /// [`Writer::submit`] for a job that changes the database with at most
    /// one statement, the job's last step that can fail: SQLite undoes a
    /// failed statement by itself, so the job needs no savepoint of its own
    /// (two fewer statements per event on the ingest path, a tenth of the
    /// writer's time). A job that could fail after its write must use
    /// [`Writer::submit`], or the write would commit under an error.
    pub(super) async fn submit_one_statement<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut Marks) -> rusqlite::Result<T> + Send + 'static,
    {
        self.submit_as(Scope::Statement, f).await
    }

    async fn submit_as<T, F>(&self, scope: Scope, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut Marks) -> rusqlite::Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn, marks| {
            let outcome = isolated(conn, marks, scope, f);
            Box::new(move |commit| {
                let result = match (outcome, commit) {
                    (Ok(v), Ok(())) => Ok(v),
                    (Err(e), _) => Err(e),
                    (Ok(_), Err(e)) => Err(StoreError::Unavailable(e.to_string())),
                };
                // The caller may have gone away; the commit stands regardless.
                let _ = tx.send(result);
            })
        });
        let jobs = self
            .jobs
            .as_ref()
            .ok_or_else(|| unavailable("writer stopped"))?;
        jobs.send(job)
            .await
            .map_err(|_| unavailable("writer stopped"))?;
        rx.await
            .map_err(|_| unavailable("writer dropped the request"))?
    }
}

impl Drop for Writer {
    /// Lets the thread finish what is queued, then waits for it.
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What keeps a failed job's writes out of the batch's commit.
#[derive(Clone, Copy)]
enum Scope {
    /// A savepoint around the job (any number of statements).
    Savepoint,
    /// The job's single statement, which SQLite undoes itself if it fails.
    Statement,
}

fn isolated<T>(
    conn: &Connection,
    marks: &mut Marks,
    scope: Scope,
    f: impl FnOnce(&Connection, &mut Marks) -> rusqlite::Result<T>,
) -> Result<T, StoreError> {
    let savepoint = matches!(scope, Scope::Savepoint);
    if savepoint {
        execute(conn, "SAVEPOINT job").map_err(unavailable)?;
    }
    let marked = marks.savepoint();
    let outcome = f(conn, marks);
    let outcome = match outcome {
        Ok(v) if savepoint => execute(conn, "RELEASE job").map(|()| v),
        other => other,
    };
    match outcome {
        Ok(v) => Ok(v),
        Err(e) => {
            marks.rollback_to(marked);
            if savepoint {
                let _ =
                    execute(conn, "ROLLBACK TO job").and_then(|()| execute(conn, "RELEASE job"));
            }
            Err(unavailable(e))
        }
    }
}

/// Runs a statement without parameters from the connection's statement cache
/// (`execute_batch` would parse it again on every job).
fn execute(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

fn run(
    conn: Connection,
    mut marks: Marks,
    mut after_failed_commit: AfterFailedCommit,
    mut rx: mpsc::Receiver<Job>,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    let mut replies: Vec<Reply> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let commit = match execute(&conn, "BEGIN IMMEDIATE") {
            Err(e) => Err(unavailable(e)),
            Ok(()) => {
                // On some errors (a full disk, an I/O error) SQLite rolls the
                // whole transaction back by itself. The jobs after that must
                // not run outside it: each would commit on its own while the
                // batch is reported failed, and its retry would store a
                // second row.
                for job in batch.drain(..) {
                    if conn.is_autocommit() {
                        break;
                    }
                    replies.push(job(&conn, &mut marks));
                }
                if conn.is_autocommit() {
                    Err(unavailable("sqlite rolled the batch's transaction back"))
                } else {
                    execute(&conn, "COMMIT").map_err(|e| {
                        let _ = conn.execute_batch("ROLLBACK");
                        unavailable(e)
                    })
                }
            }
        };
        match &commit {
            Ok(()) => {
                marks.commit();
                replies.drain(..).for_each(|r| r(Ok(())));
            }
            Err(e) => {
                marks.abandon();
                after_failed_commit(&conn);
                tracing::error!(error = %e, "sqlite commit failed; the batch is not acknowledged");
                replies.drain(..).for_each(|r| r(Err(e)));
                // Jobs that never ran (BEGIN failed, or the transaction was
                // gone) are dropped with their reply channels: their callers
                // see Unavailable, i.e. retry.
                batch.clear();
            }
        }
    }
    let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(conn: &Connection) -> Vec<i64> {
        let mut stmt = conn.prepare("SELECT v FROM t ORDER BY v").unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    }

    /// One batch as `run` applies it: three jobs, the middle one failing
    /// after it changed a row, in one transaction.
    fn batch(scope: Scope, failing: &str) -> Vec<i64> {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v INTEGER PRIMARY KEY)")
            .unwrap();
        let mut marks = Marks::default();
        execute(&conn, "BEGIN IMMEDIATE").unwrap();
        let ok = |v: i64| {
            move |c: &Connection, _: &mut Marks| c.execute("INSERT INTO t VALUES (?1)", [v])
        };
        assert!(isolated(&conn, &mut marks, scope, ok(1)).is_ok());
        let failing = failing.to_owned();
        let outcome = isolated(&conn, &mut marks, scope, move |c, _| {
            c.execute_batch(&failing).map(|()| 0)
        });
        assert!(outcome.is_err(), "the middle job must fail");
        assert!(isolated(&conn, &mut marks, scope, ok(3)).is_ok());
        execute(&conn, "COMMIT").unwrap();
        rows(&conn)
    }

    #[test]
    fn a_failed_job_of_several_statements_leaves_nothing_in_the_batch() {
        // Its first INSERT went through before the second failed.
        let kept = batch(
            Scope::Savepoint,
            "INSERT INTO t VALUES (2); INSERT INTO t VALUES (1);",
        );
        assert_eq!(kept, vec![1, 3]);
    }

    #[test]
    fn a_failed_single_statement_leaves_nothing_without_a_savepoint() {
        // One statement that wrote row 20 before it hit the duplicate 1.
        let kept = batch(Scope::Statement, "INSERT INTO t VALUES (20), (1);");
        assert_eq!(kept, vec![1, 3]);
    }

    #[test]
    fn after_sqlite_rolls_a_batch_back_nothing_more_runs_and_nothing_commits() {
        let dir = std::env::temp_dir().join(format!("se-writer-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (v INTEGER PRIMARY KEY)")
            .unwrap();
        let outcomes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let job = |sql: &'static str| -> Job {
            let outcomes = std::sync::Arc::clone(&outcomes);
            Box::new(move |c, m| {
                let ran = isolated(c, m, Scope::Statement, |c, _| c.execute_batch(sql));
                Box::new(move |commit| {
                    outcomes
                        .lock()
                        .unwrap()
                        .push((sql, ran.is_ok(), commit.is_ok()))
                })
            })
        };
        let (tx, rx) = mpsc::channel(8);
        for sql in [
            "INSERT INTO t VALUES (1)",
            // What SQLite does by itself on a full disk or an I/O error.
            "ROLLBACK",
            "INSERT INTO t VALUES (3)",
        ] {
            assert!(tx.try_send(job(sql)).is_ok());
        }
        drop(tx);
        run(conn, Marks::default(), Box::new(|_| {}), rx);
        let after = Connection::open(&path).unwrap();
        assert_eq!(
            rows(&after),
            Vec::<i64>::new(),
            "the third job ran on its own"
        );
        let outcomes = outcomes.lock().unwrap().clone();
        assert_eq!(
            outcomes,
            vec![
                ("INSERT INTO t VALUES (1)", true, false),
                ("ROLLBACK", true, false)
            ],
            "the first two told the batch failed; the third never ran"
        );
        drop(after);
        let _ = std::fs::remove_dir_all(dir);
    }
}

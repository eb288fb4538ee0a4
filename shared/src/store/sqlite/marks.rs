//! Dedupe marks in memory: the message id and semantic key of every stored
//! event, so that a duplicate is recognised without touching a page on disk.
//!
//! The marks are derived data. What makes them durable is the event row itself
//! (`events.message_id`, `events.semantic_key`), which commits in the same
//! transaction; [`Marks::load`] rebuilds them from those rows at start. Only
//! the writer thread holds them. A mark made inside a transaction is staged and
//! becomes visible to later transactions only once that one has committed, so
//! a failed commit never leaves a mark for an event that was not stored (its
//! retry would otherwise be taken for a duplicate and lost).

use std::collections::HashMap;

use rusqlite::Connection;

/// The writer's marks: committed ones, and those of the open transaction.
#[derive(Default)]
pub(crate) struct Marks {
    /// Mark → when it expires (Unix seconds), as its event does.
    committed: HashMap<Box<str>, i64>,
    /// Made in the open transaction, in order (so a savepoint can drop its own).
    staged: Vec<Box<str>>,
    staged_expiry: HashMap<Box<str>, i64>,
}

/// The mark of a message id.
pub(crate) fn message(id: &str) -> String {
    format!("m#{id}")
}

/// The mark of a semantic key.
pub(crate) fn semantic(key: &str) -> String {
    format!("s#{key}")
}

impl Marks {
    /// The marks of every event still kept at `now_s`, and those earlier
    /// versions wrote to the `dedupe` table (kept until they expire).
    pub(crate) fn load(conn: &Connection, now_s: i64) -> rusqlite::Result<Self> {
        let mut committed = HashMap::new();
        let mut events = conn.prepare(
            "SELECT message_id, semantic_key, expires_at FROM events WHERE expires_at >= ?1",
        )?;
        let mut rows = events.query([now_s])?;
        while let Some(row) = rows.next()? {
            let expires_at: i64 = row.get(2)?;
            committed.insert(message(row.get_ref(0)?.as_str()?).into(), expires_at);
            if let Some(key) = row.get_ref(1)?.as_str_or_null()? {
                committed.insert(semantic(key).into(), expires_at);
            }
        }
        let mut legacy =
            conn.prepare("SELECT key, expires_at FROM dedupe WHERE expires_at >= ?1")?;
        let mut rows = legacy.query([now_s])?;
        while let Some(row) = rows.next()? {
            committed.insert(row.get_ref(0)?.as_str()?.into(), row.get(1)?);
        }
        Ok(Self {
            committed,
            ..Self::default()
        })
    }

    /// True when `mark` is taken, committed or earlier in the open transaction.
    pub(crate) fn contains(&self, mark: &str) -> bool {
        self.committed.contains_key(mark) || self.staged_expiry.contains_key(mark)
    }

    /// Takes `mark` in the open transaction.
    pub(crate) fn stage(&mut self, mark: String, expires_at: i64) {
        let mark: Box<str> = mark.into();
        self.staged_expiry.insert(mark.clone(), expires_at);
        self.staged.push(mark);
    }

    /// Where the open transaction's marks end now (for [`Marks::rollback_to`]).
    pub(crate) fn savepoint(&self) -> usize {
        self.staged.len()
    }

    /// Drops the marks staged since `savepoint` (their job failed).
    pub(crate) fn rollback_to(&mut self, savepoint: usize) {
        for mark in self.staged.drain(savepoint..) {
            self.staged_expiry.remove(&mark);
        }
    }

    /// The transaction committed: its marks now hold.
    pub(crate) fn commit(&mut self) {
        self.staged.clear();
        self.committed.extend(self.staged_expiry.drain());
    }

    /// The transaction did not commit: its marks never held.
    pub(crate) fn abandon(&mut self) {
        self.staged.clear();
        self.staged_expiry.clear();
    }

    /// Forgets the marks that expired before `now_s`, as their events go.
    pub(crate) fn purge(&mut self, now_s: i64) {
        self.committed.retain(|_, expires_at| *expires_at >= now_s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_holds_for_later_transactions_only_once_committed() {
        let mut marks = Marks::default();
        marks.stage(message("a"), 10);
        assert!(marks.contains("m#a"), "seen by its own transaction");
        marks.abandon();
        assert!(!marks.contains("m#a"), "gone with a failed commit");
        marks.stage(message("a"), 10);
        marks.commit();
        assert!(marks.contains("m#a"));
    }

    #[test]
    fn a_failed_job_takes_only_its_own_marks_back() {
        let mut marks = Marks::default();
        marks.stage(message("kept"), 10);
        let savepoint = marks.savepoint();
        marks.stage(message("dropped"), 10);
        marks.rollback_to(savepoint);
        marks.commit();
        assert!(marks.contains("m#kept"));
        assert!(!marks.contains("m#dropped"));
    }

    #[test]
    fn expired_marks_go() {
        let mut marks = Marks::default();
        marks.stage(message("old"), 5);
        marks.stage(message("new"), 50);
        marks.commit();
        marks.purge(10);
        assert!(!marks.contains("m#old"));
        assert!(marks.contains("m#new"));
    }
}

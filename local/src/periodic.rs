//! The stack's periodic chores: the hourly purge of expired rows (the local
//! stand-in for DynamoDB's TTL) and the check of sessions' and broadcasters'
//! grants' Twitch tokens.

use std::sync::Arc;
use std::time::Duration;

use shared::grants;
use shared::sessions::{validate_due, SweepReport};
use shared::store::sqlite::SqliteStore;
use shared::store::StoreError;
use tokio::task::JoinHandle;

use crate::stack::Stack;

/// Purges expired rows hourly: the local stand-in for DynamoDB's TTL.
pub fn spawn_purger(store: SqliteStore) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            match store.purge_expired(now).await {
                Ok(n) if n > 0 => tracing::info!(rows = n, "purged expired rows"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "purge failed"),
            }
        }
    })
}

/// The check of sessions' Twitch tokens Twitch asks for hourly: only the
/// sessions an hour past their last check are asked about.
pub struct SessionSweep {
    /// The api handler whose account routes hold the sessions' store, the
    /// login client and the key its sessions are sealed with.
    api: Option<Arc<::api::ApiState>>,
}

impl SessionSweep {
    /// The sweep of `stack`'s sessions, opened with its account routes' own key.
    pub fn of(stack: &Stack) -> Self {
        Self {
            api: stack.api.clone(),
        }
    }

    /// One sweep at `now_s` (Unix seconds); nothing without the account routes.
    pub async fn once(&self, now_s: i64) -> Result<SweepReport, StoreError> {
        match self.api.as_ref().and_then(|api| api.account.as_ref()) {
            Some(account) => {
                validate_due(account.users.as_ref(), &account.login, &account.seal, now_s).await
            }
            None => Ok(SweepReport::default()),
        }
    }

    /// The same for broadcasters' grants (kept in the same store, sealed
    /// with the same key).
    pub async fn grants_once(&self, now_s: i64) -> Result<SweepReport, StoreError> {
        match self.api.as_ref().and_then(|api| api.account.as_ref()) {
            Some(account) => {
                grants::validate_due(account.users.as_ref(), &account.login, &account.seal, now_s)
                    .await
            }
            None => Ok(SweepReport::default()),
        }
    }

    /// Sweeps every `every` (at most ten minutes apart) for as long as the
    /// process runs.
    pub fn spawn(self, every: Duration) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every.min(Duration::from_secs(600)));
            loop {
                tick.tick().await;
                let now_s = shared::clock::now_ms() / 1000;
                if let Err(e) = self.once(now_s).await {
                    tracing::warn!(error = %e, "session validation sweep failed");
                }
                if let Err(e) = self.grants_once(now_s).await {
                    tracing::warn!(error = %e, "grant validation sweep failed");
                }
            }
        });
    }
}

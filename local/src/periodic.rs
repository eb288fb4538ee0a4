//! The stack's periodic chores: the hourly purge of expired rows (the local
//! stand-in for DynamoDB's TTL), the check of sessions' and broadcasters'
//! grants' Twitch tokens (each broadcaster's subscriber list taken as their
//! grant validates), and recovery from Helix of what coverage gaps
//! missed ([`Recovery`]).

use std::sync::Arc;
use std::time::Duration;

use shared::grants;
use shared::recovery::baseline::{ListError, ListKeeper};
use shared::recovery::UserTokens;
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
    /// Takes each validated broadcaster's subscriber list.
    lists: Option<ListKeeper>,
}

impl SessionSweep {
    /// The sweep of `stack`'s sessions, opened with its account routes' own key.
    pub fn of(stack: &Stack) -> Self {
        Self {
            api: stack.api.clone(),
            lists: None,
        }
    }

    /// Also keeps each validated broadcaster's subscriber list in `store`.
    pub fn keeping_lists(mut self, stack: &Stack, store: Arc<SqliteStore>) -> Self {
        self.lists = list_keeper(stack, store);
        self
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
                let lists = self.lists.as_ref().map(|l| l as &dyn grants::OnValid);
                let store = account.users.as_ref();
                grants::validate_due(store, &account.login, &account.seal, lists, now_s).await
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

/// Recovery from Helix of what the gaps that are `recovering` missed, run
/// at the open-gap pass's period as the manager's one-minute schedule runs
/// it in AWS: the same
/// [`shared::recovery::Recoverer`] over the stack's store, acting with the
/// broadcasters' grants the account routes keep.
pub struct Recovery {
    recoverer: Option<shared::recovery::Recoverer>,
    lists: Option<ListKeeper>,
    tokens: Option<AccountTokens>,
}

/// Subscriber lists taken with `stack`'s Helix, kept in `store`.
fn list_keeper(stack: &Stack, store: Arc<SqliteStore>) -> Option<ListKeeper> {
    let twitch = stack.twitch.as_ref()?;
    Some(ListKeeper {
        helix: Arc::clone(&twitch.manager.helix),
        gaps: store.clone(),
        lists: store,
    })
}

/// The account routes' grants, as recovery asks for a broadcaster's token
/// (sealed with the account routes' own key).
struct AccountTokens(Arc<::api::ApiState>);

#[async_trait::async_trait]
impl shared::recovery::UserTokens for AccountTokens {
    async fn user_token(
        &self,
        broadcaster_id: &str,
        now_s: i64,
    ) -> Result<String, grants::GrantError> {
        let account = self.0.account.as_ref().ok_or(grants::GrantError::NoGrant)?;
        let store = account.users.as_ref();
        grants::access_token(store, &account.login, &account.seal, broadcaster_id, now_s).await
    }
}

impl Recovery {
    /// Recovery over `store` with `stack`'s Twitch side; nothing to do
    /// without one.
    pub fn of(stack: &Stack, store: Arc<SqliteStore>) -> Self {
        let recoverer = stack.twitch.as_ref().map(|twitch| {
            let helix = Arc::clone(&twitch.manager.helix);
            let recoverer = shared::recovery::Recoverer::new(helix, store.clone(), store.clone())
                .with_subscriber_lists(store.clone());
            match &stack.api {
                Some(api) => recoverer.with_tokens(Arc::new(AccountTokens(Arc::clone(api)))),
                None => recoverer,
            }
        });
        Self {
            recoverer,
            lists: list_keeper(stack, store),
            tokens: stack.api.clone().map(AccountTokens),
        }
    }

    /// Keeps `broadcaster`'s subscriber list now, with their grant's token
    /// (what the hourly grant validation does); whether it was kept.
    pub async fn keep_subscriber_list(
        &self,
        broadcaster: &str,
        now_ms: i64,
    ) -> Result<bool, ListError> {
        let (Some(lists), Some(tokens)) = (&self.lists, &self.tokens) else {
            return Ok(false);
        };
        let token = tokens.user_token(broadcaster, now_ms / 1000).await?;
        lists.keep(broadcaster, &token, now_ms).await
    }

    /// One run at `now_ms` (Unix ms).
    pub async fn once(&self, now_ms: i64) -> Result<shared::recovery::RunReport, StoreError> {
        match &self.recoverer {
            Some(r) => r.run(now_ms).await,
            None => Ok(shared::recovery::RunReport::default()),
        }
    }

    /// Runs every `every` for as long as the process runs.
    pub fn spawn(self, every: Duration) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = self.once(shared::clock::now_ms()).await {
                    tracing::warn!(error = %e, "recovery run failed");
                }
            }
        });
    }
}

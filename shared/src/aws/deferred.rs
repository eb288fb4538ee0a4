//! A function's state, built at init, or at the first invocation that can.
//!
//! Building it reads the function's secrets ([`Secrets::from_env`]). A
//! setting that is missing or malformed fails init: nothing a retry could
//! fix. A secret store that cannot be reached fails only the invocations
//! that find it so: each one tries again, and the first that reaches it
//! builds the state for the rest of the process's life. Until then each
//! function answers as its callers retry (an HTTP 503, an error result).

use std::future::Future;
use std::pin::Pin;

use tokio::sync::OnceCell;

use super::secrets::{LoadError, Secrets};
use crate::config::ConfigError;

type Build<T> = Box<
    dyn Fn(Secrets) -> Pin<Box<dyn Future<Output = Result<T, ConfigError>> + Send>> + Send + Sync,
>;

/// State of type `T`, built from the function's secrets.
pub struct Deferred<T> {
    state: OnceCell<T>,
    build: Build<T>,
}

/// This invocation could not build the state (already logged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the function's configuration is unavailable; try again shortly")]
pub struct Unavailable;

impl<T> Deferred<T> {
    /// Builds the state now with `build`; a configuration error is returned
    /// (init fails), an unreachable store is logged and left to the first
    /// invocation.
    pub async fn init<F, Fut>(build: F) -> Result<Self, ConfigError>
    where
        F: Fn(Secrets) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, ConfigError>> + Send + 'static,
    {
        let deferred = Self {
            state: OnceCell::new(),
            build: Box::new(move |secrets| Box::pin(build(secrets))),
        };
        match deferred.attempt().await {
            Ok(_) => {}
            Err(LoadError::Config(e)) => return Err(e),
            Err(e @ LoadError::Unavailable { .. }) => {
                tracing::error!(error = %e, "init without state; the first invocation tries again");
            }
        }
        Ok(deferred)
    }

    /// The state, built now if it is not yet; [`Unavailable`] when it still
    /// cannot be (the reason is logged once, here).
    pub async fn get(&self) -> Result<&T, Unavailable> {
        self.attempt().await.map_err(|e| {
            tracing::error!(error = %e, "no state for this invocation; the next one tries again");
            Unavailable
        })
    }

    async fn attempt(&self) -> Result<&T, LoadError> {
        self.state
            .get_or_try_init(|| async {
                let secrets = Secrets::from_env().await?;
                Ok((self.build)(secrets).await?)
            })
            .await
    }
}

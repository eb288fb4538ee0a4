//! The poller Lambda: state from the environment and the function's secret
//! (at init, or at the first run that can read it), one run per scheduled
//! event; a run without it fails, and the next one tries again.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::{json, Value};
use shared::aws::deferred::Deferred;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let state = Deferred::init(poller::aws::state_from).await?;
    let state = &state;
    run(service_fn(move |_: LambdaEvent<Value>| async move {
        let (poller, mode) = state.get().await?;
        let status = poller.run(*mode).await?;
        Ok::<_, Error>(json!(status))
    }))
    .await
}

//! The poller Lambda: state from the environment, one run per scheduled event.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let (poller, mode) = poller::aws::from_env().await?;
    let poller = &poller;
    run(service_fn(move |_: LambdaEvent<Value>| async move {
        let status = poller.run(mode).await?;
        Ok::<_, Error>(json!(status))
    }))
    .await
}

//! The subscription manager Lambda: state from the environment, then the handler.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let (manager, settings) = subscriptions::config::from_env().await?;
    let (manager, settings) = (&manager, &settings);
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<_, Error>(subscriptions::handler::handle(manager, settings, event.payload).await)
    }))
    .await
}

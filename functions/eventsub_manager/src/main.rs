//! The subscription manager Lambda: state from the environment, then the handler.

use eventsub_manager::handler::{handle, Trigger};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let (manager, settings) = eventsub_manager::aws::from_env().await?;
    let (manager, settings) = (&manager, &settings);
    run(service_fn(move |event: LambdaEvent<Trigger>| async move {
        Ok::<_, Error>(handle(manager, settings, event.payload).await)
    }))
    .await
}

//! The subscription manager Lambda: state from the environment and the
//! function's secrets (at init, or at the first invocation that can read
//! them), then the handler.

use eventsub_manager::handler::{serve, Trigger};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use shared::aws::deferred::Deferred;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let state = Deferred::init(eventsub_manager::aws::state_from).await?;
    let state = &state;
    run(service_fn(move |event: LambdaEvent<Trigger>| async move {
        Ok::<_, Error>(serve(state, event.payload).await?)
    }))
    .await
}

//! The websocket Lambda: state from the environment, then the shared handler.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let state = websocket::aws::state_from_env().await?;
    let state = &state;
    run(service_fn(move |event: LambdaEvent<_>| async move {
        Ok::<_, Error>(websocket::handle(state, event.payload).await)
    }))
    .await
}

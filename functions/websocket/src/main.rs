//! The websocket Lambda: state from the environment and the function's
//! secrets (at init, or at the first event that can read them), then the
//! shared handler.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use shared::aws::deferred::Deferred;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let state = Deferred::init(websocket::aws::state_from).await?;
    let state = &state;
    run(service_fn(move |event: LambdaEvent<_>| async move {
        Ok::<_, Error>(websocket::aws::serve(state, event.payload).await)
    }))
    .await
}

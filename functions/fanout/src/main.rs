//! The fan-out Lambda: state from the environment, then the stream entry.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let state = fanout::aws::state_from_env().await?;
    let state = &state;
    run(service_fn(move |event: LambdaEvent<_>| async move {
        Ok::<_, Error>(fanout::aws::handle(state, event.payload).await)
    }))
    .await
}

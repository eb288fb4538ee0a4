//! The webhook Lambda: state from the environment, then the shared handler.

use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let state = webhook::aws::state_from_env().await?;
    let state = &state;
    run(service_fn(move |request| async move {
        Ok::<_, Error>(webhook::handle(state, request).await)
    }))
    .await
}

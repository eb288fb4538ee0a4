//! The read API Lambda: state from the environment and the function's
//! secrets (at init, or at the first request that can read them), then the
//! shared handler.

use lambda_http::{run, service_fn, Error};
use shared::aws::deferred::Deferred;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let state = Deferred::init(api::aws::state_from).await?;
    let state = &state;
    run(service_fn(move |request| async move {
        Ok::<_, Error>(api::aws::serve(state, request).await)
    }))
    .await
}

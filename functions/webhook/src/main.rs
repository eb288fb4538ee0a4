//! The webhook Lambda: state from the environment and the function's secret
//! (at init, or at the first delivery that can read it), then the shared
//! handler.

use lambda_http::{run, service_fn, Error};
use shared::aws::deferred::Deferred;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let state = Deferred::init(webhook::aws::state_from).await?;
    let state = &state;
    run(service_fn(move |request| async move {
        Ok::<_, Error>(webhook::aws::serve(state, request).await)
    }))
    .await
}

//! The counting consumer Lambda: the store from the environment, then the
//! stream entry (`fanout::day_counts`).

use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let store = fanout::day_counts::store_from_env().await?;
    let store = &store;
    run(service_fn(move |event: LambdaEvent<_>| async move {
        fanout::day_counts::handle(store, event.payload)
            .await
            .map(|_| ())
            .map_err(Error::from)
    }))
    .await
}

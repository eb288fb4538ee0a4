//! The functions' handlers and Lambda entries on the local stack: the read
//! API, the manager's Lambda entry, the fan-out's stream batches, the
//! `@connections` API under the real SDK client, and the websocket routes.
//! One module per function, all one test binary (each binary links the
//! whole stack).

#[path = "../support/mod.rs"]
mod support;

mod api_routes;
mod eventsub_manager_lambda;
mod fanout_stream;
mod gateway;
mod websocket_routes;

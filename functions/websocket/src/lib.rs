//! The WebSocket API's routes. API Gateway selects the route from the body's
//! `action`; replies and errors go back to the client as frames through the
//! `@connections` API (a route's HTTP status only matters on `$connect`).
//!
//! - `$connect`: needs a valid ticket in `?ticket=` unless the API is in open mode.
//! - `subscribe` / `unsubscribe`: `{"action":"subscribe","broadcaster":"<user id>"}`;
//!   subscribing sends the streamer's recent events (backlog) to the connection.
//! - `$default`: `{"action":"ping"}` gets a `pong` frame (keeps an idle
//!   connection inside API Gateway's 10-minute idle limit); anything else gets
//!   an error frame.
//! - `$disconnect`: removes the connection and its topics (best effort; records
//!   also expire on their own).
//!
//! Modules: [`state`] (what the handler needs, and the reply port),
//! [`message`] (the client message, parsed once), [`routes`] (the handler),
//! [`metrics`] (what an invocation counts as in CloudWatch),
//! `aws` (feature `aws`: the Lambda's state from the environment).

#[cfg(feature = "aws")]
pub mod aws;
pub mod message;
pub mod metrics;
pub mod routes;
pub mod state;

pub use message::{ClientMessage, MAX_CLIENT_MESSAGE};
pub use routes::{handle, handle_counted};
pub use state::{Auth, OpenPush, WsState, BACKLOG, DEFAULT_MAX_TOPICS};

//! `local sink`: an HTTP/1.1 server that reads each request and answers 204,
//! doing nothing else. The ingest benchmark measures it beside the real
//! receivers: what the load generator can send when the receiver costs
//! nothing.

use std::convert::Infallible;
use std::io::Write;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::cli::SinkArgs;

/// Serves until the process is stopped.
pub async fn command(args: SinkArgs) -> anyhow::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", args.port)).await?;
    // Flushed at once: the bench script waits for this line in a file.
    let mut out = std::io::stdout();
    writeln!(out, "listening {}", args.port)?;
    out.flush()?;
    loop {
        // Started in the background by a script, the process ignores SIGINT
        // unless it asks for it: stop on Ctrl-C like the stack does.
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            let service = service_fn(|request: Request<hyper::body::Incoming>| async move {
                // Read the body, as any receiver must before it answers.
                let _ = request.into_body().collect().await;
                let mut response = Response::new(Empty::<Bytes>::new());
                *response.status_mut() = StatusCode::NO_CONTENT;
                Ok::<_, Infallible>(response)
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

//! The HTTP server under the stack, with the limits a server left running
//! needs: a connection cap, a deadline for each request's head, and one for
//! each request (its body included). API Gateway enforces the like in AWS.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How much the server lets a client take.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections served at once (WebSockets included); more wait in the
    /// listen backlog.
    pub connections: usize,
    /// From a connection's accept (or its previous answer) to the end of a
    /// request's head: a socket that says nothing is cut as one that says
    /// too little.
    pub header_read: Duration,
    /// From a request's head to its answer, reading the body included
    /// (API Gateway's integration timeout is 30 s).
    pub request: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            connections: 16_384,
            header_read: Duration::from_secs(10),
            request: Duration::from_secs(30),
        }
    }
}

/// Descriptors the connection cap leaves to everything else: the store's
/// files, the listener, outbound calls (Twitch, the simulator), stdio.
pub const RESERVED_DESCRIPTORS: u64 = 64;

/// The process's limit on open descriptors (`ulimit -n`, the soft one), when
/// it can be read.
pub fn descriptor_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes only into the struct it is given.
    let read = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    (read == 0 && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

impl Limits {
    /// These limits with the connection cap below the descriptor limit
    /// (less [`RESERVED_DESCRIPTORS`]): connections over it wait in the
    /// backlog instead of failing in `accept` with EMFILE.
    pub fn within_descriptors(self, limit: Option<u64>) -> Self {
        let Some(limit) = limit else {
            return self;
        };
        let room =
            usize::try_from(limit.saturating_sub(RESERVED_DESCRIPTORS)).unwrap_or(usize::MAX);
        Self {
            connections: self.connections.min(room.max(1)),
            ..self
        }
    }
}

/// How long the accept loop pauses after running out of descriptors (or
/// memory): doubling from the first to the last, back to none on success.
const ACCEPT_PAUSE: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));
/// At most one accept warning per this long; the rest are counted.
const ACCEPT_LOG_EVERY: Duration = Duration::from_secs(10);

/// The accept loop's answer to failures: a pause that grows while they
/// last, and a log that says so once per interval, not once per failure.
#[derive(Default)]
struct AcceptFailures {
    pause: Option<Duration>,
    logged_at: Option<std::time::Instant>,
    unlogged: u64,
}

impl AcceptFailures {
    /// Records `error` at `now`; the pause to take before accepting again.
    fn failed(&mut self, error: &io::Error, now: std::time::Instant) -> Option<Duration> {
        // Out of descriptors or kernel memory: accepting again at once fails
        // again at once (the pending connection stays in the backlog).
        let exhausted = matches!(
            error.raw_os_error(),
            Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
        );
        if exhausted {
            self.pause = Some(match self.pause {
                None => ACCEPT_PAUSE.0,
                Some(p) => (p * 2).min(ACCEPT_PAUSE.1),
            });
        }
        if self.logged_at.is_none_or(|at| now - at >= ACCEPT_LOG_EVERY) {
            tracing::warn!(
                error = %error,
                more = self.unlogged,
                pause_ms = self.pause.map_or(0, |p| p.as_millis() as u64),
                "accept failed (more: failures since the last warning)"
            );
            self.logged_at = Some(now);
            self.unlogged = 0;
        } else {
            self.unlogged += 1;
        }
        if exhausted {
            self.pause
        } else {
            None
        }
    }

    fn succeeded(&mut self) {
        self.pause = None;
    }
}

/// Serves `router` on `listener` within `limits` (its connection cap kept
/// under the descriptor limit) until `shutdown` resolves, then finishes the
/// requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let router = router.layer(axum::middleware::from_fn_with_state(
        limits.request,
        deadline,
    ));
    let limits = limits.within_descriptors(descriptor_limit());
    let permits = Arc::new(Semaphore::new(limits.connections.max(1)));
    let mut failures = AcceptFailures::default();
    // Graceful stop: every connection's task holds a receiver; `closed`
    // resolves once the last has finished its request in flight.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&permits).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                // The permit goes with the socket: an upgraded WebSocket keeps it.
                Ok((stream, _)) => {
                    failures.succeeded();
                    Held { io: stream, _permit: permit }
                }
                // Out of descriptors and the like: the listener itself is fine.
                Err(e) => {
                    if let Some(pause) = failures.failed(&e, std::time::Instant::now()) {
                        tokio::select! {
                            () = tokio::time::sleep(pause) => {}
                            () = &mut shutdown => break,
                        }
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            // HTTP/1 only: hyper's head deadline starts when it first reads;
            // the auto-detecting builder first waited, unbounded, for the
            // bytes that tell HTTP/1 from HTTP/2 (nothing here speaks h2c).
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(conn);
            let ended = tokio::select! {
                ended = conn.as_mut() => ended,
                () = async { drop(stopping.wait_for(|stop| *stop).await) } => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    let _ = stop.send(true);
    drop(stopping);
    stop.closed().await;
    Ok(())
}

/// Answers 408 when a request (its body included) takes longer than `limit`.
async fn deadline(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            Json(json!({"error": "request_timeout", "message": format!("the request took longer than {limit:?}")})),
        )
            .into_response(),
    }
}

/// A socket and its place under the connection cap, given back when the
/// socket is dropped (after an upgrade too).
struct Held<T> {
    io: T,
    _permit: OwnedSemaphorePermit,
}

impl<T: AsyncRead + Unpin> AsyncRead for Held<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Held<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_out_of_descriptors_pauses_longer_each_time_and_warns_once_per_interval() {
        let mut f = AcceptFailures::default();
        let emfile = io::Error::from_raw_os_error(libc::EMFILE);
        let t0 = std::time::Instant::now();
        let pauses: Vec<_> = (0..9).map(|_| f.failed(&emfile, t0).unwrap()).collect();
        let ms: Vec<u128> = pauses.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        assert_eq!(f.unlogged, 8, "one warning, eight counted");
        f.failed(&emfile, t0 + ACCEPT_LOG_EVERY);
        assert_eq!(f.unlogged, 0, "the next interval warns again");
        f.succeeded();
        assert_eq!(f.failed(&emfile, t0), Some(ACCEPT_PAUSE.0));
        // A client that gave up before accept is no reason to pause.
        let aborted = io::Error::from_raw_os_error(libc::ECONNABORTED);
        assert_eq!(AcceptFailures::default().failed(&aborted, t0), None);
    }

    #[test]
    fn the_connection_cap_stays_under_the_descriptor_limit() {
        let limits = Limits::default();
        assert_eq!(limits.within_descriptors(Some(256)).connections, 192);
        assert_eq!(limits.within_descriptors(Some(10)).connections, 1);
        assert_eq!(limits.within_descriptors(Some(1 << 20)).connections, 16_384);
        assert_eq!(limits.within_descriptors(None).connections, 16_384);
    }
}

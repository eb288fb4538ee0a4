//! The WebSocket benchmarks' two clients of a running local stack (open
//! mode): a socket subscribed to one streamer, reporting the live events it
//! reads, and a connection posting signed deliveries to the webhook.
//!
//! Frames are matched to posts by the EventSub message id they carry.

use std::time::Instant;

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use shared::config::EventSubSecret;
use shared::eventsub::fixtures::Delivery;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// A client's WebSocket to the stack.
pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket to the stack and subscribes it to `broadcaster`,
/// returning once the subscription is acknowledged (backlog frames follow).
pub async fn subscribed(addr: &str, broadcaster: &str) -> anyhow::Result<Socket> {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .context("WebSocket connect (is the stack running with --open?)")?;
    let subscribe = format!(r#"{{"action":"subscribe","broadcaster":"{broadcaster}"}}"#);
    ws.send(Message::Text(subscribe.into())).await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) if t.as_str().contains(r#""type":"subscribed""#) => {
                return Ok(ws)
            }
            Some(Ok(Message::Text(t))) if t.as_str().contains(r#""type":"error""#) => {
                bail!("subscribe refused: {}", t.as_str())
            }
            Some(Ok(_)) => {}
            _ => bail!("socket closed before the subscription was acknowledged"),
        }
    }
}

/// The message id of an event frame (live ones only: backlog is skipped).
fn live_event_id(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    if v["type"] != "event" || v["backlog"] == true {
        return None;
    }
    v["id"].as_str().map(str::to_owned)
}

/// Reads `ws` until it closes, reporting each live event's id and arrival time.
pub fn read_live_ids(mut ws: Socket, tx: mpsc::UnboundedSender<(String, Instant)>) {
    tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Text(t) = msg {
                if let Some(id) = live_event_id(t.as_str()) {
                    let _ = tx.send((id, Instant::now()));
                }
            }
        }
    });
}

/// One HTTP/1.1 connection posting signed deliveries to `/eventsub`.
pub struct Poster {
    sender: http1::SendRequest<Full<bytes::Bytes>>,
    addr: String,
    secret: EventSubSecret,
}

impl Poster {
    /// Opens the connection to `addr`, signing with `secret`.
    pub async fn connect(addr: &str, secret: &EventSubSecret) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        Ok(Self {
            sender,
            addr: addr.to_owned(),
            secret: secret.clone(),
        })
    }

    /// Posts `delivery`; true when it was accepted (2xx).
    pub async fn post(&mut self, delivery: &Delivery) -> anyhow::Result<bool> {
        let mut request = hyper::Request::post("/eventsub").header("host", &self.addr);
        for (name, value) in delivery.headers(&self.secret) {
            request = request.header(name, value);
        }
        let request = request.body(Full::new(bytes::Bytes::from(delivery.body.clone())))?;
        let response = self.sender.send_request(request).await?;
        let ok = response.status().is_success();
        let _ = response.into_body().collect().await;
        Ok(ok)
    }
}

//! `POST /sim/outage` (`{"seconds": N}`): for N wall-clock seconds the
//! stack's callback cannot be reached: every POST to a callback fails before
//! any request leaves (challenges, notifications, retries, revocations), as
//! if the host were down. Retries and revocation follow [`crate::retries`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::gate::helix_error;
use super::Sim;

/// The longest outage one request may ask for (a day).
pub const MAX_OUTAGE_SECS: f64 = 86_400.0;

impl Sim {
    /// Makes every callback unreachable for `length` from now (replacing any
    /// outage under way; zero ends it).
    pub fn outage(&self, length: Duration) {
        self.state().outage_until = Some(Instant::now() + length);
    }

    /// How much of the outage is left (zero when there is none).
    pub fn outage_left(&self) -> Duration {
        self.state()
            .outage_until
            .map(|until| until.saturating_duration_since(Instant::now()))
            .unwrap_or_default()
    }
}

/// `POST /sim/outage`: starts the outage and answers when it ends and how
/// long the simulator's retry window is.
pub async fn post_outage(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let seconds = match read_seconds(&body) {
        Ok(seconds) => seconds,
        Err(message) => return helix_error(StatusCode::BAD_REQUEST, message),
    };
    let length = Duration::try_from_secs_f64(seconds).unwrap_or_default();
    sim.outage(length);
    let until = OffsetDateTime::now_utc() + length;
    Json(json!({
        "seconds": seconds,
        "until": until.format(&Rfc3339).unwrap_or_default(),
        "retry_window_seconds": sim.config.retries.window().as_secs_f64(),
    }))
    .into_response()
}

/// The `seconds` of a `{"seconds": N}` body: a number from 0 to a day.
fn read_seconds(body: &[u8]) -> Result<f64, &'static str> {
    let body: Value =
        serde_json::from_slice(body).map_err(|_| "the body must be JSON: {\"seconds\": N}")?;
    let seconds = body
        .get("seconds")
        .ok_or("seconds is required: {\"seconds\": N}")?
        .as_f64()
        .ok_or("seconds must be a number")?;
    if seconds < 0.0 {
        return Err("seconds must not be negative");
    }
    if seconds > MAX_OUTAGE_SECS {
        return Err("seconds must be at most 86400 (a day)");
    }
    Ok(seconds)
}

#[cfg(test)]
mod tests {
    use super::read_seconds;

    #[test]
    fn seconds_is_a_number_from_zero_to_a_day() {
        assert_eq!(read_seconds(br#"{"seconds": 3}"#), Ok(3.0));
        assert_eq!(read_seconds(br#"{"seconds": 0.5}"#), Ok(0.5));
        assert_eq!(read_seconds(br#"{"seconds": 0}"#), Ok(0.0));
        for bad in [
            &br#"{"seconds": -1}"#[..],
            br#"{"seconds": "3"}"#,
            br#"{"seconds": null}"#,
            br#"{"secs": 3}"#,
            br#"{"seconds": 86401}"#,
            br#"[3]"#,
            b"seconds=3",
            b"",
        ] {
            assert!(
                read_seconds(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}

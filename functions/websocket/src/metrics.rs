//! What an invocation counts as in CloudWatch (EMF lines, `shared::metrics`):
//! `Connects`, `Disconnects`, `Subscribes`, `Unsubscribes`, `Pings`,
//! `Refused` by `Reason` (a refused `$connect`, or the code of an error frame
//! sent back), and `Failures` (the store or Twitch failed: try again).

use serde::Deserialize;

/// One thing an invocation did: its metric and, for a refusal, the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counted {
    pub metric: &'static str,
    pub reason: Option<String>,
}

impl Counted {
    /// Counted under `metric`, with no reason.
    pub fn plain(metric: &'static str) -> Self {
        Self {
            metric,
            reason: None,
        }
    }

    /// A refusal for `reason`.
    pub fn refused(reason: impl Into<String>) -> Self {
        Self {
            metric: "Refused",
            reason: Some(reason.into()),
        }
    }

    /// Its EMF line in `namespace`, stamped `at_ms`.
    pub fn line(&self, namespace: &str, at_ms: i64) -> String {
        shared::metrics::line(
            namespace,
            "websocket",
            &self.dimensions(),
            &[shared::metrics::count(self.metric, 1)],
            at_ms,
        )
    }

    /// Prints its EMF line (inside Lambda only).
    pub fn emit(&self) {
        shared::metrics::emit(
            "websocket",
            &self.dimensions(),
            &[shared::metrics::count(self.metric, 1)],
        );
    }

    fn dimensions(&self) -> Vec<(&str, &str)> {
        self.reason.iter().map(|r| ("Reason", r.as_str())).collect()
    }
}

/// The fields of a reply frame that say what it is.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: String,
    code: Option<String>,
}

/// What the frames sent back for a client message count as. The replies
/// (ack, pong, error) come before any backlog event, so reading stops at the
/// first event frame.
pub fn of_frames(frames: &[String]) -> Vec<Counted> {
    let mut counted = Vec::new();
    for frame in frames {
        let Ok(head) = serde_json::from_str::<Head>(frame) else {
            continue;
        };
        counted.push(match (head.kind.as_str(), head.code) {
            ("event", _) => break,
            ("subscribed", _) => Counted::plain("Subscribes"),
            ("unsubscribed", _) => Counted::plain("Unsubscribes"),
            ("pong", _) => Counted::plain("Pings"),
            ("error", Some(code)) if code == "unavailable" => Counted::plain("Failures"),
            ("error", Some(code)) => Counted::refused(code),
            _ => continue,
        });
    }
    counted
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::frames;

    #[test]
    fn replies_count_by_kind_and_refusals_by_code() {
        let sent = [
            frames::ack("subscribed", "1337", None, 1),
            frames::error("track_limit", "watching, but not tracked"),
        ];
        assert_eq!(
            of_frames(&sent),
            [
                Counted::plain("Subscribes"),
                Counted::refused("track_limit")
            ]
        );
        assert_eq!(of_frames(&[frames::pong()]), [Counted::plain("Pings")]);
        assert_eq!(
            of_frames(&[frames::error("unavailable", "try again shortly")]),
            [Counted::plain("Failures")]
        );
    }

    #[test]
    fn a_refusal_line_carries_its_reason_as_a_dimension() {
        let v: serde_json::Value =
            serde_json::from_str(&Counted::refused("too_many_topics").line("NS", 5)).unwrap();
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            serde_json::json!([["Function", "Reason"]])
        );
        assert_eq!(
            (&v["Function"], &v["Reason"], &v["Refused"]),
            (
                &serde_json::json!("websocket"),
                &serde_json::json!("too_many_topics"),
                &serde_json::json!(1.0)
            )
        );
    }
}

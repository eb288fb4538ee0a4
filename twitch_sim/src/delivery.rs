//! Signed POSTs to subscription callbacks (as <https://dev.twitch.tv/docs/eventsub/handling-webhook-events/> describes them): the
//! challenge after a create, notifications, resends of a notification under
//! its original message id, and revocations.

use std::sync::Arc;

use serde_json::{json, Value};
use shared::config::EventSubSecret;
use shared::eventsub::catalog::semantic_key;
use shared::eventsub::headers::{self, MessageType};
use shared::eventsub::status::Status;
use shared::eventsub::subscription::broadcaster_of;
use shared::eventsub::verify::signature_header;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::ledger::Entry;
use super::payload;
use super::state::{SentMessage, SimSubscription, State};
use super::{Sim, SimError};

/// One message on its way to a callback.
struct Outgoing<'a> {
    message_id: &'a str,
    retry: u32,
    message_type: MessageType,
    body: &'a str,
}

/// Challenges subscription `id`'s callback: `enabled` if it answers 200 with
/// exactly the challenge, `webhook_callback_verification_failed` otherwise.
pub async fn challenge(sim: Arc<Sim>, id: String) {
    let Some(sub) = sim.state().subscription(&id).cloned() else {
        return;
    };
    let challenge = uuid::Uuid::new_v4().to_string();
    let body = json!({"challenge": challenge, "subscription": sub.to_json()}).to_string();
    let message_id = uuid::Uuid::new_v4().to_string();
    let outgoing = Outgoing {
        message_id: &message_id,
        retry: 0,
        message_type: MessageType::Verification,
        body: &body,
    };
    let passed = match sim.send(&sub, &outgoing).await {
        Ok(response) => {
            let ok = response.status().as_u16() == 200;
            // Byte for byte: no JSON, no quotes, no trailing newline.
            ok && response
                .bytes()
                .await
                .is_ok_and(|b| b.as_ref() == challenge.as_bytes())
        }
        Err(e) => {
            tracing::debug!(subscription = %id, error = %e, "challenge not delivered");
            false
        }
    };
    let mut state = sim.state();
    // Deleted, or changed by the test meanwhile: leave it alone.
    if let Some(sub) = state
        .subscription_mut(&id)
        .filter(|s| s.status == Status::WebhookCallbackVerificationPending)
    {
        sub.status = if passed {
            Status::Enabled
        } else {
            Status::WebhookCallbackVerificationFailed
        };
    }
}

impl Sim {
    /// Sends one signed notification with a realistic event to an enabled
    /// subscription's callback; returns the callback's status and the message id.
    pub async fn deliver(&self, subscription_id: &str) -> Result<(u16, String), SimError> {
        self.deliver_event(subscription_id, None).await
    }

    /// [`Sim::deliver`] with this `event` instead of a generated one. The
    /// event goes into the ledger and the history; if the callback does not
    /// acknowledge it, it is retried ([`crate::retries`]).
    pub async fn deliver_event(
        &self,
        subscription_id: &str,
        given: Option<serde_json::Value>,
    ) -> Result<(u16, String), SimError> {
        let now = OffsetDateTime::now_utc();
        let message_id = uuid::Uuid::new_v4().to_string();
        let (sub, body) = {
            let mut state = self.state();
            let sub = enabled(&state, subscription_id)?;
            state.seq += 1;
            let event =
                given.unwrap_or_else(|| payload::event(&sub.kind, &sub.condition, state.seq, now));
            let body = json!({"subscription": sub.to_json(), "event": event}).to_string();
            let sent = SentMessage {
                subscription_id: sub.id.clone(),
                body: body.clone(),
                retries: 0,
            };
            state.sent.remember(message_id.clone(), sent);
            record(&mut state, &sub, &message_id, now, event);
            (sub, body)
        };
        let outgoing = Outgoing {
            message_id: &message_id,
            retry: 0,
            message_type: MessageType::Notification,
            body: &body,
        };
        let status = self
            .send(&sub, &outgoing)
            .await
            .map(|r| r.status().as_u16());
        self.settle(&sub, &message_id, &body, status.as_ref().is_ok_and(is_2xx));
        Ok((status?, message_id))
    }

    /// Sends an earlier notification again, as Twitch retries: same message
    /// id and body, a new timestamp and a higher retry count.
    pub async fn redeliver(
        &self,
        subscription_id: &str,
        message_id: &str,
    ) -> Result<u16, SimError> {
        let (body, retry) = {
            let mut state = self.state();
            let sub = enabled(&state, subscription_id)?;
            let sent = state
                .sent
                .get_mut(message_id)
                .filter(|m| m.subscription_id == sub.id)
                .ok_or_else(|| SimError::UnknownMessage(message_id.to_owned()))?;
            sent.retries += 1;
            (sent.body.clone(), sent.retries)
        };
        self.resend(subscription_id, message_id, &body, retry).await
    }

    /// Sends `body` again under `message_id` with retry count `retry`, if
    /// the subscription is still enabled; a 2xx marks it delivered.
    pub(crate) async fn resend(
        &self,
        subscription_id: &str,
        message_id: &str,
        body: &str,
        retry: u32,
    ) -> Result<u16, SimError> {
        let sub = enabled(&self.state(), subscription_id)?;
        let outgoing = Outgoing {
            message_id,
            retry,
            message_type: MessageType::Notification,
            body,
        };
        let status = self.send(&sub, &outgoing).await?.status().as_u16();
        if is_2xx(&status) {
            self.acknowledged(&sub.callback, message_id);
        }
        Ok(status)
    }

    /// Revokes a subscription: sets its status to `reason` (e.g.
    /// `authorization_revoked`) and sends the signed revocation, which has no
    /// `event`; returns the callback's status. Nothing is delivered to it after.
    pub async fn revoke(&self, subscription_id: &str, reason: &str) -> Result<u16, SimError> {
        {
            let mut state = self.state();
            let sub = state
                .subscription_mut(subscription_id)
                .ok_or_else(|| SimError::UnknownSubscription(subscription_id.to_owned()))?;
            sub.status = Status::from(reason);
        }
        self.send_revocation(subscription_id).await
    }

    /// Sends the revocation of a subscription as it now stands (its status
    /// is the reason); returns the callback's status.
    pub(crate) async fn send_revocation(&self, subscription_id: &str) -> Result<u16, SimError> {
        let sub = self
            .state()
            .subscription(subscription_id)
            .cloned()
            .ok_or_else(|| SimError::UnknownSubscription(subscription_id.to_owned()))?;
        let body = json!({"subscription": sub.to_json()}).to_string();
        let message_id = uuid::Uuid::new_v4().to_string();
        let outgoing = Outgoing {
            message_id: &message_id,
            retry: 0,
            message_type: MessageType::Revocation,
            body: &body,
        };
        Ok(self.send(&sub, &outgoing).await?.status().as_u16())
    }

    /// POSTs one message to `sub`'s callback, signed with its secret and
    /// stamped now.
    async fn send(
        &self,
        sub: &SimSubscription,
        message: &Outgoing<'_>,
    ) -> Result<reqwest::Response, SimError> {
        // An outage: nothing leaves, as if the callback's host were down.
        if !self.outage_left().is_zero() {
            return Err(SimError::Unreachable);
        }
        let secret = EventSubSecret::new(sub.secret.as_str())?;
        let timestamp = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        let signature = signature_header(
            &secret,
            message.message_id,
            &timestamp,
            message.body.as_bytes(),
        );
        let response = self
            .http
            .post(&sub.callback)
            .header("content-type", "application/json")
            .header("user-agent", "Twitch-Eventsub-Webhooks/1.0")
            .header(headers::MESSAGE_ID, message.message_id)
            .header(headers::MESSAGE_RETRY, message.retry.to_string())
            .header(headers::MESSAGE_TYPE, message.message_type.as_str())
            .header(headers::MESSAGE_SIGNATURE, signature)
            .header(headers::MESSAGE_TIMESTAMP, timestamp)
            .header(headers::SUBSCRIPTION_TYPE, &sub.kind)
            .header(headers::SUBSCRIPTION_VERSION, &sub.version)
            .body(message.body.to_owned())
            .send()
            .await?;
        Ok(response)
    }
}

fn is_2xx(status: &u16) -> bool {
    (200..300).contains(status)
}

/// Puts a generated event in the ledger and the history of the broadcaster
/// the stack files it under: the condition's, else the event's.
fn record(
    state: &mut State,
    sub: &SimSubscription,
    message_id: &str,
    now: OffsetDateTime,
    event: Value,
) {
    let from_event = event
        .get("broadcaster_user_id")
        .and_then(Value::as_str)
        .filter(|b| !b.is_empty());
    let Some(broadcaster) = sub
        .condition
        .as_object()
        .and_then(broadcaster_of)
        .or(from_event)
        // Our app's own types name no channel: ledgered under the client id
        // (the stack keeps their coverage gaps under it too).
        .or_else(|| sub.condition.get("client_id").and_then(Value::as_str))
        .map(str::to_owned)
    else {
        return;
    };
    state.history.apply(&sub.kind, &broadcaster, &event, now);
    let entry = Entry {
        kind: sub.kind.clone(),
        happened_at: now.format(&Rfc3339).unwrap_or_default(),
        message_id: message_id.to_owned(),
        semantic_key: semantic_key(&sub.kind, &broadcaster, &event),
        delivered: false,
        event,
    };
    state.ledger.record(&broadcaster, entry);
}

/// Subscription `id` if it exists and is enabled: only those get notifications.
fn enabled(state: &State, id: &str) -> Result<SimSubscription, SimError> {
    let sub = state
        .subscription(id)
        .ok_or_else(|| SimError::UnknownSubscription(id.to_owned()))?;
    if sub.status != Status::Enabled {
        return Err(SimError::NotEnabled {
            id: sub.id.clone(),
            status: sub.status.to_string(),
        });
    }
    Ok(sub.clone())
}

//! One delivery, independent of transport: its size, headers, signature and
//! freshness checked, then the challenge answered, the revocation recorded,
//! or the notification stored exactly once ([`process`]).

use lambda_http::http::HeaderMap;
use serde_json::Value;
use shared::clock::unix_ms;
use shared::eventsub::catalog::{semantic_key, summarize};
use shared::eventsub::envelope::{self, EnvelopeError, Message};
use shared::eventsub::headers::DeliveryHeaders;
use shared::eventsub::subscription::{valid_user_id, Subscription};
use shared::eventsub::verify::{freshness, signature_matches, Freshness};
use shared::store::{Appended, Event, StoreError, SubscriptionChange, SubscriptionUpdate};
use time::OffsetDateTime;

use crate::outcome::{Ack, Outcome, Rejection};
use crate::{WebhookState, MAX_BODY_BYTES, UNATTRIBUTED};

/// The whole decision, independent of transport: what tests call directly.
pub async fn process(
    state: &WebhookState,
    headers: &HeaderMap,
    body: &[u8],
    now: OffsetDateTime,
) -> Outcome {
    let outcome = match accept(state, headers, body, now).await {
        Ok(outcome) => outcome,
        Err(rejection) => {
            tracing::info!(code = rejection.code(), reason = %rejection, "rejected delivery");
            Outcome::Rejected(rejection)
        }
    };
    state.metrics.count(&outcome);
    outcome
}

async fn accept(
    state: &WebhookState,
    headers: &HeaderMap,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<Outcome, Rejection> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Rejection::TooLarge(body.len()));
    }
    let h = DeliveryHeaders::parse(headers)?;
    if !signature_matches(
        &state.secret,
        &h.message_id,
        &h.timestamp_raw,
        body,
        &h.signature,
    ) {
        return Err(Rejection::BadSignature);
    }
    // Authentic but outside the window: never processed, yet answered 2xx so
    // Twitch counts no failure against the subscription.
    if let f @ (Freshness::Stale(_) | Freshness::Future(_)) = freshness(h.timestamp, now) {
        tracing::warn!(
            metric = "eventsub_stale",
            message_id = %h.message_id,
            timestamp = %h.timestamp_raw,
            window = ?f,
            "ignored a validly signed message outside the freshness window (clock skew or replay)"
        );
        return Ok(Outcome::Acknowledged(Ack::Stale));
    }
    let message = envelope::parse(h.message_type, body)?;
    check_type_headers(&h, message.subscription())?;
    let at_ms = unix_ms(h.timestamp);
    Ok(match message {
        Message::Verification {
            subscription,
            challenge,
        } => {
            let update = update(&subscription, SubscriptionChange::CallbackVerified, at_ms);
            if let Err(e) = state.subscriptions.record(&update).await {
                return Ok(store_failed(e));
            }
            tracing::info!(subscription_id = %subscription.id, kind = %subscription.kind, "answered callback verification");
            Outcome::Challenge(challenge)
        }
        Message::Revocation { subscription } => {
            let update = update(&subscription, SubscriptionChange::Revoked, at_ms);
            if let Err(e) = state.subscriptions.record(&update).await {
                return Ok(store_failed(e));
            }
            if let Some(gaps) = &state.gaps {
                // A revocation is sent once; a 2xx would lose the gap for
                // good, a 5xx is the one answer that may bring it again.
                if let Err(e) =
                    crate::gaps::open_for_revocation(state, gaps.as_ref(), &subscription, at_ms)
                        .await
                {
                    return Ok(store_failed(e));
                }
            }
            tracing::warn!(subscription_id = %subscription.id, kind = %subscription.kind, reason = %subscription.status, "subscription revoked");
            Outcome::Acknowledged(Ack::Revocation)
        }
        Message::Notification {
            subscription,
            event,
        } => {
            let fields = event.fields();
            let from_event = fields
                .get("broadcaster_user_id")
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty());
            if from_event.is_some_and(|v| !valid_user_id(v)) {
                return Err(Rejection::Body(EnvelopeError::BadId(
                    "event.broadcaster_user_id",
                )));
            }
            let broadcaster_id = subscription
                .broadcaster_id()
                .or(from_event)
                .unwrap_or(UNATTRIBUTED)
                .to_owned();
            let semantic = semantic_key(&subscription.kind, &broadcaster_id, fields);
            let record = Event {
                message_id: h.message_id.clone(),
                summary: summarize(&subscription.kind, fields),
                broadcaster_id,
                event_type: subscription.kind,
                event_version: subscription.version,
                subscription_id: subscription.id,
                received_at_ms: unix_ms(now),
                payload: event.raw().to_owned(),
                recovery: None,
            };
            let ack = match state.events.append_once(&record, semantic.as_deref()).await {
                Ok(Appended::Stored(_)) => Ack::Stored,
                Ok(Appended::Duplicate) => {
                    tracing::debug!(message_id = %record.message_id, retry = ?h.retry, "duplicate delivery");
                    Ack::Duplicate
                }
                Err(e) => return Ok(store_failed(e)),
            };
            // On a duplicate too: if applying failed the first time, Twitch's
            // retry (answered 5xx) is how it gets applied.
            if record.event_type == "user.authorization.revoke" {
                if let (Some(r), Some(user)) = (
                    &state.revocations,
                    fields.get("user_id").and_then(Value::as_str),
                ) {
                    if let Err(e) = r.apply(user, record.received_at_ms).await {
                        return Ok(store_failed(e));
                    }
                }
            }
            Outcome::Acknowledged(ack)
        }
    })
}

/// The subscription type/version headers are unsigned: they must agree with the body.
fn check_type_headers(h: &DeliveryHeaders, sub: &Subscription) -> Result<(), Rejection> {
    for (field, header, body) in [
        ("type", &h.subscription_type, &sub.kind),
        ("version", &h.subscription_version, &sub.version),
    ] {
        if header != body {
            return Err(Rejection::TypeMismatch {
                field,
                header: header.clone(),
                body: body.clone(),
            });
        }
    }
    Ok(())
}

fn update(sub: &Subscription, change: SubscriptionChange, at_ms: i64) -> SubscriptionUpdate {
    SubscriptionUpdate {
        id: sub.id.clone(),
        kind: sub.kind.clone(),
        version: sub.version.clone(),
        broadcaster_id: sub.broadcaster_id().map(str::to_owned),
        condition: sub.condition_json(),
        status: sub.status.to_string(),
        change,
        at_ms,
    }
}

fn store_failed(e: StoreError) -> Outcome {
    tracing::error!(error = %e, "store failed; answering 500 so Twitch retries");
    Outcome::StoreFailed(e)
}

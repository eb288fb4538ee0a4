//! The `status` of an EventSub subscription, as Twitch reports it in lists,
//! create answers and every webhook body.
//!
//! The set is open: Twitch's own API description lists values in its filter
//! that its subscription object omits, so an unknown string is kept as
//! [`Status::Other`] rather than refused.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One subscription status; serialized as Twitch's string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Active: only enabled subscriptions get notifications.
    Enabled,
    /// Waiting for the callback to answer the challenge.
    WebhookCallbackVerificationPending,
    /// The callback failed the challenge.
    WebhookCallbackVerificationFailed,
    /// Too many notifications went unacknowledged.
    NotificationFailuresExceeded,
    /// A user in the condition revoked the authorization.
    AuthorizationRevoked,
    /// The moderator who authorized it is no longer a moderator.
    ModeratorRemoved,
    /// A user in the condition no longer exists.
    UserRemoved,
    /// The condition's `user_id` was banned from the broadcaster's chat.
    ChatUserBanned,
    /// That type and version is no longer supported.
    VersionRemoved,
    /// A beta type was removed for maintenance.
    BetaMaintenance,
    /// WebSocket transport only: the client closed the connection.
    WebsocketDisconnected,
    /// WebSocket transport only: the client did not answer a ping.
    WebsocketFailedPingPong,
    /// WebSocket transport only: the client sent a message.
    WebsocketReceivedInboundTraffic,
    /// WebSocket transport only: no subscription was made in time.
    WebsocketConnectionUnused,
    /// WebSocket transport only: Twitch failed internally.
    WebsocketInternalError,
    /// WebSocket transport only: a network timeout.
    WebsocketNetworkTimeout,
    /// WebSocket transport only: a network error.
    WebsocketNetworkError,
    /// WebSocket transport only: the client did not reconnect in time.
    WebsocketFailedToReconnect,
    /// A status this code does not know yet.
    Other(String),
}

impl Status {
    /// Every status Twitch documents (all but [`Status::Other`]).
    pub const KNOWN: [Status; 18] = [
        Status::Enabled,
        Status::WebhookCallbackVerificationPending,
        Status::WebhookCallbackVerificationFailed,
        Status::NotificationFailuresExceeded,
        Status::AuthorizationRevoked,
        Status::ModeratorRemoved,
        Status::UserRemoved,
        Status::ChatUserBanned,
        Status::VersionRemoved,
        Status::BetaMaintenance,
        Status::WebsocketDisconnected,
        Status::WebsocketFailedPingPong,
        Status::WebsocketReceivedInboundTraffic,
        Status::WebsocketConnectionUnused,
        Status::WebsocketInternalError,
        Status::WebsocketNetworkTimeout,
        Status::WebsocketNetworkError,
        Status::WebsocketFailedToReconnect,
    ];

    /// Twitch's string for this status.
    pub fn as_str(&self) -> &str {
        match self {
            Status::Enabled => "enabled",
            Status::WebhookCallbackVerificationPending => "webhook_callback_verification_pending",
            Status::WebhookCallbackVerificationFailed => "webhook_callback_verification_failed",
            Status::NotificationFailuresExceeded => "notification_failures_exceeded",
            Status::AuthorizationRevoked => "authorization_revoked",
            Status::ModeratorRemoved => "moderator_removed",
            Status::UserRemoved => "user_removed",
            Status::ChatUserBanned => "chat_user_banned",
            Status::VersionRemoved => "version_removed",
            Status::BetaMaintenance => "beta_maintenance",
            Status::WebsocketDisconnected => "websocket_disconnected",
            Status::WebsocketFailedPingPong => "websocket_failed_ping_pong",
            Status::WebsocketReceivedInboundTraffic => "websocket_received_inbound_traffic",
            Status::WebsocketConnectionUnused => "websocket_connection_unused",
            Status::WebsocketInternalError => "websocket_internal_error",
            Status::WebsocketNetworkTimeout => "websocket_network_timeout",
            Status::WebsocketNetworkError => "websocket_network_error",
            Status::WebsocketFailedToReconnect => "websocket_failed_to_reconnect",
            Status::Other(s) => s,
        }
    }

    /// True for a status Twitch documents (not [`Status::Other`]).
    pub fn is_known(&self) -> bool {
        !matches!(self, Status::Other(_))
    }

    /// Enabled, or about to be once the challenge is answered: worth keeping.
    pub fn is_working(&self) -> bool {
        matches!(
            self,
            Status::Enabled | Status::WebhookCallbackVerificationPending
        )
    }

    /// Broken by our callback's answers: deleting and recreating may help.
    pub fn is_failed(&self) -> bool {
        matches!(
            self,
            Status::WebhookCallbackVerificationFailed | Status::NotificationFailuresExceeded
        )
    }

    /// Ended by Twitch for a reason on its side or a user's: recreating the
    /// same subscription cannot help until a person acts.
    pub fn is_revoked(&self) -> bool {
        matches!(
            self,
            Status::AuthorizationRevoked
                | Status::ModeratorRemoved
                | Status::UserRemoved
                | Status::ChatUserBanned
                | Status::VersionRemoved
                | Status::BetaMaintenance
        )
    }
}

impl From<&str> for Status {
    fn from(s: &str) -> Self {
        Status::KNOWN
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or_else(|| Status::Other(s.to_owned()))
    }
}

impl From<String> for Status {
    fn from(s: String) -> Self {
        match Status::from(s.as_str()) {
            Status::Other(_) => Status::Other(s),
            known => known,
        }
    }
}

impl std::str::FromStr for Status {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Status::from(s))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Status {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Status {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Status::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_status_round_trips_through_its_string() {
        for status in Status::KNOWN {
            assert_eq!(Status::from(status.as_str()), status);
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
            assert_eq!(serde_json::from_str::<Status>(&json).unwrap(), status);
        }
    }

    #[test]
    fn an_unknown_status_is_kept_not_refused() {
        let s: Status = serde_json::from_str("\"brand_new_reason\"").unwrap();
        assert_eq!(s, Status::Other("brand_new_reason".into()));
        assert_eq!(s.as_str(), "brand_new_reason");
        assert!(!s.is_working() && !s.is_failed() && !s.is_revoked());
    }

    #[test]
    fn each_status_is_at_most_one_of_working_failed_revoked() {
        for status in Status::KNOWN {
            let kinds = [status.is_working(), status.is_failed(), status.is_revoked()];
            assert!(kinds.iter().filter(|k| **k).count() <= 1, "{status}");
        }
        assert!(Status::Enabled.is_working());
        assert!(Status::NotificationFailuresExceeded.is_failed());
        assert!(Status::ModeratorRemoved.is_revoked());
    }
}

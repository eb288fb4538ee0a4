//! The subscriptions about our own client rather than a streamer
//! (`user.authorization.grant` and `.revoke`, condition `client_id`): one of
//! each is kept, so a user disconnecting the app at Twitch is logged out at
//! once. They are never orphans, whatever streamers are tracked.

use std::collections::BTreeMap;

use shared::eventsub::catalog;
use shared::eventsub::subscription::Subscription;
use shared::helix::eventsub::{Created, NewSubscription};
use shared::helix::Helix;

use crate::apply::Target;

/// True when `sub` is about our client (its condition names our client id).
pub fn about_us(sub: &Subscription, client_id: &str) -> bool {
    sub.condition.get("client_id").and_then(|v| v.as_str()) == Some(client_id)
}

/// Creates each app-level type that `listed` lacks in working order at our
/// callback; how many were created. A failure is logged, the next sweep retries.
pub async fn keep(helix: &Helix, target: &Target, listed: &[&Subscription]) -> usize {
    let client_id = helix.config().client_id.clone();
    let mut created = 0;
    for kind in catalog::app_types() {
        let kept = listed.iter().any(|sub| {
            sub.kind == kind.name
                && about_us(sub, &client_id)
                && sub.callback() == Some(target.callback.as_str())
                && sub.status.is_working()
        });
        if kept {
            continue;
        }
        let new = NewSubscription::webhook(
            kind.name,
            kind.version,
            BTreeMap::from([("client_id".to_owned(), client_id.clone())]),
            &target.callback,
            &target.secret,
        );
        match helix.create_subscription(&new).await {
            Ok(Created::New(..)) => created += 1,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(kind = kind.name, error = %e, "could not create an app subscription; the next sweep retries")
            }
        }
    }
    created
}

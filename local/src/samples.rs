//! `samples`: writes the API Gateway (HTTP API, payload 2.0) events in
//! `events/` (and one through the webhook's function URL), freshly signed with the development secret, for
//! `cargo lambda invoke --data-file` and `sam local invoke -e`.
//!
//! Signed deliveries go stale after 10 minutes (the handler then answers 204
//! and stores nothing), so regenerate them right before invoking.

use std::path::Path;

use serde_json::Value;
use shared::config::EventSubSecret;
use shared::eventsub::catalog;
use shared::eventsub::fixtures::{self, api_gateway_event, function_url_event, Channel};
use shared::eventsub::status::Status;
use time::OffsetDateTime;

use crate::cli::SamplesArgs;
use crate::settings::eventsub_secret;

/// `local samples`: rewrites the samples under `args.out`, signed with the local secret.
pub fn command(args: SamplesArgs) -> anyhow::Result<()> {
    let secret = eventsub_secret()?.secret;
    let n = write(&args.out, &secret)?;
    println!(
        "wrote {n} signed samples to {}/webhook/",
        args.out.display()
    );
    Ok(())
}

/// Every sample: name → event.
pub fn all(secret: &EventSubSecret) -> Vec<(String, Value)> {
    let channel = Channel::new("1337");
    let now = OffsetDateTime::now_utc();
    let mut out: Vec<(String, Value)> = catalog::tracked()
        .map(|k| k.name)
        .enumerate()
        .map(|(i, kind)| {
            let d = fixtures::notification(kind, &channel, i as u64, now);
            (
                format!("notification-{kind}"),
                api_gateway_event(&d, secret, false),
            )
        })
        .collect();
    let cheer = fixtures::notification("channel.cheer", &channel, 99, now);
    out.push((
        "notification-base64-body".into(),
        api_gateway_event(&cheer, secret, true),
    ));
    // The same delivery through the webhook's function URL
    // (WebhookFrontDoor=function-url): the runtime must read its event too.
    let follow = fixtures::notification("channel.follow", &channel, 98, now);
    out.push((
        "notification-function-url".into(),
        function_url_event(&follow, secret, false),
    ));
    let unknown = fixtures::notification("channel.poll.begin", &channel, 0, now);
    out.push((
        "notification-unknown-type".into(),
        api_gateway_event(&unknown, secret, false),
    ));
    let challenge = fixtures::verification("channel.follow", &channel, now);
    out.push((
        "verification".into(),
        api_gateway_event(&challenge, secret, false),
    ));
    let revoked = fixtures::revocation(
        "channel.follow",
        &channel,
        Status::AuthorizationRevoked.as_str(),
        now,
    );
    out.push((
        "revocation".into(),
        api_gateway_event(&revoked, secret, false),
    ));
    // Delivery failures: the gap starts at the subscription's last delivery
    // known (a read of the streamer's newest events and of the subscription).
    let failed = fixtures::revocation(
        "channel.raid",
        &channel,
        Status::NotificationFailuresExceeded.as_str(),
        now,
    );
    out.push((
        "revocation-failures".into(),
        api_gateway_event(&failed, secret, false),
    ));
    out
}

/// Writes every sample to `dir/webhook/<name>.json`; returns how many.
pub fn write(dir: &Path, secret: &EventSubSecret) -> std::io::Result<usize> {
    let dir = dir.join("webhook");
    std::fs::create_dir_all(&dir)?;
    let samples = all(secret);
    for (name, event) in &samples {
        let text = serde_json::to_string_pretty(event).map_err(std::io::Error::other)?;
        std::fs::write(dir.join(format!("{name}.json")), text + "\n")?;
    }
    Ok(samples.len())
}

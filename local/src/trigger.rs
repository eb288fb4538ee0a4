//! `trigger`: posts correctly signed sample deliveries to a webhook, like
//! `twitch event trigger`, to the local stack or to a deployed URL.

use anyhow::{bail, Context};
use shared::config::EventSubSecret;
use shared::eventsub::fixtures::{self, Channel, Delivery};
use shared::eventsub::headers::MessageType;
use time::OffsetDateTime;

use crate::cli::TriggerArgs;
use crate::settings::eventsub_secret;

/// What to send.
#[derive(Debug, Clone)]
pub struct TriggerSpec {
    pub kind: String,
    pub message_type: MessageType,
    pub broadcaster: String,
    /// For revocations: the new status (the reason).
    pub reason: String,
    pub count: u64,
}

/// `local trigger`: signs `args.count` deliveries with the local secret and
/// posts them (or has the local simulator deliver them, with `--via-sim`),
/// one line per answer.
pub async fn command(args: TriggerArgs) -> anyhow::Result<()> {
    let secret = eventsub_secret()?.secret;
    let spec = TriggerSpec {
        kind: args.kind,
        message_type: args.message_type.into(),
        broadcaster: args.broadcaster,
        reason: args.reason,
        count: args.count,
    };
    if args.via_sim {
        run_via_sim(&args.to, &spec).await
    } else {
        run(&args.to, &secret, &spec).await
    }
}

/// Builds delivery number `seq` of `spec`, stamped now.
pub fn build(spec: &TriggerSpec, seq: u64) -> Delivery {
    let channel = Channel::new(&spec.broadcaster);
    let now = OffsetDateTime::now_utc();
    match spec.message_type {
        MessageType::Notification => fixtures::notification(&spec.kind, &channel, seq, now),
        MessageType::Verification => fixtures::verification(&spec.kind, &channel, now),
        MessageType::Revocation => fixtures::revocation(&spec.kind, &channel, &spec.reason, now),
    }
}

/// Sends `delivery` to `url`; returns the status and body text.
pub async fn send(
    client: &reqwest::Client,
    url: &str,
    secret: &EventSubSecret,
    delivery: &Delivery,
) -> anyhow::Result<(u16, String)> {
    let mut request = client.post(url).body(delivery.body.clone());
    for (name, value) in delivery.headers(secret) {
        request = request.header(name, value);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = response.status().as_u16();
    Ok((status, response.text().await.unwrap_or_default()))
}

/// Sends `spec.count` deliveries and prints one line per answer.
pub async fn run(url: &str, secret: &EventSubSecret, spec: &TriggerSpec) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut failures = 0;
    for seq in 0..spec.count {
        let delivery = build(spec, seq);
        let (status, body) = send(&client, url, secret, &delivery).await?;
        println!(
            "{} {} {} -> {status} {}",
            delivery.message_type.as_str(),
            delivery.subscription_type,
            delivery.message_id,
            body.trim()
        );
        if !(200..300).contains(&status) {
            failures += 1;
        }
    }
    if failures > 0 {
        bail!("{failures} of {} deliveries were not accepted", spec.count);
    }
    Ok(())
}

/// Asks the local stack's simulator to deliver `spec.count` notifications of
/// `spec.kind` about `spec.broadcaster` through its own subscription (real
/// subscription id and secret), instead of signing a sample here.
pub async fn run_via_sim(webhook_url: &str, spec: &TriggerSpec) -> anyhow::Result<()> {
    let base = webhook_url
        .strip_suffix("/eventsub")
        .context("--via-sim needs --to to be the local stack's …/eventsub URL")?;
    let client = reqwest::Client::new();
    for _ in 0..spec.count {
        let url = format!(
            "{base}/sim/deliver?type={}&broadcaster={}",
            spec.kind, spec.broadcaster
        );
        let response = client
            .post(&url)
            .header(twitch_sim::CONTROL_HEADER, "1")
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        println!(
            "sim {} {} -> {status} {}",
            spec.kind,
            spec.broadcaster,
            body.trim()
        );
        if status != 200 {
            bail!("the simulator did not deliver");
        }
    }
    Ok(())
}

//! Broadcasters' grants for the samples, written through the store as the
//! channel login writes them, both an hour past their last validation: 1337's
//! holds a token the simulator issued (a real code exchange), so the
//! manager's sweep keeps it (`UpdateItem` on `GRANT#`), and the revocation
//! sample then deletes it (the webhook's `DeleteItem`); 4242's holds one it
//! never issued, so the sweep deletes it (the manager's `DeleteItem`).

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;

use shared::auth::seal::SealKey;
use shared::helix::config::ClientSecret;
use shared::helix::login::{Authorize, Login, UserTokens};
use shared::helix::{Helix, HelixConfig};
use shared::store::dynamo::DynamoUserStore;

use super::World;

/// The broadcaster whose grant Twitch honours.
pub const LIVE: &str = "1337";
/// The broadcaster whose grant Twitch never issued.
pub const DEAD: &str = "4242";

/// A user token for `user` from the stack's simulator, through the code flow.
async fn issued(world: &World, user: &str) -> UserTokens {
    let base = world.stack.http("");
    let config = HelixConfig::at(
        &format!("{base}/helix"),
        &format!("{base}/oauth2"),
        &world.values["TWITCH_CLIENT_ID"],
        ClientSecret::new(world.values["TWITCH_CLIENT_SECRET"].clone()),
    );
    let login = Login::new(Arc::new(Helix::new(config).unwrap()));
    let redirect_uri = format!("{base}/auth/callback");
    let scopes = vec!["channel:read:subscriptions".to_owned()];
    let url = login.authorize_url(&Authorize {
        redirect_uri: &redirect_uri,
        state: "invoke-samples",
        nonce: "invoke-samples",
        scopes: &scopes,
        force_verify: false,
    });
    let browser = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let back = browser
        .get(format!("{url}&sim_user={user}&sim_decision=allow"))
        .send()
        .await
        .unwrap();
    let location = back.headers()["location"].to_str().unwrap().to_owned();
    let code = location
        .split_once('?')
        .and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("code=")))
        .expect("the simulator's redirect carries a code")
        .to_owned();
    login.exchange_code(&code, &redirect_uri).await.unwrap()
}

/// Keeps both grants, due their hourly validation.
pub async fn seed(world: &World) {
    let users = DynamoUserStore::new(world.client.clone(), world.tables["UsersTable"].clone());
    let seal = SealKey::from_base64("SESSION_KEY", &world.values["SESSION_KEY"])
        .expect("the samples' session key");
    let now_s = shared::clock::now_ms() / 1000;
    let due = now_s - 2 * 3600;
    let never = UserTokens {
        access_token: "a-token-the-simulator-never-issued".into(),
        refresh_token: None,
        expires_in: 3600,
        scopes: Vec::new(),
        id_token: None,
    };
    for (broadcaster, tokens) in [(LIVE, issued(world, LIVE).await), (DEAD, never)] {
        let expires_at = now_s + tokens.expires_in;
        shared::grants::keep(&users, &seal, broadcaster, &tokens, expires_at, &[], due)
            .await
            .unwrap();
    }
}

/// The grant item of `broadcaster`, if the table holds one.
pub async fn kept(world: &World, broadcaster: &str) -> Option<HashMap<String, AttributeValue>> {
    world
        .partition("UsersTable", &format!("GRANT#{broadcaster}"))
        .await
        .into_iter()
        .next()
}

//! Broadcasters' grants against the simulator's id.twitch.tv and Helix: the
//! token recovery acts with (kept, refreshed when expired, accepted by
//! Helix for that broadcaster), the typed "must log in again" without one,
//! and the hourly validation that refreshes or deletes grants.

use std::sync::Arc;
use std::time::Duration;

use shared::auth::seal::SealKey;
use shared::config::Retention;
use shared::grants::{access_token, keep, validate_due, GrantError};
use shared::helix::config::ClientSecret;
use shared::helix::login::{Authorize, Login, UserTokens};
use shared::helix::{Helix, HelixConfig};
use shared::store::grants::GrantStore;
use shared::store::sqlite::{Durability, SqliteStore};
use twitch_sim::{Failure, Sim, SimConfig};

const CALLBACK: &str = "http://localhost:3000/auth/callback";
const SCOPE: &str = "channel:read:subscriptions";

struct Setup {
    sim: Arc<Sim>,
    base: String,
    login: Login,
    http: reqwest::Client,
    store: SqliteStore,
    seal: SealKey,
}

async fn setup() -> Setup {
    let sim = Sim::new(SimConfig {
        redirect_uris: vec![CALLBACK.into()],
        ..SimConfig::default()
    });
    let base = sim.spawn().await.unwrap();
    let config = HelixConfig::at(
        &format!("{base}/helix"),
        &format!("{base}/oauth2"),
        &sim.config().client_id,
        ClientSecret::new(sim.config().client_secret.clone()),
    );
    Setup {
        sim,
        base,
        login: Login::new(Arc::new(Helix::new(config).unwrap())),
        http: reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        store: SqliteStore::open(":memory:", Durability::PowerLoss, Retention::default()).unwrap(),
        seal: SealKey::from_bytes(&[5; 32]),
    }
}

fn now_s() -> i64 {
    shared::clock::now_ms() / 1000
}

/// A channel login of `user` granting the subscriptions scope, as the
/// callback exchanges it.
async fn channel_login(s: &Setup, user: &str) -> UserTokens {
    let scopes = vec![SCOPE.to_owned()];
    let url = s.login.authorize_url(&Authorize {
        redirect_uri: CALLBACK,
        state: "st",
        nonce: "no",
        scopes: &scopes,
        force_verify: false,
    });
    let url = format!("{url}&sim_user={user}&sim_decision=allow");
    let response = s.http.get(url).send().await.unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let code = location
        .split_once('?')
        .unwrap()
        .1
        .split('&')
        .find_map(|kv| kv.strip_prefix("code="))
        .unwrap()
        .to_owned();
    s.login.exchange_code(&code, CALLBACK).await.unwrap()
}

/// The channel login's grant kept, as `/auth/callback` keeps it.
async fn granted(s: &Setup, user: &str, now: i64) -> UserTokens {
    let tokens = channel_login(s, user).await;
    let scopes = vec![SCOPE.to_owned()];
    let expires_at = now + tokens.expires_in;
    keep(&s.store, &s.seal, user, &tokens, expires_at, &scopes, now)
        .await
        .unwrap();
    tokens
}

/// Get Broadcaster Subscriptions for `broadcaster` with `token`: the status.
async fn helix_status(s: &Setup, broadcaster: &str, token: &str) -> u16 {
    s.http
        .get(format!(
            "{}/helix/subscriptions?broadcaster_id={broadcaster}",
            s.base
        ))
        .header("client-id", &s.sim.config().client_id)
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn recovery_gets_the_kept_token_and_helix_takes_it_for_that_broadcaster() {
    let s = setup().await;
    let now = now_s();
    let tokens = granted(&s, "7", now).await;
    let kept = s.store.grant("7").await.unwrap().unwrap();
    // Sealed at rest, for the grant's owner only.
    assert_ne!(kept.tokens.access, tokens.access_token);
    assert_eq!(kept.scopes, vec![SCOPE]);
    let token = access_token(&s.store, &s.login, &s.seal, "7", now)
        .await
        .unwrap();
    assert_eq!(token, tokens.access_token, "not expired: no refresh");
    assert_eq!(helix_status(&s, "7", &token).await, 200);
    // Another broadcaster's data is not this grant's to read.
    assert_eq!(helix_status(&s, "8", &token).await, 401);
}

#[tokio::test]
async fn an_expired_grant_is_refreshed_before_use_and_the_rotation_kept() {
    let s = setup().await;
    let now = now_s();
    let first = granted(&s, "7", now).await;
    // Hours later (Twitch's clock and ours): the access token has expired.
    s.sim.advance_clock(Duration::from_secs(5 * 3600));
    let later = now + 5 * 3600;
    let token = access_token(&s.store, &s.login, &s.seal, "7", later)
        .await
        .unwrap();
    assert_ne!(token, first.access_token);
    assert_eq!(helix_status(&s, "7", &token).await, 200);
    let kept = s.store.grant("7").await.unwrap().unwrap();
    assert_eq!(kept.validated_at_s, later);
    assert!(kept.tokens.expires_at_s > later);
    // The rotated refresh token is the one kept: the old one is spent.
    let refresh = s
        .seal
        .open("grant#7", kept.tokens.refresh.as_deref().unwrap())
        .unwrap();
    assert_ne!(Some(refresh), first.refresh_token);
    // Asked again: the refreshed token, without another refresh.
    assert_eq!(
        access_token(&s.store, &s.login, &s.seal, "7", later + 60)
            .await
            .unwrap(),
        token
    );
    assert_eq!(s.sim.user_tokens("7"), 1);
}

#[tokio::test]
async fn without_a_grant_recovery_is_told_the_broadcaster_must_log_in_again() {
    let s = setup().await;
    let now = now_s();
    let none = access_token(&s.store, &s.login, &s.seal, "7", now).await;
    assert!(matches!(none, Err(GrantError::NoGrant)), "{none:?}");
    assert_eq!(
        none.unwrap_err().to_string(),
        "no grant: the broadcaster must log in again to recover this"
    );
    // A grant Twitch no longer honours (the broadcaster disconnected the app,
    // and its token has expired): the refresh is refused, the grant deleted.
    granted(&s, "8", now).await;
    s.sim.disconnect_user("8");
    s.sim.advance_clock(Duration::from_secs(5 * 3600));
    let later = now + 5 * 3600;
    let gone = access_token(&s.store, &s.login, &s.seal, "8", later).await;
    assert!(matches!(gone, Err(GrantError::NoGrant)), "{gone:?}");
    assert_eq!(s.store.grant("8").await.unwrap(), None);
    // Sealed with another key (a rotated SESSION_KEY): never openable.
    granted(&s, "9", later).await;
    let other = SealKey::from_bytes(&[6; 32]);
    let unopenable = access_token(&s.store, &s.login, &other, "9", later).await;
    assert!(matches!(unopenable, Err(GrantError::NoGrant)));
    assert_eq!(s.store.grant("9").await.unwrap(), None);
}

#[tokio::test]
async fn a_refresh_another_holds_is_waited_for_not_repeated() {
    let s = setup().await;
    let now = now_s();
    granted(&s, "7", now).await;
    s.sim.advance_clock(Duration::from_secs(5 * 3600));
    let later = now + 5 * 3600;
    let held = s.store.grant("7").await.unwrap().unwrap().tokens.access;
    // Another refresher (the sweep) claimed the refresh and is at Twitch.
    assert!(s
        .store
        .claim_refresh("7", &held, later + 30, later)
        .await
        .unwrap());
    let busy = access_token(&s.store, &s.login, &s.seal, "7", later).await;
    assert!(matches!(busy, Err(GrantError::Unavailable(_))), "{busy:?}");
    // Nothing spent, nothing deleted: once the claim lapses, it refreshes.
    assert_eq!(
        s.store.grant("7").await.unwrap().unwrap().tokens.access,
        held
    );
    let token = access_token(&s.store, &s.login, &s.seal, "7", later + 31)
        .await
        .unwrap();
    assert_eq!(helix_status(&s, "7", &token).await, 200);
}

#[tokio::test]
async fn the_hourly_sweep_keeps_live_grants_refreshes_expired_ones_and_deletes_dead_ones() {
    let s = setup().await;
    let now = now_s();
    granted(&s, "1", now - 7200).await;
    granted(&s, "2", now - 7200).await;
    // Broadcaster 2 disconnects the app at Twitch: every token dies.
    s.sim.disconnect_user("2");
    let report = validate_due(&s.store, &s.login, &s.seal, None, now)
        .await
        .unwrap();
    assert_eq!((report.checked, report.valid, report.ended), (2, 1, 1));
    assert_eq!(
        s.store.grant("1").await.unwrap().unwrap().validated_at_s,
        now
    );
    assert_eq!(s.store.grant("2").await.unwrap(), None);
    // Checked now: not due again within the hour.
    let again = validate_due(&s.store, &s.login, &s.seal, None, now + 60)
        .await
        .unwrap();
    assert_eq!(again.checked, 0);

    // Hours later the access token has expired: one refresh, kept.
    s.sim.advance_clock(Duration::from_secs(5 * 3600));
    let later = now + 2 * 3600;
    let report = validate_due(&s.store, &s.login, &s.seal, None, later)
        .await
        .unwrap();
    assert_eq!((report.checked, report.refreshed), (1, 1));
    let token = access_token(&s.store, &s.login, &s.seal, "1", later)
        .await
        .unwrap();
    assert_eq!(helix_status(&s, "1", &token).await, 200);

    // Twitch failing at the hourly check: nothing deleted, still due.
    let next = later + 3600;
    s.sim.fail_next("/oauth2/validate", Failure::Status(503), 1);
    let report = validate_due(&s.store, &s.login, &s.seal, None, next)
        .await
        .unwrap();
    assert_eq!((report.checked, report.deferred), (1, 1));
    let kept = s.store.grant("1").await.unwrap().unwrap();
    assert_eq!(kept.validated_at_s, later);
    let report = validate_due(&s.store, &s.login, &s.seal, None, next)
        .await
        .unwrap();
    assert_eq!((report.checked, report.valid), (1, 1));
}

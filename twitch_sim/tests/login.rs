//! The simulator's id.twitch.tv against the app's own login client: the
//! authorize redirect, the code exchange and its ID token, validate,
//! refresh rotation, revoke, disconnect, and Twitch's refusals.

use std::sync::Arc;

use shared::helix::config::ClientSecret;
use shared::helix::login::{Authorize, Login, LoginError, Validation};
use shared::helix::{Helix, HelixConfig};
use twitch_sim::{Sim, SimConfig};

const CALLBACK: &str = "http://localhost:3000/auth/callback";

struct Setup {
    sim: Arc<Sim>,
    base: String,
    login: Login,
    http: reqwest::Client,
}

async fn setup() -> Setup {
    let sim = Sim::new(SimConfig {
        redirect_uris: vec![CALLBACK.into(), "http://localhost:3000/other".into()],
        ..SimConfig::default()
    });
    let base = sim.spawn().await.unwrap();
    let config = HelixConfig::at(
        &format!("{base}/helix"),
        &format!("{base}/oauth2"),
        &sim.config().client_id,
        ClientSecret::new(sim.config().client_secret.clone()),
    );
    let login = Login::new(Arc::new(Helix::new(config).unwrap()));
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Setup {
        sim,
        base,
        login,
        http,
    }
}

/// Follows the authorize URL as a browser whose user clicked `decision`;
/// returns the query of the redirect back.
async fn authorize(s: &Setup, url: &str, user: &str, decision: &str) -> String {
    let url = format!("{url}&sim_user={user}&sim_decision={decision}");
    let response = s.http.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303, "a redirect back");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    location.split_once('?').unwrap().1.to_owned()
}

fn param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| v.replace('+', " ").replace("%3A", ":"))
    })
}

fn request<'a>(scopes: &'a [String], redirect_uri: &'a str) -> Authorize<'a> {
    Authorize {
        redirect_uri,
        state: "state-1",
        nonce: "nonce-1",
        scopes,
        force_verify: false,
    }
}

#[tokio::test]
async fn a_login_yields_a_verified_id_token_keyed_on_sub_and_a_valid_user_token() {
    let s = setup().await;
    let scopes = vec!["bits:read".to_owned()];
    let url = s.login.authorize_url(&request(&scopes, CALLBACK));
    let back = authorize(&s, &url, "1337", "allow").await;
    assert_eq!(param(&back, "state").as_deref(), Some("state-1"));
    let code = param(&back, "code").expect("a code");
    let tokens = s.login.exchange_code(&code, CALLBACK).await.unwrap();
    assert_eq!(tokens.scopes, vec!["openid", "bits:read"]);
    let now = shared::clock::now_ms() / 1000;
    let claims = s
        .login
        .verify_id_token(tokens.id_token.as_deref().unwrap(), "nonce-1", now)
        .await
        .unwrap();
    assert_eq!(claims.sub, "1337");
    assert_eq!(claims.iss, format!("{}/oauth2", s.base));
    match s.login.validate(&tokens.access_token).await.unwrap() {
        Validation::Valid {
            user_id,
            login,
            scopes,
            ..
        } => {
            assert_eq!((user_id.as_str(), login.as_str()), ("1337", "user1337"));
            assert!(scopes.contains(&"bits:read".to_owned()));
        }
        Validation::Invalid => panic!("a fresh token is valid"),
    }
    // The nonce of another login does not pass.
    let wrong = s
        .login
        .verify_id_token(tokens.id_token.as_deref().unwrap(), "nonce-2", now)
        .await;
    assert!(matches!(wrong, Err(LoginError::IdToken(_))));
}

#[tokio::test]
async fn a_code_is_single_use_and_bound_to_its_redirect_uri() {
    let s = setup().await;
    let url = s.login.authorize_url(&request(&[], CALLBACK));
    let code = param(&authorize(&s, &url, "42", "allow").await, "code").unwrap();
    let other = s
        .login
        .exchange_code(&code, "http://localhost:3000/other")
        .await;
    assert!(matches!(
        other,
        Err(LoginError::Refused { status: 400, .. })
    ));
    // The failed attempt used it up, as a replay would.
    let again = s.login.exchange_code(&code, CALLBACK).await;
    match again {
        Err(LoginError::Refused {
            status: 400,
            message,
        }) => {
            assert_eq!(message, "Invalid authorization code")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn refusals_come_back_as_twitch_sends_them() {
    let s = setup().await;
    let url = s.login.authorize_url(&request(&[], CALLBACK));
    let denied = authorize(&s, &url, "42", "deny").await;
    assert_eq!(param(&denied, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&denied, "state").as_deref(), Some("state-1"));
    // An unregistered redirect goes, with the error, to the first registered URL.
    let url = s
        .login
        .authorize_url(&request(&[], "http://localhost:3000/auth/callback/"));
    let response = s
        .http
        .get(format!("{url}&sim_user=1&sim_decision=allow"))
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("{CALLBACK}?error=redirect_mismatch")),
        "{location}"
    );
    // Without the decision, the consent page is shown.
    let page = s
        .http
        .get(url.replace("callback%2F", "callback"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("id=\"authorize\""));
}

#[tokio::test]
async fn refresh_rotates_and_revoke_and_disconnect_kill_tokens() {
    let s = setup().await;
    let url = s.login.authorize_url(&request(&[], CALLBACK));
    let code = param(&authorize(&s, &url, "7", "allow").await, "code").unwrap();
    let first = s.login.exchange_code(&code, CALLBACK).await.unwrap();
    let old_refresh = first.refresh_token.clone().unwrap();
    let second = s.login.refresh(&old_refresh).await.unwrap();
    assert_ne!(second.access_token, first.access_token);
    assert_eq!(
        s.login.validate(&first.access_token).await.unwrap(),
        Validation::Invalid
    );
    assert!(matches!(
        s.login.refresh(&old_refresh).await,
        Err(LoginError::Refused { status: 400, .. })
    ));
    s.login.revoke(&second.access_token).await.unwrap();
    assert_eq!(
        s.login.validate(&second.access_token).await.unwrap(),
        Validation::Invalid
    );
    assert!(matches!(
        s.login.revoke(&second.access_token).await,
        Err(LoginError::Refused { status: 400, .. })
    ));
    let third = s
        .login
        .refresh(&second.refresh_token.unwrap())
        .await
        .unwrap();
    assert_eq!(s.sim.user_tokens("7"), 1);
    assert_eq!(s.sim.disconnect_user("7"), 1);
    assert_eq!(
        s.login.validate(&third.access_token).await.unwrap(),
        Validation::Invalid
    );
}

mod sweep {
    use super::*;
    use shared::auth::seal::SealKey;
    use shared::config::Retention;
    use shared::sessions::validate_due;
    use shared::store::sqlite::{Durability, SqliteStore};
    use shared::store::users::{SealedTokens, Session, SessionStore};

    /// A logged-in session of `user` (tokens from a real code exchange),
    /// last validated two hours ago.
    async fn session(s: &Setup, store: &SqliteStore, seal: &SealKey, user: &str, hash: &str) {
        let url = s.login.authorize_url(&request(&[], CALLBACK));
        let code = param(&authorize(s, &url, user, "allow").await, "code").unwrap();
        let t = s.login.exchange_code(&code, CALLBACK).await.unwrap();
        let now = shared::clock::now_ms() / 1000;
        store
            .create_session(&Session {
                hash: hash.into(),
                user_id: user.into(),
                created_at_s: now,
                expires_at_s: now + 7 * 24 * 3600,
                tokens: Some(SealedTokens {
                    access: seal.seal(hash, &t.access_token),
                    refresh: t.refresh_token.as_deref().map(|r| seal.seal(hash, r)),
                    expires_at_s: now + t.expires_in,
                }),
                validated_at_s: now - 7200,
            })
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_hourly_sweep_keeps_live_tokens_refreshes_expired_ones_and_ends_dead_ones() {
        let s = setup().await;
        let store =
            SqliteStore::open(":memory:", Durability::PowerLoss, Retention::default()).unwrap();
        let seal = SealKey::from_bytes(&[3; 32]);
        session(&s, &store, &seal, "1", "alive").await;
        session(&s, &store, &seal, "2", "gone").await;
        let now = shared::clock::now_ms() / 1000;
        // User 2 disconnects the app at Twitch: every token of theirs dies.
        s.sim.disconnect_user("2");
        let report = validate_due(&store, &s.login, &seal, now).await.unwrap();
        assert_eq!((report.checked, report.valid, report.ended), (2, 1, 1));
        assert!(store.session("alive", now).await.unwrap().is_some());
        assert!(store.session("gone", now).await.unwrap().is_none());
        // Checked now: not due again within the hour.
        assert_eq!(
            validate_due(&store, &s.login, &seal, now + 60)
                .await
                .unwrap()
                .checked,
            0
        );

        // Hours later the access token has expired: one refresh, the rotated
        // refresh token kept, the session goes on.
        s.sim
            .advance_clock(std::time::Duration::from_secs(5 * 3600));
        let later = now + 2 * 3600;
        let report = validate_due(&store, &s.login, &seal, later).await.unwrap();
        assert_eq!((report.checked, report.refreshed), (1, 1));
        let kept = store.session("alive", later).await.unwrap().unwrap();
        let access = seal.open("alive", &kept.tokens.unwrap().access).unwrap();
        assert!(matches!(
            s.login.validate(&access).await.unwrap(),
            Validation::Valid { .. }
        ));
        // A session past its expiry: its tokens revoked at Twitch, the row gone.
        session(&s, &store, &seal, "8", "idle").await;
        let idle = store.session("idle", now).await.unwrap().unwrap();
        let past = idle.expires_at_s + 1;
        let report = validate_due(&store, &s.login, &seal, past).await.unwrap();
        assert!(report.expired >= 1, "{report:?}");
        assert_eq!(s.sim.user_tokens("8"), 0);
        assert!(store.session("idle", 0).await.unwrap().is_none());
    }
}

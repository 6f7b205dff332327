//! Unit tests of delegated credentials against the emulator's device-code and refresh-token
//! grants: reading the Secret, keying, rotation written to the store before use, a failing
//! store, and refusals classified with the `sds-operator login` advice.

use std::sync::{Arc, Mutex, PoisonError};

use futures::future::BoxFuture;
use graph_emulator::{
    ClientRegistration, DeviceCodeApproval, Emulator, EmulatorConfig, RefreshTokenRevocation,
    Settings,
};
use serde_json::Value;

use crate::*;

const TENANT: &str = "8c33d025-5e64-4550-2aa3-08dc4ac66fca";
const CLIENT: &str = "1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5";
const WRITE: &str = "IndustryData-OutboundFlow.ReadWrite.All";

/// Records saved tokens; fails the first `failures` saves.
#[derive(Debug, Default)]
struct RecordingStore {
    saved: Mutex<Vec<String>>,
    failures: Mutex<u32>,
}

impl RefreshTokenStore for RecordingStore {
    fn id(&self) -> &str {
        "secret test/delegated"
    }

    fn save<'a>(
        &'a self,
        token: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), RefreshTokenStoreError>> {
        Box::pin(async move {
            let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
            if *failures > 0 {
                *failures -= 1;
                return Err(RefreshTokenStoreError("forbidden".to_owned()));
            }
            self.saved
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(token.expose_secret().to_owned());
            Ok(())
        })
    }
}

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        clients: vec![ClientRegistration::public(TENANT, CLIENT)],
        settings: Settings {
            device_code_interval_secs: 0,
            refresh_token_reuse_allowed: false,
            app_only_writes_allowed: false,
            ..Settings::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

fn http() -> reqwest::Client {
    crate::http_client_builder().no_proxy().build().unwrap()
}

/// A refresh token from the emulator's device flow, approved by a simulated user.
async fn sign_in(emu: &Emulator) -> String {
    let base = emu.base_url();
    let scope = format!("https://graph.microsoft.com/{WRITE} offline_access");
    let started: Value = http()
        .post(format!("{base}/{TENANT}/oauth2/v2.0/devicecode"))
        .form(&[("client_id", CLIENT), ("scope", scope.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let approval = DeviceCodeApproval {
        user: "alex@contoso.edu".to_owned(),
        name: None,
        scopes: None,
    };
    emu.admin()
        .approve_device_code(started["user_code"].as_str().unwrap(), &approval)
        .await
        .unwrap();
    let tokens: Value = http()
        .post(emu.token_url(TENANT))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", CLIENT),
            ("device_code", started["device_code"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokens["refresh_token"].as_str().unwrap().to_owned()
}

fn client(emu: &Emulator, refresh_token: &str, store: Arc<RecordingStore>) -> GraphClient {
    let credential = Credential::delegated(TENANT, CLIENT, None, SecretString::new(refresh_token))
        .unwrap()
        .with_refresh_token_store(StoreHandle::new(store));
    let endpoints = GraphEndpoints::new(emu.base_url(), emu.base_url()).unwrap();
    GraphClient::new(http(), endpoints, credential)
}

/// Whether the emulator still redeems `token`.
async fn redeemable(emu: &Emulator, token: &str) -> bool {
    http()
        .post(emu.token_url(TENANT))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT),
            ("refresh_token", token),
            ("scope", DELEGATED_SCOPE),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .is_success()
}

#[test]
fn delegated_credentials_are_keyed_by_store_not_token() {
    let read = |token: &str| Credential::delegated(TENANT, CLIENT, None, SecretString::new(token));
    let store = StoreHandle::new(Arc::new(RecordingStore::default()));
    let first = read("rt-one")
        .unwrap()
        .with_refresh_token_store(store.clone());
    let rotated = read("rt-two").unwrap().with_refresh_token_store(store);
    assert_eq!(first.fingerprint(), rotated.fingerprint());
    let unstored = read("rt-one").unwrap();
    assert_ne!(first.fingerprint(), unstored.fingerprint());
    let shown = format!("{first} {first:?}");
    assert!(!shown.contains("rt-one"), "{shown}");
    assert!(shown.contains("secret test/delegated"), "{shown}");
}

#[tokio::test]
async fn refresh_writes_the_rotated_token_to_the_store_before_use() {
    let emu = emulator().await;
    let original = sign_in(&emu).await;
    let store = Arc::new(RecordingStore::default());
    let graph = client(&emu, &original, store.clone());
    let claims = graph.token_claims().await.unwrap();
    assert!(claims.grants(WRITE), "{claims:?}");
    assert!(claims.roles.is_empty());
    let saved = store.saved.lock().unwrap().clone();
    assert_eq!(saved.len(), 1);
    assert_ne!(saved[0], original);
    // The emulator refuses reuse, so only the stored token works from now on.
    assert!(!redeemable(&emu, &original).await);
    // A stale read of the Secret does not bring the redeemed token back.
    graph
        .offer_refresh_token(&SecretString::new(original.as_str()))
        .await;
    assert!(graph.token_claims().await.is_ok());
    assert_eq!(
        store.saved.lock().unwrap().len(),
        1,
        "the access token was cached"
    );
}

#[tokio::test]
async fn a_failing_store_is_reported_and_the_new_token_kept_for_the_next_attempt() {
    let emu = emulator().await;
    let original = sign_in(&emu).await;
    let store = Arc::new(RecordingStore {
        failures: Mutex::new(1),
        ..RecordingStore::default()
    });
    let graph = client(&emu, &original, store.clone());
    let error = graph.token_claims().await.unwrap_err();
    assert_eq!(
        error.class(),
        ErrorClass::Token(TokenErrorKind::RefreshTokenNotSaved)
    );
    let text = error.to_string();
    assert!(text.contains("rbac.writeDelegatedSecrets"), "{text}");
    assert!(!text.contains(&original), "{text}");
    assert!(graph.token_claims().await.is_ok());
    assert_eq!(store.saved.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn revoked_and_new_logins() {
    let emu = emulator().await;
    let original = sign_in(&emu).await;
    let graph = client(&emu, &original, Arc::new(RecordingStore::default()));
    emu.admin()
        .revoke_refresh_tokens(&RefreshTokenRevocation::default())
        .await
        .unwrap();
    let error = graph.token_claims().await.unwrap_err();
    assert_eq!(
        error.class(),
        ErrorClass::Token(TokenErrorKind::RefreshTokenRevoked)
    );
    let text = error.to_string();
    assert!(text.contains("sds-operator login"), "{text}");
    assert!(!text.contains(&original), "{text}");
    // A new login's token, read from the Secret, is adopted by the same client.
    let fresh = sign_in(&emu).await;
    graph.offer_refresh_token(&SecretString::new(fresh)).await;
    assert!(graph.token_claims().await.is_ok());
}

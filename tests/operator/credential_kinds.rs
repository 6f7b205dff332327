//! Each kind of credential against the real control plane and the emulator: here a client
//! certificate from a resource's Secret (RS256/x5t and PS256/x5t#S256 assertions); Azure Workload
//! Identity is in `workload_identity`. Refusals stall with CredentialsInvalid and advice; no key,
//! assertion or token reaches status, events or logs.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use graph_emulator::{ClientRegistration, JournalEntry};
use tracing::subscriber::DefaultGuard;

use sds_test_harness::{OperatorUnderTest, TENANT, is_ready, stalled_with};

/// An application that signs in with a certificate only.
const CERTIFICATE_CLIENT_ID: &str = "0c7d3a52-7d0e-4c41-9f57-3b6b1a1c2e01";
pub(crate) const FEDERATED_AUDIENCE: &str = "api://AzureADTokenExchange";

/// An RSA key (PKCS#8 PEM) and its self-signed certificate (PEM).
fn rsa_certificate() -> (String, String) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key");
    let certificate = rcgen::CertificateParams::new(vec!["sds-operator".to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("certificate");
    (key.serialize_pem(), certificate.pem())
}

/// A line from the middle of a PEM body: present wherever the key is printed.
fn key_fragment(key_pem: &str) -> String {
    key_pem.lines().nth(3).expect("a PEM body").to_owned()
}

/// Everything the operator logs (all levels of its own targets) while the guard lives. The
/// tests run on a current-thread runtime, so the controller's tasks log on this thread.
pub(crate) struct CapturedLogs {
    text: Arc<Mutex<Vec<u8>>>,
    _guard: DefaultGuard,
}

impl CapturedLogs {
    pub(crate) fn start() -> Self {
        let text = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&text);
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "info,sds_operator=trace,graph=trace",
            ))
            .with_ansi(false)
            .with_writer(move || LogWriter(Arc::clone(&sink)))
            .finish();
        Self {
            text,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    fn text(&self) -> String {
        let bytes = self.text.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Asserts that none of `secrets` (nor any JWT) appears in the resource's status, its events or
/// the captured logs.
pub(crate) async fn assert_never_shown(
    operator: &OperatorUnderTest,
    name: &str,
    logs: &CapturedLogs,
    secrets: &[&str],
) {
    let flow = operator.api.get(name).await.expect("get resource");
    let status = serde_json::to_string(&flow.status).expect("json");
    let events = serde_json::to_string(&operator.events(name).await).expect("json");
    let logs = logs.text();
    assert!(!logs.is_empty(), "the operator logged nothing");
    for (place, text) in [("status", &status), ("events", &events), ("logs", &logs)] {
        for secret in secrets {
            assert!(!text.contains(secret), "a secret appears in the {place}");
        }
        // Client assertions, federated tokens and access tokens are all JWTs.
        assert!(!text.contains("eyJ"), "a JWT appears in the {place}");
    }
}

async fn create_certificate_secret(
    operator: &OperatorUnderTest,
    name: &str,
    certificate_pem: &str,
    key_pem: &str,
    algorithm: &str,
) {
    let entries = [
        ("tenantId", TENANT),
        ("clientId", CERTIFICATE_CLIENT_ID),
        ("tls.crt", certificate_pem),
        ("tls.key", key_pem),
        ("assertionAlgorithm", algorithm),
    ];
    operator
        .create_secret(name, Some("kubernetes.io/tls"), &entries)
        .await;
}

async fn register_certificate_client(operator: &OperatorUnderTest, certificate_pem: &str) {
    operator
        .emulator
        .admin()
        .register_client(
            &ClientRegistration::new(TENANT, CERTIFICATE_CLIENT_ID, "")
                .with_certificate(certificate_pem),
        )
        .await
        .expect("register the certificate application");
}

/// The token requests in the emulator's journal after `since`.
pub(crate) async fn token_calls(operator: &OperatorUnderTest, since: u64) -> Vec<JournalEntry> {
    let journal = operator
        .emulator
        .admin()
        .journal(since)
        .await
        .expect("journal");
    journal
        .into_iter()
        .filter(|call| call.path.ends_with("/oauth2/v2.0/token"))
        .collect()
}

async fn certificate_secret_gets_ready(test_name: &str, algorithm: &str) {
    let logs = CapturedLogs::start();
    let operator = OperatorUnderTest::start(test_name).await;
    let (key, certificate) = rsa_certificate();
    register_certificate_client(&operator, &certificate).await;
    create_certificate_secret(&operator, "district-cert", &certificate, &key, algorithm).await;
    let flow = operator
        .resource("groups")
        .credentials_secret("district-cert")
        .build();
    operator.apply(&flow).await;
    operator
        .wait_for(
            "groups",
            &format!("Ready with a {algorithm} certificate"),
            is_ready,
        )
        .await;

    let token_requests = token_calls(&operator, 0).await;
    assert!(!token_requests.is_empty(), "a token was requested");
    for call in &token_requests {
        assert_eq!(call.status, 200, "{call:#?}");
        let body = &call.body;
        assert_eq!(
            body["client_assertion_type"], "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "{body}"
        );
        assert!(body.get("client_secret").is_none(), "{body}");
    }
    assert_never_shown(&operator, "groups", &logs, &[&key_fragment(&key)]).await;
}

#[tokio::test]
async fn certificate_secret_with_rs256_assertions_gets_ready() {
    certificate_secret_gets_ready("cert-rs256", "RS256").await;
}

#[tokio::test]
async fn certificate_secret_with_ps256_assertions_gets_ready() {
    certificate_secret_gets_ready("cert-ps256", "PS256").await;
}

#[tokio::test]
async fn an_unregistered_certificate_stalls_with_advice_and_never_shows_the_key() {
    let logs = CapturedLogs::start();
    let operator = OperatorUnderTest::start("cert-unregistered").await;
    let (_, registered) = rsa_certificate();
    let (key, other) = rsa_certificate();
    register_certificate_client(&operator, &registered).await;
    create_certificate_secret(&operator, "district-cert", &other, &key, "PS256").await;
    let flow = operator
        .resource("groups")
        .credentials_secret("district-cert")
        .build();
    operator.apply(&flow).await;
    let stalled = operator
        .wait_for(
            "groups",
            "Stalled: certificate not registered",
            stalled_with(
                "CredentialsInvalid",
                "the certificate is not registered for this application",
            ),
        )
        .await;
    let message = serde_json::to_string(&stalled.status).expect("json");
    assert!(message.contains("AADSTS700027"), "{message}");
    assert_never_shown(&operator, "groups", &logs, &[&key_fragment(&key)]).await;
}

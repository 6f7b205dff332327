//! Secrets never leak: the operator runs through every credential failure and success with its
//! debug logs captured, and then every log line, event and status field is searched for the
//! secrets it handled, for access tokens and for client assertions. In a binary of its own, because
//! the log capture is process-wide.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use graph_emulator::ClientRegistration;
use k8s_openapi::api::events::v1::Event;
use kube::api::ListParams;
use sds_operator::crd::{RESET_ANNOTATION, SecurityGroupProvisioningFlow};

use sds_test_harness::{
    CLIENT_ID, CLIENT_SECRET, OperatorUnderTest, TENANT, is_ready, stalled_with,
};

const WRONG_SECRET: &str = "wr0ng~secret-typed-by-someone";
const EXPIRED_CLIENT: &str = "0d6f2a9e-7c41-4b0a-9f3e-5a1c2b3d4e5f";
const EXPIRED_SECRET: &str = "exp1red~secret-from-last-year";
const UNKNOWN_CLIENT_SECRET: &str = "unkn0wn~app-secret";

/// Everything the process logged since the capture started.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            tracing_subscriber::fmt()
                .with_env_filter(
                    "sds_operator=trace,graph=trace,kube=debug,reqwest=trace,hyper=debug,info",
                )
                .with_writer(move || writer.clone())
                .init();
            captured
        })
        .clone()
}

fn using(
    operator: &OperatorUnderTest,
    name: &str,
    secret_name: &str,
) -> SecurityGroupProvisioningFlow {
    operator
        .resource(name)
        .credentials_secret(secret_name)
        .build()
}

#[tokio::test]
async fn no_secret_reaches_logs_events_or_status() {
    let logs = capture_logs();
    let operator = OperatorUnderTest::start("no-secret-leaks").await;
    let mut expired = ClientRegistration::new(TENANT, EXPIRED_CLIENT, EXPIRED_SECRET);
    expired.secret_expired = true;
    operator
        .emulator
        .admin()
        .register_client(&expired)
        .await
        .expect("register");
    for (name, client, value) in [
        ("good", CLIENT_ID, CLIENT_SECRET),
        ("wrong", CLIENT_ID, WRONG_SECRET),
        ("expired", EXPIRED_CLIENT, EXPIRED_SECRET),
        (
            "unknown-app",
            "11111111-2222-4333-8444-555555555555",
            UNKNOWN_CLIENT_SECRET,
        ),
    ] {
        operator.create_client_secret(name, client, value).await;
    }

    // Each failure is a Stalled condition naming the cause and the fix (each resource names its
    // own flow set, so that they do not conflict).
    for (name, secret_name, fragment) in [
        ("wrong", "wrong", "AADSTS7000215"),
        ("expired", "expired", "AADSTS7000222"),
        ("unknown-app", "unknown-app", "AADSTS700016"),
    ] {
        let mut flow = using(&operator, name, secret_name);
        flow.spec.flow.flow_set_id = Some(uuid::Uuid::new_v4().to_string());
        operator.apply(&flow).await;
        operator
            .wait_for(
                name,
                &format!("Stalled with {fragment}"),
                stalled_with("CredentialsInvalid", fragment),
            )
            .await;
        operator.wait_for_event(name, "CredentialsInvalid").await;
    }

    // And the good one does everything: create, reset, and its debug logs.
    let mut good = using(&operator, "good", "good");
    operator.apply(&good).await;
    operator.wait_for("good", "Ready", is_ready).await;
    good.metadata.annotations = Some(BTreeMap::from([(
        RESET_ANNOTATION.to_owned(),
        "t1".to_owned(),
    )]));
    operator.apply(&good).await;
    operator.wait_for_event("good", "ResetAccepted").await;

    let log_text =
        String::from_utf8_lossy(&logs.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    assert!(
        log_text.contains("graph answered"),
        "debug logs were captured: {} bytes",
        log_text.len()
    );
    let events = operator
        .test
        .api::<Event>()
        .list(&ListParams::default())
        .await
        .expect("events");
    let event_text = serde_json::to_string(&events.items).expect("events as JSON");
    let statuses = operator
        .api
        .list(&ListParams::default())
        .await
        .expect("resources");
    let status_text = serde_json::to_string(
        &statuses
            .items
            .iter()
            .map(|flow| &flow.status)
            .collect::<Vec<_>>(),
    )
    .expect("statuses as JSON");

    for (place, text) in [
        ("logs", &log_text),
        ("events", &event_text),
        ("status", &status_text),
    ] {
        for secret in [
            CLIENT_SECRET,
            WRONG_SECRET,
            EXPIRED_SECRET,
            UNKNOWN_CLIENT_SECRET,
        ] {
            assert!(!text.contains(secret), "a client secret appears in {place}");
        }
        // Access tokens and client assertions are JWTs, whose header always encodes to "eyJ".
        assert!(
            !text.contains("eyJ"),
            "a JWT (token or assertion) appears in {place}"
        );
        assert!(
            !text.contains("PRIVATE KEY"),
            "a private key appears in {place}"
        );
    }
    println!(
        "figure: searched {} log bytes, {} events and {} statuses: no secret, token or key",
        log_text.len(),
        events.items.len(),
        statuses.items.len()
    );
}

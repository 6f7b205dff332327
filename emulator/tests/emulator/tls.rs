//! HTTPS mode with the generated CA.

use graph_emulator::{Emulator, EmulatorConfig};
use reqwest::Method;

use crate::support::*;

#[tokio::test]
async fn https_works_with_the_written_ca() {
    let ca_path =
        std::env::temp_dir().join(format!("graph-emulator-ca-{}.pem", uuid::Uuid::new_v4()));
    let config = EmulatorConfig {
        clients: clients(),
        tls: Some(ca_path.clone()),
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(config).await.unwrap();
    assert!(emu.base_url().starts_with("https://127.0.0.1:"));
    let written = std::fs::read_to_string(&ca_path).unwrap();
    assert_eq!(Some(written.as_str()), emu.ca_pem());
    assert!(written.starts_with("-----BEGIN CERTIFICATE-----"));

    let ca = reqwest::Certificate::from_pem(written.as_bytes()).unwrap();
    let http = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([ca])
        .build()
        .unwrap();
    let h = Harness { emu, http };
    let set = h.seed_set().await;
    let response = h.graph(Method::GET, &set_path(&set), None).await;
    assert_eq!(response.status(), 200);

    // Without the CA the certificate is not trusted.
    let untrusted = reqwest::Client::builder().no_proxy().build().unwrap();
    assert!(untrusted.get(h.url(SETS)).send().await.is_err());

    h.emu.shutdown().await.unwrap();
    std::fs::remove_file(ca_path).unwrap();
}

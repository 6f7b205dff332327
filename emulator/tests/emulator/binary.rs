//! The `graph-emulator` binary prints its base URL first and stops cleanly on SIGTERM.

use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::support::*;

#[tokio::test]
async fn binary_prints_its_base_url_and_serves() {
    let set_id = "9ab41255-5364-4c53-e15c-08dc4ab6ee03";
    let mut child = Command::new(env!("CARGO_BIN_EXE_graph-emulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--readiness-delay-ms",
            "0",
            "--flow-set",
            set_id,
        ])
        .args(["--client", &format!("{TENANT}:{WRITER}:{WRITER_SECRET}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).await.unwrap();
    let base = line.trim();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let token: Value = http
        .post(format!("{base}/{TENANT}/oauth2/v2.0/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", WRITER),
            ("client_secret", WRITER_SECRET),
            ("scope", GRAPH_SCOPE),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let response = http
        .get(format!("{base}/beta{}", set_path(set_id)))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], set_id);

    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().await.unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status}");
}

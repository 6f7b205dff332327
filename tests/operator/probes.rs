//! The built binary's `/healthz` and `/readyz`, polled over HTTP the way a kubelet runs the
//! chart's probes: a test that set readiness from inside could not see a probe that never passes.

use std::time::Duration;

use sds_test_support::{DEFAULT_DEADLINE, eventually};

use sds_test_harness::OperatorProcess;
use sds_test_harness::{OperatorUnderTest, Options, is_ready};

/// Restarts of the binary, each of which must turn ready again.
const STARTS: u32 = 5;

/// The probe's answer: status and body, or why there was none.
async fn probe(http: &reqwest::Client, url: &str) -> Result<(u16, String), String> {
    let response = http
        .get(url)
        .timeout(Duration::from_secs(1))
        .send()
        .await
        .map_err(|error| format!("no answer: {error}"))?;
    let status = response.status().as_u16();
    Ok((status, response.text().await.unwrap_or_default()))
}

async fn wait_for_200(http: &reqwest::Client, url: &str, what: &str) {
    eventually(what, DEFAULT_DEADLINE, || async {
        match probe(http, url).await? {
            (200, _) => Ok(()),
            (status, body) => Err(format!("{status} {body}")),
        }
    })
    .await;
}

#[tokio::test]
async fn the_binary_turns_ready_after_listing_its_resources_on_every_start() {
    let options = Options {
        in_process: false,
        ..Options::default()
    };
    let operator = OperatorUnderTest::start_with("probes", options.clone()).await;
    let mut process =
        OperatorProcess::start(env!("CARGO_BIN_EXE_sds-operator"), &operator, &options);
    let http = reqwest::Client::new();

    for start in 1..=STARTS {
        if start > 1 {
            process.restart();
        }
        wait_for_200(
            &http,
            &process.admin_url("/healthz"),
            &format!("/healthz to answer 200 after start {start}"),
        )
        .await;
        wait_for_200(
            &http,
            &process.admin_url("/readyz"),
            &format!("/readyz to answer 200 after start {start}"),
        )
        .await;
        if start == 1 {
            // The operator that reports ready also reconciles.
            operator.apply(&operator.resource("groups").build()).await;
            operator.wait_for("groups", "Ready", is_ready).await;
        }
    }
    assert_eq!(process.starts(), STARTS);
}

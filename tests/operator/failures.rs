//! Graph refusals become Stalled conditions with Graph's message, without a hot loop.

use std::time::Duration;

use graph_emulator::{FaultRule, FaultTarget};

use sds_test_harness::{
    CLIENT_ID, CLIENT_SECRET, OperatorUnderTest, condition, is_ready, stalled_with,
};

#[tokio::test]
async fn graph_bad_request_stalls_with_its_message_and_no_hot_loop() {
    let operator = OperatorUnderTest::start("graph-400").await;
    operator
        .emulator
        .admin()
        .add_fault(&FaultRule {
            target: FaultTarget::Graph,
            method: Some("POST".into()),
            status: Some(400),
            error_code: Some("invalidRequest".into()),
            message: Some("The school data for this flow set is not valid yet.".into()),
            ..FaultRule::default()
        })
        .await
        .expect("fault");
    operator.apply(&operator.resource("groups").build()).await;
    let stalled = operator
        .wait_for(
            "groups",
            "Stalled on Graph's 400",
            stalled_with(
                "GraphBadRequest",
                "The school data for this flow set is not valid yet.",
            ),
        )
        .await;
    assert_eq!(
        condition(&stalled, "Ready").map(|c| c.0).as_deref(),
        Some("False")
    );
    let since = operator.journal_position().await;
    let calls = operator.graph_calls(0).await;
    assert!(
        calls.len() <= 3,
        "list and one POST before stalling: {calls:#?}"
    );
    operator
        .assert_quiet(since, Duration::from_secs(3), 0)
        .await;
}

#[tokio::test]
async fn credentials_come_from_the_referenced_secret() {
    let operator = OperatorUnderTest::start("secret-credentials").await;
    let flow = operator
        .resource("groups")
        .credentials_secret("contoso-graph")
        .build();
    operator.apply(&flow).await;
    operator
        .wait_for(
            "groups",
            "Stalled without its Secret",
            stalled_with("CredentialsNotFound", "contoso-graph"),
        )
        .await;

    operator
        .create_client_secret("contoso-graph", CLIENT_ID, CLIENT_SECRET)
        .await;
    // Secrets are not watched yet: a spec-neutral touch of the resource triggers the retry.
    let mut touched = flow.clone();
    touched.metadata.annotations = Some([("example.com/touch".to_owned(), "1".to_owned())].into());
    operator.apply(&touched).await;
    let ready = operator
        .wait_for("groups", "Ready with the Secret's credential", is_ready)
        .await;
    let status = serde_json::to_string(&ready.status).expect("json");
    assert!(
        !status.contains(CLIENT_SECRET),
        "the secret never reaches status"
    );
}

#[tokio::test]
async fn an_event_too_long_for_the_api_is_recorded_cut_not_dropped() {
    let operator = OperatorUnderTest::start("graph-long-message").await;
    let long_message = format!("{} and the end of the message.", "Graph says: ".repeat(200));
    operator
        .emulator
        .admin()
        .add_fault(&FaultRule {
            target: FaultTarget::Graph,
            method: Some("POST".into()),
            status: Some(400),
            error_code: Some("invalidRequest".into()),
            message: Some(long_message.clone()),
            ..FaultRule::default()
        })
        .await
        .expect("fault");
    operator.apply(&operator.resource("groups").build()).await;
    let event = operator.wait_for_event("groups", "GraphBadRequest").await;
    let note = event.note.unwrap_or_default();
    assert!(
        note.len() <= 1024 && note.contains("Message: Graph says") && note.ends_with(" …"),
        "{} bytes: {note}",
        note.len()
    );
    assert!(long_message.len() > 1024);
}

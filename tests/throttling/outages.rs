//! Transient outages of Graph (5xx, timeouts) and of the token endpoint: Ready is kept, retries
//! come with growing gaps, and it heals by itself.

use crate::fixture::*;

/// How a transient Graph outage shows itself, for [`outage_keeps_ready_and_heals`].
struct Outage {
    what: &'static str,
    /// Makes `FAILURES` consecutive Graph calls fail.
    rule: FaultRule,
    /// The status the journal records for a failed call.
    journaled: u16,
    /// Part of the Synced message while failing.
    message: &'static str,
    options: Options,
}

/// A Ready resource meets `FAILURES` failing Graph calls in a row: Synced turns False with reason
/// GraphUnavailable while Ready is kept, the retries come with growing gaps, and it heals by
/// itself without writing to Graph.
async fn outage_keeps_ready_and_heals(test_name: &str, outage: Outage) {
    const FAILURES: usize = 3;
    assert_eq!(outage.rule.times, Some(FAILURES as u32));
    let _turn = beside_others().await;
    let operator = OperatorUnderTest::start_with(test_name, outage.options).await;
    let flow = operator.resource("groups").build();
    operator.apply(&flow).await;
    operator.wait_for("groups", "Ready", is_ready).await;
    let before = operator.journal_position().await;
    operator
        .emulator
        .admin()
        .add_fault(&outage.rule)
        .await
        .expect("fault");

    // A spec-neutral change makes the operator read Graph now.
    let mut touched = flow.clone();
    touched.metadata.annotations = Some([("example.com/touch".to_owned(), "1".to_owned())].into());
    let changes = record_changes(&operator.api);
    operator.apply(&touched).await;
    let failing = operator
        .wait_for(
            "groups",
            "Synced False with reason GraphUnavailable",
            |flow| condition_is(flow, "Synced", "False", "GraphUnavailable"),
        )
        .await;
    assert!(
        is_ready(&failing),
        "a passing outage keeps Ready: {:#?}",
        failing.status
    );
    let (_, _, message) = condition(&failing, "Synced").expect("Synced");
    assert!(message.contains(outage.message), "{message}");

    let recovered = operator
        .wait_for("groups", "Synced again without intervention", |flow| {
            condition_is(flow, "Synced", "True", "InSync")
        })
        .await;
    assert!(is_ready(&recovered));
    // Status writes that report the failure (each failed retry may write its own message).
    let failure_writes = count_changes(&changes, |_, flow| {
        condition_is(flow, "Synced", "False", "GraphUnavailable")
    });
    assert!((1..=FAILURES).contains(&failure_writes), "{failure_writes}");

    let calls = operator.graph_calls(before).await;
    assert!(
        calls.len() > FAILURES
            && calls[..FAILURES]
                .iter()
                .all(|call| call.status == outage.journaled)
            && calls[FAILURES..]
                .iter()
                .all(|call| call.status != outage.journaled),
        "each retry starts with the read that failed, then one succeeds: {calls:#?}"
    );
    assert!(writes(&calls).is_empty(), "{calls:#?}");
    let attempts: Vec<Timestamp> = calls.iter().map(arrival).collect();
    let gaps: Vec<f64> = attempts
        .windows(2)
        .take(FAILURES)
        .map(|pair| seconds(pair[0], pair[1]))
        .collect();
    assert!(
        gaps[0] >= 1.5,
        "the first retry waits the minimum backoff: {gaps:?}"
    );
    assert!(
        gaps.windows(2).all(|pair| pair[1] > pair[0] * 1.4),
        "each retry waits clearly longer than the one before: {gaps:?}"
    );
    println!(
        "figure: {FAILURES} Graph {}: retry gaps {} s, Ready kept throughout, recovered {:.1} s \
         after the first failure with no Graph write; {failure_writes} status writes reporting \
         the failure",
        outage.what,
        gaps.iter()
            .map(|gap| format!("{gap:.2}"))
            .collect::<Vec<_>>()
            .join(", "),
        seconds(attempts[0], attempts[FAILURES]),
    );
}

#[tokio::test]
async fn graph_5xx_keeps_ready_backs_off_with_growing_gaps_and_recovers() {
    outage_keeps_ready_and_heals(
        "graph-5xx",
        Outage {
            what: "503s",
            rule: FaultRule {
                target: FaultTarget::Graph,
                status: Some(503),
                times: Some(3),
                ..FaultRule::default()
            },
            journaled: 503,
            message: "HTTP 503",
            options: Options::default(),
        },
    )
    .await;
}

#[tokio::test]
async fn graph_timeouts_keep_ready_back_off_with_growing_gaps_and_recover() {
    outage_keeps_ready_and_heals(
        "graph-timeouts",
        Outage {
            what: "timeouts (1 s limit, 3 s latency)",
            rule: FaultRule {
                target: FaultTarget::Graph,
                latency_ms: Some(3000),
                times: Some(3),
                ..FaultRule::default()
            },
            // The emulator journals a call its client gave up on as 499.
            journaled: 499,
            message: "did not answer in time",
            options: Options {
                graph_timeout: Duration::from_secs(1),
                ..Options::default()
            },
        },
    )
    .await;
}

#[tokio::test]
async fn a_token_endpoint_outage_surfaces_as_a_condition_and_heals() {
    const FAILURES: u32 = 2;
    let _turn = beside_others().await;
    let operator = OperatorUnderTest::start("token-outage").await;
    operator
        .emulator
        .admin()
        .add_fault(&FaultRule {
            target: FaultTarget::Token,
            status: Some(503),
            times: Some(FAILURES),
            ..FaultRule::default()
        })
        .await
        .expect("fault");
    operator.apply(&operator.resource("groups").build()).await;
    let failing = operator
        .wait_for("groups", "Synced False naming the token endpoint", |flow| {
            condition(flow, "Synced").is_some_and(|(status, reason, message)| {
                status == "False"
                    && reason == "GraphUnavailable"
                    && message.contains("access token")
            })
        })
        .await;
    let (_, _, message) = condition(&failing, "Synced").expect("Synced");
    assert!(message.contains("identity platform"), "{message}");
    assert!(
        condition_is(&failing, "Stalled", "False", "GraphUnavailable"),
        "an outage needs no person: {:#?}",
        failing.status
    );

    operator
        .wait_for("groups", "Ready once tokens are issued again", is_ready)
        .await;
    let journal = operator.emulator.admin().journal(0).await.expect("journal");
    let tokens: Vec<&JournalEntry> = journal
        .iter()
        .filter(|entry| entry.target == FaultTarget::Token)
        .collect();
    assert_eq!(
        tokens.len(),
        FAILURES as usize + 1,
        "the failed attempts, then one token that is kept: {tokens:#?}"
    );
    let first_graph = journal
        .iter()
        .find(|entry| entry.target == FaultTarget::Graph)
        .expect("Graph calls");
    assert!(
        first_graph.sequence > tokens[FAILURES as usize].sequence,
        "no Graph call without a token"
    );
    let flows = operator.graph_flows().await;
    assert_eq!(flows.len(), 1, "{flows:#?}");
    println!(
        "figure: token endpoint down for {FAILURES} attempts: condition GraphUnavailable naming the \
         token, healed {:.1} s after the first failure without intervention",
        seconds(arrival(tokens[0]), arrival(tokens[FAILURES as usize])),
    );
}

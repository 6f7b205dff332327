//! A crash around the reset POST: the operator binary is killed before and after Graph handles
//! the reset, and no token is ever sent twice (the harness and invariants are those of `crash`).

use std::collections::BTreeMap;
use std::time::Instant;

use sds_operator::crd::ResetOutcome;
use sds_test_support::{DEFAULT_DEADLINE, eventually};

use sds_test_harness::is_ready;

use crate::crash::{hold, resets, start_resyncing, status, wait_for_graph_read, with_token};

/// Crash points around the reset POST, alternating before and after Graph handles it.
const RESET_CRASHES: usize = 20;

#[tokio::test]
async fn crash_around_the_reset_post_never_sends_a_token_twice() {
    let started = Instant::now();
    let (operator, mut process) =
        start_resyncing("crash-reset", std::time::Duration::from_secs(3)).await;
    let admin = operator.emulator.admin();
    let manifest = operator.resource("groups").build();
    operator.apply(&manifest).await;
    operator.wait_for("groups", "Ready", is_ready).await;
    let loop_start = operator.journal_position().await;

    let mut max_per_token = 0;
    let mut handled_expected = 0;
    for point in 0..RESET_CRASHES {
        let token = format!("crash-point-{point}");
        let before_handling = point % 2 == 0;
        admin
            .add_fault(&hold("/reset".to_owned(), before_handling))
            .await
            .expect("add fault");
        let since = operator.journal_position().await;
        operator.apply(&with_token(manifest.clone(), &token)).await;
        if before_handling {
            eventually(
                &format!("the reset POST for {token} to reach the emulator"),
                DEFAULT_DEADLINE,
                || async {
                    let faults = admin.faults().await.map_err(|e| e.to_string())?;
                    match faults.first() {
                        Some(rule) if rule.fired == 1 => Ok(()),
                        other => Err(format!("{other:?}")),
                    }
                },
            )
            .await;
        } else {
            eventually(
                &format!("Graph to carry out the reset for {token}"),
                DEFAULT_DEADLINE,
                || async {
                    let calls = operator.graph_calls(since).await;
                    match resets(&calls, true).len() {
                        0 => Err(format!("{calls:#?}")),
                        _ => Ok(()),
                    }
                },
            )
            .await;
        }
        process.kill();

        // The crash left the pending record written before the POST.
        let crashed = status(&operator.api.get("groups").await.expect("get"));
        let pending = crashed.reset.expect("reset status");
        assert_eq!(
            (pending.pending_token.as_deref(), pending.outcome),
            (Some(token.as_str()), Some(ResetOutcome::Pending)),
            "{token}"
        );
        if before_handling {
            eventually(
                &format!("the emulator to drop the unanswered reset for {token}"),
                DEFAULT_DEADLINE,
                || async {
                    let calls = operator.graph_calls(since).await;
                    match resets(&calls, false).as_slice() {
                        [abandoned] if abandoned.status == 499 => Ok(()),
                        other => Err(format!("{other:#?}")),
                    }
                },
            )
            .await;
        } else {
            handled_expected += 1;
        }

        admin.clear_faults().await.expect("clear faults");
        process.restart();
        let settled = operator
            .wait_for("groups", "the reset outcome recorded", |flow| {
                status(flow).reset.is_some_and(|reset| {
                    reset.last_handled_token.as_deref() == Some(token.as_str())
                        && reset.pending_token.is_none()
                        && reset.outcome != Some(ResetOutcome::Pending)
                })
            })
            .await;
        let outcome = status(&settled).reset.and_then(|reset| reset.outcome);
        assert!(
            matches!(
                outcome,
                Some(ResetOutcome::OutcomeUnknown | ResetOutcome::Accepted)
            ),
            "{token}: {outcome:?}"
        );
        let sent = resets(&operator.graph_calls(since).await, true).len();
        assert_eq!(sent, usize::from(!before_handling), "{token}");
        max_per_token = max_per_token.max(sent);
    }

    // The last token stays in the manifest. A restart, then a re-apply with that token (and an
    // unrelated annotation changed, so that the operator does reconcile), send nothing; a new
    // token sends exactly one reset.
    let since = operator.journal_position().await;
    process.restart();
    wait_for_graph_read(&operator, since, "the restarted operator").await;
    let mut reapplied = with_token(
        manifest.clone(),
        &format!("crash-point-{}", RESET_CRASHES - 1),
    );
    reapplied
        .metadata
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .insert("example.com/revision".to_owned(), "2".to_owned());
    let since = operator.journal_position().await;
    operator.apply(&reapplied).await;
    wait_for_graph_read(&operator, since, "the re-applied manifest").await;
    let fresh = "after-the-crashes";
    operator.apply(&with_token(manifest, fresh)).await;
    operator
        .wait_for("groups", "the new token's reset Accepted", |flow| {
            status(flow).reset.is_some_and(|reset| {
                reset.last_handled_token.as_deref() == Some(fresh)
                    && reset.outcome == Some(ResetOutcome::Accepted)
            })
        })
        .await;
    let handled = resets(&operator.graph_calls(loop_start).await, true).len();
    assert_eq!(
        handled,
        handled_expected + 1,
        "one reset per token that reached Graph, none resent"
    );
    println!(
        "figure: {RESET_CRASHES} reset crash points -> max resets per token {max_per_token} \
         ({handled} resets handled in all, {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    assert!(max_per_token <= 1);
}

//! Reading the emulator's journal: which Graph calls the operator made.

use graph_emulator::{FaultRule, FaultTarget, JournalEntry};
use sds_test_support::{DEFAULT_DEADLINE, eventually};
use serde_json::json;

use crate::OperatorUnderTest;

/// Calls that change something in Graph.
pub fn writes(calls: &[JournalEntry]) -> Vec<&JournalEntry> {
    calls.iter().filter(|call| call.method != "GET").collect()
}

/// Graph calls with this method whose path contains `fragment`.
pub fn calls_to<'a>(
    calls: &'a [JournalEntry],
    method: &str,
    fragment: &str,
) -> Vec<&'a JournalEntry> {
    calls
        .iter()
        .filter(|call| call.method == method && call.path.contains(fragment))
        .collect()
}

/// `creationOptions` as Graph and the emulator write them.
pub fn options_json(role_group: bool, org_plus_role_group: bool) -> serde_json::Value {
    json!({
        "createBasedOnRoleGroup": role_group,
        "createBasedOnOrgPlusRoleGroup": org_plus_role_group,
    })
}

/// The Graph calls after `since` once at least `count` GETs have followed the last write: proof
/// that later reconciles read Graph and found nothing more to write.
pub async fn calls_after_settling(
    operator: &OperatorUnderTest,
    since: u64,
    count: usize,
) -> Vec<JournalEntry> {
    eventually(
        &format!("{count} Graph reads after the last write"),
        DEFAULT_DEADLINE,
        || async {
            let calls = operator.graph_calls(since).await;
            let last_write = calls.iter().rposition(|call| call.method != "GET");
            let reads_after = calls[last_write.map_or(0, |index| index + 1)..]
                .iter()
                .filter(|call| call.method == "GET")
                .count();
            if reads_after >= count {
                Ok(calls)
            } else {
                Err(format!(
                    "{reads_after} reads after the last write: {calls:#?}"
                ))
            }
        },
    )
    .await
}

/// Makes the emulator answer the next create POST to a path containing `path` with 429 and
/// `Retry-After: retry_after` seconds, once.
pub async fn throttle_next_create(operator: &OperatorUnderTest, path: &str, retry_after: u64) {
    operator
        .emulator
        .admin()
        .add_fault(&FaultRule {
            target: FaultTarget::Graph,
            method: Some("POST".into()),
            path_contains: Some(path.into()),
            status: Some(429),
            retry_after_seconds: Some(retry_after),
            times: Some(1),
            ..FaultRule::default()
        })
        .await
        .expect("add the fault");
}

/// `posts` are the throttled create and its one retry, sent at least `retry_after` seconds apart.
pub fn assert_retried_after(posts: &[&JournalEntry], retry_after: u64) {
    assert_eq!(
        posts.len(),
        2,
        "the throttled create and its retry: {posts:#?}"
    );
    assert_eq!((posts[0].status, posts[1].status), (429, 201));
    let at = |call: &JournalEntry| -> jiff::Timestamp { call.time.parse().expect("journal time") };
    let waited = at(posts[1]).duration_since(at(posts[0]));
    assert!(
        waited >= jiff::SignedDuration::from_secs(retry_after.try_into().expect("seconds")),
        "retried after {waited:?}"
    );
}

//! What `kubectl get` shows: the Ready condition's reason in the default view, so a stalled
//! resource says why at a glance, and its message at `-o wide`. Read from the real kubectl's
//! output, as a person sees it.

use sds_test_harness::{OperatorUnderTest, condition, stalled_with};

/// The header and the single row of a `kubectl get` table, as (column, value) pairs. kubectl
/// left-aligns each column under its header, so a header's position marks where its values start.
fn table(output: &std::process::Output) -> Vec<(String, String)> {
    assert!(
        output.status.success(),
        "kubectl get failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<Vec<char>> = text.lines().map(|line| line.chars().collect()).collect();
    let [header, row] = lines.as_slice() else {
        panic!("expected a header and one row:\n{text}");
    };
    let starts: Vec<usize> = (0..header.len())
        .filter(|&at| header[at] != ' ' && (at == 0 || header[at - 1] == ' '))
        .collect();
    let cell = |line: &[char], from: usize, to: Option<usize>| -> String {
        let end = to.unwrap_or(line.len()).min(line.len());
        line.get(from..end)
            .map(|chars| chars.iter().collect::<String>().trim().to_owned())
            .unwrap_or_default()
    };
    starts
        .iter()
        .enumerate()
        .map(|(index, &from)| {
            let to = starts.get(index + 1).copied();
            (cell(header, from, to), cell(row, from, to))
        })
        .collect()
}

fn names(table: &[(String, String)]) -> Vec<&str> {
    table.iter().map(|(name, _)| name.as_str()).collect()
}

fn value<'a>(table: &'a [(String, String)], column: &str) -> &'a str {
    table
        .iter()
        .find(|(name, _)| name == column)
        .map(|(_, value)| value.as_str())
        .unwrap_or_else(|| panic!("no {column} column in {table:?}"))
}

#[tokio::test]
async fn kubectl_get_shows_why_a_stalled_resource_is_not_ready() {
    let operator = OperatorUnderTest::start("columns").await;
    let manifest = operator
        .resource("groups")
        .credentials_secret("absent")
        .build();
    operator.apply(&manifest).await;
    let stalled = operator
        .wait_for(
            "groups",
            "Stalled: Secret missing",
            stalled_with("CredentialsNotFound", "absent"),
        )
        .await;
    let (_, reason, message) = condition(&stalled, "Ready").expect("Ready");
    assert_eq!(reason, "CredentialsNotFound");

    let default = table(&operator.kubectl(&["get", "sgpf", "groups"]).await);
    assert_eq!(
        names(&default),
        ["NAME", "READY", "REASON", "READINESS", "FLOWSET", "AGE"]
    );
    assert_eq!(value(&default, "READY"), "False");
    assert_eq!(value(&default, "REASON"), "CredentialsNotFound");
    assert_eq!(value(&default, "FLOWSET"), operator.flow_set_id);

    let wide = table(
        &operator
            .kubectl(&["get", "sgpf", "groups", "-o", "wide"])
            .await,
    );
    assert_eq!(
        names(&wide),
        [
            "NAME",
            "READY",
            "REASON",
            "READINESS",
            "FLOWSET",
            "AGE",
            "FLOWID",
            "MESSAGE"
        ]
    );
    assert_eq!(value(&wide, "REASON"), "CredentialsNotFound");
    assert_eq!(value(&wide, "MESSAGE"), message);
}

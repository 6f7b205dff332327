//! The tools that judge a resource as other programs would (kstatus for Flux, gopher-lua for Argo
//! CD): each reads the resource as JSON on standard input and prints its verdict as JSON.

use std::process::Stdio;

use tokio::io::AsyncWriteExt;

use crate::OperatorUnderTest;

/// The path of the judging tool named in environment variable `variable`. Without it the tests
/// that ask fail, saying how to get it: they never skip.
pub fn judge_tool(variable: &str, what: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| {
        panic!("{variable} must name {what}; `make test` builds it into the per-user tool cache and sets this variable")
    })
}

/// Runs `tool` with `args`, `input` on its standard input, and parses the JSON it prints.
pub async fn judge(tool: &str, args: &[&str], input: &[u8]) -> serde_json::Value {
    let mut child = tokio::process::Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {tool}: {e}"));
    let mut stdin = child.stdin.take().expect("the tool's stdin");
    stdin.write_all(input).await.expect("write to the tool");
    drop(stdin);
    let output = child.wait_with_output().await.expect("the tool ends");
    assert!(
        output.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{tool} printed {:?}: {e}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

impl OperatorUnderTest {
    /// The resource `name` as the API server serves it now, as JSON (`kubectl get -o json`).
    pub async fn resource_json(&self, name: &str) -> Vec<u8> {
        let got = self
            .kubectl(&["get", "securitygroupprovisioningflow", name, "-o", "json"])
            .await;
        assert!(
            got.status.success(),
            "kubectl get {name} failed: {}",
            String::from_utf8_lossy(&got.stderr)
        );
        got.stdout
    }
}

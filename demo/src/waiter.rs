//! `kubectl wait` on the example resource, watching the operator at the same time: a wait ends
//! early when the operator dies, and a timeout explains what the resource and the operator were
//! doing.

use crate::error::{DemoError, WaitFailure};
use crate::kubectl::Kubectl;
use crate::operator::OperatorProcess;

/// The example resource, as kubectl names it.
#[derive(Debug)]
pub struct Resource<'a> {
    pub kind_name: String,
    pub namespace: &'a str,
}

/// Runs `kubectl wait` on one resource while the operator runs.
#[derive(Debug)]
pub struct Waiter<'a> {
    pub kubectl: Kubectl<'a>,
    pub operator: &'a mut OperatorProcess,
    pub resource: &'a Resource<'a>,
}

impl Waiter<'_> {
    pub async fn wait(
        &mut self,
        what: &str,
        condition: &str,
        timeout: &str,
    ) -> Result<(), DemoError> {
        let timeout = format!("--timeout={timeout}");
        let args = [
            "wait",
            condition,
            &self.resource.kind_name,
            "-n",
            self.resource.namespace,
            &timeout,
        ];
        let waited = tokio::select! {
            waited = self.kubectl.show(&args) => waited,
            status = self.operator.exited() => return Err(self.operator.exited_error(status)),
        };
        match waited {
            Ok(_) => Ok(()),
            Err(DemoError::Kubectl {
                command, output, ..
            }) => Err(DemoError::WaitFailed(Box::new(WaitFailure {
                what: what.to_owned(),
                command,
                output,
                current: self.current().await,
                log: self.operator.log_path().to_path_buf(),
                log_tail: self.operator.log_tail(40),
            }))),
            Err(other) => Err(other),
        }
    }

    /// The resource's status, or why it could not be read.
    async fn current(&self) -> String {
        self.kubectl
            .quiet(&[
                "get",
                &self.resource.kind_name,
                "-n",
                self.resource.namespace,
                "-o",
                "jsonpath-as-json={.status}",
            ])
            .await
            .map(|status| match status.trim() {
                "" | "[]" => "(none: the operator has written no status)".to_owned(),
                _ if !written_by_operator(&status) => {
                    format!(
                        "{status} (a new resource's default: the operator has written no status)"
                    )
                }
                _ => status,
            })
            .unwrap_or_else(|error| error.to_string())
    }
}

/// Whether `kubectl get -o jsonpath-as-json={.status}` shows a status the operator wrote: a new
/// resource has none, or only the schema's default `{observedGeneration: 0}`.
fn written_by_operator(status: &str) -> bool {
    let observed = serde_json::from_str::<serde_json::Value>(status)
        .ok()
        .and_then(|value| value.pointer("/0/observedGeneration")?.as_i64());
    observed.is_some_and(|generation| generation >= 1)
}

#[cfg(test)]
mod tests {
    use super::written_by_operator;

    #[test]
    fn only_a_status_with_an_observed_generation_counts_as_written() {
        assert!(!written_by_operator(""));
        assert!(!written_by_operator("[]"));
        assert!(!written_by_operator(r#"[{"observedGeneration": 0}]"#));
        assert!(written_by_operator(
            r#"[{"observedGeneration": 2, "flowId": "x"}]"#
        ));
    }
}

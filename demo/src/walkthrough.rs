//! Step 5, on the example resource: readiness as Graph reports it, Ready, then a reset through the
//! annotation, handled once and Accepted, and Ready again.

use crate::error::DemoError;
use crate::kubectl::Kubectl;
use crate::waiter::Waiter;

const RESET_ANNOTATION: &str = "industrydata.sds-operator.io/reset";

/// Shows the example going Ready and being reset; returns its Graph flow id.
pub async fn ready_then_reset(waiter: &mut Waiter<'_>) -> Result<String, DemoError> {
    let kubectl = waiter.kubectl;
    let kind_name = waiter.resource.kind_name.clone();
    let namespace = waiter.resource.namespace;
    waiter
        .wait(
            "the operator to report Graph's readinessStatus",
            "--for=jsonpath={.status.readinessStatus}",
            "60s",
        )
        .await?;
    show_table(kubectl, namespace).await?;
    waiter
        .wait("the Ready condition", "--for=condition=Ready", "120s")
        .await?;
    show_table(kubectl, namespace).await?;

    let token = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    kubectl
        .show(&[
            "annotate",
            "--overwrite",
            &kind_name,
            "-n",
            namespace,
            &format!("{RESET_ANNOTATION}={token}"),
        ])
        .await?;
    waiter
        .wait(
            &format!("the operator to handle reset token {token}"),
            &format!("--for=jsonpath={{.status.reset.lastHandledToken}}={token}"),
            "60s",
        )
        .await?;
    let reset = kubectl
        .show(&[
            "get",
            &kind_name,
            "-n",
            namespace,
            "-o",
            "jsonpath-as-json={.status.reset}",
        ])
        .await?;
    check_accepted(&reset)?;
    show_table(kubectl, namespace).await?;
    println!("(after a reset SDS provisions again: notReady, then ready)");
    waiter
        .wait(
            "the Ready condition after the reset",
            "--for=condition=Ready",
            "120s",
        )
        .await?;
    show_table(kubectl, namespace).await?;

    let flow_id = kubectl
        .quiet(&[
            "get",
            &kind_name,
            "-n",
            namespace,
            "-o",
            "jsonpath={.status.flowId}",
        ])
        .await?;
    Ok(flow_id)
}

/// Waits until the flow set resource `name` is Ready (created in Graph, its id in status), which
/// is what the flows that name it wait for, then shows it.
pub async fn flow_set_ready(
    kubectl: Kubectl<'_>,
    namespace: &str,
    name: &str,
) -> Result<(), DemoError> {
    println!("(every flow names flow set resource {name}; they wait until it has a Graph id)");
    kubectl
        .show(&[
            "wait",
            "--for=condition=Ready",
            &format!("opfs/{name}"),
            "-n",
            namespace,
            "--timeout=120s",
        ])
        .await?;
    kubectl
        .show(&["get", "opfs", "-n", namespace, "-o", "wide"])
        .await
        .map(drop)
}

/// The other flow kinds of examples/ (administrative units, class groups, users), by short name.
const OTHER_FLOW_KINDS: &str = "aupf,cgpf,upf";

/// Waits until every other flow of examples/ is Ready too, then shows the whole district: the
/// flow set and all four flow kinds.
pub async fn every_kind_ready(kubectl: Kubectl<'_>, namespace: &str) -> Result<(), DemoError> {
    println!("(the examples hold one flow of every kind on the same flow set)");
    kubectl
        .show(&[
            "wait",
            "--for=condition=Ready",
            OTHER_FLOW_KINDS,
            "--all",
            "-n",
            namespace,
            "--timeout=120s",
        ])
        .await?;
    kubectl
        .show(&[
            "get",
            &format!("opfs,sgpf,{OTHER_FLOW_KINDS}"),
            "-n",
            namespace,
            "-o",
            "wide",
        ])
        .await
        .map(drop)
}

async fn show_table(kubectl: Kubectl<'_>, namespace: &str) -> Result<(), DemoError> {
    kubectl
        .show(&["get", "sgpf", "-n", namespace, "-o", "wide"])
        .await
        .map(drop)
}

/// `kubectl -o jsonpath-as-json={.status.reset}` prints a one-element array.
fn check_accepted(printed: &str) -> Result<(), DemoError> {
    let outcome = serde_json::from_str::<serde_json::Value>(printed)
        .ok()
        .and_then(|value| value[0]["outcome"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "missing".to_owned());
    if outcome == "Accepted" {
        Ok(())
    } else {
        Err(DemoError::ResetNotAccepted {
            outcome,
            block: printed.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::check_accepted;

    #[test]
    fn only_an_accepted_reset_passes() {
        assert!(check_accepted(r#"[{"lastHandledToken":"t","outcome":"Accepted"}]"#).is_ok());
        assert!(check_accepted(r#"[{"lastHandledToken":"t","outcome":"Rejected"}]"#).is_err());
        assert!(check_accepted("[]").is_err());
    }
}

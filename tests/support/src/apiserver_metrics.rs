//! What kube-apiserver counted: the series of its `apiserver_request_total` metric, read through
//! `kubectl get --raw /metrics`. Tests and benchmarks use it to count writes and conflicts made by
//! anyone (the operator included) without trusting the operator's own account.

use crate::{ControlPlane, Error};

/// One series of `apiserver_request_total`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestCount {
    /// `GET`, `LIST`, `WATCH`, `POST`, `PUT`, `PATCH`, `APPLY`, `DELETE`, ...
    pub verb: String,
    pub resource: String,
    /// Empty for the resource itself, else e.g. `status`.
    pub subresource: String,
    /// The HTTP status answered, e.g. `200` or `409`.
    pub code: String,
    pub count: u64,
}

impl RequestCount {
    /// Whether the verb changes something.
    pub fn is_write(&self) -> bool {
        matches!(
            self.verb.as_str(),
            "POST" | "PUT" | "PATCH" | "APPLY" | "UPDATE" | "DELETE" | "DELETECOLLECTION"
        )
    }
}

impl ControlPlane {
    /// Every `apiserver_request_total` series kube-apiserver reports now.
    pub async fn request_counts(&self) -> Result<Vec<RequestCount>, Error> {
        let mut command = self.kubectl();
        command.args(["get", "--raw", "/metrics"]);
        let output = tokio::process::Command::from(command)
            .output()
            .await
            .map_err(Error::io("run", "kubectl get --raw /metrics"))?;
        if !output.status.success() {
            return Err(Error::Kubeconfig(format!(
                "kubectl get --raw /metrics failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        Ok(parse(&String::from_utf8_lossy(&output.stdout)))
    }
}

/// The `apiserver_request_total` series of a Prometheus text exposition.
fn parse(text: &str) -> Vec<RequestCount> {
    text.lines()
        .filter_map(|line| {
            let (labels, value) = line
                .strip_prefix("apiserver_request_total{")?
                .rsplit_once("} ")?;
            let label = |name: &str| {
                labels
                    .split(',')
                    .find_map(|pair| pair.strip_prefix(&format!("{name}=\"")))
                    .map(|value| value.trim_end_matches('"').to_owned())
                    .unwrap_or_default()
            };
            Some(RequestCount {
                verb: label("verb"),
                resource: label("resource"),
                subresource: label("subresource"),
                code: label("code"),
                count: value.trim().parse::<f64>().ok()? as u64,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_request_series_and_nothing_else() {
        let text = "# HELP apiserver_request_total Counter\n\
apiserver_request_total{code=\"201\",component=\"apiserver\",dry_run=\"\",group=\"events.k8s.io\",resource=\"events\",scope=\"namespace\",subresource=\"\",verb=\"POST\",version=\"v1\"} 7\n\
apiserver_request_total{code=\"409\",component=\"apiserver\",dry_run=\"\",group=\"industrydata.sds-operator.io\",resource=\"securitygroupprovisioningflows\",scope=\"namespace\",subresource=\"status\",verb=\"APPLY\",version=\"v1alpha1\"} 2\n\
apiserver_request_duration_seconds_count{verb=\"GET\"} 99\n";
        let counts = parse(text);
        assert_eq!(counts.len(), 2);
        assert_eq!(
            counts[1],
            RequestCount {
                verb: "APPLY".into(),
                resource: "securitygroupprovisioningflows".into(),
                subresource: "status".into(),
                code: "409".into(),
                count: 2,
            }
        );
        assert!(counts.iter().all(RequestCount::is_write));
    }
}

//! What the demo prints once the example has been shown: the commands to explore it by hand.

use std::path::PathBuf;

use crate::example::Example;

/// Everything the closing instructions mention.
#[derive(Debug)]
pub struct NextSteps {
    pub kubeconfig: PathBuf,
    /// Where the demo's kubectl lives, for people without one of their own.
    pub kubectl_dir: PathBuf,
    pub example: Example,
    pub emulator_url: String,
    pub flow_id: String,
    pub operator_log: PathBuf,
}

impl NextSteps {
    pub fn print(&self, exit_when_done: bool) {
        let name = &self.example.name;
        let namespace = &self.example.namespace;
        let flow_set = &self.example.flow_set;
        let admin = format!("{}/_emulator", self.emulator_url);
        println!(
            r#"
==> Try it yourself, in another terminal

  export KUBECONFIG={kubeconfig}
  export PATH="{kubectl_dir}:$PATH"   # the kubectl used above, if you have none

  kubectl get opfs,sgpf,aupf,cgpf,upf -A
  kubectl describe opfs {flow_set} -n {namespace}
  kubectl describe sgpf {name} -n {namespace}
  kubectl explain sgpf.spec
  kubectl annotate --overwrite sgpf/{name} -n {namespace} industrydata.sds-operator.io/reset="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

  The Graph emulator's admin API is at {admin}/
  curl -s {admin}/journal   # every Graph call the operator made
  curl -s -X PUT -H 'content-type: application/json' -d '{{"readinessStatus":"failed"}}' \
    {admin}/flows/{flow_id}/readiness   # SDS reports a failure: the resource stalls

  Operator log: {log}"#,
            kubeconfig = self.kubeconfig.display(),
            kubectl_dir = self.kubectl_dir.display(),
            flow_id = self.flow_id,
            log = self.operator_log.display(),
        );
        if exit_when_done {
            println!("\n--exit-when-done: stopping everything now.");
        } else {
            println!(
                "\nPress Ctrl-C to stop the operator, the emulator and the control plane \
                 (their files are removed)."
            );
        }
    }
}

//! sds-operator: reconciles SecurityGroupProvisioningFlow custom resources against Microsoft Graph.

fn main() {
    eprintln!("sds-operator: the controller arrives with the operator-core issue");
    std::process::exit(2);
}

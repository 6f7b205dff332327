//! sds-operator: reconciles SecurityGroupProvisioningFlow custom resources against Microsoft Graph.

pub mod config;
pub mod crd;

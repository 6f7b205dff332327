//! sds-operator: reconciles SecurityGroupProvisioningFlow custom resources against Microsoft Graph.

pub mod config;
pub mod controller;
pub mod crd;
pub mod graph;
pub mod reconcile;
pub mod telemetry;

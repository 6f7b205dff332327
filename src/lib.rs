//! sds-operator: reconciles SecurityGroupProvisioningFlow custom resources against Microsoft Graph.

pub mod admin;
pub mod config;
pub mod controller;
pub mod crd;
pub mod leader;
mod credentials_secret;
pub mod login;
pub mod metrics;
pub mod reconcile;
pub mod telemetry;

//! sds-operator: reconciles SecurityGroupProvisioningFlow custom resources against Microsoft Graph.

pub mod admin;
pub mod config;
pub mod controller;
pub mod crd;
mod credentials_secret;
pub mod leader;
pub mod login;
pub mod metrics;
pub mod reconcile;
pub mod telemetry;

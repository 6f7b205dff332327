//! The command line: subcommands and, later, every flag and environment variable, parsed once.

use clap::{Parser, Subcommand};

/// Kubernetes operator for Microsoft Graph School Data Sync security-group provisioning flows.
#[derive(Debug, Parser)]
#[command(name = "sds-operator", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The operator's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the SecurityGroupProvisioningFlow CustomResourceDefinition as YAML.
    Crd,
}

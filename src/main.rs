//! sds-operator: reconciles SecurityGroupProvisioningFlow custom resources against Microsoft Graph.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;
use sds_operator::config::{Cli, Command};
use sds_operator::crd;

fn main() -> ExitCode {
    match Cli::parse().command {
        Some(Command::Crd) => print_crd(),
        None => {
            eprintln!("sds-operator: the controller arrives with the operator-core issue");
            ExitCode::from(2)
        }
    }
}

fn print_crd() -> ExitCode {
    let written = crd::crd_yaml()
        .map_err(|error| error.to_string())
        .and_then(|yaml| {
            std::io::stdout()
                .write_all(yaml.as_bytes())
                .map_err(|error| error.to_string())
        });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sds-operator crd: {error}");
            ExitCode::FAILURE
        }
    }
}

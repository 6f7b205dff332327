//! Command-line flags of the `graph-emulator` binary, parsed into an [`EmulatorConfig`].

use std::path::PathBuf;

use crate::config::{ClientRegistration, EmulatorConfig};

/// Usage text printed by `--help` and after a flag error.
pub const USAGE: &str = "\
usage: graph-emulator [--listen ADDR] [--tls --ca-out PATH]
                      [--client TENANT:CLIENT_ID:SECRET]... [--flow-set ID]...
                      [--readiness-delay-ms N] [--page-size N] [--token-lifetime-secs N]
                      [--no-app-only-writes] [--lenient-casing]

Prints the base URL as the first line on stdout, logs to stderr, stops on SIGINT/SIGTERM.
Clients get the app role IndustryData-OutboundFlow.ReadWrite.All.";

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Run(Box<EmulatorConfig>),
    Help,
}

/// A flag the emulator cannot use.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CliError {
    #[error("unknown flag '{0}'")]
    UnknownFlag(String),
    #[error("flag '{0}' needs a value")]
    MissingValue(String),
    #[error("invalid value '{value}' for '{flag}'")]
    InvalidValue { flag: String, value: String },
    #[error("--tls needs --ca-out PATH to say where the CA certificate goes")]
    TlsWithoutCaOut,
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, CliError> {
    let mut config = EmulatorConfig::default();
    let mut tls = false;
    let mut ca_out: Option<PathBuf> = None;
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| CliError::MissingValue(flag.clone()))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--listen" => config.listen = parse_value(&flag, value()?)?,
            "--tls" => tls = true,
            "--ca-out" => ca_out = Some(PathBuf::from(value()?)),
            "--client" => config.clients.push(parse_client(&flag, value()?)?),
            "--flow-set" => config.flow_sets.push(value()?),
            "--readiness-delay-ms" => {
                config.settings.readiness_delay_ms = parse_value(&flag, value()?)?
            }
            "--page-size" => {
                config.settings.page_size = parse_value::<usize>(&flag, value()?)?.max(1)
            }
            "--token-lifetime-secs" => {
                config.settings.token_lifetime_secs = parse_value(&flag, value()?)?
            }
            "--no-app-only-writes" => config.settings.app_only_writes_allowed = false,
            "--lenient-casing" => config.settings.lenient_casing = true,
            _ => return Err(CliError::UnknownFlag(flag)),
        }
    }
    match (tls, ca_out) {
        (true, None) => return Err(CliError::TlsWithoutCaOut),
        (true, Some(path)) => config.tls = Some(path),
        (false, _) => {}
    }
    Ok(Command::Run(Box::new(config)))
}

fn parse_value<T: std::str::FromStr>(flag: &str, value: String) -> Result<T, CliError> {
    value.parse().map_err(|_| CliError::InvalidValue {
        flag: flag.to_owned(),
        value,
    })
}

fn parse_client(flag: &str, value: String) -> Result<ClientRegistration, CliError> {
    // The secret comes last so that it may itself contain ':'.
    match value.splitn(3, ':').collect::<Vec<_>>().as_slice() {
        [tenant, client, secret]
            if !tenant.is_empty() && !client.is_empty() && !secret.is_empty() =>
        {
            Ok(ClientRegistration::new(tenant, client, secret))
        }
        _ => Err(CliError::InvalidValue {
            flag: flag.to_owned(),
            value: "TENANT:CLIENT_ID:SECRET expected".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_every_flag() {
        let Command::Run(config) = parse(args(&[
            "--listen",
            "127.0.0.1:8080",
            "--tls",
            "--ca-out",
            "/tmp/ca.pem",
            "--client",
            "t:c:se:cret",
            "--flow-set",
            "f1",
            "--readiness-delay-ms",
            "0",
            "--page-size",
            "5",
            "--token-lifetime-secs",
            "60",
            "--no-app-only-writes",
            "--lenient-casing",
        ]))
        .unwrap() else {
            panic!("expected run");
        };
        assert_eq!(config.listen.port(), 8080);
        assert_eq!(config.tls, Some(PathBuf::from("/tmp/ca.pem")));
        assert_eq!(config.clients[0].client_secret, "se:cret");
        assert_eq!(config.flow_sets, ["f1"]);
        assert_eq!(config.settings.page_size, 5);
        assert!(!config.settings.app_only_writes_allowed);
        assert!(config.settings.lenient_casing);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(
            parse(args(&["--tls"])).unwrap_err(),
            CliError::TlsWithoutCaOut
        );
        assert!(matches!(
            parse(args(&["--bogus"])),
            Err(CliError::UnknownFlag(_))
        ));
        assert!(matches!(
            parse(args(&["--page-size"])),
            Err(CliError::MissingValue(_))
        ));
        assert!(matches!(
            parse(args(&["--client", "a:b"])),
            Err(CliError::InvalidValue { .. })
        ));
    }
}

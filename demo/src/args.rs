//! The demo's command line.

use std::path::PathBuf;

use clap::Parser;
use clap::builder::BoolishValueParser;

/// Runs sds-operator against a local control plane and a Graph emulator, applies examples/, and
/// shows the example going Ready and being reset.
#[derive(Debug, Parser)]
#[command(name = "sds-demo")]
pub struct Args {
    /// The sds-operator binary to run (build it with `cargo build --bin sds-operator`).
    #[arg(
        long,
        env = "SDS_DEMO_OPERATOR",
        default_value = "target/debug/sds-operator"
    )]
    pub operator: PathBuf,

    /// The checkout whose crds/ and examples/ are applied.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/.."))]
    pub repo: PathBuf,

    /// Exit as soon as the example has been shown, instead of running until Ctrl-C (for tests).
    #[arg(long, env = "SDS_DEMO_EXIT", value_parser = BoolishValueParser::new())]
    pub exit_when_done: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_when_done_is_a_plain_flag() {
        let args = Args::parse_from(["sds-demo", "--exit-when-done"]);
        assert!(args.exit_when_done);
        assert_eq!(args.operator, PathBuf::from("target/debug/sds-operator"));
        assert!(args.repo.join("examples").is_dir());
    }
}

//! sds-demo, the README's `make demo`: a local control plane and the Graph emulator, the real
//! sds-operator binary against them, and the example in `examples/` going Ready and being reset.
//! Then it prints what to try next and runs until Ctrl-C.

mod args;
mod error;
mod example;
mod kubectl;
mod next_steps;
mod operator;
mod session;
mod signal;
mod waiter;
mod walkthrough;

use std::process::ExitCode;

use clap::Parser as _;

#[tokio::main]
async fn main() -> ExitCode {
    match session::run(args::Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error::DemoError::Interrupted) => ExitCode::from(130),
        Err(_) => ExitCode::FAILURE,
    }
}

//! sds-operator: reconciles SecurityGroupProvisioningFlow custom resources against Microsoft Graph.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;
use sds_operator::config::{Cli, Command, CrdArgs, LoginArgs, RunArgs};
use std::sync::Arc;

use sds_operator::admin::{self, OperatorState};
use sds_operator::{controller, crd, telemetry};

/// jemalloc, not glibc's malloc: after a burst of creates glibc kept the freed memory of its
/// arenas, 60% more resident memory for the same live heap (README, Performance).
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Crd(args)) => write_crds(&args),
        Some(Command::Login(args)) => login(args),
        Some(Command::Run(args)) => run(args),
        None => run(cli.run),
    }
}

fn run(args: RunArgs) -> ExitCode {
    telemetry::init(args.log_format);
    let admin_address = args.admin_address;
    let config = match args.into_config() {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(%error, "invalid configuration");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "could not start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let client = match kube::Client::try_default().await {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(%error, "could not configure a Kubernetes client");
                return ExitCode::FAILURE;
            }
        };
        tracing::info!(namespace = ?config.namespace, graph = config.endpoints.graph(), "starting");
        let listener = match admin::bind(admin_address).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::error!(%error, %admin_address, "could not listen for the admin endpoints");
                return ExitCode::FAILURE;
            }
        };
        let state = Arc::new(OperatorState::new(config.concurrency));
        let (stopping, stopped) = tokio::sync::watch::channel(false);
        let admin = tokio::spawn(admin::serve(listener, state.clone(), async move {
            let mut stopped = stopped;
            let _ = stopped.wait_for(|stopping| *stopping).await;
        }));
        controller::run(client, config, state, shutdown_signal()).await;
        let _ = stopping.send(true);
        match admin.await {
            Ok(Err(error)) => tracing::error!(%error, "the admin endpoints failed"),
            Err(error) => tracing::error!(%error, "the admin endpoints panicked"),
            Ok(Ok(())) => {}
        }
        tracing::info!("stopped");
        ExitCode::SUCCESS
    })
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// `sds-operator login`: device-code sign-in, refresh token stored in a Secret.
fn login(args: LoginArgs) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("sds-operator login: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let request = args.into_request();
    match runtime.block_on(sds_operator::login::login(&request, &mut std::io::stdout())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sds-operator login: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `sds-operator crd`: every CRD on stdout as YAML documents, or one file each in `--dir`.
fn write_crds(args: &CrdArgs) -> ExitCode {
    match crds(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sds-operator crd: {error}");
            ExitCode::FAILURE
        }
    }
}

fn crds(args: &CrdArgs) -> Result<(), String> {
    let mut documents = Vec::new();
    for definition in crd::custom_resource_definitions() {
        let yaml = crd::crd_yaml(&definition).map_err(|error| error.to_string())?;
        match &args.dir {
            Some(dir) => {
                let path = dir.join(format!(
                    "{}.yaml",
                    definition.metadata.name.unwrap_or_default()
                ));
                std::fs::write(&path, yaml)
                    .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
            }
            None => documents.push(yaml),
        }
    }
    std::io::stdout()
        .write_all(documents.join("---\n").as_bytes())
        .map_err(|error| error.to_string())
}

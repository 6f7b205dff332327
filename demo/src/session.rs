//! The demo from start to finish: start the control plane and the emulator, install the CRD, run the
//! operator, apply the example, show it going Ready and being reset, print what to try next, then
//! wait for Ctrl-C and stop everything. Ctrl-C at any step stops everything too.

use std::path::Path;
use std::time::Duration;

use graph_emulator::{ClientRegistration, Emulator, EmulatorConfig, Settings};
use sds_test_support::ControlPlane;

use crate::args::Args;
use crate::error::DemoError;
use crate::example::Example;
use crate::kubectl::Kubectl;
use crate::next_steps::NextSteps;
use crate::operator::{OperatorEnvironment, OperatorProcess};
use crate::signal;
use crate::waiter::{Resource, Waiter};
use crate::walkthrough;

/// The demo application registered in the emulator. Not a real tenant or credential.
const DEMO_TENANT_ID: &str = "demo-district.example";
const DEMO_CLIENT_ID: &str = "00000000-0000-0000-0000-00000000de30";
const DEMO_CLIENT_SECRET: &str = "demo-secret-not-a-real-credential";

/// Long enough to see notReady before ready; short enough not to bore.
const READINESS_DELAY: Duration = Duration::from_secs(4);
/// The label that lets the operator read a Secret as a Graph credential.
const CREDENTIAL_LABEL: &str = "industrydata.sds-operator.io/credential";
const CRD_NAMES: [&str; 6] = [
    "outboundprovisioningflowsets.industrydata.sds-operator.io",
    "securitygroupprovisioningflows.industrydata.sds-operator.io",
    "administrativeunitprovisioningflows.industrydata.sds-operator.io",
    "classgroupprovisioningflows.industrydata.sds-operator.io",
    "userprovisioningflows.industrydata.sds-operator.io",
    "credentialgrants.industrydata.sds-operator.io",
];

/// Runs the demo, reporting a failure before everything is stopped so it is not buried.
pub async fn run(args: Args) -> Result<(), DemoError> {
    let example = Example::read(&args.repo).inspect_err(report)?;
    if !args.operator.is_file() {
        let error = DemoError::OperatorMissing(args.operator.clone());
        report(&error);
        return Err(error);
    }
    let mut session = tokio::select! {
        started = Session::start() => started,
        () = signal::shutdown() => Err(DemoError::Interrupted),
    }
    .inspect_err(report)?;
    let result = session.show_and_wait(&args, &example).await;
    if let Err(error) = &result {
        report(error);
    }
    session.stop().await;
    println!("Stopped.");
    result
}

fn report(error: &DemoError) {
    match error {
        DemoError::Interrupted => println!("\nInterrupted."),
        other => eprintln!("\nsds-demo failed: {other}"),
    }
}

/// What the demo started; dropping it also stops everything, less gracefully than `stop`.
struct Session {
    control_plane: ControlPlane,
    emulator: Emulator,
    operator: Option<OperatorProcess>,
}

impl Session {
    /// Step 1: the control plane, and the emulator with the demo application registered.
    async fn start() -> Result<Self, DemoError> {
        step(
            1,
            "Starting a local control plane (etcd + kube-apiserver) and the Graph emulator",
        );
        let control_plane = ControlPlane::start().await?;
        println!("API server:     {}", control_plane.server_url());
        let emulator = Emulator::start(EmulatorConfig {
            clients: vec![ClientRegistration::new(
                DEMO_TENANT_ID,
                DEMO_CLIENT_ID,
                DEMO_CLIENT_SECRET,
            )],
            settings: Settings {
                readiness_delay_ms: READINESS_DELAY.as_millis().try_into().unwrap_or(u64::MAX),
                ..Settings::default()
            },
            ..EmulatorConfig::default()
        })
        .await?;
        println!("Graph emulator: {}", emulator.base_url());
        println!(
            "  demo application {DEMO_CLIENT_ID} in tenant {DEMO_TENANT_ID}; no flow set yet: \
             the operator creates the examples' one"
        );
        println!(
            "  flows report notReady for {}s after create or reset, then ready",
            READINESS_DELAY.as_secs()
        );
        Ok(Self {
            control_plane,
            emulator,
            operator: None,
        })
    }

    /// Steps 2 to 6; unless told to exit, then waits for Ctrl-C. Ctrl-C at any step ends it.
    async fn show_and_wait(&mut self, args: &Args, example: &Example) -> Result<(), DemoError> {
        let next_steps = tokio::select! {
            shown = self.show_example(args, example) => shown?,
            () = signal::shutdown() => return Err(DemoError::Interrupted),
        };
        next_steps.print(args.exit_when_done);
        if args.exit_when_done {
            return Ok(());
        }
        self.run_until_signal().await
    }

    /// Steps 2 to 5, and what step 6 prints.
    async fn show_example(
        &mut self,
        args: &Args,
        example: &Example,
    ) -> Result<NextSteps, DemoError> {
        let kubectl = Kubectl::new(&self.control_plane, &args.repo);
        step(2, "Installing the CRDs from crds/");
        kubectl
            .show(&["apply", "--server-side", "-f", "crds/"])
            .await?;
        for crd in CRD_NAMES {
            kubectl
                .show(&[
                    "wait",
                    "--for=condition=Established",
                    "--timeout=60s",
                    &format!("crd/{crd}"),
                ])
                .await?;
        }

        step(3, "Starting sds-operator against the emulator");
        let log = self.control_plane.scratch_dir().join("sds-operator.log");
        let environment = OperatorEnvironment {
            kubeconfig: self.control_plane.admin_kubeconfig(),
            emulator_url: self.emulator.base_url(),
            tenant_id: DEMO_TENANT_ID,
            client_id: DEMO_CLIENT_ID,
            client_secret: DEMO_CLIENT_SECRET,
        };
        let operator =
            self.operator
                .insert(OperatorProcess::spawn(&args.operator, &environment, log)?);
        println!("{}", args.operator.display());
        println!("  Graph and sign-in: {}", self.emulator.base_url());
        println!("  log: {}", operator.log_path().display());

        step(
            4,
            "Creating the examples' credential Secret, then applying examples/",
        );
        let namespace = example.namespace.as_str();
        kubectl.show(&["create", "namespace", namespace]).await?;
        create_credentials_secret(kubectl, example).await?;
        kubectl.show(&["apply", "-f", "examples/"]).await?;

        step(5, "Watching the examples go Ready, then resetting one");
        walkthrough::flow_set_ready(kubectl, namespace, &example.flow_set).await?;
        let resource = Resource {
            kind_name: format!("sgpf/{}", example.name),
            namespace,
        };
        let mut waiter = Waiter {
            kubectl,
            operator,
            resource: &resource,
        };
        let flow_id = walkthrough::ready_then_reset(&mut waiter).await?;
        walkthrough::every_kind_ready(kubectl, namespace).await?;
        Ok(NextSteps {
            kubeconfig: self.control_plane.admin_kubeconfig().to_path_buf(),
            kubectl_dir: parent_dir(&self.control_plane.binaries().kubectl),
            example: example.clone(),
            emulator_url: self.emulator.base_url().to_owned(),
            flow_id,
            operator_log: waiter.operator.log_path().to_path_buf(),
        })
    }

    /// Runs until SIGINT or SIGTERM; an operator that dies meanwhile ends the demo with its log.
    async fn run_until_signal(&mut self) -> Result<(), DemoError> {
        let Some(operator) = self.operator.as_mut() else {
            return Ok(());
        };
        tokio::select! {
            () = signal::shutdown() => Ok(()),
            status = operator.exited() => Err(operator.exited_error(status)),
        }
    }

    /// Stops the operator first (it talks to both others), then the emulator, then the control plane.
    async fn stop(self) {
        println!("\nStopping the operator, the Graph emulator and the control plane...");
        if let Some(operator) = self.operator
            && let Err(problem) = operator.stop().await
        {
            eprintln!("{problem}");
        }
        match tokio::time::timeout(Duration::from_secs(10), self.emulator.shutdown()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("the Graph emulator stopped with an error: {error}"),
            Err(_) => eprintln!("the Graph emulator did not stop within 10s; leaving it to exit"),
        }
        // Dropping it ends etcd and kube-apiserver; its directory goes when this process exits.
        drop(self.control_plane);
    }
}

/// The Secret the examples sign in with: the demo application's credential, which a real
/// district creates the same way from its own app registration, never from Git.
async fn create_credentials_secret(
    kubectl: Kubectl<'_>,
    example: &Example,
) -> Result<(), DemoError> {
    let secret = example.credentials_secret.as_str();
    let namespace = example.namespace.as_str();
    kubectl
        .show(&[
            "create",
            "secret",
            "generic",
            secret,
            "-n",
            namespace,
            &format!("--from-literal=tenantId={DEMO_TENANT_ID}"),
            &format!("--from-literal=clientId={DEMO_CLIENT_ID}"),
            &format!("--from-literal=clientSecret={DEMO_CLIENT_SECRET}"),
        ])
        .await?;
    kubectl
        .show(&[
            "label",
            "secret",
            secret,
            "-n",
            namespace,
            &format!("{CREDENTIAL_LABEL}=true"),
        ])
        .await
        .map(drop)
}

fn parent_dir(path: &Path) -> std::path::PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn step(number: u8, title: &str) {
    println!("\n==> {number}/6  {title}");
}

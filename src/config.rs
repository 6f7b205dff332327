//! The command line: subcommands, and every flag and environment variable, parsed once into a
//! typed [`Config`]. Nothing else in the operator reads the environment.

mod credential;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use graph::{
    AssertionAlgorithm, Credential, CredentialError, EndpointError, GraphEndpoints, SecretString,
};

use crate::crd::DeletionPolicy;
use crate::leader::LeaseSettings;
use credential::{EnvironmentCredential, EnvironmentCredentialError};

/// Kubernetes operator for Microsoft Graph School Data Sync security-group provisioning flows.
#[derive(Debug, Parser)]
#[command(
    name = "sds-operator",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do; without a subcommand the operator runs.
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,
}

/// The operator's subcommands.
#[allow(clippy::large_enum_variant, reason = "parsed once at startup")]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the controller (the default).
    Run(RunArgs),
    /// Print the CustomResourceDefinitions as YAML documents, or write one file per CRD.
    Crd(CrdArgs),
    /// Sign a user in with the device-code flow and store the refresh token in a Secret, for a
    /// delegated credential (tenants that refuse app-only writes).
    Login(LoginArgs),
}

/// Flags of `sds-operator crd`.
#[derive(Debug, Clone, Args)]
pub struct CrdArgs {
    /// Write each CRD to `<DIR>/<its name>.yaml` instead of printing them all.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
}

/// Flags of `sds-operator login`. The Secret is written through the kubeconfig's cluster.
#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    /// Tenant (directory) id or domain to sign in to.
    #[arg(long)]
    pub tenant_id: String,
    /// Application (client) id, registered with "Allow public client flows".
    #[arg(long)]
    pub client_id: String,
    /// Namespace of the Secret to write.
    #[arg(long)]
    pub namespace: String,
    /// Name of the Secret to create or update (keys tenantId, clientId, refreshToken).
    #[arg(long)]
    pub secret: String,
    /// Microsoft identity platform host. Plain http is refused except to loopback.
    #[arg(
        long,
        env = "AZURE_AUTHORITY_HOST",
        default_value = "https://login.microsoftonline.com"
    )]
    pub authority_host: String,
    /// Delegated scopes to ask for; keep offline_access, which brings the refresh token.
    #[arg(long, default_value = crate::login::DEFAULT_LOGIN_SCOPE)]
    pub scope: String,
}

impl LoginArgs {
    pub fn into_request(self) -> crate::login::LoginRequest {
        crate::login::LoginRequest {
            tenant_id: self.tenant_id,
            client_id: self.client_id,
            namespace: self.namespace,
            secret: self.secret,
            authority_host: self.authority_host,
            scope: self.scope,
        }
    }
}

/// Flags of the controller; each has an environment variable for container deployments.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Microsoft Graph base URL (the client adds /beta). Plain http is refused except to loopback.
    #[arg(
        long,
        env = "SDS_GRAPH_ENDPOINT",
        default_value = "https://graph.microsoft.com"
    )]
    pub graph_endpoint: String,

    /// Microsoft identity platform host that issues tokens.
    #[arg(
        long,
        env = "AZURE_AUTHORITY_HOST",
        default_value = "https://login.microsoftonline.com"
    )]
    pub authority_host: String,

    /// Watch only this namespace (default: all namespaces).
    #[arg(long, env = "SDS_WATCH_NAMESPACE")]
    pub namespace: Option<String>,

    /// Deletion policy for resources that do not set spec.deletionPolicy. Orphan by default:
    /// nothing is deleted in Graph unless someone asked for it.
    #[arg(long, env = "SDS_DEFAULT_DELETION_POLICY", value_enum, default_value_t = DeletionPolicyArg::Orphan)]
    pub default_deletion_policy: DeletionPolicyArg,

    /// How often a settled flow is read from Graph again (jittered by ±10%), e.g. 10m.
    #[arg(long, env = "SDS_RESYNC_PERIOD", default_value = "10m", value_parser = parse_duration)]
    pub resync_period: Duration,

    /// How often a flow is read while a change is expected (after a write, while notReady).
    #[arg(long, env = "SDS_POLL_INTERVAL", default_value = "15s", value_parser = parse_duration)]
    pub poll_interval: Duration,

    /// After this long without a successful Graph read, Ready turns Unknown (reason Stale)
    /// instead of vouching for old data.
    #[arg(long, env = "SDS_FRESHNESS_WINDOW", default_value = "15m", value_parser = parse_duration)]
    pub freshness_window: Duration,

    /// Shortest time between two resets of one flow: a reset token that arrives sooner waits,
    /// and the resource's status says until when. A reset makes SDS reprovision the flow.
    #[arg(long, env = "SDS_MIN_RESET_INTERVAL", default_value = "5m", value_parser = parse_duration)]
    pub min_reset_interval: Duration,

    /// Timeout of one Graph or token request.
    #[arg(long, env = "SDS_GRAPH_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub graph_timeout: Duration,

    /// Resources reconciled at once, all kinds together.
    #[arg(long, env = "SDS_CONCURRENCY", default_value_t = 16)]
    pub concurrency: u16,

    /// Address of the admin endpoints: /healthz, /readyz and /metrics.
    #[arg(long, env = "SDS_ADMIN_ADDRESS", default_value = "0.0.0.0:8080")]
    pub admin_address: std::net::SocketAddr,

    /// Log format.
    #[arg(long, env = "SDS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Removed: CredentialGrants say which namespaces may use the operator's own credential. Still
    /// read, so that an old setting stops the operator with a message instead of being ignored.
    #[arg(long, env = "SDS_DEFAULT_CREDENTIAL_NAMESPACES", hide = true)]
    pub default_credential_namespaces: Option<String>,

    /// Take part in leader election on the Lease sds-operator-leader, so that of several replicas
    /// only one works at a time. Switch it off only for a single instance run by hand.
    #[arg(long, env = "SDS_LEADER_ELECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub leader_election: bool,

    /// Namespace of the Lease: the operator's own (in a Pod, read from its service account when
    /// not set).
    #[arg(long, env = "POD_NAMESPACE")]
    pub leader_election_namespace: Option<String>,

    /// How long the leader's lease holds after its last renewal: a standby takes over a silent
    /// leader after this long.
    #[arg(long, env = "SDS_LEASE_DURATION", default_value = "15s", value_parser = parse_duration)]
    pub lease_duration: Duration,

    /// The leader stops working when it could not renew its lease for this long (shorter than
    /// the lease duration, so that it has stopped before a standby starts).
    #[arg(long, env = "SDS_LEASE_RENEW_DEADLINE", default_value = "10s", value_parser = parse_duration)]
    pub lease_renew_deadline: Duration,

    /// How often a standby looks at the Lease, and the leader retries a failed renewal.
    #[arg(long, env = "SDS_LEASE_RETRY_PERIOD", default_value = "2s", value_parser = parse_duration)]
    pub lease_retry_period: Duration,

    /// Name of this operator instance in events and in the Lease (the Pod's name in a cluster).
    #[arg(long, env = "POD_NAME")]
    pub instance: Option<String>,

    /// Tenant of the operator's own credential, used by resources without credentialsSecretRef.
    #[arg(long, env = "AZURE_TENANT_ID")]
    pub tenant_id: Option<String>,

    /// Application (client) id of the operator's own credential.
    #[arg(long, env = "AZURE_CLIENT_ID")]
    pub client_id: Option<String>,

    /// Client secret of the operator's own credential (environment only, never a flag). Held as
    /// a `SecretString` from the moment it is read, so no `Debug` of the arguments shows it.
    #[arg(skip = std::env::var("AZURE_CLIENT_SECRET").ok().map(SecretString::new))]
    pub client_secret: Option<SecretString>,

    /// PEM file with the private key and certificate of the operator's own credential, as the
    /// Azure SDKs read it (used when no client secret is set).
    #[arg(long, env = "AZURE_CLIENT_CERTIFICATE_PATH")]
    pub client_certificate_path: Option<PathBuf>,

    /// Client-assertion form for that certificate: RS256 (x5t) or PS256 (x5t#S256).
    #[arg(long, env = "SDS_CLIENT_ASSERTION_ALGORITHM", default_value = "RS256")]
    pub client_assertion_algorithm: AssertionAlgorithm,

    /// Azure Workload Identity's projected service-account token (used when neither a secret nor
    /// a certificate is set), read again before every token request.
    #[arg(long, env = "AZURE_FEDERATED_TOKEN_FILE")]
    pub federated_token_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DeletionPolicyArg {
    Delete,
    Orphan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// The controller's settings, typed and checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub endpoints: GraphEndpoints,
    pub namespace: Option<String>,
    pub default_deletion_policy: DeletionPolicy,
    pub resync_period: Duration,
    pub poll_interval: Duration,
    pub freshness_window: Duration,
    pub min_reset_interval: Duration,
    pub graph_timeout: Duration,
    pub concurrency: u16,
    pub instance: Option<String>,
    /// The operator's own credential, if it has one; CredentialGrants say who may use it.
    pub default_credential: Option<Credential>,
    /// Leader election; `None` when switched off (one instance that always works).
    pub leader_election: Option<LeaseSettings>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    #[error("the operator's own credential (AZURE_* environment variables): {0}")]
    Credential(#[from] CredentialError),
    #[error(
        "the operator's own credential is incomplete: {}",
        EnvironmentCredentialError::Incomplete
    )]
    PartialCredential,
    #[error(
        "--default-credential-namespaces (SDS_DEFAULT_CREDENTIAL_NAMESPACES) was removed: write a CredentialGrant for the namespaces {0:?} instead (README: Credentials, \"Migrating from --default-credential-namespaces\") and unset it"
    )]
    RemovedNamespaceList(String),
    #[error(
        "leader election needs the namespace of its Lease: set POD_NAMESPACE or --leader-election-namespace (the chart does), or --leader-election=false for a single instance"
    )]
    LeaseNamespace,
    #[error(
        "lease timings must satisfy retry period ({retry:?}) < renew deadline ({renew:?}) < lease duration ({duration:?})"
    )]
    LeaseTimings {
        retry: Duration,
        renew: Duration,
        duration: Duration,
    },
}

impl RunArgs {
    pub fn into_config(self) -> Result<Config, Error> {
        if let Some(namespaces) = self
            .default_credential_namespaces
            .as_ref()
            .filter(|namespaces| !namespaces.trim().is_empty())
        {
            return Err(Error::RemovedNamespaceList(namespaces.clone()));
        }
        let leader_election = self
            .leader_election
            .then(|| self.lease_settings())
            .transpose()?;
        let default_credential = EnvironmentCredential {
            tenant_id: self.tenant_id,
            client_id: self.client_id,
            client_secret: self.client_secret,
            client_certificate_path: self.client_certificate_path,
            assertion_algorithm: self.client_assertion_algorithm,
            federated_token_file: self.federated_token_file,
        }
        .into_credential()
        .map_err(|error| match error {
            EnvironmentCredentialError::Incomplete => Error::PartialCredential,
            EnvironmentCredentialError::Credential(error) => Error::Credential(error),
        })?;
        Ok(Config {
            endpoints: GraphEndpoints::new(&self.graph_endpoint, &self.authority_host)?,
            namespace: self.namespace,
            default_deletion_policy: match self.default_deletion_policy {
                DeletionPolicyArg::Delete => DeletionPolicy::Delete,
                DeletionPolicyArg::Orphan => DeletionPolicy::Orphan,
            },
            resync_period: self.resync_period,
            poll_interval: self.poll_interval,
            freshness_window: self.freshness_window,
            min_reset_interval: self.min_reset_interval,
            graph_timeout: self.graph_timeout,
            concurrency: self.concurrency,
            instance: self.instance,
            default_credential,
            leader_election,
        })
    }

    fn lease_settings(&self) -> Result<LeaseSettings, Error> {
        let (retry, renew, duration) = (
            self.lease_retry_period,
            self.lease_renew_deadline,
            self.lease_duration,
        );
        if !(Duration::ZERO < retry && retry < renew && renew < duration) {
            return Err(Error::LeaseTimings {
                retry,
                renew,
                duration,
            });
        }
        let namespace = self
            .leader_election_namespace
            .clone()
            .filter(|namespace| !namespace.is_empty())
            .or_else(|| {
                std::fs::read_to_string(SERVICE_ACCOUNT_NAMESPACE)
                    .ok()
                    .map(|namespace| namespace.trim().to_owned())
            })
            .ok_or(Error::LeaseNamespace)?;
        Ok(LeaseSettings {
            namespace,
            identity: self
                .instance
                .clone()
                .unwrap_or_else(|| format!("sds-operator-{}", uuid::Uuid::new_v4())),
            duration,
            renew_deadline: renew,
            retry_period: retry,
        })
    }
}

/// Where a Pod finds its own namespace.
const SERVICE_ACCOUNT_NAMESPACE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// Parses `90`, `90s`, `15m`, `2h` or `1d`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 30s, 10m or 1h"))?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: the unit must be s, m, h or d")),
    };
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long a duration"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_the_usual_units() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("ten minutes").is_err());
        assert!(parse_duration("5w").is_err());
        assert!(parse_duration("18446744073709551615d").is_err());
    }

    #[test]
    fn defaults_point_at_the_global_cloud_and_orphan_on_delete() {
        let cli = Cli::parse_from(["sds-operator"]);
        assert!(cli.command.is_none());
        assert_eq!(cli.run.graph_endpoint, "https://graph.microsoft.com");
        assert_eq!(cli.run.authority_host, "https://login.microsoftonline.com");
        assert_eq!(cli.run.resync_period, Duration::from_secs(600));
        assert_eq!(cli.run.min_reset_interval, Duration::from_secs(300));
        assert!(matches!(
            cli.run.default_deletion_policy,
            DeletionPolicyArg::Orphan
        ));
    }

    /// The run arguments for application `app` of tenant `contoso.example`, with `extra` flags.
    fn app_args(extra: &[&str]) -> RunArgs {
        let ids = [
            "sds-operator",
            "--tenant-id",
            "contoso.example",
            "--client-id",
            "app",
            "--leader-election-namespace",
            "sds-operator",
        ];
        Cli::parse_from(ids.iter().chain(extra)).run
    }

    #[test]
    fn the_client_secret_never_shows_in_the_arguments_or_the_config() {
        let mut args = app_args(&[]);
        args.client_secret = Some(SecretString::new("s3cret-Value~42"));
        let shown = format!("{args:?}");
        assert!(!shown.contains("s3cret-Value~42"), "{shown}");
        let config = args.into_config().expect("a client-secret credential");
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret-Value~42"), "{shown}");
        assert!(config.default_credential.is_some());
    }

    #[test]
    fn a_partial_credential_is_refused() {
        let mut args = Cli::parse_from([
            "sds-operator",
            "--tenant-id",
            "contoso.example",
            "--leader-election=false",
        ])
        .run;
        args.client_id = None;
        args.client_secret = None;
        assert!(matches!(args.into_config(), Err(Error::PartialCredential)));
    }

    #[test]
    fn the_removed_namespace_list_stops_the_operator_with_the_way_to_migrate() {
        let args = Cli::parse_from(["sds-operator", "--default-credential-namespaces", "sds"]).run;
        let error = args.into_config().expect_err("refused").to_string();
        assert!(error.contains("write a CredentialGrant"), "{error}");
        assert!(error.contains("\"sds\""), "{error}");
        let empty = Cli::parse_from([
            "sds-operator",
            "--default-credential-namespaces",
            "",
            "--leader-election=false",
        ])
        .run;
        assert!(
            empty.into_config().is_ok(),
            "an empty value (old charts) is harmless"
        );
    }

    #[test]
    fn the_federated_token_file_makes_a_workload_identity_credential() {
        let mut args = app_args(&[
            "--federated-token-file",
            "/var/run/secrets/azure/tokens/azure-identity-token",
            "--client-assertion-algorithm",
            "ps256",
        ]);
        assert_eq!(args.client_assertion_algorithm, AssertionAlgorithm::Ps256);
        args.client_secret = None;
        let config = args.into_config().unwrap();
        assert!(matches!(
            config.default_credential,
            Some(Credential::WorkloadIdentity { .. })
        ));
    }

    #[test]
    fn leader_election_is_on_by_default_with_the_pod_as_its_identity() {
        let mut args = app_args(&["--instance", "sds-operator-7d9f-x2"]);
        args.client_secret = Some(SecretString::new("s3cret"));
        let settings = args
            .into_config()
            .expect("config")
            .leader_election
            .expect("leader election on");
        assert_eq!(settings.namespace, "sds-operator");
        assert_eq!(settings.identity, "sds-operator-7d9f-x2");
        assert_eq!(
            (
                settings.duration,
                settings.renew_deadline,
                settings.retry_period
            ),
            (
                Duration::from_secs(15),
                Duration::from_secs(10),
                Duration::from_secs(2)
            )
        );
        let mut off = app_args(&["--leader-election=false"]);
        off.client_secret = Some(SecretString::new("s3cret"));
        assert!(off.into_config().expect("config").leader_election.is_none());
    }

    #[test]
    fn lease_timings_that_would_let_two_leaders_overlap_are_refused() {
        for timings in [
            ["--lease-renew-deadline", "15s"],
            ["--lease-retry-period", "10s"],
            ["--lease-duration", "5s"],
        ] {
            let error = app_args(&timings).into_config().expect_err("refused");
            assert!(
                matches!(error, Error::LeaseTimings { .. }),
                "{timings:?}: {error}"
            );
        }
    }

    #[test]
    fn crd_is_a_subcommand() {
        assert!(matches!(
            Cli::parse_from(["sds-operator", "crd"]).command,
            Some(Command::Crd(CrdArgs { dir: None }))
        ));
        assert!(matches!(
            Cli::parse_from(["sds-operator", "crd", "--dir", "crds"]).command,
            Some(Command::Crd(CrdArgs { dir: Some(_) }))
        ));
    }
}

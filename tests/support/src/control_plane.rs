//! A real etcd and kube-apiserver on free loopback ports: secure serving with generated
//! certificates, RBAC authorization, a service-account issuer and signing key.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::PostParams;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use serde_json::json;

use crate::Error;
use crate::binaries::Binaries;
use crate::pki::Pki;
use crate::process::{ManagedProcess, ProcessSpec, free_port, remove_on_exit};

const STARTUP_DEADLINE: Duration = Duration::from_secs(120);
/// A killed process is normally gone within milliseconds.
const LOG_TAIL_LINES: usize = 60;
const AUDIT_POLICY: &str = "audit-policy.yaml";
const AUDIT_LOG: &str = "audit.log";

/// A running control plane. Its processes and files go away when the process that started it exits.
///
/// Both processes can be restarted in place ([`restart_apiserver`](Self::restart_apiserver),
/// [`restart_etcd`](Self::restart_etcd)): same ports, data directory and certificates, so that
/// clients keep working once the restarted process is ready.
#[derive(Debug)]
pub struct ControlPlane {
    dir: PathBuf,
    binaries: Binaries,
    pki: Pki,
    /// Behind locks so that a shared (`&'static`) control plane can be restarted; a lock is
    /// held only for short synchronous steps, never across an await.
    etcd: Mutex<ManagedProcess>,
    apiserver: Mutex<ManagedProcess>,
    etcd_health_url: String,
    server_url: String,
    admin_kubeconfig: PathBuf,
}

impl ControlPlane {
    /// Starts etcd, then kube-apiserver, and returns once `/readyz` answers 200.
    pub async fn start() -> Result<Self, Error> {
        let binaries = Binaries::locate()?;
        let dir = std::env::temp_dir().join(format!(
            "sds-control-plane-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).map_err(Error::io("create", &dir))?;
        remove_on_exit(&dir)?;
        let pki = Pki::generate(&dir.join("pki"))?;
        let policy = dir.join(AUDIT_POLICY);
        std::fs::write(&policy, crate::audit::POLICY).map_err(Error::io("write", &policy))?;

        let etcd_url = format!("http://127.0.0.1:{}", free_port()?);
        let peer_url = format!("http://127.0.0.1:{}", free_port()?);
        let etcd = Mutex::new(ManagedProcess::spawn(ProcessSpec {
            args: vec![
                "--name=test".into(),
                format!("--data-dir={}", dir.join("etcd").display()),
                format!("--listen-client-urls={etcd_url}"),
                format!("--advertise-client-urls={etcd_url}"),
                format!("--listen-peer-urls={peer_url}"),
                format!("--initial-advertise-peer-urls={peer_url}"),
                format!("--initial-cluster=test={peer_url}"),
                "--unsafe-no-fsync".into(),
                "--log-level=warn".into(),
            ],
            ..ProcessSpec::new("etcd", &binaries.etcd, dir.join("etcd.log"))
        })?);
        let etcd_health_url = format!("{etcd_url}/health");
        wait_ready(&etcd, &reqwest::Client::new(), &etcd_health_url).await?;

        let port = free_port()?;
        let server_url = format!("https://127.0.0.1:{port}");
        let apiserver = Mutex::new(ManagedProcess::spawn(ProcessSpec {
            args: apiserver_args(&dir, &pki, &etcd_url, port),
            ..ProcessSpec::new(
                "kube-apiserver",
                &binaries.kube_apiserver,
                dir.join("kube-apiserver.log"),
            )
        })?);
        wait_ready(
            &apiserver,
            &trusting(&pki.ca_pem)?,
            &format!("{server_url}/readyz"),
        )
        .await?;

        let admin_kubeconfig = dir.join("admin.kubeconfig");
        let admin_user = json!({
            "client-certificate-data": base64(&pki.admin_cert_pem),
            "client-key-data": base64(&pki.admin_key_pem),
        });
        write_kubeconfig(
            &admin_kubeconfig,
            &server_url,
            &pki.ca_pem,
            "admin",
            admin_user,
        )?;

        Ok(Self {
            dir,
            binaries,
            pki,
            etcd,
            apiserver,
            etcd_health_url,
            server_url,
            admin_kubeconfig,
        })
    }

    /// Kills kube-apiserver (SIGKILL, like a crash) and starts it again on the same port with the
    /// same certificates and etcd; returns once `/readyz` answers 200. Clients made before keep
    /// working. Every test of the binary sees the outage, so tests that restart belong in a
    /// test binary of their own.
    pub async fn restart_apiserver(&self) -> Result<(), Error> {
        restart(&self.apiserver)?;
        self.wait_apiserver_ready().await
    }

    /// Kills etcd (SIGKILL) and starts it again with the same data directory and ports; returns
    /// once etcd is healthy and kube-apiserver, which stays up, is ready again.
    pub async fn restart_etcd(&self) -> Result<(), Error> {
        restart(&self.etcd)?;
        wait_ready(&self.etcd, &reqwest::Client::new(), &self.etcd_health_url).await?;
        self.wait_apiserver_ready().await
    }

    async fn wait_apiserver_ready(&self) -> Result<(), Error> {
        let url = format!("{}/readyz", self.server_url);
        wait_ready(&self.apiserver, &trusting(&self.pki.ca_pem)?, &url).await
    }

    /// `https://127.0.0.1:PORT`
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// A kubeconfig for the admin user (group `system:masters`), for kubectl, helm or the operator.
    pub fn admin_kubeconfig(&self) -> &Path {
        &self.admin_kubeconfig
    }

    /// The CA that signed the API server's certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.pki.ca_pem
    }

    /// The `iss` of the service-account tokens this API server mints (its own URL).
    pub fn service_account_issuer(&self) -> &str {
        &self.server_url
    }

    /// The PEM public key (`PUBLIC KEY`, ECDSA P-256) that verifies those tokens, as an external
    /// relying party such as Entra ID would fetch it from the issuer's JWKS.
    pub fn service_account_public_key_path(&self) -> &Path {
        &self.pki.service_account_public_key
    }

    pub fn binaries(&self) -> &Binaries {
        &self.binaries
    }

    /// A directory that lives as long as the control plane, for a test's own files.
    pub fn scratch_dir(&self) -> &Path {
        &self.dir
    }

    /// A client with full rights. Create one per tokio runtime (each `#[tokio::test]` has its own).
    pub async fn admin_client(&self) -> Result<Client, Error> {
        client_from_kubeconfig(&self.admin_kubeconfig).await
    }

    /// Mints a token for `namespace/service_account` through the TokenRequest API and returns it
    /// with the path of a kubeconfig that uses it. The token is valid for an hour.
    pub async fn service_account_kubeconfig(
        &self,
        admin: &Client,
        namespace: &str,
        service_account: &str,
    ) -> Result<(String, PathBuf), Error> {
        let request = TokenRequest {
            // No audiences: the token then carries the API server's own audience and authenticates there.
            spec: TokenRequestSpec {
                audiences: Vec::new(),
                expiration_seconds: Some(3600),
                ..Default::default()
            },
            ..Default::default()
        };
        let response = Api::<ServiceAccount>::namespaced(admin.clone(), namespace)
            .create_token_request(service_account, &PostParams::default(), &request)
            .await?;
        let token = response
            .status
            .map(|status| status.token)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| Error::NoToken(format!("{namespace}/{service_account}")))?;
        let path = self
            .dir
            .join(format!("{namespace}-{service_account}.kubeconfig"));
        write_kubeconfig(
            &path,
            &self.server_url,
            &self.pki.ca_pem,
            service_account,
            json!({ "token": token }),
        )?;
        Ok((token, path))
    }

    /// The writes the API server answered for ServiceAccount `namespace/service_account`, from
    /// its audit log (which records ServiceAccounts' writes only).
    pub fn audited_writes(
        &self,
        namespace: &str,
        service_account: &str,
    ) -> Result<Vec<crate::AuditedWrite>, Error> {
        crate::audit::writes_by(
            &self.dir.join(AUDIT_LOG),
            &format!("system:serviceaccount:{namespace}:{service_account}"),
        )
    }

    /// A client that acts as `namespace/service_account`, limited to what RBAC grants it.
    pub async fn service_account_client(
        &self,
        admin: &Client,
        namespace: &str,
        service_account: &str,
    ) -> Result<Client, Error> {
        let (_, kubeconfig) = self
            .service_account_kubeconfig(admin, namespace, service_account)
            .await?;
        client_from_kubeconfig(&kubeconfig).await
    }

    /// `kubectl` pointed at this control plane as admin.
    pub fn kubectl(&self) -> Command {
        let mut command = Command::new(&self.binaries.kubectl);
        command.env("KUBECONFIG", &self.admin_kubeconfig);
        command
    }

    /// `helm` pointed at this control plane as admin, with its cache and config kept in the scratch
    /// directory so tests never read or write the user's own Helm setup.
    pub fn helm(&self) -> Command {
        let mut command = Command::new(&self.binaries.helm);
        let home = self.dir.join("helm");
        command
            .env("KUBECONFIG", &self.admin_kubeconfig)
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_DATA_HOME", home.join("data"));
        command
    }

    /// The last lines of the etcd and kube-apiserver logs, for a failing test's output.
    pub fn logs_tail(&self) -> String {
        [&self.etcd, &self.apiserver]
            .iter()
            .map(|process| {
                let process = lock(process);
                format!(
                    "----- {} ({}) -----\n{}",
                    process.name(),
                    process.log_path().display(),
                    process.log_tail(LOG_TAIL_LINES)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn apiserver_args(dir: &Path, pki: &Pki, etcd_url: &str, port: u16) -> Vec<String> {
    vec![
        format!("--audit-policy-file={}", dir.join(AUDIT_POLICY).display()),
        format!("--audit-log-path={}", dir.join(AUDIT_LOG).display()),
        "--audit-log-format=json".into(),
        format!("--etcd-servers={etcd_url}"),
        "--bind-address=127.0.0.1".into(),
        format!("--secure-port={port}"),
        // A loopback bind address gives no address to advertise, and nothing needs the
        // `kubernetes` Service endpoints here.
        "--advertise-address=127.0.0.1".into(),
        "--endpoint-reconciler-type=none".into(),
        format!("--tls-cert-file={}", pki.serving_cert.display()),
        format!("--tls-private-key-file={}", pki.serving_key.display()),
        format!("--client-ca-file={}", pki.ca_cert.display()),
        format!("--service-account-issuer=https://127.0.0.1:{port}"),
        format!(
            "--service-account-key-file={}",
            pki.service_account_public_key.display()
        ),
        format!(
            "--service-account-signing-key-file={}",
            pki.service_account_key.display()
        ),
        "--service-cluster-ip-range=10.0.0.0/24".into(),
        "--authorization-mode=RBAC".into(),
        // No controller manager runs, so nothing would create the `default` ServiceAccounts.
        "--disable-admission-plugins=ServiceAccount".into(),
        format!("--cert-dir={}", dir.join("apiserver-certs").display()),
        "--v=1".into(),
    ]
}

/// Kills the process, waits until it is gone, and starts it again with the same command line;
/// the replacement is tied to the test process's life like the original.
fn restart(process: &Mutex<ManagedProcess>) -> Result<(), Error> {
    let mut current = lock(process);
    current.kill();
    let replacement = current.respawn()?;
    *current = replacement;
    Ok(())
}

/// Polls `url` until it answers 200, failing early if the process exits.
async fn wait_ready(
    process: &Mutex<ManagedProcess>,
    http: &reqwest::Client,
    url: &str,
) -> Result<(), Error> {
    let started = Instant::now();
    loop {
        {
            let mut process = lock(process);
            if let Some(status) = process.exited() {
                return Err(Error::Exited {
                    process: process.name(),
                    status,
                    log_tail: process.log_tail(LOG_TAIL_LINES),
                });
            }
        }
        let ready = http
            .get(url)
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .is_ok_and(|response| response.status().is_success());
        if ready {
            return Ok(());
        }
        if started.elapsed() > STARTUP_DEADLINE {
            let process = lock(process);
            return Err(Error::NotReady {
                process: process.name(),
                seconds: STARTUP_DEADLINE.as_secs(),
                log_tail: process.log_tail(LOG_TAIL_LINES),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn lock(process: &Mutex<ManagedProcess>) -> MutexGuard<'_, ManagedProcess> {
    process
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An HTTP client that trusts the control plane's CA, for polling `/readyz`.
fn trusting(ca_pem: &str) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(ca_pem.as_bytes())
                .map_err(|e| Error::Kubeconfig(format!("CA certificate: {e}")))?,
        )
        .build()
        .map_err(|e| Error::Kubeconfig(format!("HTTP client: {e}")))
}

fn write_kubeconfig(
    path: &Path,
    server: &str,
    ca_pem: &str,
    user: &str,
    credentials: serde_json::Value,
) -> Result<(), Error> {
    // JSON is valid YAML, so kubectl, helm and kube-rs all read this file.
    let kubeconfig = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{ "name": "sds-test", "cluster": {
            "server": server,
            "certificate-authority-data": base64(ca_pem),
        }}],
        "users": [{ "name": user, "user": credentials }],
        "contexts": [{ "name": "sds-test", "context": { "cluster": "sds-test", "user": user } }],
        "current-context": "sds-test",
    });
    let text =
        serde_json::to_string_pretty(&kubeconfig).map_err(|e| Error::Kubeconfig(e.to_string()))?;
    std::fs::write(path, text).map_err(Error::io("write", path))
}

async fn client_from_kubeconfig(path: &Path) -> Result<Client, Error> {
    let kubeconfig = Kubeconfig::read_from(path).map_err(|e| Error::Kubeconfig(e.to_string()))?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|e| Error::Kubeconfig(e.to_string()))?;
    Client::try_from(config).map_err(Error::Kube)
}

fn base64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

//! Starting and stopping an emulator: binds the port, assembles the routes, serves HTTP or HTTPS
//! until shut down.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::middleware;
use jiff::Timestamp;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::admin::client::AdminClient;
use crate::config::EmulatorConfig;
use crate::identity::jwt::{RandomError, TokenSigner};
use crate::state::directory::FlowSet;
use crate::state::{Inner, Shared};
use crate::tls::{TlsError, TlsListener, TlsMaterial};
use crate::{admin, context, graph, identity, intercept};

/// Why an emulator could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: io::Error },
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot write the CA certificate to {path}: {source}")]
    WriteCa { path: String, source: io::Error },
    #[error(transparent)]
    Random(#[from] RandomError),
    #[error("cannot build the admin HTTP client: {0}")]
    AdminClient(#[from] reqwest::Error),
    #[error("the server failed: {0}")]
    Serve(io::Error),
    #[error("the server task panicked or was cancelled")]
    Join,
}

/// A running emulator. Dropping it stops the server too; [`Emulator::shutdown`] also waits.
#[derive(Debug)]
pub struct Emulator {
    base_url: String,
    ca_pem: Option<String>,
    admin: AdminClient,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<io::Result<()>>>,
}

impl Emulator {
    pub async fn start(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let tcp = TcpListener::bind(config.listen)
            .await
            .map_err(|source| EmulatorError::Bind {
                addr: config.listen,
                source,
            })?;
        let local = tcp.local_addr().map_err(|source| EmulatorError::Bind {
            addr: config.listen,
            source,
        })?;
        let tls = config
            .tls
            .as_ref()
            .map(|_| TlsMaterial::generate())
            .transpose()?;
        if let (Some(path), Some(material)) = (&config.tls, &tls) {
            tokio::fs::write(path, &material.ca_pem)
                .await
                .map_err(|source| EmulatorError::WriteCa {
                    path: path.display().to_string(),
                    source,
                })?;
        }
        let scheme = if tls.is_some() { "https" } else { "http" };
        // An unspecified bind address is reachable on loopback, which the certificate names.
        let host = if local.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            local.ip().to_string()
        };
        let base_url = match local {
            SocketAddr::V6(_) if !local.ip().is_unspecified() => {
                format!("{scheme}://[{host}]:{}", local.port())
            }
            _ => format!("{scheme}://{host}:{}", local.port()),
        };

        let shared = Arc::new(Shared::new(
            initial_state(&config),
            TokenSigner::generate()?,
            base_url.clone(),
        ));
        let router = router(shared);
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let server = match &tls {
            Some(material) => {
                let listener = TlsListener::new(tcp, material.server_config.clone())
                    .map_err(EmulatorError::Serve)?;
                tokio::spawn(async move {
                    axum::serve(listener, router)
                        .with_graceful_shutdown(shutdown)
                        .await
                })
            }
            None => tokio::spawn(async move {
                axum::serve(tcp, router)
                    .with_graceful_shutdown(shutdown)
                    .await
            }),
        };

        let ca_pem = tls.map(|material| material.ca_pem);
        let mut http = reqwest::Client::builder().no_proxy();
        if let Some(pem) = &ca_pem {
            http = http.tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes())?]);
        }
        let admin = AdminClient::new(http.build()?, &base_url);
        tracing::info!(%base_url, "graph emulator listening");
        Ok(Self {
            base_url,
            ca_pem,
            admin,
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// `http(s)://127.0.0.1:PORT`, without trailing slash. Also the authority host for tokens.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The Graph root to use instead of `https://graph.microsoft.com/beta`.
    pub fn graph_url(&self) -> String {
        format!("{}/beta", self.base_url)
    }

    /// The token endpoint for `tenant`.
    pub fn token_url(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/token", self.base_url)
    }

    /// PEM of the CA that signed the server certificate, when serving HTTPS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Client of the admin API.
    pub fn admin(&self) -> &AdminClient {
        &self.admin
    }

    /// Stops accepting, lets open requests finish, and waits for the server to end.
    pub async fn shutdown(mut self) -> Result<(), EmulatorError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(server) => server
                .await
                .map_err(|_| EmulatorError::Join)?
                .map_err(EmulatorError::Serve),
            None => Ok(()),
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn initial_state(config: &EmulatorConfig) -> Inner {
    let mut inner = Inner {
        settings: config.settings.clone(),
        ..Inner::default()
    };
    for client in &config.clients {
        inner.register_client(client.clone());
    }
    let now = Timestamp::now();
    for id in &config.flow_sets {
        let set = FlowSet::new(id.clone(), format!("Flow set {id}"), None, now);
        inner.directory.flow_sets.push(set);
    }
    inner
}

fn router(shared: Arc<Shared>) -> Router {
    let observed = Router::new()
        .route("/beta", axum::routing::any(graph::handle))
        .route("/beta/{*rest}", axum::routing::any(graph::handle))
        .merge(identity::router())
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            intercept::intercept,
        ));
    Router::new()
        .merge(observed)
        .merge(admin::router())
        .layer(middleware::from_fn(context::stamp))
        .with_state(shared)
}

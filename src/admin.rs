//! The admin endpoints: `/healthz` (the process serves), `/readyz` (the controller has listed its
//! resources and reconciles), `/metrics` (Prometheus).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::metrics::Metrics;

/// What the admin endpoints report, shared with the controller, and what every controller
/// shares besides.
#[derive(Debug)]
pub struct OperatorState {
    pub metrics: Metrics,
    ready: AtomicBool,
    /// `--concurrency` reconciles at once across every kind: each kind's controller would
    /// otherwise run that many of its own.
    reconcile_slots: Semaphore,
}

impl OperatorState {
    pub fn new(concurrency: u16) -> Self {
        Self {
            metrics: Metrics::default(),
            ready: AtomicBool::default(),
            reconcile_slots: Semaphore::new(usize::from(concurrency.max(1))),
        }
    }

    /// Called once the controller's cache holds every resource.
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Relaxed);
    }

    /// Waits for one of the `--concurrency` reconciles that may run at once; it is free again
    /// when the returned permit drops. (None only if the slots were closed, which they never are.)
    pub async fn reconcile_slot(&self) -> Option<SemaphorePermit<'_>> {
        self.reconcile_slots.acquire().await.ok()
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }
}

/// Binds the admin port, so that a port in use fails the start instead of a probe later.
pub async fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    let listener = TcpListener::bind(address).await?;
    tracing::info!(address = %listener.local_addr()?, "admin endpoints listening");
    Ok(listener)
}

/// Serves the admin endpoints until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: Arc<OperatorState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

fn router(state: Arc<OperatorState>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn readyz(State(state): State<Arc<OperatorState>>) -> impl IntoResponse {
    if state.is_ready() {
        (StatusCode::OK, "ready")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "the controller has not listed its resources yet",
        )
    }
}

async fn metrics(State(state): State<Arc<OperatorState>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::Reason;

    #[tokio::test]
    async fn health_readiness_and_metrics_are_served() {
        let listener = bind("127.0.0.1:0".parse().expect("address"))
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let state = Arc::new(OperatorState::new(1));
        tokio::spawn(serve(listener, state.clone(), std::future::pending()));
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let get = |path: &str| http.get(format!("{base}{path}")).send();

        assert_eq!(get("/healthz").await.expect("healthz").status(), 200);
        assert_eq!(
            get("/readyz").await.expect("readyz").status(),
            503,
            "not ready before the first list"
        );
        state.set_ready();
        assert_eq!(get("/readyz").await.expect("readyz").status(), 200);

        state.metrics.event(Reason::Created, false);
        let metrics = get("/metrics").await.expect("metrics");
        assert!(
            metrics.headers()["content-type"]
                .to_str()
                .expect("type")
                .starts_with("application/openmetrics-text")
        );
        let text = metrics.text().await.expect("body");
        assert!(
            text.contains(r#"sds_operator_events_total{reason="Created",kind="Normal"} 1"#),
            "{text}"
        );
    }
}

//! Shared test fixtures: an emulator with known clients, and small request helpers.

use graph_emulator::{
    ClientRegistration, Emulator, EmulatorConfig, ROLE_READ_ALL, SeedFlowSet, Settings,
};
use reqwest::{Method, Response};
use serde_json::{Value, json};

pub const TENANT: &str = "8c33d025-5e64-4550-2aa3-08dc4ac66fca";
pub const WRITER: &str = "6f0b5e43-1c6a-4f0e-9a43-0a1b2c3d4e5f";
pub const WRITER_SECRET: &str = "writer~secret.value_1";
pub const READER: &str = "7a1c6f54-2d7b-4a1f-8b54-1b2c3d4e5f60";
pub const READER_SECRET: &str = "reader~secret.value_2";
pub const NOBODY: &str = "8b2d7065-3e8c-4b2a-9c65-2c3d4e5f6071";
pub const NOBODY_SECRET: &str = "nobody~secret.value_3";
pub const EXPIRED: &str = "9c3e8176-4f9d-4c3b-8d76-3d4e5f607182";
pub const EXPIRED_SECRET: &str = "expired~secret.value_4";
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
pub const SG_TYPE: &str = "#microsoft.graph.industryData.securityGroupProvisioningFlow";
pub const SETS: &str = "/external/industryData/outboundProvisioningFlowSets";

/// A running emulator plus an HTTP client that trusts it.
pub struct Harness {
    pub emu: Emulator,
    pub http: reqwest::Client,
}

pub fn clients() -> Vec<ClientRegistration> {
    let mut expired = ClientRegistration::new(TENANT, EXPIRED, EXPIRED_SECRET);
    expired.secret_expired = true;
    vec![
        ClientRegistration::new(TENANT, WRITER, WRITER_SECRET),
        ClientRegistration::new(TENANT, READER, READER_SECRET).with_roles(&[ROLE_READ_ALL]),
        ClientRegistration::new(TENANT, NOBODY, NOBODY_SECRET).with_roles(&[]),
        expired,
    ]
}

impl Harness {
    /// Default settings (readiness delay 2 s).
    pub async fn start() -> Self {
        Self::start_with(Settings::default()).await
    }

    pub async fn start_with(settings: Settings) -> Self {
        let config = EmulatorConfig {
            clients: clients(),
            settings,
            ..EmulatorConfig::default()
        };
        let emu = Emulator::start(config).await.expect("emulator starts");
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        Self { emu, http }
    }

    pub fn url(&self, graph_path: &str) -> String {
        format!("{}{graph_path}", self.emu.graph_url())
    }

    /// Raw token request with a form body.
    pub async fn token_request(&self, tenant: &str, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.emu.token_url(tenant))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn token_for(&self, client: &str, secret: &str) -> String {
        let response = self
            .token_request(
                TENANT,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", client),
                    ("client_secret", secret),
                    ("scope", GRAPH_SCOPE),
                ],
            )
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn writer_token(&self) -> String {
        self.token_for(WRITER, WRITER_SECRET).await
    }

    /// A Graph call as the writer client, with an optional JSON body.
    pub async fn graph(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let token = self.writer_token().await;
        self.graph_with(&token, method, path, body).await
    }

    pub async fn graph_with(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// A flow set made through the admin API.
    pub async fn seed_set(&self) -> String {
        self.emu
            .admin()
            .seed_flow_set(&SeedFlowSet::default())
            .await
            .unwrap()
    }

    /// Creates a security-group flow through Graph and returns the 201 body.
    pub async fn create_sg_flow(&self, set_id: &str) -> Value {
        let response = self
            .graph(
                Method::POST,
                &flows_path(set_id),
                Some(sg_body(true, false)),
            )
            .await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }
}

pub fn sg_body(role_group: bool, org_plus_role_group: bool) -> Value {
    json!({
        "@odata.type": SG_TYPE,
        "creationOptions": {
            "createBasedOnRoleGroup": role_group,
            "createBasedOnOrgPlusRoleGroup": org_plus_role_group,
        }
    })
}

pub fn set_path(set_id: &str) -> String {
    format!("{SETS}/{set_id}")
}

pub fn flows_path(set_id: &str) -> String {
    format!("{SETS}/{set_id}/provisioningFlows")
}

pub fn flow_path(set_id: &str, flow_id: &str) -> String {
    format!("{SETS}/{set_id}/provisioningFlows/{flow_id}")
}

/// Asserts an OData error body and returns it.
pub async fn odata_error(response: Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string());
    body
}

/// An emulator serving HTTPS, with the known clients and one flow set, for Microsoft's own
/// clients (which insist on HTTPS): the emulator, the flow set's id, and the file that holds the
/// CA certificate to trust (the caller removes it).
pub async fn https_emulator_with_flow_set(tag: &str) -> (Emulator, String, std::path::PathBuf) {
    let ca_path = std::env::temp_dir().join(format!(
        "graph-emulator-{tag}-ca-{}.pem",
        uuid::Uuid::new_v4()
    ));
    let emu = Emulator::start(EmulatorConfig {
        clients: clients(),
        tls: Some(ca_path.clone()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let set = emu
        .admin()
        .seed_flow_set(&Default::default())
        .await
        .unwrap();
    (emu, set, ca_path)
}

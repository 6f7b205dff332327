//! What every Graph client test uses: the emulator with its three applications, clients for
//! them, the journal and faults. The crates' items the tests use are re-exported here.

pub(crate) use std::time::Duration;

pub(crate) use graph::{
    Credential, ErrorClass, GraphClient, GraphClientOptions, GraphEndpoints, GraphError,
    MAX_GRAPH_BODY, MAX_RETRY_AFTER, MAX_TOKEN_BODY, ReadinessStatus, SecretString,
    SecurityGroupConfig, SecurityGroupCreationOptions, TokenErrorKind, http_client_builder,
};
pub(crate) use graph_emulator::{
    ClientRegistration, Emulator, EmulatorConfig, FaultRule, FaultTarget, JournalEntry,
    ROLE_READ_ALL, RetryAfterFormat, SeedFlow, Settings, SettingsPatch,
};
pub(crate) use serde_json::{Map, json};
pub(crate) use uuid::Uuid;

pub(crate) const TENANT: &str = "8c33d025-5e64-4550-2aa3-08dc4ac66fca";
pub(crate) const WRITER: &str = "6f0b5e43-1c6a-4f0e-9a43-0a1b2c3d4e5f";
pub(crate) const WRITER_SECRET: &str = "writer~Secret.value_1";
pub(crate) const READER: &str = "7a1c6f54-2d7b-4a1f-8b54-1b2c3d4e5f60";
pub(crate) const READER_SECRET: &str = "reader~Secret.value_2";
pub(crate) const EXPIRED: &str = "9c3e8176-4f9d-4c3b-8d76-3d4e5f607182";
pub(crate) const EXPIRED_SECRET: &str = "expired~Secret.value_3";
pub(crate) const FLOW_SET: &str = "9ab41255-5364-4c53-e15c-08dc4ab6ee03";
pub(crate) const FLOWS_PATH: &str = "/beta/external/industryData/outboundProvisioningFlowSets/9ab41255-5364-4c53-e15c-08dc4ab6ee03/provisioningFlows";

pub(crate) const ROLE_ONLY: SecurityGroupConfig = SecurityGroupConfig {
    creation_options: SecurityGroupCreationOptions {
        create_based_on_role_group: true,
        create_based_on_org_plus_role_group: false,
    },
};
pub(crate) const BOTH: SecurityGroupConfig = SecurityGroupConfig {
    creation_options: SecurityGroupCreationOptions {
        create_based_on_role_group: true,
        create_based_on_org_plus_role_group: true,
    },
};

pub(crate) async fn emulator() -> Emulator {
    let mut expired = ClientRegistration::new(TENANT, EXPIRED, EXPIRED_SECRET);
    expired.secret_expired = true;
    Emulator::start(EmulatorConfig {
        clients: vec![
            ClientRegistration::new(TENANT, WRITER, WRITER_SECRET),
            ClientRegistration::new(TENANT, READER, READER_SECRET).with_roles(&[ROLE_READ_ALL]),
            expired,
        ],
        settings: Settings {
            readiness_delay_ms: 0,
            ..Settings::default()
        },
        flow_sets: vec![FLOW_SET.to_owned()],
        ..EmulatorConfig::default()
    })
    .await
    .expect("the emulator starts")
}

pub(crate) fn client_with(
    emu: &Emulator,
    tenant: &str,
    client_id: &str,
    secret: &str,
) -> GraphClient {
    let endpoints = GraphEndpoints::new(emu.base_url(), &format!("{}/", emu.base_url()))
        .expect("loopback http is allowed");
    let credential = Credential::client_secret(tenant, client_id, SecretString::new(secret))
        .expect("a valid credential");
    GraphClient::new(http(), endpoints, credential)
}

pub(crate) fn http() -> reqwest::Client {
    http_client_builder()
        .no_proxy()
        .build()
        .expect("an HTTP client")
}

pub(crate) fn writer(emu: &Emulator) -> GraphClient {
    client_with(emu, TENANT, WRITER, WRITER_SECRET)
}

pub(crate) async fn journal(emu: &Emulator) -> Vec<JournalEntry> {
    emu.admin().journal(0).await.expect("the journal")
}

pub(crate) fn of(entries: &[JournalEntry], target: FaultTarget) -> Vec<&JournalEntry> {
    entries.iter().filter(|e| e.target == target).collect()
}

pub(crate) async fn add_fault(emu: &Emulator, rule: FaultRule) {
    emu.admin()
        .add_fault(&rule)
        .await
        .expect("the fault is added");
}

pub(crate) fn graph_fault(method: &str, status: u16) -> FaultRule {
    FaultRule {
        target: FaultTarget::Graph,
        method: Some(method.to_owned()),
        status: Some(status),
        times: Some(1),
        ..FaultRule::default()
    }
}

pub(crate) async fn seed_security_group_flow(emu: &Emulator) -> String {
    let mut properties = Map::new();
    properties.insert(
        "creationOptions".to_owned(),
        json!({"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false}),
    );
    let seed = SeedFlow {
        properties,
        ..SeedFlow::default()
    };
    emu.admin()
        .seed_flow(FLOW_SET, &seed)
        .await
        .expect("the flow is seeded")
}

/// The request the emulator journaled for an error, matched by client-request-id.
pub(crate) fn entry_for<'a>(entries: &'a [JournalEntry], error: &GraphError) -> &'a JournalEntry {
    entries
        .iter()
        .find(|e| e.client_request_id.as_deref() == Some(error.client_request_id()))
        .unwrap_or_else(|| {
            panic!("no journal entry carries the error's client-request-id: {error}")
        })
}

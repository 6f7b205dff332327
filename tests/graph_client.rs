//! The Graph client against the in-process emulator: exact requests (from the emulator's journal),
//! token caching, paging, and the classification of every kind of failure.

use std::time::Duration;

use graph::{
    Credential, ErrorClass, GraphClient, GraphClientOptions, GraphEndpoints, GraphError,
    MAX_GRAPH_BODY, MAX_RETRY_AFTER, MAX_TOKEN_BODY, ProvisioningFlow, ReadinessStatus,
    SecretString, SecurityGroupConfig, SecurityGroupCreationOptions, TokenErrorKind,
    http_client_builder,
};
use graph_emulator::{
    ClientRegistration, Emulator, EmulatorConfig, FaultRule, FaultTarget, JournalEntry,
    ROLE_READ_ALL, RetryAfterFormat, SeedFlow, Settings, SettingsPatch,
};
use serde_json::{Map, json};
use uuid::Uuid;

const TENANT: &str = "8c33d025-5e64-4550-2aa3-08dc4ac66fca";
const WRITER: &str = "6f0b5e43-1c6a-4f0e-9a43-0a1b2c3d4e5f";
const WRITER_SECRET: &str = "writer~Secret.value_1";
const READER: &str = "7a1c6f54-2d7b-4a1f-8b54-1b2c3d4e5f60";
const READER_SECRET: &str = "reader~Secret.value_2";
const EXPIRED: &str = "9c3e8176-4f9d-4c3b-8d76-3d4e5f607182";
const EXPIRED_SECRET: &str = "expired~Secret.value_3";
const FLOW_SET: &str = "9ab41255-5364-4c53-e15c-08dc4ab6ee03";
const FLOWS_PATH: &str = "/beta/external/industryData/outboundProvisioningFlowSets/9ab41255-5364-4c53-e15c-08dc4ab6ee03/provisioningFlows";

const ROLE_ONLY: SecurityGroupConfig = SecurityGroupConfig {
    creation_options: SecurityGroupCreationOptions {
        create_based_on_role_group: true,
        create_based_on_org_plus_role_group: false,
    },
};
const BOTH: SecurityGroupConfig = SecurityGroupConfig {
    creation_options: SecurityGroupCreationOptions {
        create_based_on_role_group: true,
        create_based_on_org_plus_role_group: true,
    },
};

async fn emulator() -> Emulator {
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

fn client_with(emu: &Emulator, tenant: &str, client_id: &str, secret: &str) -> GraphClient {
    let endpoints = GraphEndpoints::new(emu.base_url(), &format!("{}/", emu.base_url()))
        .expect("loopback http is allowed");
    let credential = Credential::client_secret(tenant, client_id, SecretString::new(secret))
        .expect("a valid credential");
    GraphClient::new(http(), endpoints, credential)
}

fn http() -> reqwest::Client {
    http_client_builder()
        .no_proxy()
        .build()
        .expect("an HTTP client")
}

fn writer(emu: &Emulator) -> GraphClient {
    client_with(emu, TENANT, WRITER, WRITER_SECRET)
}

async fn journal(emu: &Emulator) -> Vec<JournalEntry> {
    emu.admin().journal(0).await.expect("the journal")
}

fn of(entries: &[JournalEntry], target: FaultTarget) -> Vec<&JournalEntry> {
    entries.iter().filter(|e| e.target == target).collect()
}

async fn add_fault(emu: &Emulator, rule: FaultRule) {
    emu.admin()
        .add_fault(&rule)
        .await
        .expect("the fault is added");
}

fn graph_fault(method: &str, status: u16) -> FaultRule {
    FaultRule {
        target: FaultTarget::Graph,
        method: Some(method.to_owned()),
        status: Some(status),
        times: Some(1),
        ..FaultRule::default()
    }
}

async fn seed_security_group_flow(emu: &Emulator) -> String {
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
fn entry_for<'a>(entries: &'a [JournalEntry], error: &GraphError) -> &'a JournalEntry {
    entries
        .iter()
        .find(|e| e.client_request_id.as_deref() == Some(error.client_request_id()))
        .unwrap_or_else(|| {
            panic!("no journal entry carries the error's client-request-id: {error}")
        })
}

#[tokio::test]
async fn one_token_serves_concurrent_and_later_calls() {
    let emu = emulator().await;
    let client = writer(&emu);
    let (a, b, c) = tokio::join!(
        client.get_flow_set(FLOW_SET),
        client.list_flows(FLOW_SET),
        client.list_flows(FLOW_SET),
    );
    a.unwrap();
    b.unwrap();
    c.unwrap();
    client.clone().get_flow_set(FLOW_SET).await.unwrap();

    let entries = journal(&emu).await;
    let tokens = of(&entries, FaultTarget::Token);
    assert_eq!(tokens.len(), 1, "one token request: {tokens:#?}");
    let form = &tokens[0].body;
    assert_eq!(tokens[0].path, format!("/{TENANT}/oauth2/v2.0/token"));
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], WRITER);
    assert_eq!(form["scope"], "https://graph.microsoft.com/.default");
    assert_eq!(
        form["client_secret"], "***",
        "sent, and masked by the journal"
    );

    let graph = of(&entries, FaultTarget::Graph);
    assert_eq!(graph.len(), 4);
    let mut ids: Vec<_> = graph
        .iter()
        .map(|e| e.client_request_id.clone().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "a fresh client-request-id per request");
    assert!(
        graph
            .iter()
            .all(|e| e.authorization_present && e.status == 200)
    );
}

#[tokio::test]
async fn a_refused_token_is_dropped_and_replaced_on_the_next_call() {
    let emu = emulator().await;
    let client = writer(&emu);
    client.get_flow_set(FLOW_SET).await.unwrap();
    emu.admin().expire_tokens().await.unwrap();

    let error = client.get_flow_set(FLOW_SET).await.unwrap_err();
    assert_eq!(error.class(), ErrorClass::Unauthorized);
    assert_eq!(error.code(), Some("InvalidAuthenticationToken"));
    client.get_flow_set(FLOW_SET).await.unwrap();

    let entries = journal(&emu).await;
    let calls: Vec<_> = entries.iter().map(|e| (e.target, e.status)).collect();
    assert_eq!(
        calls,
        [
            (FaultTarget::Token, 200),
            (FaultTarget::Graph, 200),
            (FaultTarget::Graph, 401),
            (FaultTarget::Token, 200),
            (FaultTarget::Graph, 200),
        ],
        "no retry inside the client; the next call fetches a new token"
    );
}

#[tokio::test]
async fn create_read_update_reset_delete_send_the_documented_requests() {
    let emu = emulator().await;
    let client = writer(&emu);
    let create_id = Uuid::new_v4();

    let created = client
        .create_flow(FLOW_SET, &ROLE_ONLY, create_id)
        .await
        .unwrap();
    assert_eq!(created.client_request_id, create_id.to_string());
    assert!(created.request_id.is_some());
    let flow = created
        .value
        .into_flow::<SecurityGroupConfig>()
        .expect("a security-group flow");
    assert_eq!(flow.config, ROLE_ONLY);
    assert!(flow.created_date_time.is_some());

    let fetched = client.get_flow(FLOW_SET, &flow.id).await.unwrap();
    let fetched = fetched.value.into_flow::<SecurityGroupConfig>().unwrap();
    assert_eq!(fetched.id, flow.id);
    assert!(matches!(
        fetched.readiness_status,
        ReadinessStatus::NotReady | ReadinessStatus::Ready
    ));

    let updated = client.update_flow(FLOW_SET, &flow.id, &BOTH).await.unwrap();
    let state = emu.admin().state().await.unwrap();
    assert_eq!(
        state.flow(&flow.id).unwrap().creation_options(),
        Some(&json!({"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": true}))
    );
    let reset = client.reset_flow(FLOW_SET, &flow.id).await.unwrap();
    let deleted = client.delete_flow(FLOW_SET, &flow.id).await.unwrap();
    assert!(client.list_flows(FLOW_SET).await.unwrap().value.is_empty());

    let entries = journal(&emu).await;
    let graph = of(&entries, FaultTarget::Graph);
    let flow_path = format!("{FLOWS_PATH}/{}", flow.id);
    let seen: Vec<(&str, &str, u16)> = graph
        .iter()
        .map(|e| (e.method.as_str(), e.path.as_str(), e.status))
        .collect();
    assert_eq!(
        seen,
        [
            ("POST", FLOWS_PATH, 201),
            ("GET", flow_path.as_str(), 200),
            ("PATCH", flow_path.as_str(), 204),
            ("POST", format!("{flow_path}/reset").as_str(), 202),
            ("DELETE", flow_path.as_str(), 204),
            ("GET", FLOWS_PATH, 200),
        ]
    );
    let sg_type = "#microsoft.graph.industryData.securityGroupProvisioningFlow";
    assert_eq!(
        graph[0].body,
        json!({"@odata.type": sg_type,
               "creationOptions": {"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false}})
    );
    assert_eq!(
        graph[0].client_request_id.as_deref(),
        Some(create_id.to_string().as_str())
    );
    assert_eq!(
        graph[2].body,
        json!({"@odata.type": sg_type,
               "creationOptions": {"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": true}})
    );
    assert_eq!(graph[3].body, serde_json::Value::Null, "reset has no body");
    for (entry, response) in [
        (graph[2], &updated),
        (graph[3], &reset),
        (graph[4], &deleted),
    ] {
        assert_eq!(
            entry.client_request_id.as_deref(),
            Some(response.client_request_id.as_str())
        );
        assert_eq!(
            response.request_id.as_deref(),
            Some(entry.request_id.as_str())
        );
    }
}

#[tokio::test]
async fn lists_follow_next_links_and_keep_unknown_flow_types() {
    let emu = emulator().await;
    let security_group = seed_security_group_flow(&emu).await;
    let mut admin_unit = Map::new();
    admin_unit.insert(
        "creationOptions".to_owned(),
        json!({"createBasedOnOrg": true, "createBasedOnOrgPlusRoleGroup": false}),
    );
    let other = emu
        .admin()
        .seed_flow(
            FLOW_SET,
            &SeedFlow {
                odata_type: Some(
                    "#microsoft.graph.industryData.administrativeUnitProvisioningFlow".to_owned(),
                ),
                properties: admin_unit,
                ..SeedFlow::default()
            },
        )
        .await
        .unwrap();
    emu.admin()
        .update_settings(&SettingsPatch {
            page_size: Some(1),
            ..SettingsPatch::default()
        })
        .await
        .unwrap();

    let flows = writer(&emu).list_flows(FLOW_SET).await.unwrap().value;
    assert_eq!(flows.len(), 2);
    assert_eq!(
        flows[0].as_flow::<SecurityGroupConfig>().unwrap().id,
        security_group
    );
    assert_eq!(
        flows[1],
        ProvisioningFlow::Other {
            odata_type: "#microsoft.graph.industryData.administrativeUnitProvisioningFlow"
                .to_owned(),
            id: other
        }
    );
    let entries = journal(&emu).await;
    let pages = of(&entries, FaultTarget::Graph);
    assert_eq!(pages.len(), 2);
    assert!(pages[0].query.is_none());
    assert!(pages[1].query.as_deref().unwrap().contains("skiptoken"));
}

#[tokio::test]
async fn graph_errors_are_classified_with_graph_ids_and_message() {
    let emu = emulator().await;
    let client = writer(&emu);
    let missing = client
        .get_flow(FLOW_SET, "00000000-0000-0000-0000-000000000000")
        .await;
    let missing = missing.unwrap_err();
    let missing_set = client
        .get_flow_set("11111111-1111-1111-1111-111111111111")
        .await
        .unwrap_err();
    client
        .create_flow(FLOW_SET, &ROLE_ONLY, Uuid::new_v4())
        .await
        .unwrap();
    let conflict = client
        .create_flow(FLOW_SET, &BOTH, Uuid::new_v4())
        .await
        .unwrap_err();
    add_fault(
        &emu,
        FaultRule {
            error_code: Some("BadRequest".to_owned()),
            message: Some("Invalid request body.".to_owned()),
            ..graph_fault("GET", 400)
        },
    )
    .await;
    let bad = client.list_flows(FLOW_SET).await.unwrap_err();
    add_fault(&emu, graph_fault("GET", 503)).await;
    let unavailable = client.list_flows(FLOW_SET).await.unwrap_err();
    let forbidden = client_with(&emu, TENANT, READER, READER_SECRET)
        .create_flow(FLOW_SET, &ROLE_ONLY, Uuid::new_v4())
        .await
        .unwrap_err();

    let entries = journal(&emu).await;
    let cases = [
        (&missing, ErrorClass::NotFound, 404, "notFound"),
        (&missing_set, ErrorClass::NotFound, 404, "notFound"),
        (&conflict, ErrorClass::Conflict, 409, "conflict"),
        (&bad, ErrorClass::BadRequest, 400, "BadRequest"),
        (
            &unavailable,
            ErrorClass::Unavailable,
            503,
            "ServiceUnavailable",
        ),
        (
            &forbidden,
            ErrorClass::Forbidden,
            403,
            "Authorization_RequestDenied",
        ),
    ];
    for (error, class, status, code) in cases {
        assert_eq!(error.class(), class, "{error}");
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.code(), Some(code));
        let entry = entry_for(&entries, error);
        assert_eq!(entry.status, status);
        assert_eq!(error.request_id(), Some(entry.request_id.as_str()));
        assert!(error.date().is_some());
        let text = error.to_string();
        assert!(text.contains(error.message().unwrap()), "{text}");
        assert!(text.contains(&entry.request_id) && text.contains(error.client_request_id()));
    }
    assert!(
        missing
            .message()
            .unwrap()
            .contains("00000000-0000-0000-0000-000000000000")
    );
    assert!(
        forbidden
            .to_string()
            .contains("IndustryData-OutboundFlow.ReadWrite.All")
    );
}

#[tokio::test]
async fn throttling_reports_retry_after_in_both_forms_and_is_not_retried() {
    let emu = emulator().await;
    let client = writer(&emu);
    add_fault(
        &emu,
        FaultRule {
            retry_after_seconds: Some(7),
            ..graph_fault("POST", 429)
        },
    )
    .await;
    let seconds = client
        .create_flow(FLOW_SET, &ROLE_ONLY, Uuid::new_v4())
        .await
        .unwrap_err();
    assert_eq!(seconds.class(), ErrorClass::Throttled);
    assert_eq!(seconds.code(), Some("TooManyRequests"));
    assert_eq!(seconds.retry_after(), Some(Duration::from_secs(7)));

    add_fault(
        &emu,
        FaultRule {
            retry_after_seconds: Some(120),
            retry_after_format: RetryAfterFormat::HttpDate,
            ..graph_fault("GET", 429)
        },
    )
    .await;
    // Another application: the writer's own calls are held back for its 7 s (see below).
    let reader = client_with(&emu, TENANT, READER, READER_SECRET);
    let date = reader.list_flows(FLOW_SET).await.unwrap_err();
    assert_eq!(date.class(), ErrorClass::Throttled);
    let wait = date
        .retry_after()
        .expect("an HTTP-date Retry-After is read");
    // Whole seconds on the wire: the wait lies within two seconds of the 120 asked for.
    assert!(
        (Duration::from_secs(118)..=Duration::from_secs(120)).contains(&wait),
        "{wait:?}"
    );

    let entries = journal(&emu).await;
    let posts = entries
        .iter()
        .filter(|e| e.method == "POST" && e.target == FaultTarget::Graph);
    assert_eq!(posts.count(), 1, "a throttled create is not repeated");
    assert!(
        emu.admin()
            .state()
            .await
            .unwrap()
            .flow_set(FLOW_SET)
            .unwrap()
            .flows
            .is_empty()
    );
}

#[tokio::test]
async fn after_a_429_no_call_of_that_credential_is_sent_until_retry_after_passes() {
    let emu = emulator().await;
    let throttled = writer(&emu);
    let same_credential = throttled.clone();
    let other_application = client_with(&emu, TENANT, READER, READER_SECRET);
    add_fault(
        &emu,
        FaultRule {
            retry_after_seconds: Some(30),
            ..graph_fault("GET", 429)
        },
    )
    .await;
    let first = throttled.list_flows(FLOW_SET).await.unwrap_err();
    assert_eq!(first.retry_after(), Some(Duration::from_secs(30)));
    let graph_calls = |entries: Vec<JournalEntry>| of(&entries, FaultTarget::Graph).len();
    assert_eq!(graph_calls(journal(&emu).await), 1);

    let held = same_credential
        .create_flow(FLOW_SET, &ROLE_ONLY, Uuid::new_v4())
        .await
        .unwrap_err();
    assert_eq!(held.class(), ErrorClass::Throttled);
    assert_eq!(held.status(), None, "held back, never sent");
    let wait = held.retry_after().expect("the remaining wait");
    assert!(
        wait <= Duration::from_secs(30) && wait > Duration::from_secs(25),
        "{wait:?}"
    );
    assert!(held.to_string().contains("not sent"), "{held}");
    assert_eq!(graph_calls(journal(&emu).await), 1, "nothing reached Graph");

    other_application
        .list_flows(FLOW_SET)
        .await
        .expect("another application is not held back");
    assert_eq!(graph_calls(journal(&emu).await), 2);
}

#[tokio::test]
async fn a_huge_retry_after_is_a_throttling_error_capped_at_an_hour() {
    let emu = emulator().await;
    let client = writer(&emu);
    add_fault(
        &emu,
        FaultRule {
            retry_after_seconds: Some(u64::MAX),
            ..graph_fault("GET", 429)
        },
    )
    .await;
    let seconds = client.list_flows(FLOW_SET).await.unwrap_err();
    assert_eq!(seconds.class(), ErrorClass::Throttled, "{seconds}");
    assert_eq!(seconds.retry_after(), Some(MAX_RETRY_AFTER));
    let held = client.get_flow_set(FLOW_SET).await.unwrap_err();
    assert_eq!(held.class(), ErrorClass::Throttled);
    assert!(
        held.retry_after()
            .is_some_and(|wait| wait <= MAX_RETRY_AFTER)
    );

    // The latest HTTP-date the emulator can write: the end of time.
    add_fault(
        &emu,
        FaultRule {
            retry_after_seconds: Some(u64::MAX),
            retry_after_format: RetryAfterFormat::HttpDate,
            ..graph_fault("GET", 429)
        },
    )
    .await;
    let reader = client_with(&emu, TENANT, READER, READER_SECRET);
    let date = reader.list_flows(FLOW_SET).await.unwrap_err();
    assert_eq!(date.class(), ErrorClass::Throttled, "{date}");
    assert_eq!(date.retry_after(), Some(MAX_RETRY_AFTER));

    add_fault(
        &emu,
        FaultRule {
            target: FaultTarget::Token,
            status: Some(429),
            retry_after_seconds: Some(u64::MAX),
            times: Some(1),
            ..FaultRule::default()
        },
    )
    .await;
    let token = client_with(&emu, TENANT, EXPIRED, EXPIRED_SECRET)
        .get_flow_set(FLOW_SET)
        .await
        .unwrap_err();
    assert_eq!(
        token.class(),
        ErrorClass::Token(TokenErrorKind::Unavailable),
        "{token}"
    );
    assert_eq!(token.retry_after(), Some(MAX_RETRY_AFTER));
}

/// A listener that would see any request the client sent to where a redirect pointed.
fn redirect_target() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener
        .set_nonblocking(true)
        .expect("a non-blocking listener");
    let base = format!("http://{}", listener.local_addr().expect("its address"));
    (listener, base)
}

/// Whether anything connected to `listener`. Called after the client's call returned, so a
/// followed redirect would already wait in the listener's backlog.
fn reached(listener: &std::net::TcpListener) -> bool {
    match listener.accept() {
        Ok(_) => true,
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => false,
        Err(error) => panic!("the redirect target's listener failed: {error}"),
    }
}

#[tokio::test]
async fn a_redirect_is_never_followed_and_the_error_says_where_it_pointed() {
    let emu = emulator().await;
    let (listener, elsewhere) = redirect_target();
    add_fault(
        &emu,
        FaultRule {
            target: FaultTarget::Token,
            redirect_to: Some(format!("{elsewhere}/steal?client_secret=leak#frag")),
            times: Some(1),
            ..FaultRule::default()
        },
    )
    .await;
    let token = writer(&emu).get_flow_set(FLOW_SET).await.unwrap_err();
    assert_eq!(token.class(), ErrorClass::Redirected, "{token}");
    assert_eq!(token.status(), Some(307));
    assert!(!token.class().is_transient());
    let shown = token.to_string();
    assert!(
        shown.contains(&format!(
            "pointed to {elsewhere}/steal and was not followed"
        )),
        "{shown}"
    );
    assert!(shown.contains("--authority-host"), "{shown}");
    assert!(
        !shown.contains("leak") && !shown.contains(WRITER_SECRET),
        "{shown}"
    );
    assert!(
        !reached(&listener),
        "the token form went to the redirect target"
    );

    add_fault(
        &emu,
        FaultRule {
            redirect_to: Some(format!("{elsewhere}/beta/stolen")),
            status: Some(308),
            ..graph_fault("GET", 308)
        },
    )
    .await;
    let graph = writer(&emu).list_flows(FLOW_SET).await.unwrap_err();
    assert_eq!(graph.class(), ErrorClass::Redirected, "{graph}");
    assert_eq!(graph.status(), Some(308));
    let shown = graph.to_string();
    assert!(
        shown.contains(&format!("pointed to {elsewhere}/beta/stolen"))
            && shown.contains("--graph-endpoint"),
        "{shown}"
    );
    assert!(
        !reached(&listener),
        "the bearer token went to the redirect target"
    );

    let entries = journal(&emu).await;
    let statuses: Vec<_> = entries.iter().map(|e| (e.target, e.status)).collect();
    assert_eq!(
        statuses,
        [
            (FaultTarget::Token, 307),
            (FaultTarget::Token, 200),
            (FaultTarget::Graph, 308),
        ],
        "each redirect answered one request, none repeated"
    );
}

#[tokio::test]
async fn an_oversized_answer_is_refused_without_reading_it_all() {
    let emu = emulator().await;
    let client = writer(&emu);
    let body_of = |bytes: usize, rule: FaultRule| FaultRule {
        body_bytes: Some(bytes as u64),
        ..rule
    };
    add_fault(&emu, body_of(MAX_GRAPH_BODY + 1, graph_fault("GET", 200))).await;
    let graph = client.list_flows(FLOW_SET).await.unwrap_err();
    assert_eq!(graph.class(), ErrorClass::ResponseTooLarge, "{graph}");
    assert_eq!(graph.status(), Some(200));
    assert!(
        graph.to_string().contains("larger than 4096 KiB"),
        "{graph}"
    );

    // Exactly at the limit the body is read (and found not to be a flow set).
    add_fault(&emu, body_of(MAX_GRAPH_BODY, graph_fault("GET", 200))).await;
    let at_limit = client.get_flow_set(FLOW_SET).await.unwrap_err();
    assert_eq!(at_limit.class(), ErrorClass::Unexpected, "{at_limit}");

    let token_fault = FaultRule {
        target: FaultTarget::Token,
        times: Some(1),
        ..FaultRule::default()
    };
    add_fault(&emu, body_of(MAX_TOKEN_BODY + 1, token_fault)).await;
    let token = client_with(&emu, TENANT, READER, READER_SECRET)
        .get_flow_set(FLOW_SET)
        .await
        .unwrap_err();
    assert_eq!(token.class(), ErrorClass::ResponseTooLarge, "{token}");
    assert!(
        token
            .to_string()
            .contains("because no access token could be acquired"),
        "{token}"
    );
    assert!(token.to_string().contains("authority host"), "{token}");
}

#[tokio::test]
async fn token_failures_are_classified_and_never_show_the_secret() {
    let emu = emulator().await;
    let wrong_secret = "wrong~Secret.value_9";
    let cases = [
        (
            TENANT,
            WRITER,
            wrong_secret,
            TokenErrorKind::InvalidClientSecret,
        ),
        (
            TENANT,
            "00000000-1111-2222-3333-444444444444",
            wrong_secret,
            TokenErrorKind::ApplicationNotFound,
        ),
        (
            TENANT,
            EXPIRED,
            EXPIRED_SECRET,
            TokenErrorKind::ExpiredClientSecret,
        ),
        (
            "contoso.onmicrosoft.com",
            WRITER,
            WRITER_SECRET,
            TokenErrorKind::TenantNotFound,
        ),
    ];
    for (tenant, client_id, secret, kind) in cases {
        let error = client_with(&emu, tenant, client_id, secret)
            .list_flows(FLOW_SET)
            .await
            .unwrap_err();
        assert_eq!(error.class(), ErrorClass::Token(kind), "{error}");
        assert!(error.status().is_some() && error.code().is_some() && error.request_id().is_some());
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(secret), "the secret leaked: {shown}");
        assert!(
            shown.contains(
                "listing the flow set's provisioning flows failed because no access token"
            )
        );
    }
    add_fault(
        &emu,
        FaultRule {
            target: FaultTarget::Token,
            status: Some(503),
            times: Some(1),
            ..FaultRule::default()
        },
    )
    .await;
    let down = writer(&emu).token_claims().await.unwrap_err();
    assert_eq!(down.class(), ErrorClass::Token(TokenErrorKind::Unavailable));
    assert!(down.class().is_transient());
    let entries = journal(&emu).await;
    assert!(
        of(&entries, FaultTarget::Graph).is_empty(),
        "no Graph call without a token"
    );
}

#[tokio::test]
async fn token_claims_show_the_granted_roles() {
    let emu = emulator().await;
    let claims = writer(&emu).token_claims().await.unwrap();
    assert_eq!(claims.tid.as_deref(), Some(TENANT));
    assert_eq!(claims.appid.as_deref(), Some(WRITER));
    assert!(claims.grants("IndustryData-OutboundFlow.ReadWrite.All"));
    assert!(claims.exp.is_some());
    let reader = client_with(&emu, TENANT, READER, READER_SECRET)
        .token_claims()
        .await
        .unwrap();
    assert!(!reader.grants("IndustryData-OutboundFlow.ReadWrite.All"));
}

#[tokio::test]
async fn transport_failures_are_unavailable() {
    let emu = emulator().await;
    add_fault(
        &emu,
        FaultRule {
            target: FaultTarget::Graph,
            latency_ms: Some(2_000),
            times: Some(1),
            ..FaultRule::default()
        },
    )
    .await;
    let endpoints = GraphEndpoints::new(emu.base_url(), emu.base_url()).unwrap();
    let credential =
        Credential::client_secret(TENANT, WRITER, SecretString::new(WRITER_SECRET)).unwrap();
    let options = GraphClientOptions {
        request_timeout: Duration::from_millis(200),
    };
    let slow = GraphClient::with_options(http(), endpoints, credential.clone(), options);
    let timeout = slow.get_flow_set(FLOW_SET).await.unwrap_err();
    assert_eq!(timeout.class(), ErrorClass::Unavailable, "{timeout}");
    assert_eq!(timeout.status(), None);
    assert!(
        timeout.to_string().contains("did not answer in time"),
        "{timeout}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let unreachable = GraphClient::new(
        http(),
        GraphEndpoints::new(&nowhere, &nowhere).unwrap(),
        credential,
    );
    let error = unreachable.get_flow_set(FLOW_SET).await.unwrap_err();
    assert_eq!(
        error.class(),
        ErrorClass::Token(TokenErrorKind::Unavailable),
        "{error}"
    );
}

#[test]
fn plain_http_is_refused_except_to_loopback() {
    let error = GraphEndpoints::new(
        "http://graph.example.com",
        "https://login.microsoftonline.com",
    )
    .unwrap_err();
    assert!(error.to_string().contains("loopback"), "{error}");
    assert!(GraphEndpoints::new("http://localhost:8080", "http://127.0.0.1:8080/").is_ok());
}

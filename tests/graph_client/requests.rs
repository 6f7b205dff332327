//! The requests the client sends: one token for many calls, the documented bodies and paths,
//! paging, and flows of other types kept by type and id.

use crate::fixture::*;

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
async fn lists_follow_next_links_and_read_each_flow_type_into_its_own() {
    let emu = emulator().await;
    let security_group = seed_security_group_flow(&emu).await;
    // A user flow beside the security-group flow (a type the client does not model is kept by
    // type and id: graph's own unit tests).
    let mut user = Map::new();
    user.insert(
        "managementOptions".to_owned(),
        json!({"additionalOptions": {}}),
    );
    let other = emu
        .admin()
        .seed_flow(
            FLOW_SET,
            &SeedFlow {
                odata_type: Some("#microsoft.graph.industryData.userProvisioningFlow".to_owned()),
                properties: user,
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
    let user = flows[1]
        .as_flow::<graph::UserConfig>()
        .expect("a user flow");
    assert_eq!(user.id, other);
    let entries = journal(&emu).await;
    let pages = of(&entries, FaultTarget::Graph);
    assert_eq!(pages.len(), 2);
    assert!(pages[0].query.is_none());
    assert!(pages[1].query.as_deref().unwrap().contains("skiptoken"));
}

//! Provisioning flows: create, get, update, delete, reset and the body rules.

use std::collections::BTreeSet;

use graph_emulator::SettingsPatch;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn create_answers_201_with_the_documented_body() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let response = h
        .graph(Method::POST, &flows_path(&set), Some(sg_body(true, false)))
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        response.headers()["content-type"],
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
    );
    assert_eq!(response.headers()["odata-version"], "4.0");
    let body: Value = response.json().await.unwrap();
    let keys: BTreeSet<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = [
        "@odata.context",
        "@odata.type",
        "id",
        "createdDateTime",
        "lastModifiedDateTime",
        "readinessStatus",
        "creationOptions",
    ]
    .into();
    assert_eq!(keys, expected);
    assert_eq!(
        body["@odata.context"],
        format!(
            "{}/beta/$metadata#external/industryData/outboundProvisioningFlowSets('{set}')/provisioningFlows/$entity",
            h.emu.base_url()
        )
    );
    assert_eq!(body["@odata.type"], SG_TYPE);
    assert_eq!(body["readinessStatus"], "notReady");
    assert_eq!(
        body["creationOptions"],
        json!({"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false})
    );
    let created = body["createdDateTime"].as_str().unwrap();
    assert_eq!(
        created.len(),
        "2024-03-22T23:55:06.3141592Z".len(),
        "{created}"
    );
    assert_eq!(body["createdDateTime"], body["lastModifiedDateTime"]);
}

#[tokio::test]
async fn odata_type_without_hash_is_accepted() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let mut body = sg_body(false, true);
    body["@odata.type"] = json!("microsoft.graph.industryData.securityGroupProvisioningFlow");
    let response = h.graph(Method::POST, &flows_path(&set), Some(body)).await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn missing_unknown_or_abstract_type_is_400() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    for odata_type in [
        None,
        Some("#microsoft.graph.industryData.bogusFlow"),
        Some("#microsoft.graph.industryData.provisioningFlow"),
    ] {
        let mut body = sg_body(true, false);
        match odata_type {
            Some(t) => body["@odata.type"] = json!(t),
            None => {
                body.as_object_mut().unwrap().remove("@odata.type");
            }
        }
        let response = h.graph(Method::POST, &flows_path(&set), Some(body)).await;
        odata_error(response, 400, "BadRequest").await;
    }
}

#[tokio::test]
async fn read_only_property_in_body_is_400() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    for field in [
        "id",
        "createdDateTime",
        "lastModifiedDateTime",
        "readinessStatus",
    ] {
        let mut body = sg_body(true, false);
        body[field] = json!("2024-03-22T23:55:06.3141592Z");
        let response = h.graph(Method::POST, &flows_path(&set), Some(body)).await;
        let error = odata_error(response, 400, "BadRequest").await;
        assert!(error["error"]["message"].as_str().unwrap().contains(field));
    }
}

#[tokio::test]
async fn miscased_property_is_400_unless_lenient() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let body = json!({
        "@odata.type": SG_TYPE,
        "creationOptions": { "createBasedOnroleGroup": true, "createBasedOnOrgPlusroleGroup": false }
    });
    let response = h
        .graph(Method::POST, &flows_path(&set), Some(body.clone()))
        .await;
    let error = odata_error(response, 400, "BadRequest").await;
    // Either mis-cased name may be reported first; each must be named exactly.
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("'createBasedOnroleGroup'")
            || message.contains("'createBasedOnOrgPlusroleGroup'"),
        "{message}"
    );

    let lenient = SettingsPatch {
        lenient_casing: Some(true),
        ..SettingsPatch::default()
    };
    h.emu.admin().update_settings(&lenient).await.unwrap();
    let response = h.graph(Method::POST, &flows_path(&set), Some(body)).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(
        created["creationOptions"],
        json!({"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false})
    );
}

#[tokio::test]
async fn second_security_group_flow_in_a_set_is_409() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    h.create_sg_flow(&set).await;
    let response = h
        .graph(Method::POST, &flows_path(&set), Some(sg_body(false, true)))
        .await;
    odata_error(response, 409, "conflict").await;
    // Another set may hold its own.
    let other = h.seed_set().await;
    h.create_sg_flow(&other).await;
}

#[tokio::test]
async fn get_patch_delete_lifecycle() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let created = h.create_sg_flow(&set).await;
    let id = created["id"].as_str().unwrap();

    let got: Value = h
        .graph(Method::GET, &flow_path(&set, id), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["id"], id);
    assert_eq!(got["@odata.type"], SG_TYPE);
    assert!(
        got["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/provisioningFlows/$entity")
    );

    let response = h
        .graph(
            Method::PATCH,
            &flow_path(&set, id),
            Some(sg_body(true, true)),
        )
        .await;
    assert_eq!(response.status(), 204);
    assert!(response.bytes().await.unwrap().is_empty());
    let got: Value = h
        .graph(Method::GET, &flow_path(&set, id), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        got["creationOptions"]["createBasedOnOrgPlusRoleGroup"],
        true
    );
    assert!(got["lastModifiedDateTime"].as_str() > created["lastModifiedDateTime"].as_str());
    assert_eq!(got["createdDateTime"], created["createdDateTime"]);

    assert_eq!(
        h.graph(Method::DELETE, &flow_path(&set, id), None)
            .await
            .status(),
        204
    );
    let response = h.graph(Method::GET, &flow_path(&set, id), None).await;
    odata_error(response, 404, "notFound").await;
    let response = h.graph(Method::DELETE, &flow_path(&set, id), None).await;
    odata_error(response, 404, "notFound").await;
}

#[tokio::test]
async fn patch_needs_creation_options_and_a_matching_type() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let id = h.create_sg_flow(&set).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = h
        .graph(
            Method::PATCH,
            &flow_path(&set, &id),
            Some(json!({ "@odata.type": SG_TYPE })),
        )
        .await;
    odata_error(response, 400, "BadRequest").await;
    let mut body = sg_body(true, true);
    body["@odata.type"] = json!("#microsoft.graph.industryData.classGroupProvisioningFlow");
    let response = h
        .graph(Method::PATCH, &flow_path(&set, &id), Some(body))
        .await;
    odata_error(response, 400, "BadRequest").await;
}

#[tokio::test]
async fn reset_on_both_paths_is_202_and_restarts_readiness() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let id = h.create_sg_flow(&set).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for action in ["reset", "microsoft.graph.industryData.reset"] {
        h.emu
            .admin()
            .force_readiness(&id, Some("ready"))
            .await
            .unwrap();
        let path = format!("{}/{action}", flow_path(&set, &id));
        let response = h.graph(Method::POST, &path, None).await;
        assert_eq!(response.status(), 202, "{action}");
        assert!(response.bytes().await.unwrap().is_empty());
        let got: Value = h
            .graph(Method::GET, &flow_path(&set, &id), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(got["readinessStatus"], "notReady", "{action}");
    }
}

#[tokio::test]
async fn reset_with_parameters_is_400_and_with_an_empty_object_202() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let id = h.create_sg_flow(&set).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("{}/reset", flow_path(&set, &id));
    let response = h
        .graph(Method::POST, &path, Some(json!({ "force": true })))
        .await;
    odata_error(response, 400, "BadRequest").await;
    let response = h.graph(Method::POST, &path, Some(json!({}))).await;
    assert_eq!(response.status(), 202);
}

#[tokio::test]
async fn flows_of_other_types_coexist_and_user_passwords_are_masked() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    h.create_sg_flow(&set).await;
    let user_flow = json!({
        "@odata.type": "#microsoft.graph.industryData.userProvisioningFlow",
        "createUnmatchedUsers": true,
        "managementOptions": { "additionalOptions": {} },
        "creationOptions": { "configurations": [ {
            "roleGroup@odata.bind": "https://graph.microsoft.com/beta/external/industryData/roleGroups/students",
            "defaultPasswordSettings": {
                "@odata.type": "#microsoft.graph.industryData.simplePasswordSettings",
                "password": "Sup3rS3cret!"
            },
            "licenseSkus": ["Sku1"]
        } ] }
    });
    let response = h
        .graph(Method::POST, &flows_path(&set), Some(user_flow))
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let password =
        &body["creationOptions"]["configurations"][0]["defaultPasswordSettings"]["password"];
    assert_eq!(password, "***************");
    let list: Value = h
        .graph(Method::GET, &flows_path(&set), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["value"].as_array().unwrap().len(), 2);
    assert!(
        list["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|flow| flow["@odata.type"].is_string())
    );
}

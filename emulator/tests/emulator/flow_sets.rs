//! Flow-set CRUD, `@odata.context` values, routing rules.

use reqwest::Method;
use serde_json::{Value, json};

use crate::sign_in::{delegated_token, register_public_client};
use crate::support::*;

#[tokio::test]
async fn flow_set_crud_follows_the_docs() {
    let h = Harness::start().await;
    let base = h.emu.base_url().to_owned();
    let body = json!({
        "@odata.type": "#microsoft.graph.industryData.outboundProvisioningFlowSet",
        "displayName": "Outbound Provisioning Flow Test",
        "filter": {
            "@odata.type": "#microsoft.graph.industryData.basicFilter",
            "attribute": "orgExternalId",
            "in": ["Quarter", "Demo"]
        }
    });
    let response = h.graph(Method::POST, SETS, Some(body)).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(
        created["@odata.context"],
        format!("{base}/beta/$metadata#external/industryData/outboundProvisioningFlowSets/$entity")
    );
    assert!(
        created.get("@odata.type").is_none(),
        "flow sets carry no @odata.type"
    );
    assert_eq!(created["displayName"], "Outbound Provisioning Flow Test");
    assert_eq!(
        created["filter"]["@odata.type"],
        "#microsoft.graph.industryData.basicFilter"
    );
    assert_eq!(created["createdDateTime"], created["lastModifiedDateTime"]);
    let id = created["id"].as_str().unwrap().to_owned();
    uuid::Uuid::parse_str(&id).unwrap();

    let list: Value = h.graph(Method::GET, SETS, None).await.json().await.unwrap();
    assert_eq!(
        list["@odata.context"],
        format!("{base}/beta/$metadata#external/industryData/outboundProvisioningFlowSets")
    );
    assert_eq!(list["value"][0]["id"], id.as_str());
    assert!(list.get("@odata.nextLink").is_none());

    let got: Value = h
        .graph(Method::GET, &set_path(&id), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["@odata.context"], created["@odata.context"]);
    assert_eq!(got["id"], id.as_str());

    // The permission table lists no application permission for updating a set: a user may.
    let update = json!({ "displayName": "Outbound provisioning flow Updated" });
    let refused = h
        .graph(Method::PATCH, &set_path(&id), Some(update.clone()))
        .await;
    let error = odata_error(refused, 403, "Authorization_RequestDenied").await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Updating an outboundProvisioningFlowSet"),
        "{error}"
    );
    register_public_client(&h).await;
    let user = delegated_token(&h).await;
    let response = h
        .graph_with(&user, Method::PATCH, &set_path(&id), Some(update))
        .await;
    assert_eq!(response.status(), 204);
    assert!(response.bytes().await.unwrap().is_empty());
    let got: Value = h
        .graph(Method::GET, &set_path(&id), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["displayName"], "Outbound provisioning flow Updated");
    assert_eq!(
        got["filter"]["in"],
        json!(["Quarter", "Demo"]),
        "omitted filter is kept"
    );

    let response = h.graph(Method::DELETE, &set_path(&id), None).await;
    assert_eq!(response.status(), 204);
    let response = h.graph(Method::GET, &set_path(&id), None).await;
    odata_error(response, 404, "notFound").await;
}

#[tokio::test]
async fn patch_requires_display_name() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    register_public_client(&h).await;
    let user = delegated_token(&h).await;
    let response = h
        .graph_with(
            &user,
            Method::PATCH,
            &set_path(&set),
            Some(json!({ "filter": null })),
        )
        .await;
    odata_error(response, 400, "BadRequest").await;
}

#[tokio::test]
async fn read_only_and_unknown_flow_set_properties_are_refused() {
    let h = Harness::start().await;
    for body in [
        json!({ "displayName": "x", "id": "abc" }),
        json!({ "displayName": "x", "colour": "red" }),
    ] {
        let response = h.graph(Method::POST, SETS, Some(body)).await;
        odata_error(response, 400, "BadRequest").await;
    }
}

#[tokio::test]
async fn deleting_a_flow_set_removes_its_flows() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    h.create_sg_flow(&set).await;
    assert_eq!(
        h.graph(Method::DELETE, &set_path(&set), None)
            .await
            .status(),
        204
    );
    let state = h.emu.admin().state().await.unwrap();
    assert!(state.flow_sets.is_empty());
    let response = h.graph(Method::GET, &flows_path(&set), None).await;
    odata_error(response, 404, "notFound").await;
}

#[tokio::test]
async fn path_segments_match_case_insensitively() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let path =
        format!("/External/IndustryData/OutboundProvisioningFlowSets/{set}/ProvisioningFlows");
    let response = h.graph(Method::GET, &path, None).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .contains("outboundProvisioningFlowSets('")
    );
}

#[tokio::test]
async fn unknown_segment_is_400_naming_it() {
    let h = Harness::start().await;
    let response = h
        .graph(Method::GET, "/external/industryData/mef", None)
        .await;
    let body = odata_error(response, 400, "BadRequest").await;
    assert_eq!(
        body["error"]["message"],
        "Resource not found for the segment 'mef'."
    );
}

#[tokio::test]
async fn wrong_method_is_405() {
    let h = Harness::start().await;
    let response = h.graph(Method::PUT, SETS, Some(json!({}))).await;
    assert_eq!(response.headers()["allow"], "GET, POST");
    odata_error(response, 405, "methodNotAllowed").await;
}

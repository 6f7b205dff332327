//! Query options as the metadata's capabilities allow them: `$select`, `$orderby`, `$expand`
//! of a set's flows; the options a collection does not support are refused, naming them.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

async fn get(h: &Harness, path: &str) -> Value {
    let response = h.graph(Method::GET, path, None).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn flows_can_be_selected_and_ordered_but_not_counted_skipped_or_expanded() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let first = h.create_sg_flow(&set).await;
    let au = json!({
        "@odata.type": "#microsoft.graph.industryData.administrativeUnitProvisioningFlow",
        "creationOptions": { "createBasedOnOrg": true, "createBasedOnOrgPlusRoleGroup": false }
    });
    let response = h.graph(Method::POST, &flows_path(&set), Some(au)).await;
    assert_eq!(response.status(), 201);
    let second: Value = response.json().await.unwrap();

    let flows = flows_path(&set);
    let ids = |list: &Value| -> Vec<String> {
        list["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|flow| flow["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let newest_first = get(&h, &format!("{flows}?$orderby=createdDateTime desc")).await;
    assert_eq!(
        ids(&newest_first),
        [&second["id"], &first["id"]].map(|id| id.as_str().unwrap().to_owned())
    );
    let oldest_first = get(&h, &format!("{flows}?$orderby=createdDateTime")).await;
    assert_eq!(
        ids(&oldest_first),
        [&first["id"], &second["id"]].map(|id| id.as_str().unwrap().to_owned())
    );

    let selected = get(&h, &format!("{flows}?$select=readinessStatus")).await;
    for flow in selected["value"].as_array().unwrap() {
        let mut members: Vec<&str> = flow
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        members.sort_unstable();
        assert_eq!(members, ["@odata.type", "id", "readinessStatus"], "{flow}");
    }
    let one = get(
        &h,
        &format!(
            "{}?$select=creationOptions",
            flow_path(&set, first["id"].as_str().unwrap())
        ),
    )
    .await;
    assert!(
        one.get("readinessStatus").is_none() && one["creationOptions"].is_object(),
        "{one}"
    );

    for option in [
        "$count=true",
        "$skip=1",
        "$expand=roleGroup",
        "$orderby=colour",
        "$select=colour",
    ] {
        let response = h
            .graph(Method::GET, &format!("{flows}?{option}"), None)
            .await;
        let error = odata_error(response, 400, "BadRequest").await;
        let message = error["error"]["message"].as_str().unwrap();
        let named = option.split(['=', '$']).nth(1).unwrap();
        let value = option.split('=').nth(1).unwrap();
        assert!(
            message.contains(named) || message.contains(value),
            "{option}: {message}"
        );
    }
}

#[tokio::test]
async fn flow_sets_expand_their_flows_and_refuse_filter_and_skip() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    h.create_sg_flow(&set).await;
    let response = h
        .graph(
            Method::POST,
            SETS,
            Some(json!({ "displayName": "A first" })),
        )
        .await;
    assert_eq!(response.status(), 201);

    let expanded = get(
        &h,
        &format!("{SETS}?$expand=provisioningFlows&$orderby=displayName"),
    )
    .await;
    let sets = expanded["value"].as_array().unwrap();
    assert_eq!(sets[0]["displayName"], "A first");
    assert_eq!(sets[0]["provisioningFlows"], json!([]));
    let flows = sets[1]["provisioningFlows"].as_array().unwrap();
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0]["@odata.type"], SG_TYPE);
    let plain = get(&h, SETS).await;
    assert!(plain["value"][0].get("provisioningFlows").is_none());
    let one = get(
        &h,
        &format!("{}?$expand=provisioningFlows&$select=id", set_path(&set)),
    )
    .await;
    assert!(one.get("displayName").is_none(), "{one}");
    let one = get(&h, &format!("{}?$expand=provisioningFlows", set_path(&set))).await;
    assert_eq!(one["provisioningFlows"].as_array().unwrap().len(), 1);

    for option in ["$filter=displayName eq 'x'", "$skip=1", "$expand=flows"] {
        let response = h
            .graph(Method::GET, &format!("{SETS}?{option}"), None)
            .await;
        odata_error(response, 400, "BadRequest").await;
    }
}

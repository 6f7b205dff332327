use jiff::{SignedDuration, Timestamp};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::*;
use crate::crd::CreateIntent;

const NOW: &str = "2026-12-03T10:00:00Z";
const SET: &str = "9ab41255-5364-4c53-e15c-08dc4ab6ee03";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn resource(spec: serde_json::Value) -> OutboundProvisioningFlowSet {
    OutboundProvisioningFlowSet::new("district", serde_json::from_value(spec).unwrap())
}

fn district() -> OutboundProvisioningFlowSet {
    resource(serde_json::json!({"displayName": "District"}))
}

/// A resource asked to adopt the flow set of its name.
fn adopting() -> OutboundProvisioningFlowSet {
    resource(serde_json::json!({"displayName": "District", "adoption": "AdoptOrCreate"}))
}

fn graph_set(id: &str, name: &str, created: Timestamp) -> FlowSet {
    serde_json::from_value(serde_json::json!({
        "id": id, "displayName": name, "createdDateTime": created.to_string(),
    }))
    .unwrap()
}

fn intent(age: SignedDuration) -> OutboundProvisioningFlowSetStatus {
    OutboundProvisioningFlowSetStatus {
        create_intent: Some(CreateIntent {
            client_request_id: "c".into(),
            recorded_time: Time(now() - age),
        }),
        ..Default::default()
    }
}

fn plan_now(
    set: &OutboundProvisioningFlowSet,
    status: &OutboundProvisioningFlowSetStatus,
    observed: Observed,
) -> Result<Step, Error> {
    plan(set, status, observed, now())
}

#[test]
fn asked_to_adopt_a_new_resource_takes_the_one_flow_set_of_its_name_else_creates_one() {
    let old = now() - SignedDuration::from_hours(24);
    let listed = vec![
        graph_set(SET, "District", old),
        graph_set("o", "Other", old),
    ];
    match plan_now(&adopting(), &Default::default(), Observed::Listed(listed)).unwrap() {
        Step::Adopt {
            found,
            origin,
            update,
        } => {
            assert_eq!(
                (found.id.as_str(), origin, update),
                (SET, FlowSetOrigin::Adopted, false)
            );
        }
        step => panic!("{step:?}"),
    }
    let others = vec![graph_set("o", "Other", old)];
    assert_eq!(
        plan_now(&adopting(), &Default::default(), Observed::Listed(others)).unwrap(),
        Step::Create { recreate: false }
    );
}

#[test]
fn by_default_a_taken_name_stalls_rather_than_make_a_second_flow_set_or_take_it_over() {
    assert_eq!(district().spec.adoption, FlowSetAdoption::CreateOnly);
    let listed = vec![graph_set(SET, "District", now())];
    let error = plan_now(&district(), &Default::default(), Observed::Listed(listed)).unwrap_err();
    assert_eq!(error.reason(), crate::crd::Reason::FlowSetNameTaken);
    assert!(error.needs_person(), "a person decides");
    let message = error.to_string();
    assert!(
        message.contains(SET) && message.contains("AdoptOrCreate"),
        "{message}"
    );
    let others = vec![graph_set("o", "Other", now())];
    assert_eq!(
        plan_now(&district(), &Default::default(), Observed::Listed(others)).unwrap(),
        Step::Create { recreate: false }
    );
}

#[test]
fn several_flow_sets_of_the_name_stall_naming_their_ids() {
    let listed = vec![
        graph_set("a", "District", now()),
        graph_set("b", "District", now()),
    ];
    let error = plan_now(&adopting(), &Default::default(), Observed::Listed(listed)).unwrap_err();
    assert_eq!(error.reason(), crate::crd::Reason::FlowSetAmbiguous);
    assert!(error.to_string().contains("a, b"), "{error}");
}

#[test]
fn after_a_crash_the_flow_set_made_since_the_intent_is_ours_even_with_create_only() {
    let set = resource(serde_json::json!({"displayName": "District", "adoption": "CreateOnly"}));
    let status = intent(SignedDuration::from_secs(30));
    let listed = vec![
        graph_set("older", "District", now() - SignedDuration::from_hours(1)),
        graph_set("ours", "District", now() - SignedDuration::from_secs(29)),
    ];
    match plan_now(&set, &status, Observed::Listed(listed)).unwrap() {
        Step::Adopt { found, origin, .. } => {
            assert_eq!(
                (found.id.as_str(), origin),
                ("ours", FlowSetOrigin::Created)
            );
        }
        step => panic!("{step:?}"),
    }
}

#[test]
fn a_recent_intent_with_nothing_listed_waits_and_an_old_one_creates_again() {
    let listed = || {
        vec![graph_set(
            "older",
            "Other",
            now() - SignedDuration::from_hours(2),
        )]
    };
    let set = resource(serde_json::json!({"displayName": "District", "adoption": "CreateOnly"}));
    assert_eq!(
        plan_now(
            &set,
            &intent(SignedDuration::from_secs(10)),
            Observed::Listed(listed())
        )
        .unwrap(),
        Step::AwaitVisibility
    );
    assert_eq!(
        plan_now(
            &set,
            &intent(SignedDuration::from_hours(1)),
            Observed::Listed(listed())
        )
        .unwrap(),
        Step::Create { recreate: false }
    );
}

#[test]
fn a_recorded_flow_set_is_kept_updated_or_recreated_once_it_had_been_seen() {
    let mut set = district();
    let recorded = OutboundProvisioningFlowSetStatus {
        flow_set_id: Some(SET.into()),
        created_date_time: Some(NOW.into()),
        ..Default::default()
    };
    set.status = Some(recorded.clone());
    let by_id = |found: Option<FlowSet>| Observed::ById {
        id: SET.into(),
        found,
    };
    let same = graph_set(SET, "District", now());
    assert_eq!(
        plan_now(&set, &recorded, by_id(Some(same.clone()))).unwrap(),
        Step::Keep(same)
    );
    let renamed = graph_set(SET, "Renamed in the portal", now());
    assert_eq!(
        plan_now(&set, &recorded, by_id(Some(renamed.clone()))).unwrap(),
        Step::Update(renamed)
    );
    assert_eq!(
        plan_now(&set, &recorded, by_id(None)).unwrap(),
        Step::Create { recreate: true }
    );
    let never_seen = OutboundProvisioningFlowSetStatus {
        created_date_time: None,
        ..recorded
    };
    assert_eq!(
        plan_now(&set, &never_seen, by_id(None)).unwrap(),
        Step::AwaitVisibility
    );
}

#[test]
fn a_flow_set_named_by_id_or_only_observed_is_never_made_again() {
    let named = resource(serde_json::json!({"displayName": "District", "flowSetId": SET}));
    let gone = || Observed::ById {
        id: SET.into(),
        found: None,
    };
    let error = plan_now(&named, &Default::default(), gone()).unwrap_err();
    assert_eq!(error.reason(), crate::crd::Reason::FlowSetNotFound);
    let observer = resource(serde_json::json!({
        "displayName": "District", "managementPolicy": "ObserveOnly", "adoption": "AdoptOrCreate",
    }));
    let error = plan_now(&observer, &Default::default(), Observed::Listed(vec![])).unwrap_err();
    assert_eq!(error.reason(), crate::crd::Reason::FlowSetNotFound);
    // The schema refuses ObserveOnly with CreateOnly and no id; were one to slip through, it
    // still creates nothing.
    let creating_observer = resource(serde_json::json!({
        "displayName": "District", "managementPolicy": "ObserveOnly",
    }));
    let error = plan_now(
        &creating_observer,
        &Default::default(),
        Observed::Listed(vec![]),
    )
    .unwrap_err();
    assert_eq!(error.reason(), crate::crd::Reason::FlowSetNotFound);
    let renamed = graph_set(SET, "Renamed", now());
    match plan_now(
        &observer,
        &Default::default(),
        Observed::ById {
            id: SET.into(),
            found: Some(renamed),
        },
    ) {
        Ok(Step::Adopt { update: false, .. }) => {}
        other => panic!("an observer never updates: {other:?}"),
    }
}

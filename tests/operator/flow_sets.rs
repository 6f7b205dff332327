//! The `OutboundProvisioningFlowSet` kind end to end, against the real API server and the
//! emulator: create (once, and once across a crash), adoption by name and by id, flows that name
//! their set by `flowSetRef`, deletion that waits for those flows, the deletion policies, pause,
//! observe-only, throttling, updates and portal drift with a delegated credential, grants that
//! count a namespace's own flow sets, bad manifests, and what Argo CD (gopher-lua) and Flux
//! (kstatus) make of a flow set's status.

use graph_emulator::JournalEntry;
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::{Api, ResourceExt};
use sds_operator::crd::{
    FLOW_SET_CHOICE_MESSAGE, FLOW_SET_ID_KEPT_MESSAGE, FlowSetAdoption, FlowSetOrigin,
    FlowSetReference, NOTHING_TO_OBSERVE_MESSAGE, OutboundProvisioningFlowSet,
    OutboundProvisioningFlowSetStatus, PAUSED_ANNOTATION, SecurityGroupProvisioningFlow,
};
use sds_test_support::{DEFAULT_DEADLINE, eventually};
use serde_json::{Value, json};

use sds_test_harness::{
    OperatorUnderTest, Options, assert_retried_after, calls_after_settling, condition_is, is_ready,
    throttle_next_create, wait_gone, wait_on, writes,
};

use crate::crash::{hold, start_resyncing};

const SET: &str = "district";

/// The manifest of flow set resource `name` with `spec`, as a user would write it.
fn flow_set_manifest(namespace: &str, name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "industrydata.sds-operator.io/v1alpha1",
        "kind": "OutboundProvisioningFlowSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    })
}

fn status(set: &OutboundProvisioningFlowSet) -> OutboundProvisioningFlowSetStatus {
    set.status.clone().unwrap_or_default()
}

/// The condition `kind` of `set` has this status and reason.
fn set_condition(set: &OutboundProvisioningFlowSet, kind: &str, state: &str, reason: &str) -> bool {
    status(set)
        .conditions
        .iter()
        .any(|c| c.type_ == kind && c.status == state && c.reason == reason)
}

/// Ready at its current generation, with its create settled.
fn set_ready(set: &OutboundProvisioningFlowSet) -> bool {
    let status = status(set);
    set_condition(set, "Ready", "True", "FlowSetReady")
        && status.observed_generation == set.metadata.generation
        && status.create_intent.is_none()
        && status.flow_set_id.is_some()
}

/// Handled create POSTs of flow sets (not the ones the emulator abandoned).
fn set_creates(calls: &[JournalEntry]) -> Vec<&JournalEntry> {
    calls
        .iter()
        .filter(|c| {
            c.method == "POST"
                && c.path.ends_with("/outboundProvisioningFlowSets")
                && c.status != 499
        })
        .collect()
}

/// A security-group flow that names the flow set resource `set` instead of an id.
fn naming(mut flow: SecurityGroupProvisioningFlow, set: &str) -> SecurityGroupProvisioningFlow {
    flow.spec.flow.flow_set_id = None;
    flow.spec.flow.flow_set_ref = Some(FlowSetReference { name: set.into() });
    flow
}

struct Sets<'a> {
    operator: &'a OperatorUnderTest,
    api: Api<OutboundProvisioningFlowSet>,
}

impl<'a> Sets<'a> {
    fn of(operator: &'a OperatorUnderTest) -> Self {
        Self {
            operator,
            api: operator.test.api::<OutboundProvisioningFlowSet>(),
        }
    }

    /// Applies flow set resource `name` with `spec`, which may be one the API server refuses.
    async fn try_apply(
        &self,
        name: &str,
        spec: Value,
    ) -> kube::Result<OutboundProvisioningFlowSet> {
        let manifest = flow_set_manifest(&self.operator.test.namespace, name, spec);
        self.operator
            .apply_manifest(&self.api, name, &manifest)
            .await
    }

    async fn apply(&self, name: &str, spec: Value) -> OutboundProvisioningFlowSet {
        self.try_apply(name, spec)
            .await
            .unwrap_or_else(|e| panic!("apply {name}: {e}"))
    }

    async fn ready(&self, name: &str) -> OutboundProvisioningFlowSet {
        wait_on(&self.api, name, "Ready", set_ready).await
    }

    async fn delete(&self, name: &str) {
        self.api
            .delete(name, &DeleteParams::default())
            .await
            .expect("delete the flow set resource");
    }

    /// The flow set of this id as the emulator holds it.
    async fn in_graph(&self, id: &str) -> Option<graph_emulator::FlowSetSnapshot> {
        let state = self.operator.emulator.admin().state().await.expect("state");
        state.flow_sets.into_iter().find(|set| set.id == id)
    }
}

#[tokio::test]
async fn a_flow_set_is_created_once_its_flows_find_it_by_reference_and_it_goes_last() {
    let operator = OperatorUnderTest::start("set-lifecycle").await;
    let sets = Sets::of(&operator);
    let mut groups = naming(operator.resource("groups").build(), SET);
    groups.spec.flow.policies.deletion_policy = Some(sds_operator::crd::DeletionPolicy::Delete);
    operator.apply(&groups).await;
    let waiting = operator
        .wait_for("groups", "waiting for its flow set", |flow| {
            condition_is(flow, "Reconciling", "True", "FlowSetPending")
        })
        .await;
    assert!(
        !is_ready(&waiting) && !condition_is(&waiting, "Stalled", "True", "FlowSetPending"),
        "waiting is in progress, not stalled"
    );
    let calls = operator.graph_calls(0).await;
    assert!(
        calls.iter().all(|c| !c.path.contains("/provisioningFlows")),
        "no flow call before the set has an id: {calls:#?}"
    );

    sets.apply(
        SET,
        json!({"displayName": "District", "filter": {"orgExternalIds": ["school-b", "school-a"]},
               "deletionPolicy": "Delete"}),
    )
    .await;
    let ready = sets.ready(SET).await;
    let set_id = status(&ready).flow_set_id.expect("an id");
    assert_eq!(status(&ready).origin, Some(FlowSetOrigin::Created));
    assert_ne!(
        set_id, operator.flow_set_id,
        "a new flow set, not the seeded one"
    );
    let in_graph = sets.in_graph(&set_id).await.expect("the flow set in Graph");
    assert_eq!(in_graph.display_name, "District");
    let filter = in_graph.filter.expect("a filter");
    assert_eq!(filter["attribute"], json!("orgExternalId"));
    assert_eq!(filter["in"], json!(["school-b", "school-a"]));
    let calls = operator.graph_calls(0).await;
    assert_eq!(set_creates(&calls).len(), 1, "{calls:#?}");

    let flow = operator
        .wait_for("groups", "Ready in the new flow set", is_ready)
        .await;
    let flow_status = flow.status.clone().unwrap_or_default();
    assert_eq!(flow_status.flow_set_id.as_deref(), Some(set_id.as_str()));
    assert_eq!(operator.graph_flows_in(&set_id).await.len(), 1);

    // Deleting the set first waits for the flow that names it.
    sets.delete(SET).await;
    let waiting = wait_on(&sets.api, SET, "waiting for its flows", |set| {
        set_condition(set, "Ready", "False", "FlowsRemain")
    })
    .await;
    let message = status(&waiting)
        .conditions
        .into_iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| c.message)
        .unwrap_or_default();
    assert!(
        message.contains("securitygroupprovisioningflow/groups"),
        "{message}"
    );
    assert!(sets.in_graph(&set_id).await.is_some(), "still in Graph");

    operator
        .api
        .delete("groups", &DeleteParams::default())
        .await
        .expect("delete the flow");
    wait_gone(&sets.api, SET).await;
    assert!(sets.in_graph(&set_id).await.is_none(), "deleted in Graph");
    let calls = operator.graph_calls(0).await;
    let deletes: Vec<&str> = calls
        .iter()
        .filter(|c| c.method == "DELETE")
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(deletes.len(), 2, "{deletes:#?}");
    assert!(
        deletes[0].contains("/provisioningFlows/"),
        "the flow first: {deletes:#?}"
    );
    assert!(deletes[1].ends_with(&set_id), "then the set: {deletes:#?}");
}

#[tokio::test]
async fn a_flow_set_of_a_taken_name_is_adopted_only_when_asked_and_one_is_observed_by_id_without_a_write()
 {
    let operator = OperatorUnderTest::start("set-adopt").await;
    let sets = Sets::of(&operator);
    let seeded_name = format!("{} schools", operator.test.namespace);
    let applied = sets
        .apply("adopted", json!({"displayName": seeded_name}))
        .await;
    assert_eq!(
        applied.spec.adoption,
        FlowSetAdoption::CreateOnly,
        "the default"
    );
    let taken = wait_on(&sets.api, "adopted", "Stalled: the name is taken", |set| {
        set_condition(set, "Stalled", "True", "FlowSetNameTaken")
    })
    .await;
    let said = message(&taken, "Stalled");
    assert!(
        said.contains(&operator.flow_set_id) && said.contains("AdoptOrCreate"),
        "{said}"
    );

    sets.apply(
        "adopted",
        json!({"displayName": seeded_name, "adoption": "AdoptOrCreate"}),
    )
    .await;
    let adopted = sets.ready("adopted").await;
    assert_eq!(
        status(&adopted).flow_set_id,
        Some(operator.flow_set_id.clone())
    );
    assert_eq!(status(&adopted).origin, Some(FlowSetOrigin::Adopted));

    sets.apply(
        "observer",
        json!({"displayName": "a name Graph does not have", "flowSetId": operator.flow_set_id,
               "managementPolicy": "ObserveOnly", "deletionPolicy": "Delete"}),
    )
    .await;
    let observed = sets.ready("observer").await;
    assert_eq!(
        status(&observed).display_name.as_deref(),
        Some(seeded_name.as_str()),
        "status shows Graph's name"
    );
    sets.delete("observer").await;
    wait_gone(&sets.api, "observer").await;
    let calls = operator.graph_calls(0).await;
    assert!(writes(&calls).is_empty(), "no write: {calls:#?}");
    assert!(sets.in_graph(&operator.flow_set_id).await.is_some());
}

#[tokio::test]
async fn a_crash_between_the_create_post_and_the_status_write_makes_one_flow_set() {
    let (operator, mut process) =
        start_resyncing("set-crash", std::time::Duration::from_secs(3)).await;
    let sets = Sets::of(&operator);
    let admin = operator.emulator.admin();
    admin
        .add_fault(&hold("/outboundProvisioningFlowSets".into(), false))
        .await
        .expect("add fault");
    sets.apply(
        SET,
        json!({"displayName": "District", "adoption": "CreateOnly"}),
    )
    .await;
    let post = eventually(
        "Graph to carry out the create POST",
        DEFAULT_DEADLINE,
        || async {
            let calls = operator.graph_calls(0).await;
            set_creates(&calls)
                .first()
                .map(|post| (*post).clone())
                .ok_or_else(|| format!("{calls:#?}"))
        },
    )
    .await;
    process.kill();
    let crashed = status(&sets.api.get(SET).await.expect("get"));
    let intent = crashed
        .create_intent
        .expect("the intent recorded before the POST");
    assert_eq!(crashed.flow_set_id, None);
    assert_eq!(
        post.client_request_id.as_deref(),
        Some(intent.client_request_id.as_str())
    );
    let made: Vec<String> = admin
        .state()
        .await
        .expect("state")
        .flow_sets
        .into_iter()
        .filter(|set| set.display_name == "District")
        .map(|set| set.id)
        .collect();
    assert_eq!(made.len(), 1, "{made:#?}");

    admin.clear_faults().await.expect("clear faults");
    process.restart();
    let ready = sets.ready(SET).await;
    assert_eq!(
        status(&ready).flow_set_id.as_deref(),
        Some(made[0].as_str())
    );
    assert_eq!(status(&ready).origin, Some(FlowSetOrigin::Created));
    let calls = operator.graph_calls(0).await;
    assert_eq!(
        set_creates(&calls).len(),
        1,
        "never a second POST: {calls:#?}"
    );
}

#[tokio::test]
async fn a_paused_flow_set_calls_nothing_and_orphan_leaves_it_in_graph() {
    let operator = OperatorUnderTest::start("set-pause").await;
    let sets = Sets::of(&operator);
    let mut paused = flow_set_manifest(
        &operator.test.namespace,
        SET,
        json!({"displayName": "District", "deletionPolicy": "Orphan"}),
    );
    paused["metadata"]["annotations"] = json!({ PAUSED_ANNOTATION: "true" });
    operator
        .apply_manifest(&sets.api, SET, &paused)
        .await
        .expect("apply");
    wait_on(&sets.api, SET, "paused", |set| {
        set_condition(set, "Synced", "False", "Paused")
    })
    .await;
    let calls = operator.graph_calls(0).await;
    assert!(
        calls
            .iter()
            .all(|c| !c.path.contains("outboundProvisioningFlowSets")),
        "no Graph call while paused: {calls:#?}"
    );

    let unpaused = sets
        .apply(
            SET,
            json!({"displayName": "District", "deletionPolicy": "Orphan"}),
        )
        .await;
    assert!(!unpaused.annotations().contains_key(PAUSED_ANNOTATION));
    let ready = sets.ready(SET).await;
    let id = status(&ready).flow_set_id.expect("an id");
    sets.delete(SET).await;
    wait_gone(&sets.api, SET).await;
    assert!(sets.in_graph(&id).await.is_some(), "Orphan leaves it");
    let calls = operator.graph_calls(0).await;
    assert!(calls.iter().all(|c| c.method != "DELETE"), "{calls:#?}");
}

#[tokio::test]
async fn a_throttled_flow_set_create_is_sent_once_more_after_retry_after() {
    const RETRY_AFTER: u64 = 2;
    let operator = OperatorUnderTest::start("set-throttle").await;
    let sets = Sets::of(&operator);
    throttle_next_create(&operator, "/outboundProvisioningFlowSets", RETRY_AFTER).await;
    sets.apply(SET, json!({"displayName": "District"})).await;
    sets.ready(SET).await;
    let calls = operator.graph_calls(0).await;
    assert_retried_after(&set_creates(&calls), RETRY_AFTER);
}

#[tokio::test]
async fn renaming_a_flow_set_with_application_permissions_is_refused_saying_why() {
    let operator = OperatorUnderTest::start("set-rename").await;
    let sets = Sets::of(&operator);
    sets.apply(SET, json!({"displayName": "District"})).await;
    let ready = sets.ready(SET).await;
    let id = status(&ready).flow_set_id.expect("an id");
    sets.apply(SET, json!({"displayName": "District 2027"}))
        .await;
    let stalled = wait_on(&sets.api, SET, "Stalled on the update", |set| {
        set_condition(set, "Stalled", "True", "PermissionDenied")
    })
    .await;
    let message = status(&stalled)
        .conditions
        .into_iter()
        .find(|c| c.type_ == "Stalled")
        .map(|c| c.message)
        .unwrap_or_default();
    assert!(
        message.contains("updating the outbound provisioning flow set")
            && message.contains("application permissions"),
        "{message}"
    );
    let in_graph = sets.in_graph(&id).await.expect("in Graph");
    assert_eq!(in_graph.display_name, "District");
}

#[tokio::test]
async fn a_grant_of_a_namespaces_own_flow_sets_covers_what_it_created_and_nothing_else() {
    let options = Options {
        grant: Some(Options::grant(
            json!({"createdInNamespace": true}),
            &["Manage", "Adopt", "Delete"],
        )),
        ..Options::default()
    };
    let operator = OperatorUnderTest::start_with("set-grants", options).await;
    let sets = Sets::of(&operator);
    sets.apply(
        SET,
        json!({"displayName": "District", "adoption": "CreateOnly"}),
    )
    .await;
    let ready = sets.ready(SET).await;
    let own = status(&ready).flow_set_id.expect("an id");
    operator
        .apply(&naming(operator.resource("groups").build(), SET))
        .await;
    operator
        .wait_for("groups", "Ready in the namespace's own flow set", is_ready)
        .await;
    assert_eq!(operator.graph_flows_in(&own).await.len(), 1);

    // The seeded flow set is someone else's: neither a flow nor a set resource may touch it.
    operator.apply(&operator.resource("foreign").build()).await;
    operator
        .wait_for("foreign", "NotGranted", |flow| {
            condition_is(flow, "Stalled", "True", "NotGranted")
        })
        .await;
    let before = operator.journal_position().await;
    let seeded_name = format!("{} schools", operator.test.namespace);
    sets.apply(
        "taker",
        json!({"displayName": seeded_name, "adoption": "AdoptOrCreate"}),
    )
    .await;
    wait_on(&sets.api, "taker", "NotGranted", |set| {
        set_condition(set, "Stalled", "True", "NotGranted")
    })
    .await;
    let calls = operator.graph_calls(before).await;
    assert!(writes(&calls).is_empty(), "{calls:#?}");
    assert!(
        operator
            .graph_flows_in(&operator.flow_set_id)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn the_api_server_refuses_flow_and_flow_set_manifests_that_say_nothing_clearly() {
    let operator = OperatorUnderTest::start("set-validation").await;
    let sets = Sets::of(&operator);
    let mut both = operator.resource("both").build();
    both.spec.flow.flow_set_ref = Some(FlowSetReference { name: SET.into() });
    let neither = naming(operator.resource("neither").build(), SET);
    let mut neither = neither;
    neither.spec.flow.flow_set_ref = None;
    for flow in [both, neither] {
        let error = operator
            .apply_through(&operator.api, &flow)
            .await
            .expect_err("refused");
        assert!(
            error.to_string().contains(FLOW_SET_CHOICE_MESSAGE),
            "{error}"
        );
    }
    let by_id = operator.apply(&operator.resource("by-id").build()).await;
    let swapped = naming(by_id, SET);
    let error = operator
        .apply_through(&operator.api, &swapped)
        .await
        .expect_err("a flow keeps its way of naming its set");
    assert!(
        error.to_string().contains(FLOW_SET_CHOICE_MESSAGE),
        "{error}"
    );

    for (spec, field) in [
        (json!({}), "spec.displayName"),
        (json!({"displayName": ""}), "spec.displayName"),
        (
            json!({"displayName": "D", "filter": {"orgExternalIds": []}}),
            "spec.filter.orgExternalIds",
        ),
        (
            json!({"displayName": "D", "flowSetId": "not-a-guid"}),
            "spec.flowSetId",
        ),
        (
            json!({"displayName": "D", "adoption": "Sometimes"}),
            "spec.adoption",
        ),
        (
            json!({"displayName": "D", "managementPolicy": "ObserveOnly", "adoption": "CreateOnly"}),
            NOTHING_TO_OBSERVE_MESSAGE,
        ),
        (
            json!({"displayName": "D", "managementPolicy": "ObserveOnly"}),
            NOTHING_TO_OBSERVE_MESSAGE,
        ),
    ] {
        let error = sets
            .try_apply("bad", spec.clone())
            .await
            .expect_err("refused");
        assert!(error.to_string().contains(field), "{spec}: {error}");
    }
    let pinned = json!({"displayName": "D", "flowSetId": operator.flow_set_id, "managementPolicy": "ObserveOnly"});
    sets.apply("pinned", pinned).await;
    let error = sets
        .api
        .patch(
            "pinned",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"flowSetId": null}})),
        )
        .await
        .expect_err("flowSetId stays");
    assert!(
        error.to_string().contains(FLOW_SET_ID_KEPT_MESSAGE),
        "{error}"
    );
}

#[tokio::test]
async fn with_a_delegated_credential_a_flow_set_follows_its_spec_and_portal_drift_is_set_back() {
    let (operator, _) =
        crate::delegated::signed_in("set-drift", Options::resyncing_every_second()).await;
    let sets = Sets::of(&operator);
    let spec = |name: &str, schools: &[&str]| {
        json!({"displayName": name, "filter": {"orgExternalIds": schools},
               "credentialsSecretRef": {"name": crate::delegated::SECRET_NAME}})
    };
    sets.apply(SET, spec("District", &["school-a"])).await;
    let id = status(&sets.ready(SET).await).flow_set_id.expect("an id");

    // The spec changes: Graph follows, as a delegated credential may update a flow set.
    sets.apply(SET, spec("District 2027", &["school-a", "school-b"]))
        .await;
    let updated = sets.ready(SET).await;
    assert_eq!(
        status(&updated).display_name.as_deref(),
        Some("District 2027")
    );
    let in_graph = sets.in_graph(&id).await.expect("in Graph");
    assert_eq!(in_graph.display_name, "District 2027");
    assert_eq!(
        in_graph.filter.expect("a filter")["in"],
        json!(["school-a", "school-b"])
    );

    // Someone renames it and narrows its schools in the SDS portal: the next resync sets both back.
    let before = operator.journal_position().await;
    let portal_filter = json!({"@odata.type": "#microsoft.graph.industryData.basicFilter",
                               "attribute": "orgExternalId", "in": ["school-z"]});
    operator
        .emulator
        .admin()
        .edit_flow_set(
            &id,
            &graph_emulator::SeedFlowSet {
                id: None,
                display_name: Some("Renamed in the portal".into()),
                filter: Some(portal_filter),
            },
        )
        .await
        .expect("edit the flow set");
    let event = operator.wait_for_event(SET, "DriftCorrected").await;
    assert_eq!(event.type_.as_deref(), Some("Warning"), "{event:?}");
    let note = event.note.unwrap_or_default();
    assert!(
        note.contains("Renamed in the portal") && note.contains("school-z"),
        "the event says what Graph had: {note}"
    );
    let calls = calls_after_settling(&operator, before, 2).await;
    let writes = writes(&calls);
    assert_eq!(writes.len(), 1, "one PATCH sets it back: {calls:#?}");
    assert_eq!(writes[0].method, "PATCH");
    let set = sets.in_graph(&id).await.expect("in Graph");
    assert_eq!(set.display_name, "District 2027");
    assert_eq!(
        set.filter.expect("a filter")["in"],
        json!(["school-a", "school-b"])
    );
}

/// Argo CD's verdict (status, message) on `set`, from the shipped health check run by gopher-lua.
async fn argo_cd_health(set: &OutboundProvisioningFlowSet) -> (String, String) {
    let object = serde_json::to_vec(set).expect("serialize");
    let verdict = crate::argocd::run_lua("health.lua", &object).await;
    let text = |key: &str| verdict[key].as_str().unwrap_or_default().to_owned();
    (text("status"), text("message"))
}

fn message(set: &OutboundProvisioningFlowSet, kind: &str) -> String {
    status(set)
        .conditions
        .into_iter()
        .find(|c| c.type_ == kind)
        .map(|c| c.message.to_string())
        .unwrap_or_else(|| panic!("no {kind} condition"))
}

/// kstatus's verdict (status, message) on `set`, as Flux would judge it.
async fn kstatus(set: &OutboundProvisioningFlowSet) -> (String, String) {
    let verdict = crate::kstatus::kstatus_of(&serde_json::to_vec(set).expect("serialize")).await;
    (verdict.status, verdict.message)
}

#[tokio::test]
async fn argo_cd_and_kstatus_judge_a_flow_set_by_its_conditions() {
    let operator = OperatorUnderTest::start("set-judges").await;
    let sets = Sets::of(&operator);
    let applied = sets.apply(SET, json!({"displayName": "District"})).await;
    let (unseen, _) = kstatus(&applied).await;
    assert_eq!(unseen, "InProgress", "not processed yet: {applied:?}");
    let ready = sets.ready(SET).await;
    assert_eq!(
        argo_cd_health(&ready).await,
        ("Healthy".into(), message(&ready, "Ready"))
    );
    assert_eq!(kstatus(&ready).await.0, "Current");

    sets.apply(
        "observer",
        json!({"displayName": "No such flow set", "managementPolicy": "ObserveOnly",
               "adoption": "AdoptOrCreate"}),
    )
    .await;
    let stalled = wait_on(&sets.api, "observer", "Stalled", |set| {
        set_condition(set, "Stalled", "True", "FlowSetNotFound")
    })
    .await;
    let said = message(&stalled, "Stalled");
    assert!(said.contains("No such flow set"), "{said}");
    assert_eq!(
        argo_cd_health(&stalled).await,
        ("Degraded".into(), said.clone())
    );
    assert_eq!(kstatus(&stalled).await, ("Failed".into(), said));
}

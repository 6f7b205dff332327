//! The guarantees of a flow resource, held by every flow kind: one test body per behaviour,
//! instantiated for each kind (security group, administrative unit, class group, user). Graph's
//! side is read from the emulator's state and journal, the settings compared with what Graph's
//! docs say it holds ([`Sample::graph_settings`]).

use graph_emulator::JournalEntry;
use kube::api::DeleteParams;
use sds_operator::crd::{PAUSED_ANNOTATION, RESET_ANNOTATION, ResetOutcome};
use sds_test_support::{DEFAULT_DEADLINE, eventually};
use serde_json::{Value, json};

use sds_test_harness::{
    KindUnderTest, OperatorUnderTest, Options, Sample, Variant, assert_retried_after,
    calls_after_settling, condition_is, contains, is_ready, throttle_next_create, writes,
};

use crate::crash::{hold, start_resyncing};

const NAME: &str = "flow";

/// Calls that create a flow (POSTs to a set's flows), handled by Graph or answered by a fault,
/// but not the ones the emulator abandoned.
fn creates(calls: &[JournalEntry]) -> Vec<&JournalEntry> {
    calls
        .iter()
        .filter(|call| {
            call.method == "POST" && call.path.ends_with("/provisioningFlows") && call.status != 499
        })
        .collect()
}

/// Whether status mirrors settings the `variant` sample asks for: status shows Graph's view.
fn mirrors<K: Sample>(kind: &KindUnderTest<'_, K>, flow: &K, variant: Variant) -> bool {
    let sample = kind.sample(NAME, variant);
    flow.flow_status()
        .and_then(|status| K::mirrored(&status.mirrored))
        .is_some_and(|found| sample.matches(&found))
}

/// Ready with its create settled (no intent left); returns the flow id.
async fn settled<K: Sample>(kind: &KindUnderTest<'_, K>, name: &str) -> String {
    let flow = kind
        .wait_for(name, "Ready with its create settled", |flow| {
            is_ready(flow)
                && flow
                    .flow_status()
                    .is_some_and(|s| s.create_intent.is_none())
        })
        .await;
    flow.flow_status()
        .and_then(|status| status.flow_id.clone())
        .expect("a Ready resource records its flow id")
}

async fn delete<K: Sample>(kind: &KindUnderTest<'_, K>, name: &str) {
    kind.api
        .delete(name, &DeleteParams::default())
        .await
        .expect("delete the resource");
    kind.wait_deleted(name).await;
}

/// Create, update and delete: one POST of the kind's type and settings, one PATCH for a changed
/// spec, one DELETE under deletionPolicy Delete; status mirrors Graph at every step.
pub(crate) async fn lifecycle<K: Sample>(tag: &str) {
    let operator = OperatorUnderTest::start(&format!("{tag}-lifecycle")).await;
    let kind = operator.kind::<K>();
    let manifest = |variant| {
        kind.manifest(NAME, variant)
            .with("deletionPolicy", "Delete")
    };
    kind.apply(&manifest(Variant::First).build()).await;
    let flow_id = settled(&kind, NAME).await;
    let flows = kind.graph_flows().await;
    assert_eq!(flows.len(), 1, "one flow: {flows:#?}");
    assert_eq!(flows[0].id, flow_id);
    assert!(
        KindUnderTest::<K>::holds(&flows[0], Variant::First),
        "{flows:#?}"
    );
    let calls = operator.graph_calls(0).await;
    let posts = creates(&calls);
    assert_eq!(posts.len(), 1, "{calls:#?}");
    assert_eq!(posts[0].body["@odata.type"], json!(K::ODATA_TYPE));
    assert!(
        contains(
            &posts[0].body,
            &Value::Object(K::graph_settings(Variant::First))
        ),
        "the create sends the settings: {}",
        posts[0].body
    );
    let ready = kind.api.get(NAME).await.expect("get");
    assert!(
        mirrors(&kind, &ready, Variant::First),
        "{:#?}",
        ready.flow_status()
    );

    let before = operator.journal_position().await;
    let changed = kind.apply(&manifest(Variant::Second).build()).await;
    kind.wait_for(NAME, "Ready at the new generation", |flow| {
        is_ready(flow)
            && flow.flow_status().and_then(|s| s.observed_generation) == changed.meta().generation
            && mirrors(&kind, flow, Variant::Second)
    })
    .await;
    let calls = calls_after_settling(&operator, before, 1).await;
    let sent = writes(&calls);
    assert_eq!(sent.len(), 1, "one write for the change: {calls:#?}");
    assert_eq!(sent[0].method, "PATCH");
    assert!(sent[0].path.ends_with(&flow_id), "{}", sent[0].path);
    assert!(
        contains(
            &sent[0].body,
            &Value::Object(K::graph_settings(Variant::Second))
        ),
        "{}",
        sent[0].body
    );
    let flows = kind.graph_flows().await;
    assert!(
        KindUnderTest::<K>::holds(&flows[0], Variant::Second),
        "{flows:#?}"
    );

    let before = operator.journal_position().await;
    delete(&kind, NAME).await;
    assert!(kind.graph_flows().await.is_empty(), "the flow is deleted");
    let calls = operator.graph_calls(before).await;
    let deletes: Vec<_> = calls.iter().filter(|c| c.method == "DELETE").collect();
    assert_eq!(deletes.len(), 1, "{calls:#?}");
    assert!(deletes[0].path.ends_with(&flow_id));
}

/// A flow already in Graph with the same settings is adopted: no create, no update.
pub(crate) async fn adoption<K: Sample>(tag: &str) {
    let operator = OperatorUnderTest::start(&format!("{tag}-adopt")).await;
    let kind = operator.kind::<K>();
    let seeded = kind.seed(Variant::First).await;
    kind.apply(&kind.sample(NAME, Variant::First)).await;
    assert_eq!(settled(&kind, NAME).await, seeded);
    let calls = calls_after_settling(&operator, 0, 1).await;
    assert!(writes(&calls).is_empty(), "nothing written: {calls:#?}");
    assert_eq!(kind.graph_flows().await.len(), 1);
}

/// The operator killed after Graph carried out the create POST and before status recorded the
/// id: the restarted operator adopts the flow it made, never a second one.
pub(crate) async fn crash_after_create<K: Sample>(tag: &str) {
    let (operator, mut process) =
        start_resyncing(&format!("{tag}-crash"), Options::default().resync_period).await;
    let kind = operator.kind::<K>();
    let admin = operator.emulator.admin();
    admin
        .add_fault(&hold(
            format!("{}/provisioningFlows", operator.flow_set_id),
            false,
        ))
        .await
        .expect("hold the create's answer");
    kind.apply(&kind.sample(NAME, Variant::First)).await;
    eventually(
        "Graph to carry out the create",
        DEFAULT_DEADLINE,
        || async {
            let calls = operator.graph_calls(0).await;
            (creates(&calls).len() == 1)
                .then_some(())
                .ok_or_else(|| format!("{calls:#?}"))
        },
    )
    .await;
    process.kill();
    let crashed = kind.api.get(NAME).await.expect("get");
    let status = crashed.status_or_default();
    assert!(
        status.create_intent.is_some() && status.flow_id.is_none(),
        "{status:#?}"
    );

    admin.clear_faults().await.expect("clear faults");
    process.restart();
    let flow_id = settled(&kind, NAME).await;
    let flows = kind.graph_flows().await;
    assert_eq!(flows.len(), 1, "no duplicate: {flows:#?}");
    assert_eq!(flows[0].id, flow_id);
    let calls = operator.graph_calls(0).await;
    assert_eq!(creates(&calls).len(), 1, "one create: {calls:#?}");
}

/// A new reset token, applied again and again, is one reset POST.
pub(crate) async fn reset_once<K: Sample>(tag: &str) {
    let operator = OperatorUnderTest::start(&format!("{tag}-reset")).await;
    let kind = operator.kind::<K>();
    kind.apply(&kind.sample(NAME, Variant::First)).await;
    let flow_id = settled(&kind, NAME).await;
    for token in ["2026-12-03T08:00:00Z", "2026-12-03T09:00:00Z"] {
        let with_token = kind
            .manifest(NAME, Variant::First)
            .annotated(RESET_ANNOTATION, token)
            .build::<K>();
        // GitOps re-applies the same manifest over and over.
        for _ in 0..5 {
            kind.apply(&with_token).await;
        }
        kind.wait_for(NAME, "reset accepted", |flow| {
            flow.flow_status()
                .and_then(|status| status.reset.as_ref())
                .is_some_and(|reset| {
                    reset.last_handled_token.as_deref() == Some(token)
                        && reset.outcome == Some(ResetOutcome::Accepted)
                })
        })
        .await;
    }
    // The second token's reset is the sentinel: every re-apply of the first came before it.
    let calls = operator.graph_calls(0).await;
    let resets: Vec<_> = calls
        .iter()
        .filter(|call| call.method == "POST" && call.path.ends_with("/reset"))
        .collect();
    assert_eq!(resets.len(), 2, "one reset per token: {calls:#?}");
    assert!(resets.iter().all(|reset| reset.path.contains(&flow_id)));
}

/// Under the default deletion policy (Orphan) a deleted resource leaves its flow in Graph.
pub(crate) async fn orphan_on_delete<K: Sample>(tag: &str) {
    let operator = OperatorUnderTest::start(&format!("{tag}-orphan")).await;
    let kind = operator.kind::<K>();
    kind.apply(&kind.sample(NAME, Variant::First)).await;
    let flow_id = settled(&kind, NAME).await;
    let before = operator.journal_position().await;
    delete(&kind, NAME).await;
    let flows = kind.graph_flows().await;
    assert_eq!(flows.len(), 1, "the flow stays: {flows:#?}");
    assert_eq!(flows[0].id, flow_id);
    let calls = operator.graph_calls(before).await;
    assert!(writes(&calls).is_empty(), "nothing written: {calls:#?}");
}

/// Settings changed in Graph (as in the SDS portal) are set back with one PATCH, with a warning.
pub(crate) async fn drift<K: Sample>(tag: &str) {
    let operator =
        OperatorUnderTest::start_with(&format!("{tag}-drift"), Options::resyncing_every_second())
            .await;
    let kind = operator.kind::<K>();
    kind.apply(&kind.sample(NAME, Variant::First)).await;
    let flow_id = settled(&kind, NAME).await;
    let before = operator.journal_position().await;
    operator
        .emulator
        .admin()
        .set_properties(&flow_id, &K::graph_settings(Variant::Second))
        .await
        .expect("edit the flow in Graph");
    let event = operator.wait_for_event(NAME, "DriftCorrected").await;
    assert_eq!(event.type_.as_deref(), Some("Warning"), "{event:?}");
    let calls = calls_after_settling(&operator, before, 2).await;
    let sent = writes(&calls);
    assert_eq!(sent.len(), 1, "one write sets it back: {calls:#?}");
    assert_eq!(sent[0].method, "PATCH");
    let flows = kind.graph_flows().await;
    assert!(
        KindUnderTest::<K>::holds(&flows[0], Variant::First),
        "{flows:#?}"
    );
}

/// A paused new resource calls nothing of Graph's flows until the annotation goes.
pub(crate) async fn pause<K: Sample>(tag: &str) {
    let operator = OperatorUnderTest::start(&format!("{tag}-pause")).await;
    let kind = operator.kind::<K>();
    let paused = kind
        .manifest(NAME, Variant::First)
        .annotated(PAUSED_ANNOTATION, "true")
        .build::<K>();
    kind.apply(&paused).await;
    kind.wait_for(NAME, "Paused", |flow| {
        condition_is(flow, "Synced", "False", "Paused")
    })
    .await;
    let calls = operator.graph_calls(0).await;
    assert!(
        !calls
            .iter()
            .any(|call| call.path.contains("provisioningFlows")),
        "no flow call while paused: {calls:#?}"
    );
    kind.apply(&kind.sample(NAME, Variant::First)).await;
    settled(&kind, NAME).await;
    assert_eq!(kind.graph_flows().await.len(), 1);
}

/// ObserveOnly mirrors a flow whose settings differ from the spec and never writes.
pub(crate) async fn observe_only<K: Sample>(tag: &str) {
    let operator = OperatorUnderTest::start(&format!("{tag}-observe")).await;
    let kind = operator.kind::<K>();
    let seeded = kind.seed(Variant::Second).await;
    let observing = kind
        .manifest(NAME, Variant::First)
        .with("managementPolicy", "ObserveOnly")
        .with("deletionPolicy", "Delete")
        .build::<K>();
    kind.apply(&observing).await;
    kind.wait_for(NAME, "Ready, mirroring Graph's settings", |flow| {
        is_ready(flow)
            && flow.flow_status().and_then(|s| s.flow_id.as_deref()) == Some(seeded.as_str())
            && mirrors(&kind, flow, Variant::Second)
    })
    .await;
    delete(&kind, NAME).await;
    let calls = operator.graph_calls(0).await;
    assert!(writes(&calls).is_empty(), "nothing written: {calls:#?}");
    let flows = kind.graph_flows().await;
    assert!(
        KindUnderTest::<K>::holds(&flows[0], Variant::Second),
        "{flows:#?}"
    );
}

/// A create answered 429 is sent again only after Retry-After, once.
pub(crate) async fn throttled_create<K: Sample>(tag: &str) {
    const RETRY_AFTER: u64 = 2;
    let operator = OperatorUnderTest::start(&format!("{tag}-throttle")).await;
    let kind = operator.kind::<K>();
    throttle_next_create(&operator, "/provisioningFlows", RETRY_AFTER).await;
    kind.apply(&kind.sample(NAME, Variant::First)).await;
    settled(&kind, NAME).await;
    let calls = operator.graph_calls(0).await;
    assert_retried_after(&creates(&calls), RETRY_AFTER);
    assert_eq!(kind.graph_flows().await.len(), 1);
}

/// The newer of two resources of the kind on one flow set stalls without calling Graph.
pub(crate) async fn one_per_set<K: Sample>(tag: &str) {
    let operator = OperatorUnderTest::start(&format!("{tag}-conflict")).await;
    let kind = operator.kind::<K>();
    kind.apply(&kind.sample("older", Variant::First)).await;
    settled(&kind, "older").await;
    let before = operator.journal_position().await;
    kind.apply(&kind.sample("newer", Variant::Second)).await;
    kind.wait_for("newer", "Stalled in Conflict", |flow| {
        condition_is(flow, "Stalled", "True", "Conflict")
    })
    .await;
    let calls = operator.graph_calls(before).await;
    assert!(
        !calls
            .iter()
            .any(|call| call.path.contains("provisioningFlows")),
        "the newer calls no flow of Graph's: {calls:#?}"
    );
    let flows = kind.graph_flows().await;
    assert!(
        KindUnderTest::<K>::holds(&flows[0], Variant::First),
        "{flows:#?}"
    );
}

/// The spec schema refuses each missing required member and each settings member of the wrong
/// JSON type at `kubectl apply`, naming the field.
pub(crate) async fn bad_manifests<K: Sample>(tag: &str) {
    let operator = OperatorUnderTest::start(&format!("{tag}-invalid")).await;
    let kind = operator.kind::<K>();
    let good = serde_json::to_value(kind.sample(NAME, Variant::First)).expect("serialize");
    let crd = K::crd();
    let schema = crd.spec.versions[0]
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .and_then(|s| s.properties.as_ref())
        .and_then(|p| p.get("spec"))
        .cloned()
        .expect("a spec schema");
    let mut cases: Vec<(String, Value)> = Vec::new();
    for required in schema.required.iter().flatten() {
        let mut manifest = good.clone();
        manifest["spec"]
            .as_object_mut()
            .map(|spec| spec.remove(required));
        cases.push((required.clone(), manifest));
    }
    for member in K::graph_settings(Variant::First).keys() {
        let mut manifest = good.clone();
        manifest["spec"][member] = json!("not an object");
        cases.push((member.clone(), manifest));
    }
    let mut manifest = good.clone();
    manifest["spec"]["flowSetId"] = json!("not-a-guid");
    cases.push(("flowSetId".to_owned(), manifest));
    assert!(cases.len() >= 3, "{cases:?}");

    for (index, (field, manifest)) in cases.iter().enumerate() {
        let path = operator
            .test
            .control_plane
            .scratch_dir()
            .join(format!("{}-{index}.json", operator.test.namespace));
        std::fs::write(&path, manifest.to_string()).expect("write the manifest");
        let output = operator
            .kubectl(&[
                "apply",
                "--namespace",
                &operator.test.namespace,
                "-f",
                &path.display().to_string(),
            ])
            .await;
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success() && error.contains(&format!("spec.{field}")),
            "{} without a valid {field}: {error}",
            K::kind(&())
        );
    }
    assert!(kind.api.get_opt(NAME).await.expect("get").is_none());
}

/// Instantiates every behaviour above for one kind, in a module of its own.
macro_rules! every_behaviour {
    ($module:ident, $kind:ty) => {
        mod $module {
            use super::*;

            const TAG: &str = stringify!($module);

            #[tokio::test]
            async fn creates_updates_and_deletes_one_flow() {
                lifecycle::<$kind>(TAG).await;
            }

            #[tokio::test]
            async fn adopts_a_flow_with_its_settings_without_writing() {
                adoption::<$kind>(TAG).await;
            }

            #[tokio::test]
            async fn a_crash_between_create_and_status_write_never_duplicates() {
                crash_after_create::<$kind>(TAG).await;
            }

            #[tokio::test]
            async fn a_reset_token_resets_once() {
                reset_once::<$kind>(TAG).await;
            }

            #[tokio::test]
            async fn the_default_deletion_policy_orphans_the_flow() {
                orphan_on_delete::<$kind>(TAG).await;
            }

            #[tokio::test]
            async fn settings_edited_in_graph_are_set_back_once() {
                drift::<$kind>(TAG).await;
            }

            #[tokio::test]
            async fn paused_it_calls_no_flow_of_graphs() {
                pause::<$kind>(TAG).await;
            }

            #[tokio::test]
            async fn observe_only_mirrors_and_never_writes() {
                observe_only::<$kind>(TAG).await;
            }

            #[tokio::test]
            async fn a_throttled_create_waits_for_retry_after_and_is_sent_once_more() {
                throttled_create::<$kind>(TAG).await;
            }

            #[tokio::test]
            async fn a_second_resource_on_the_set_stalls_in_conflict() {
                one_per_set::<$kind>(TAG).await;
            }

            #[tokio::test]
            async fn bad_manifests_are_refused_naming_the_field() {
                bad_manifests::<$kind>(TAG).await;
            }
        }
    };
}

every_behaviour!(sg, sds_operator::crd::SecurityGroupProvisioningFlow);
every_behaviour!(au, sds_operator::crd::AdministrativeUnitProvisioningFlow);
every_behaviour!(cg, sds_operator::crd::ClassGroupProvisioningFlow);
every_behaviour!(user, sds_operator::crd::UserProvisioningFlow);

/// One flow of each kind in one flow set: each its own, all Ready, four flows.
#[tokio::test]
async fn one_flow_of_each_kind_shares_a_flow_set() {
    use sds_operator::crd::{
        AdministrativeUnitProvisioningFlow, ClassGroupProvisioningFlow,
        SecurityGroupProvisioningFlow, UserProvisioningFlow,
    };
    let operator = OperatorUnderTest::start("every-kind-one-set").await;
    let (sg, au, cg, user) = (
        operator.kind::<SecurityGroupProvisioningFlow>(),
        operator.kind::<AdministrativeUnitProvisioningFlow>(),
        operator.kind::<ClassGroupProvisioningFlow>(),
        operator.kind::<UserProvisioningFlow>(),
    );
    sg.apply(&sg.sample("groups", Variant::First)).await;
    au.apply(&au.sample("units", Variant::First)).await;
    cg.apply(&cg.sample("classes", Variant::First)).await;
    user.apply(&user.sample("users", Variant::First)).await;
    let ids = [
        settled(&sg, "groups").await,
        settled(&au, "units").await,
        settled(&cg, "classes").await,
        settled(&user, "users").await,
    ];
    let state = operator.emulator.admin().state().await.expect("state");
    let flows = &state
        .flow_set(&operator.flow_set_id)
        .expect("the set")
        .flows;
    assert_eq!(flows.len(), 4, "{flows:#?}");
    for id in &ids {
        assert!(
            flows.iter().any(|flow| &flow.id == id),
            "{id} in {flows:#?}"
        );
    }
}

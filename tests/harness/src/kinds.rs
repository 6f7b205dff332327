//! Every flow kind driven the same way: a sample resource of each kind in two variants of its
//! settings ([`Sample`]), and a typed handle ([`KindUnderTest`]) that applies, waits for and
//! finds in Graph the flows of one kind, so that one test body runs against every kind.

use std::collections::BTreeMap;
use std::time::Duration;

use graph_emulator::{FlowSnapshot, SeedFlow};
use kube::Api;
use sds_operator::crd::{
    AdministrativeUnitProvisioningFlow, ClassGroupProvisioningFlow, FlowKind,
    SecurityGroupProvisioningFlow, UserProvisioningFlow,
};
use serde_json::{Map, Value, json};

use crate::OperatorUnderTest;
use crate::wait::{wait_all, wait_gone, wait_on};

/// One of two settings of a sample resource; they differ in every member the drift comparison
/// looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The settings a sample starts with.
    First,
    /// Other settings, for an update or an edit in Graph.
    Second,
}

impl Variant {
    /// The other variant.
    pub fn other(self) -> Self {
        match self {
            Self::First => Self::Second,
            Self::Second => Self::First,
        }
    }
}

/// A flow kind with sample settings, written from Graph's docs.
pub trait Sample: FlowKind {
    /// Graph's `@odata.type` of the kind's flows.
    const ODATA_TYPE: &'static str;

    /// The spec's settings members (merged into `spec`). The CRDs spell settings with Graph's
    /// member names, so by default they are Graph's.
    fn settings(variant: Variant) -> Value {
        Value::Object(Self::graph_settings(variant))
    }

    /// The same settings in Graph's shape: a create body's members, and what a GET of the flow
    /// contains (it may show more).
    fn graph_settings(variant: Variant) -> Map<String, Value>;
}

/// A resource of kind `K` as a person writes it: the sample settings plus the spec members and
/// annotations a test adds.
#[derive(Clone, Debug)]
#[must_use = "a manifest does nothing until `build`"]
pub struct Manifest {
    name: String,
    namespace: String,
    spec: Map<String, Value>,
    annotations: BTreeMap<String, String>,
}

impl Manifest {
    /// Sets a spec member (`deletionPolicy`, `managementPolicy`, `adoption`, `flowSetId`...).
    pub fn with(mut self, member: &str, value: impl Into<Value>) -> Self {
        self.spec.insert(member.to_owned(), value.into());
        self
    }

    /// Sets an annotation.
    pub fn annotated(mut self, key: &str, value: &str) -> Self {
        self.annotations.insert(key.to_owned(), value.to_owned());
        self
    }

    /// The resource, typed.
    pub fn build<K: Sample>(self) -> K {
        serde_json::from_value(json!({
            "apiVersion": K::api_version(&()),
            "kind": K::kind(&()),
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "annotations": self.annotations,
            },
            "spec": self.spec,
        }))
        .unwrap_or_else(|e| panic!("a {} manifest: {e}", K::kind(&())))
    }
}

/// The flows of one kind in one test: its resources in the test's namespace and its flows in the
/// emulator.
#[allow(missing_debug_implementations)] // borrows the OperatorUnderTest, which has no Debug
pub struct KindUnderTest<'a, K> {
    /// The operator under test.
    pub operator: &'a OperatorUnderTest,
    /// The kind's resources in the test's namespace.
    pub api: Api<K>,
}

impl OperatorUnderTest {
    /// The handle for the flows of kind `K`.
    pub fn kind<K: Sample>(&self) -> KindUnderTest<'_, K> {
        KindUnderTest {
            operator: self,
            api: self.test.api::<K>(),
        }
    }
}

impl<K: Sample> KindUnderTest<'_, K> {
    /// A manifest `name` for the test's flow set with the `variant` settings.
    pub fn manifest(&self, name: &str, variant: Variant) -> Manifest {
        let mut spec = Map::from_iter([(
            "flowSetId".to_owned(),
            Value::String(self.operator.flow_set_id.clone()),
        )]);
        if let Value::Object(settings) = K::settings(variant) {
            spec.extend(settings);
        }
        Manifest {
            name: name.to_owned(),
            namespace: self.operator.test.namespace.clone(),
            spec,
            annotations: BTreeMap::new(),
        }
    }

    /// The resource `name` with the `variant` settings and nothing else set.
    pub fn sample(&self, name: &str, variant: Variant) -> K {
        self.manifest(name, variant).build()
    }

    /// Applies `flow` by server-side apply, as a person or GitOps tool would.
    pub async fn apply(&self, flow: &K) -> K {
        self.operator
            .apply_through(&self.api, flow)
            .await
            .unwrap_or_else(|e| panic!("apply {} {:?}: {e}", K::kind(&()), flow.meta().name))
    }

    /// Waits on the watch until `name` satisfies `condition`.
    pub async fn wait_for(&self, name: &str, what: &str, condition: impl Fn(&K) -> bool) -> K {
        wait_on(&self.api, name, what, condition).await
    }

    /// Waits until `count` of the kind's resources satisfy `condition` at once.
    pub async fn wait_for_all(
        &self,
        count: usize,
        deadline: Duration,
        what: &str,
        condition: impl Fn(&K) -> bool,
    ) {
        wait_all(&self.api, count, deadline, what, condition).await;
    }

    /// Waits until `name` is gone.
    pub async fn wait_deleted(&self, name: &str) {
        wait_gone(&self.api, name).await;
    }

    /// The kind's flows the emulator holds in the test's flow set.
    pub async fn graph_flows(&self) -> Vec<FlowSnapshot> {
        self.graph_flows_in(&self.operator.flow_set_id).await
    }

    /// The kind's flows the emulator holds in flow set `flow_set_id`.
    pub async fn graph_flows_in(&self, flow_set_id: &str) -> Vec<FlowSnapshot> {
        let state = self.operator.emulator.admin().state().await.expect("state");
        state
            .flow_set(flow_set_id)
            .map(|set| {
                set.flows
                    .iter()
                    .filter(|flow| flow.odata_type == K::ODATA_TYPE)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Puts a flow of the kind with the `variant` settings into the test's flow set, as if made
    /// in the SDS portal, and returns its id.
    pub async fn seed(&self, variant: Variant) -> String {
        self.operator
            .emulator
            .admin()
            .seed_flow(
                &self.operator.flow_set_id,
                &SeedFlow {
                    odata_type: Some(K::ODATA_TYPE.to_owned()),
                    properties: K::graph_settings(variant),
                    ..SeedFlow::default()
                },
            )
            .await
            .expect("seed a flow")
    }

    /// Whether Graph's flow holds the `variant` settings.
    pub fn holds(flow: &FlowSnapshot, variant: Variant) -> bool {
        let expected = Value::Object(K::graph_settings(variant));
        contains(&Value::Object(flow.properties.clone()), &expected)
    }
}

/// Whether `actual` has everything `expected` has: the members of objects (more are allowed),
/// the same number of array items, each containing its counterpart, equal scalars.
pub fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => expected.iter().all(|(key, value)| {
            actual
                .get(key)
                .is_some_and(|present| contains(present, value))
        }),
        (Value::Array(actual), Value::Array(expected)) => {
            actual.len() == expected.len()
                && actual
                    .iter()
                    .zip(expected)
                    .all(|(present, value)| contains(present, value))
        }
        _ => actual == expected,
    }
}

fn members(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(members) => members,
        _ => unreachable!("settings are objects"),
    }
}

impl Sample for SecurityGroupProvisioningFlow {
    const ODATA_TYPE: &'static str = "#microsoft.graph.industryData.securityGroupProvisioningFlow";

    fn graph_settings(variant: Variant) -> Map<String, Value> {
        let first = variant == Variant::First;
        members(json!({"creationOptions": {
            "createBasedOnRoleGroup": first,
            "createBasedOnOrgPlusRoleGroup": !first,
        }}))
    }
}

impl Sample for AdministrativeUnitProvisioningFlow {
    const ODATA_TYPE: &'static str =
        "#microsoft.graph.industryData.administrativeUnitProvisioningFlow";

    fn graph_settings(variant: Variant) -> Map<String, Value> {
        let first = variant == Variant::First;
        members(json!({"creationOptions": {
            "createBasedOnOrg": first,
            "createBasedOnOrgPlusRoleGroup": !first,
        }}))
    }
}

impl Sample for ClassGroupProvisioningFlow {
    const ODATA_TYPE: &'static str = "#microsoft.graph.industryData.classGroupProvisioningFlow";

    fn graph_settings(variant: Variant) -> Map<String, Value> {
        let first = variant == Variant::First;
        let (attributes, owners, members_) = if first {
            (
                json!(["courseTitle"]),
                json!([{"code": "teacher"}]),
                json!([{"code": "student"}]),
            )
        } else {
            (
                json!(["courseCode", "courseSubject"]),
                json!([{"code": "teacher"}, {"code": "aide"}]),
                json!([]),
            )
        };
        members(json!({"configuration": {
            "additionalAttributes": attributes,
            "additionalOptions": {"createTeam": first, "writeDisplayNameOnCreateOnly": !first},
            "enrollmentMappings": {
                "ownerEnrollmentMappings": owners,
                "memberEnrollmentMappings": members_,
            },
        }}))
    }
}

impl Sample for UserProvisioningFlow {
    const ODATA_TYPE: &'static str = "#microsoft.graph.industryData.userProvisioningFlow";

    fn graph_settings(variant: Variant) -> Map<String, Value> {
        let first = variant == Variant::First;
        members(json!({
            "createUnmatchedUsers": first,
            "managementOptions": {
                "additionalAttributes": if first { json!(["userGradeLevel"]) } else { json!([]) },
                "additionalOptions": {
                    "allowStudentContactAssociation": first,
                    "studentAgeGroup": if first { "minor" } else { "adult" },
                },
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ODATA_PREFIX: &str = "#microsoft.graph.industryData.";

    #[test]
    fn every_sample_names_its_type_under_graphs_namespace_and_its_variants_differ() {
        fn check<K: Sample>() {
            assert!(K::ODATA_TYPE.starts_with(ODATA_PREFIX), "{}", K::ODATA_TYPE);
            let (first, second) = (
                Value::Object(K::graph_settings(Variant::First)),
                Value::Object(K::graph_settings(Variant::Second)),
            );
            assert!(!contains(&first, &second) && !contains(&second, &first));
        }
        check::<SecurityGroupProvisioningFlow>();
        check::<AdministrativeUnitProvisioningFlow>();
        check::<ClassGroupProvisioningFlow>();
        check::<UserProvisioningFlow>();
    }

    #[test]
    fn contains_allows_more_members_but_not_more_items() {
        assert!(contains(
            &json!({"a": 1, "b": [{"c": 1, "d": 2}]}),
            &json!({"b": [{"c": 1}]})
        ));
        assert!(!contains(&json!({"b": [1, 2]}), &json!({"b": [1]})));
        assert!(!contains(&json!({"a": 1}), &json!({"a": 2})));
    }
}

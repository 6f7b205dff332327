//! The examples the demo applies: the security-group flow it walks through, the flow set resource
//! every flow names, and the Secret they sign in with, all read from `examples/`, so the demo
//! always creates the Secret the examples name and waits on the resources they hold.

use std::path::Path;

use serde::Deserialize;

use crate::error::DemoError;

/// The flow the demo walks through, relative to the checkout.
pub const EXAMPLE_FILE: &str = "examples/securitygroupprovisioningflow.yaml";

/// What the demo needs to know about the example resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The security-group flow resource.
    pub name: String,
    pub namespace: String,
    /// The OutboundProvisioningFlowSet resource the flow names by `flowSetRef`.
    pub flow_set: String,
    /// The Secret the flow names by `credentialsSecretRef`; the demo creates it, Git never holds it.
    pub credentials_secret: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    metadata: Metadata,
    spec: Spec,
}

#[derive(Deserialize)]
struct Metadata {
    name: String,
    namespace: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    flow_set_ref: Named,
    credentials_secret_ref: Named,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

impl Example {
    pub fn read(repo: &Path) -> Result<Self, DemoError> {
        let path = repo.join(EXAMPLE_FILE);
        let problem = |reason: String| DemoError::Example {
            path: path.clone(),
            reason,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| problem(e.to_string()))?;
        Self::parse(&text).map_err(problem)
    }

    fn parse(text: &str) -> Result<Self, String> {
        let manifest: Manifest = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        Ok(Self {
            name: manifest.metadata.name,
            namespace: manifest.metadata.namespace,
            flow_set: manifest.spec.flow_set_ref.name,
            credentials_secret: manifest.spec.credentials_secret_ref.name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> &'static Path {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
    }

    /// Every manifest of examples/, parsed.
    fn manifests() -> Vec<(String, serde_json::Value)> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(repo().join("examples")).expect("examples/") {
            let path = entry.expect("an entry").path();
            let text = std::fs::read_to_string(&path).expect("read an example");
            let manifest = serde_saphyr::from_str(&text)
                .unwrap_or_else(|e| panic!("{} parses: {e}", path.display()));
            found.push((path.display().to_string(), manifest));
        }
        found
    }

    #[test]
    fn the_committed_example_names_its_namespace_flow_set_and_secret() {
        let example = Example::read(repo()).expect("the example parses");
        assert_eq!(example.name, "district-security-groups");
        assert_eq!(example.namespace, "sds");
        assert_eq!(example.flow_set, "district");
        assert_eq!(example.credentials_secret, "district-graph-credentials");
    }

    #[test]
    fn the_examples_are_one_district_a_flow_set_and_one_flow_of_every_kind_on_it() {
        let example = Example::read(repo()).expect("the example parses");
        let mut kinds = Vec::new();
        for (path, manifest) in manifests() {
            let kind = manifest["kind"].as_str().expect("a kind").to_owned();
            if kind == "CredentialGrant" {
                continue;
            }
            assert_eq!(
                manifest["metadata"]["namespace"],
                example.namespace.as_str(),
                "{path}"
            );
            assert_eq!(
                manifest["spec"]["credentialsSecretRef"]["name"],
                example.credentials_secret.as_str(),
                "{path}"
            );
            if kind == "OutboundProvisioningFlowSet" {
                assert_eq!(
                    manifest["metadata"]["name"],
                    example.flow_set.as_str(),
                    "{path}"
                );
                assert!(
                    manifest["spec"]["filter"]["orgExternalIds"].is_array(),
                    "{path}"
                );
            } else {
                assert_eq!(
                    manifest["spec"]["flowSetRef"]["name"],
                    example.flow_set.as_str(),
                    "{path}"
                );
            }
            kinds.push(kind);
        }
        kinds.sort();
        assert_eq!(
            kinds,
            [
                "AdministrativeUnitProvisioningFlow",
                "ClassGroupProvisioningFlow",
                "OutboundProvisioningFlowSet",
                "SecurityGroupProvisioningFlow",
                "UserProvisioningFlow",
            ]
        );
    }

    #[test]
    fn the_examples_hold_no_credential_and_no_active_reset() {
        for (path, _) in manifests() {
            let text = std::fs::read_to_string(&path).expect("read the example");
            let active: Vec<&str> = text
                .lines()
                .map(str::trim_start)
                .filter(|line| !line.starts_with('#'))
                .collect();
            for forbidden in [
                "clientSecret",
                "tls.key",
                "industrydata.sds-operator.io/reset",
                "industrydata.sds-operator.io/paused",
                "kind: Secret",
            ] {
                assert!(
                    !active.iter().any(|line| line.contains(forbidden)),
                    "{path}: {forbidden} must stay commented out"
                );
            }
        }
    }

    #[test]
    fn the_committed_grant_covers_the_flow_sets_the_examples_namespace_creates() {
        let example = Example::read(repo()).expect("the example parses");
        let text = std::fs::read_to_string(repo().join("examples/credentialgrant.yaml"))
            .expect("read the grant");
        let grant: serde_json::Value = serde_saphyr::from_str(&text).expect("the grant parses");
        assert_eq!(grant["kind"], "CredentialGrant");
        assert_eq!(
            grant["spec"]["namespaces"]["names"][0],
            example.namespace.as_str()
        );
        assert_eq!(grant["spec"]["flowSets"]["createdInNamespace"], true);
    }

    #[test]
    fn a_manifest_without_a_namespace_is_refused() {
        let error = Example::parse(
            "metadata: {name: x}\nspec: {flowSetRef: {name: s}, credentialsSecretRef: {name: c}}\n",
        )
        .expect_err("no namespace");
        assert!(error.contains("namespace"), "{error}");
    }
}

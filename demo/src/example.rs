//! The example the demo applies: its name, namespace and flow set are read from
//! `examples/securitygroupprovisioningflow.yaml`, so the emulator always holds the flow set the
//! example names.

use std::path::Path;

use serde::Deserialize;

use crate::error::DemoError;

/// The example file, relative to the checkout.
pub const EXAMPLE_FILE: &str = "examples/securitygroupprovisioningflow.yaml";

/// What the demo needs to know about the example resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub name: String,
    pub namespace: String,
    pub flow_set_id: String,
}

#[derive(Deserialize)]
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
    flow_set_id: String,
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
            flow_set_id: manifest.spec.flow_set_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_example_names_its_namespace_and_flow_set() {
        let example = Example::read(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")))
            .expect("the example parses");
        assert_eq!(example.name, "district-security-groups");
        assert_eq!(example.namespace, "sds");
        assert_eq!(example.flow_set_id, "9ab41255-5364-4c53-e15c-08dc4ab6ee03");
    }

    #[test]
    fn the_committed_example_holds_no_credential_and_no_active_reset() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/securitygroupprovisioningflow.yaml"
        ))
        .expect("read the example");
        let active: Vec<&str> = text
            .lines()
            .map(str::trim_start)
            .filter(|line| !line.starts_with('#'))
            .collect();
        for forbidden in [
            "credentialsSecretRef",
            "industrydata.sds-operator.io/reset",
            "industrydata.sds-operator.io/paused",
            "kind: Secret",
        ] {
            assert!(
                !active.iter().any(|line| line.contains(forbidden)),
                "{forbidden} must stay commented out"
            );
        }
    }

    #[test]
    fn the_committed_grant_lets_the_examples_namespace_use_the_operators_credential_on_its_flow_set()
     {
        let repo = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        let example = Example::read(repo).expect("the example parses");
        let text = std::fs::read_to_string(repo.join("examples/credentialgrant.yaml"))
            .expect("read the grant");
        let grant: serde_json::Value = serde_saphyr::from_str(&text).expect("the grant parses");
        assert_eq!(grant["kind"], "CredentialGrant");
        assert_eq!(
            grant["spec"]["namespaces"]["names"][0],
            example.namespace.as_str()
        );
        assert_eq!(
            grant["spec"]["flowSets"]["ids"][0],
            example.flow_set_id.as_str()
        );
    }

    #[test]
    fn a_manifest_without_a_namespace_is_refused() {
        let error = Example::parse("metadata: {name: x}\nspec: {flowSetId: y}\n")
            .expect_err("no namespace");
        assert!(error.contains("namespace"), "{error}");
    }
}

//! Conversions between the resource's types and Graph's wire types in the `graph` crate, which
//! knows nothing of the CRD.

use super::{ReadinessStatus, SecurityGroupCreationOptions};

impl From<SecurityGroupCreationOptions> for graph::SecurityGroupCreationOptions {
    fn from(options: SecurityGroupCreationOptions) -> Self {
        Self {
            create_based_on_role_group: options.create_based_on_role_group,
            create_based_on_org_plus_role_group: options.create_based_on_org_plus_role_group,
        }
    }
}

impl From<graph::SecurityGroupCreationOptions> for SecurityGroupCreationOptions {
    fn from(options: graph::SecurityGroupCreationOptions) -> Self {
        Self {
            create_based_on_role_group: options.create_based_on_role_group,
            create_based_on_org_plus_role_group: options.create_based_on_org_plus_role_group,
        }
    }
}

impl From<graph::ReadinessStatus> for ReadinessStatus {
    fn from(status: graph::ReadinessStatus) -> Self {
        match status {
            graph::ReadinessStatus::NotReady => Self::NotReady,
            graph::ReadinessStatus::Ready => Self::Ready,
            graph::ReadinessStatus::Failed => Self::Failed,
            graph::ReadinessStatus::Disabled => Self::Disabled,
            graph::ReadinessStatus::Expired => Self::Expired,
            graph::ReadinessStatus::UnknownFutureValue => Self::UnknownFutureValue,
            graph::ReadinessStatus::Other(value) => Self::Other(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_and_from_the_crd_options() {
        let crd = SecurityGroupCreationOptions {
            create_based_on_role_group: false,
            create_based_on_org_plus_role_group: true,
        };
        let wire = graph::SecurityGroupCreationOptions::from(crd);
        assert!(wire.create_based_on_org_plus_role_group && !wire.create_based_on_role_group);
        assert_eq!(SecurityGroupCreationOptions::from(wire), crd);
    }

    #[test]
    fn every_readiness_graph_sends_is_reported_as_the_same_value() {
        for text in [
            "notReady",
            "ready",
            "failed",
            "disabled",
            "expired",
            "unknownFutureValue",
            "paused",
        ] {
            let wire = graph::ReadinessStatus::from(text.to_owned());
            assert_eq!(ReadinessStatus::from(wire).as_str(), text);
        }
        let known = ReadinessStatus::from(graph::ReadinessStatus::Expired);
        assert_eq!(known, ReadinessStatus::Expired);
    }
}

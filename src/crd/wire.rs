//! Conversions between the resource's types and Graph's wire types in the `graph` crate, which
//! knows nothing of the CRD. (readinessStatus needs none: status mirrors Graph's own type.)

use super::SecurityGroupCreationOptions;

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
}

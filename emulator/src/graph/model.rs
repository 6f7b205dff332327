//! The industryData types as Graph's beta metadata declares them (`schemas/beta-Prod.csdl` of
//! microsoftgraph/msgraph-metadata, read 2026-12-02): member names, types, which are
//! `Nullable="false"`, abstract complex types and the types derived from them, enum members.
//! The validator and the renderer read these tables and nothing else about the types.

use crate::state::flow::FlowKind;

/// The namespace of every type here.
pub const NAMESPACE: &str = "microsoft.graph.industryData";

/// What a member's JSON value must be.
#[derive(Debug)]
pub enum Shape {
    Boolean,
    String,
    Enum(&'static EnumType),
    Complex(&'static ComplexType),
    /// A property declared with an abstract complex type: the value names one of the derived
    /// types in `@odata.type`.
    Abstract {
        base: &'static str,
        derived: &'static [&'static ComplexType],
    },
    Collection(&'static Shape),
    /// A reference-value code (`sectionRoleReferenceValue.code`): any string, stored in the
    /// spelling of a known code when it matches one without regard to case (the docs say Graph
    /// normalises their casing; to what exactly is unconfirmed: emulator policy).
    Code(&'static [&'static str]),
    /// The contained, auto-expanded navigation `userConfiguration.roleGroup`: set with
    /// `roleGroup@odata.bind`, answered with the role group inline.
    RoleGroup,
}

/// One structural or navigation member.
#[derive(Debug)]
pub struct Member {
    pub name: &'static str,
    pub shape: Shape,
    /// `Nullable="false"` in the metadata: required in a create, never null, always answered.
    pub required: bool,
}

#[derive(Debug)]
pub struct ComplexType {
    /// The name without namespace.
    pub name: &'static str,
    pub members: &'static [Member],
}

/// An evolvable enum: its members end with `unknownFutureValue`.
#[derive(Debug)]
pub struct EnumType {
    pub name: &'static str,
    pub members: &'static [&'static str],
}

impl ComplexType {
    pub fn member(&self, name: &str, lenient: bool) -> Option<&'static Member> {
        find(self.members, name, lenient)
    }
}

/// The member of `members` that `name` binds to (exactly, or without regard to case).
pub fn find(members: &'static [Member], name: &str, lenient: bool) -> Option<&'static Member> {
    members.iter().find(|member| {
        if lenient {
            member.name.eq_ignore_ascii_case(name)
        } else {
            member.name == name
        }
    })
}

const fn member(name: &'static str, shape: Shape, required: bool) -> Member {
    Member {
        name,
        shape,
        required,
    }
}

// Enums, members in the metadata's order.
pub static READINESS_STATUS: EnumType = EnumType {
    name: "readinessStatus",
    members: &[
        "notReady",
        "ready",
        "failed",
        "disabled",
        "expired",
        "unknownFutureValue",
    ],
};
static FILTER_OPTIONS: EnumType = EnumType {
    name: "filterOptions",
    members: &["orgExternalId", "unknownFutureValue"],
};
static CLASS_GROUP_ATTRIBUTES: EnumType = EnumType {
    name: "additionalClassGroupAttributes",
    members: &[
        "courseTitle",
        "courseCode",
        "courseSubject",
        "courseGradeLevel",
        "courseExternalId",
        "academicSessionTitle",
        "academicSessionExternalId",
        "classCode",
        "unknownFutureValue",
    ],
};
static USER_ATTRIBUTES: EnumType = EnumType {
    name: "additionalUserAttributes",
    members: &["userGradeLevel", "userNumber", "unknownFutureValue"],
};
static STUDENT_AGE_GROUP: EnumType = EnumType {
    name: "studentAgeGroup",
    members: &["minor", "notAdult", "adult", "unknownFutureValue"],
};

/// Enrollment codes the docs name (graph-surface.md §3).
const ENROLLMENT_CODES: &[&str] = &[
    "teacher",
    "student",
    "staff",
    "aide",
    "proctor",
    "substitute",
    "teacherAssistant",
    "paraprofessional",
];

// Complex types.
static BASIC_FILTER: ComplexType = ComplexType {
    name: "basicFilter",
    members: &[
        member("attribute", Shape::Enum(&FILTER_OPTIONS), true),
        member("in", Shape::Collection(&Shape::String), true),
    ],
};
static SECURITY_GROUP_CREATION_OPTIONS: ComplexType = ComplexType {
    name: "securityGroupCreationOptions",
    members: &[
        member("createBasedOnRoleGroup", Shape::Boolean, true),
        member("createBasedOnOrgPlusRoleGroup", Shape::Boolean, true),
    ],
};
static ADMIN_UNIT_CREATION_OPTIONS: ComplexType = ComplexType {
    name: "adminUnitCreationOptions",
    members: &[
        member("createBasedOnOrg", Shape::Boolean, true),
        member("createBasedOnOrgPlusRoleGroup", Shape::Boolean, true),
    ],
};
static SECTION_ROLE_REFERENCE_VALUE: ComplexType = ComplexType {
    name: "sectionRoleReferenceValue",
    members: &[member("code", Shape::Code(ENROLLMENT_CODES), false)],
};
static ENROLLMENT_MAPPINGS: ComplexType = ComplexType {
    name: "enrollmentMappings",
    members: &[
        member(
            "ownerEnrollmentMappings",
            Shape::Collection(&Shape::Complex(&SECTION_ROLE_REFERENCE_VALUE)),
            false,
        ),
        member(
            "memberEnrollmentMappings",
            Shape::Collection(&Shape::Complex(&SECTION_ROLE_REFERENCE_VALUE)),
            false,
        ),
    ],
};
static ADDITIONAL_CLASS_GROUP_OPTIONS: ComplexType = ComplexType {
    name: "additionalClassGroupOptions",
    members: &[
        member("createTeam", Shape::Boolean, true),
        member("writeDisplayNameOnCreateOnly", Shape::Boolean, true),
    ],
};
static CLASS_GROUP_CONFIGURATION: ComplexType = ComplexType {
    name: "classGroupConfiguration",
    members: &[
        member(
            "additionalAttributes",
            Shape::Collection(&Shape::Enum(&CLASS_GROUP_ATTRIBUTES)),
            false,
        ),
        member(
            "additionalOptions",
            Shape::Complex(&ADDITIONAL_CLASS_GROUP_OPTIONS),
            true,
        ),
        member(
            "enrollmentMappings",
            Shape::Complex(&ENROLLMENT_MAPPINGS),
            true,
        ),
    ],
};
static ADDITIONAL_USER_OPTIONS: ComplexType = ComplexType {
    name: "additionalUserOptions",
    members: &[
        member("allowStudentContactAssociation", Shape::Boolean, false),
        member("markAllStudentsAsMinors", Shape::Boolean, false),
        member("studentAgeGroup", Shape::Enum(&STUDENT_AGE_GROUP), false),
    ],
};
static USER_MANAGEMENT_OPTIONS: ComplexType = ComplexType {
    name: "userManagementOptions",
    members: &[
        member(
            "additionalAttributes",
            Shape::Collection(&Shape::Enum(&USER_ATTRIBUTES)),
            false,
        ),
        member(
            "additionalOptions",
            Shape::Complex(&ADDITIONAL_USER_OPTIONS),
            true,
        ),
    ],
};
pub static SIMPLE_PASSWORD_SETTINGS: ComplexType = ComplexType {
    name: "simplePasswordSettings",
    members: &[member("password", Shape::String, true)],
};
static USER_CONFIGURATION: ComplexType = ComplexType {
    name: "userConfiguration",
    members: &[
        member("roleGroup", Shape::RoleGroup, true),
        member(
            "defaultPasswordSettings",
            Shape::Abstract {
                base: "passwordSettings",
                derived: &[&SIMPLE_PASSWORD_SETTINGS],
            },
            false,
        ),
        member("licenseSkus", Shape::Collection(&Shape::String), false),
    ],
};
static USER_CREATION_OPTIONS: ComplexType = ComplexType {
    name: "userCreationOptions",
    members: &[member(
        "configurations",
        Shape::Collection(&Shape::Complex(&USER_CONFIGURATION)),
        false,
    )],
};

/// `outboundProvisioningFlowSet`'s writable members.
pub static FLOW_SET: ComplexType = ComplexType {
    name: "outboundProvisioningFlowSet",
    members: &[
        member("displayName", Shape::String, true),
        member(
            "filter",
            Shape::Abstract {
                base: "filter",
                derived: &[&BASIC_FILTER],
            },
            false,
        ),
    ],
};

static SECURITY_GROUP_FLOW: ComplexType = ComplexType {
    name: "securityGroupProvisioningFlow",
    members: &[member(
        "creationOptions",
        Shape::Complex(&SECURITY_GROUP_CREATION_OPTIONS),
        true,
    )],
};
static ADMINISTRATIVE_UNIT_FLOW: ComplexType = ComplexType {
    name: "administrativeUnitProvisioningFlow",
    members: &[member(
        "creationOptions",
        Shape::Complex(&ADMIN_UNIT_CREATION_OPTIONS),
        true,
    )],
};
static CLASS_GROUP_FLOW: ComplexType = ComplexType {
    name: "classGroupProvisioningFlow",
    members: &[member(
        "configuration",
        Shape::Complex(&CLASS_GROUP_CONFIGURATION),
        true,
    )],
};
static USER_FLOW: ComplexType = ComplexType {
    name: "userProvisioningFlow",
    members: &[
        member("createUnmatchedUsers", Shape::Boolean, false),
        member(
            "managementOptions",
            Shape::Complex(&USER_MANAGEMENT_OPTIONS),
            true,
        ),
        member(
            "creationOptions",
            Shape::Complex(&USER_CREATION_OPTIONS),
            false,
        ),
    ],
};

/// A flow type's writable members.
pub fn flow_type(kind: FlowKind) -> &'static ComplexType {
    match kind {
        FlowKind::AdministrativeUnit => &ADMINISTRATIVE_UNIT_FLOW,
        FlowKind::ClassGroup => &CLASS_GROUP_FLOW,
        FlowKind::SecurityGroup => &SECURITY_GROUP_FLOW,
        FlowKind::User => &USER_FLOW,
    }
}

/// The member a PATCH of a flow must carry (graph-surface.md §2: "PATCH requires the type's
/// main member"): the type's one non-nullable member.
pub fn main_member(kind: FlowKind) -> &'static str {
    match kind {
        FlowKind::AdministrativeUnit | FlowKind::SecurityGroup => "creationOptions",
        FlowKind::ClassGroup => "configuration",
        FlowKind::User => "managementOptions",
    }
}

//! Microsoft Graph client for School Data Sync's outbound provisioning flows (beta
//! `industryData` API, graph-api.md): endpoints, identity (credentials, the token cache and
//! grants), the flow calls, their JSON shapes and a classified error type.
//!
//! The crate knows nothing of Kubernetes: credentials are built from plain values, and where
//! they are kept is the caller's business.
//!
//! The client never retries and never loops: every method is one request (a list follows its
//! pages), and the caller's error policy decides what happens after a failure, using
//! [`GraphError::class`] and [`GraphError::retry_after`].

mod client;
mod endpoints;
mod error;
mod evolvable;
mod flow_types;
mod http;
mod identity;
mod model;
mod odata_error;
mod readiness;
mod registry;
mod response;
mod throttle;
mod user_flow;

pub use client::{DEFAULT_REQUEST_TIMEOUT, GraphClient, GraphClientOptions};
pub use endpoints::{
    DEFAULT_AUTHORITY_HOST, DEFAULT_GRAPH_ENDPOINT, EndpointError, EndpointRole, GraphEndpoints,
};
pub use error::{ErrorClass, GraphError, Operation};
pub use evolvable::Evolvable;
pub use flow_types::{
    ADMINISTRATIVE_UNIT_FLOW_TYPE, AdditionalClassGroupOptions, AdminUnitCreationOptions,
    AdministrativeUnitConfig, CLASS_GROUP_FLOW_TYPE, ClassGroupAttribute, ClassGroupConfig,
    ClassGroupConfiguration, EnrollmentCode, EnrollmentMappings, SECURITY_GROUP_FLOW_TYPE,
    SecurityGroupConfig, SecurityGroupCreationOptions, SecurityGroupFlow,
};
pub use http::{
    BodyError, MAX_GRAPH_BODY, MAX_TOKEN_BODY, http_client, http_client_builder, read_body,
    redirect_target,
};
pub use identity::certificate::{
    ASSERTION_LIFETIME_SECS, AssertionAlgorithm, CertificateError, ClientCertificate,
    UnknownAlgorithm,
};
pub use identity::claims::TokenClaims;
pub use identity::credential::{
    CertificateOrigin, Credential, CredentialError, CredentialKey, SecretString,
};
pub use identity::delegated::{
    DELEGATED_SCOPE, RefreshTokenStore, RefreshTokenStoreError, StoreHandle,
};
pub use identity::token_error::TokenErrorKind;
pub use identity::token_source::GRAPH_SCOPE;
pub use model::{
    BasicFilter, FilterAttribute, Flow, FlowConfig, FlowSet, FlowSetSettings, ProvisioningFlow,
};
pub use readiness::ReadinessStatus;
pub use registry::GraphClients;
pub use response::{MAX_RETRY_AFTER, Response};
pub use user_flow::{
    AdditionalUserOptions, DefaultPassword, RoleGroupRef, StudentAgeGroup, USER_FLOW_TYPE,
    UserAttribute, UserConfig, UserConfiguration, UserCreationOptions, UserManagementOptions,
};

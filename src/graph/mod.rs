//! Microsoft Graph client for School Data Sync's outbound provisioning flows (beta
//! `industryData` API, graph-api.md): endpoints, credentials (client secret, certificate, workload
//! identity) and tokens, the flow calls, their JSON shapes and a classified error type.
//!
//! The client never retries and never loops: every method is one request (a list follows its
//! pages), and the controller's error policy decides what happens after a failure, using
//! [`GraphError::class`] and [`GraphError::retry_after`].

mod auth;
mod certificate;
mod claims;
mod client;
mod credential;
mod delegated;
#[cfg(test)]
mod delegated_tests;
mod endpoints;
mod environment;
mod error;
mod http;
mod model;
mod odata_error;
mod registry;
mod response;
mod secret;
mod throttle;
mod token_error;

pub use auth::GRAPH_SCOPE;
pub use certificate::{
    ASSERTION_LIFETIME_SECS, AssertionAlgorithm, CertificateError, ClientCertificate,
    UnknownAlgorithm,
};
pub use claims::TokenClaims;
pub use client::{DEFAULT_REQUEST_TIMEOUT, GraphClient, GraphClientOptions};
pub use credential::{
    CERTIFICATE_SECRET_KEYS, CertificateOrigin, Credential, CredentialError, CredentialKey,
    DELEGATED_SECRET_KEYS, REFRESH_TOKEN_KEY, SECRET_KEYS, SecretString,
};
pub use delegated::{DELEGATED_SCOPE, RefreshTokenStore, RefreshTokenStoreError, StoreHandle};
pub use endpoints::{
    DEFAULT_AUTHORITY_HOST, DEFAULT_GRAPH_ENDPOINT, EndpointError, EndpointRole, GraphEndpoints,
};
pub use environment::{EnvironmentCredential, EnvironmentCredentialError};
pub use error::{ErrorClass, GraphError, Operation};
pub use http::{
    BodyError, MAX_GRAPH_BODY, MAX_TOKEN_BODY, http_client, http_client_builder, read_body,
    redirect_target,
};
pub use model::{
    FlowSet, ProvisioningFlow, SECURITY_GROUP_FLOW_TYPE, SecurityGroupCreationOptions,
    SecurityGroupProvisioningFlow,
};
pub use registry::GraphClients;
pub use response::{MAX_RETRY_AFTER, Response};
pub use token_error::TokenErrorKind;

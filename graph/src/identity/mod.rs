//! Identity: how the client proves who it is to the Microsoft identity platform. Credentials
//! (client secret, certificate, workload identity, delegated refresh token), the token source
//! with its cache and grants, access-token claims, and the classification of AADSTS refusals.

pub(crate) mod certificate;
pub(crate) mod claims;
pub(crate) mod credential;
pub(crate) mod delegated;
#[cfg(test)]
mod delegated_tests;
pub(crate) mod secret;
pub(crate) mod token_error;
pub(crate) mod token_source;

//! Integration tests: an in-process emulator driven over plain HTTP(S) with reqwest, one test per
//! documented rule or emulator policy.

// Helpers outside `#[test]` functions are test code too; a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod azidentity;
mod binary;
mod delegated;
mod disconnects;
mod faults;
mod flow_sets;
mod flows;
mod graph_auth;
mod headers;
mod journal;
mod msal;
mod msgraph;
mod paging;
mod query;
mod readiness;
mod sign_in;
mod support;
mod tls;
mod token;
mod types;

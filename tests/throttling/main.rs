//! Graph throttling and outages, end to end: a 429 with Retry-After holds back every resource of
//! the credential, 5xx answers are retried with growing gaps, a token endpoint outage surfaces
//! and heals, and 200 resources under a throttling Graph stay within what Retry-After allows.
//!
//! The figures depend on timing, so this is a test binary of its own; the scale test also runs
//! alone within it (`alone`), the others side by side (`beside_others`).

mod fixture;
mod outages;
mod retry_after;
mod scale;

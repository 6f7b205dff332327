//! The Graph client against the in-process emulator: exact requests (from the emulator's journal),
//! token caching, paging, and the classification of every kind of failure.

mod connection;
mod failures;
mod fixture;
mod flow_types;
mod requests;
mod tokens;

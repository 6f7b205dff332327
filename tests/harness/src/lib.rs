//! The operator under test, for sds-operator's end-to-end tests and benchmark: on top of the
//! control plane of [`sds_test_support`], each test gets its own namespace and Graph emulator and
//! the operator watching them, in-process ([`OperatorUnderTest`]) or as its binary
//! ([`OperatorProcess`]); plus the waits and status predicates the tests assert with.

#![warn(missing_docs)]

mod calls;
mod conditions;
mod judge;
mod kinds;
mod namespace_user;
mod operator;
mod options;
mod process;
mod replica;
mod resource;
mod wait;

pub use calls::{
    assert_retried_after, calls_after_settling, calls_to, options_json, throttle_next_create,
    writes,
};
pub use conditions::{condition, condition_is, has_condition, is_ready, stalled_with, synced_to};
pub use judge::{judge, judge_tool};
pub use kinds::{KindUnderTest, Manifest, Sample, Variant, contains};
pub use operator::{OperatorUnderTest, event_reasons, write_grant};
pub use options::{CLIENT_ID, CLIENT_SECRET, Options, TENANT};
pub use process::OperatorProcess;
pub use resource::ResourceBuilder;
pub use wait::{wait_gone, wait_on};

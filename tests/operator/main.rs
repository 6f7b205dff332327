//! End-to-end tests of the operator: the real kube-apiserver and etcd, the Graph emulator, and
//! the controller running in-process. One control plane for the binary, one namespace, emulator
//! and controller per test.

mod argocd;
mod chart;
mod chart_policy;
mod chart_values;
mod columns;
mod conflicts;
mod crash;
mod credential_kinds;
mod credentials;
mod delegated;
mod drift;
mod every_kind;
mod evolvable;
mod failures;
mod flow_sets;
mod freshness;
mod grants;
mod hot_loops;
mod kstatus;
mod leader_election;
mod lifecycle;
mod normalisation;
mod pause;
mod policies;
mod probes;
mod reset;
mod reset_crash;
mod user_passwords;
mod validation;
mod visibility;
mod workload_identity;

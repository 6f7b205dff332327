//! Debouncing of annotation-only changes: a loop of `kubectl annotate` (or a tool that rewrites
//! the reset annotation) reaches Graph at most about once a second per resource.

use std::hash::{Hash as _, Hasher as _};
use std::time::{Duration, Instant};

use crate::crd::{OTHER_ANNOTATIONS_DIGEST, PAUSED_ANNOTATION, RESET_ANNOTATION};
use kube::ResourceExt;

/// The shortest time between two reconciles that differ only in the operator's annotations.
pub const ANNOTATION_DEBOUNCE: Duration = Duration::from_secs(1);

/// What a reconcile was started for: a change of anything but the annotations is never delayed.
// Kept for every resource, so the annotations are kept as a hash: only their equality matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trigger {
    generation: Option<i64>,
    deleting: bool,
    /// The reset and paused annotations and the digest of the others, which the cache keeps
    /// instead of them.
    annotations: u64,
}

impl Trigger {
    pub fn of(flow: &impl ResourceExt) -> Self {
        let annotation = |key: &str| flow.annotations().get(key);
        let mut annotations = std::hash::DefaultHasher::new();
        [
            RESET_ANNOTATION,
            PAUSED_ANNOTATION,
            OTHER_ANNOTATIONS_DIGEST,
        ]
        .map(annotation)
        .hash(&mut annotations);
        Self {
            generation: flow.meta().generation,
            deleting: flow.meta().deletion_timestamp.is_some(),
            annotations: annotations.finish(),
        }
    }

    fn annotations_only_change_from(&self, earlier: &Self) -> bool {
        self.generation == earlier.generation
            && self.deleting == earlier.deleting
            && self != earlier
    }
}

/// How long a reconcile for `now_seen` waits, given the last reconcile that ran (`last`): only an
/// annotation-only change within `ANNOTATION_DEBOUNCE` of it waits, for the rest of that time.
pub fn wait_before(last: Option<&(Trigger, Instant)>, now_seen: &Trigger) -> Option<Duration> {
    let (earlier, started) = last?;
    let elapsed = started.elapsed();
    (now_seen.annotations_only_change_from(earlier) && elapsed < ANNOTATION_DEBOUNCE)
        .then(|| ANNOTATION_DEBOUNCE - elapsed)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::crd::{
        FlowSpec, Policies, SecurityGroupCreationOptions, SecurityGroupProvisioningFlow,
        SecurityGroupProvisioningFlowSpec,
    };

    fn flow(generation: i64, reset: Option<&str>) -> SecurityGroupProvisioningFlow {
        let mut flow = SecurityGroupProvisioningFlow::new(
            "groups",
            SecurityGroupProvisioningFlowSpec {
                flow: FlowSpec {
                    flow_set_id: Some("9ab41255-5364-4c53-e15c-08dc4ab6ee03".into()),
                    flow_set_ref: None,
                    adoption: Default::default(),
                    policies: Policies {
                        deletion_policy: None,
                        management_policy: Default::default(),
                        credentials_secret_ref: None,
                    },
                },
                creation_options: SecurityGroupCreationOptions::default(),
            },
        );
        flow.metadata.generation = Some(generation);
        flow.metadata.annotations =
            reset.map(|token| BTreeMap::from([(RESET_ANNOTATION.to_owned(), token.to_owned())]));
        flow
    }

    #[test]
    fn an_annotation_change_right_after_a_reconcile_waits_for_the_rest_of_the_second() {
        let last = (Trigger::of(&flow(1, Some("a"))), Instant::now());
        let wait = wait_before(Some(&last), &Trigger::of(&flow(1, Some("b")))).expect("a wait");
        assert!(
            wait <= ANNOTATION_DEBOUNCE && wait > ANNOTATION_DEBOUNCE / 2,
            "{wait:?}"
        );
    }

    #[test]
    fn spec_changes_requeues_and_old_reconciles_do_not_wait() {
        let now = Instant::now();
        let last = (Trigger::of(&flow(1, Some("a"))), now);
        assert_eq!(
            wait_before(Some(&last), &Trigger::of(&flow(2, Some("b")))),
            None
        );
        assert_eq!(
            wait_before(Some(&last), &Trigger::of(&flow(1, Some("a")))),
            None
        );
        assert_eq!(wait_before(None, &Trigger::of(&flow(1, Some("b")))), None);
        let long_ago = now
            .checked_sub(ANNOTATION_DEBOUNCE * 2)
            .expect("an earlier instant");
        let old = (Trigger::of(&flow(1, Some("a"))), long_ago);
        assert_eq!(
            wait_before(Some(&old), &Trigger::of(&flow(1, Some("b")))),
            None
        );
    }
}

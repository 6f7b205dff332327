//! Which watched resources a reconcile must see: those whose spec (a deletion bumps the generation
//! of a custom resource too), annotations or finalizers changed. The operator's own status writes
//! change none of these, so they never trigger one.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use futures::{Stream, StreamExt as _};
use kube::Resource;
use kube::runtime::watcher;

/// The resources of a watch's `events` that a reconcile must see, and the watch's errors.
pub fn triggers<K: Resource>(
    events: impl Stream<Item = Result<watcher::Event<K>, watcher::Error>>,
) -> impl Stream<Item = Result<K, watcher::Error>> {
    let mut changes = SpecChanges::default();
    events.filter_map(move |event| {
        std::future::ready(match event {
            Ok(watcher::Event::Apply(resource) | watcher::Event::InitApply(resource)) => {
                changes.changed(&resource).then_some(Ok(resource))
            }
            Ok(watcher::Event::Delete(resource)) => {
                changes.forget(&resource);
                None
            }
            Ok(watcher::Event::Init | watcher::Event::InitDone) => None,
            Err(error) => Some(Err(error)),
        })
    })
}

/// What each resource last showed of those, as two hashes per resource: kube's predicate filter
/// keeps a copy of every resource's name, namespace and uid for it, about 250 bytes per resource
/// for as long as the operator runs; this keeps 16. Two resources whose 64-bit keys collide
/// (about 1 in 10^11 with 10,000 resources) could hide one change until the resync.
#[derive(Debug, Default)]
pub struct SpecChanges {
    seen: HashMap<u64, u64>,
}

impl SpecChanges {
    /// Whether `resource` shows a change since it was last seen (true the first time).
    pub fn changed(&mut self, resource: &impl Resource) -> bool {
        let meta = resource.meta();
        let shown = hash(&(meta.generation, &meta.annotations, &meta.finalizers));
        self.seen.insert(key(resource), shown) != Some(shown)
    }

    /// Forgets a resource that is gone; one by the same name later is new.
    pub fn forget(&mut self, resource: &impl Resource) {
        self.seen.remove(&key(resource));
    }
}

fn key(resource: &impl Resource) -> u64 {
    let meta = resource.meta();
    hash(&(&meta.namespace, &meta.name, &meta.uid))
}

fn hash(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::ObjectMeta;

    fn resource(uid: &str, generation: i64, annotation: &str) -> ConfigMap {
        ConfigMap {
            metadata: ObjectMeta {
                name: Some("flow".into()),
                namespace: Some("sds".into()),
                uid: Some(uid.into()),
                generation: Some(generation),
                annotations: Some([("note".to_owned(), annotation.to_owned())].into()),
                ..ObjectMeta::default()
            },
            ..ConfigMap::default()
        }
    }

    #[test]
    fn only_a_new_resource_or_a_changed_spec_annotation_or_finalizer_passes() {
        let mut changes = SpecChanges::default();
        assert!(changes.changed(&resource("a", 1, "x")), "first sight");
        assert!(!changes.changed(&resource("a", 1, "x")), "a status write");
        assert!(changes.changed(&resource("a", 2, "x")), "a new spec");
        assert!(changes.changed(&resource("a", 2, "y")), "an annotation");
        let mut finalized = resource("a", 2, "y");
        finalized.metadata.finalizers = Some(vec!["f".into()]);
        assert!(changes.changed(&finalized), "a finalizer");
        assert!(
            changes.changed(&resource("b", 2, "y")),
            "recreated under the same name"
        );
        changes.forget(&resource("b", 2, "y"));
        assert!(
            changes.changed(&resource("b", 2, "y")),
            "seen again after deletion"
        );
    }
}

//! Which flow kinds the benchmark applies (`SDS_BENCH_KINDS`): all four in turn by default, as a
//! district has them, or a comma-separated subset of `sg`, `au`, `cg`, `user` (one kind alone
//! gives that kind's memory per resource). Resource `i` gets kind `i mod n` on a flow set of its
//! own, so no two resources meet on one set.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use futures::future::{BoxFuture, join_all};
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use sds_operator::crd::{
    AdministrativeUnitProvisioningFlow, ClassGroupProvisioningFlow, SecurityGroupProvisioningFlow,
    UserProvisioningFlow,
};
use sds_test_harness::{OperatorUnderTest, Sample, Variant, is_ready, wait_on};

/// What the benchmark does with resources of one kind.
pub trait BenchKind: Sync {
    /// The short name `SDS_BENCH_KINDS` uses.
    fn short_name(&self) -> &'static str;
    /// The kind's resource (plural), as the API server counts its requests.
    fn plural(&self) -> String;
    /// Applies resource `name` of the kind, with the kind's sample settings, on `flow_set_id`.
    fn apply<'a>(
        &self,
        operator: &'a OperatorUnderTest,
        name: &'a str,
        flow_set_id: &'a str,
    ) -> BoxFuture<'a, ()>;
    /// Waits until `count` resources of the kind are Ready at once.
    fn wait_ready<'a>(
        &self,
        operator: &'a OperatorUnderTest,
        count: usize,
        deadline: Duration,
    ) -> BoxFuture<'a, ()>;
    /// Waits until resource `name` of the kind is Ready.
    fn wait_one_ready<'a>(
        &self,
        operator: &'a OperatorUnderTest,
        name: &'a str,
    ) -> BoxFuture<'a, ()>;
    /// `kind/name` → resourceVersion of every resource of the kind in the namespace.
    fn resource_versions<'a>(
        &self,
        operator: &'a OperatorUnderTest,
    ) -> BoxFuture<'a, BTreeMap<String, String>>;
}

struct Of<K>(&'static str, PhantomData<fn() -> K>);

impl<K: Sample + Send + Sync + 'static> BenchKind for Of<K> {
    fn short_name(&self) -> &'static str {
        self.0
    }

    fn plural(&self) -> String {
        K::plural(&()).into_owned()
    }

    fn apply<'a>(
        &self,
        operator: &'a OperatorUnderTest,
        name: &'a str,
        flow_set_id: &'a str,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let kind = operator.kind::<K>();
            let flow = kind
                .manifest(name, Variant::First)
                .with("flowSetId", flow_set_id)
                .build::<K>();
            kind.apply(&flow).await;
        })
    }

    fn wait_ready<'a>(
        &self,
        operator: &'a OperatorUnderTest,
        count: usize,
        deadline: Duration,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            operator
                .kind::<K>()
                .wait_for_all(count, deadline, "Ready", is_ready::<K>)
                .await;
        })
    }

    fn wait_one_ready<'a>(
        &self,
        operator: &'a OperatorUnderTest,
        name: &'a str,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            wait_on(&operator.kind::<K>().api, name, "Ready", is_ready::<K>).await;
        })
    }

    fn resource_versions<'a>(
        &self,
        operator: &'a OperatorUnderTest,
    ) -> BoxFuture<'a, BTreeMap<String, String>> {
        Box::pin(async move {
            let api: Api<K> = operator.kind::<K>().api;
            let plural = K::plural(&());
            let mut versions = BTreeMap::new();
            let mut params = ListParams::default().limit(500);
            loop {
                let page = api
                    .list_metadata(&params)
                    .await
                    .expect("list the resources");
                versions.extend(page.items.iter().map(|object| {
                    (
                        format!("{plural}/{}", object.name_any()),
                        object.resource_version().unwrap_or_default(),
                    )
                }));
                match page.metadata.continue_.filter(|token| !token.is_empty()) {
                    Some(token) => params = params.continue_token(&token),
                    None => return versions,
                }
            }
        })
    }
}

static SECURITY_GROUPS: Of<SecurityGroupProvisioningFlow> = Of("sg", PhantomData);
static ADMINISTRATIVE_UNITS: Of<AdministrativeUnitProvisioningFlow> = Of("au", PhantomData);
static CLASS_GROUPS: Of<ClassGroupProvisioningFlow> = Of("cg", PhantomData);
static USERS: Of<UserProvisioningFlow> = Of("user", PhantomData);

/// Every flow kind, in the order resources take them.
pub static ALL: [&dyn BenchKind; 4] = [
    &SECURITY_GROUPS,
    &ADMINISTRATIVE_UNITS,
    &CLASS_GROUPS,
    &USERS,
];

/// The kinds of one run.
#[derive(Clone)]
pub struct Mix(Vec<&'static dyn BenchKind>);

impl Mix {
    pub fn from_environment() -> Self {
        let text = std::env::var("SDS_BENCH_KINDS").unwrap_or_else(|_| "all".to_owned());
        if text == "all" {
            return Self(ALL.to_vec());
        }
        let kinds = text
            .split(',')
            .map(|name| {
                *ALL.iter()
                    .find(|kind| kind.short_name() == name.trim())
                    .unwrap_or_else(|| {
                        panic!("SDS_BENCH_KINDS: {name:?} is none of all, sg, au, cg, user")
                    })
            })
            .collect();
        Self(kinds)
    }

    /// The kind of resource `index`.
    pub fn kind_at(&self, index: usize) -> &'static dyn BenchKind {
        self.0[index % self.0.len()]
    }

    /// How many of resources `range` each kind has.
    pub fn counts(
        &self,
        range: std::ops::Range<usize>,
    ) -> impl Iterator<Item = (&'static dyn BenchKind, usize)> + '_ {
        self.0.iter().enumerate().map(move |(position, kind)| {
            let count = range
                .clone()
                .filter(|index| index % self.0.len() == position)
                .count();
            (*kind, count)
        })
    }

    /// Waits until the first `count` resources are all Ready, every kind on its own watch.
    pub async fn wait_ready(&self, operator: &OperatorUnderTest, count: usize, deadline: Duration) {
        join_all(
            self.counts(0..count)
                .filter(|(_, count)| *count > 0)
                .map(|(kind, count)| kind.wait_ready(operator, count, deadline)),
        )
        .await;
    }

    /// `kind/name` → resourceVersion of every resource of the run's kinds.
    pub async fn resource_versions(
        &self,
        operator: &OperatorUnderTest,
    ) -> BTreeMap<String, String> {
        let mut versions = BTreeMap::new();
        for kind in &self.0 {
            versions.extend(kind.resource_versions(operator).await);
        }
        versions
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|kind| kind.short_name()).collect();
        write!(f, "kinds {}", names.join("+"))
    }
}

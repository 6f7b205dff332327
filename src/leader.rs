//! Leader election on the Lease `sds-operator-leader` (coordination.k8s.io/v1): one instance holds
//! it and works, the others stand by. Expiry is judged on this process's own monotonic clock, from
//! when it saw the Lease change, so clock skew between nodes cannot shorten a lease; and the holder
//! steps down when it could not renew for the renew deadline, before anyone else may take over.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use futures::StreamExt as _;
use kube::runtime::{WatchStreamExt as _, watcher};

/// The Lease every instance of the operator competes for.
pub const LEASE_NAME: &str = "sds-operator-leader";

/// How an instance takes part in leader election.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseSettings {
    /// Namespace of the Lease: the operator's own.
    pub namespace: String,
    /// This instance's name in the Lease: the Pod's name, so that a restarted container takes its
    /// own lease back at once instead of waiting for it to expire.
    pub identity: String,
    /// How long a lease holds after its last renewal; a standby takes over a silent leader after
    /// this long.
    pub duration: Duration,
    /// The leader stops working when it could not renew for this long (shorter than `duration`,
    /// so it has stopped before a standby may start).
    pub renew_deadline: Duration,
    /// How often a standby looks at the Lease, and a failed renewal is tried again.
    pub retry_period: Duration,
}

impl LeaseSettings {
    /// How often the leader renews: three renewals fit in a lease.
    fn renew_interval(&self) -> Duration {
        self.duration / 3
    }
}

/// This instance's part in the election, running in the background until [`release`](Self::release).
#[derive(Debug)]
pub struct Elector {
    leading: watch::Receiver<bool>,
    stop: Option<oneshot::Sender<()>>,
    campaign: Option<JoinHandle<()>>,
}

impl Elector {
    /// Starts competing for the Lease.
    pub fn start(client: Client, settings: LeaseSettings) -> Self {
        let (leading, receiver) = watch::channel(false);
        let (stop, stopped) = oneshot::channel();
        let campaign = Campaign {
            api: Api::namespaced(client, &settings.namespace),
            settings,
            observed: None,
            leading,
        };
        Self {
            leading: receiver,
            stop: Some(stop),
            campaign: Some(tokio::spawn(campaign.run(stopped))),
        }
    }

    /// An instance that leads without a Lease (leader election switched off).
    pub fn unopposed() -> Self {
        let (leading, receiver) = watch::channel(true);
        // The value stays readable after the sender is gone.
        drop(leading);
        Self {
            leading: receiver,
            stop: None,
            campaign: None,
        }
    }

    /// `true` while this instance holds the Lease; changes as it wins or loses it.
    pub fn leading(&self) -> watch::Receiver<bool> {
        self.leading.clone()
    }

    /// Stops competing and, when this instance holds the Lease, gives it up so that a standby
    /// takes over at its next look instead of waiting for the lease to expire. Call it after the
    /// work has stopped.
    pub async fn release(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(campaign) = self.campaign.take() {
            let _ = campaign.await;
        }
    }
}

/// The Lease as this instance last saw it, and when (on the local clock) it last changed.
#[derive(Debug)]
struct Observed {
    lease: Lease,
    changed_at: Instant,
}

#[derive(Debug)]
struct Campaign {
    api: Api<Lease>,
    settings: LeaseSettings,
    observed: Option<Observed>,
    leading: watch::Sender<bool>,
}

/// How an attempt on the Lease ended, when the API server answered.
#[derive(Debug, PartialEq, Eq)]
enum Attempt {
    Won,
    /// Another instance holds it, or changed it first.
    Lost,
}

impl Campaign {
    async fn run(mut self, mut stop: oneshot::Receiver<()>) {
        loop {
            tokio::select! {
                _ = &mut stop => return,
                () = self.acquire() => {}
            }
            tracing::info!(identity = %self.settings.identity, lease = LEASE_NAME, "leading");
            self.leading.send_replace(true);
            let stopping = tokio::select! {
                _ = &mut stop => true,
                () = self.hold() => false,
            };
            // Work stops before a standby may begin: the caller sees this at once.
            self.leading.send_replace(false);
            if stopping {
                self.give_up().await;
                return;
            }
        }
    }

    /// Returns once this instance holds the Lease. A standby watches the Lease rather than
    /// polling it, so it sees each renewal as it happens and takes over as soon as the lease
    /// has run out: within the lease duration of the leader's last renewal.
    async fn acquire(&mut self) {
        let selector = format!("metadata.name={LEASE_NAME}");
        let leases = watcher(
            self.api.clone(),
            watcher::Config::default().fields(&selector),
        )
        .default_backoff();
        let mut leases = std::pin::pin!(leases);
        let (mut listed, mut listing_found) = (false, false);
        let mut retry_at: Option<Instant> = None;
        let mut last_holder = None;
        loop {
            let may_try = retry_at.is_none_or(|at| Instant::now() >= at);
            if listed && may_try && self.free() {
                match self.take().await {
                    Ok(Attempt::Won) => return,
                    Ok(Attempt::Lost) => retry_at = None,
                    Err(error) => {
                        tracing::warn!(%error, lease = LEASE_NAME, "could not take the Lease");
                        retry_at = Some(Instant::now() + self.settings.retry_period);
                    }
                }
                continue;
            }
            let holder = self.holder();
            if listed && holder.is_some() && holder != last_holder {
                tracing::info!(holder = ?holder, lease = LEASE_NAME, "standing by");
                last_holder = holder;
            }
            let wake_at = [self.expiry(), retry_at].into_iter().flatten().min();
            tokio::select! {
                event = leases.next() => match event {
                    Some(Ok(watcher::Event::Init)) => listing_found = false,
                    Some(Ok(watcher::Event::InitApply(lease))) => {
                        listing_found = true;
                        self.observe(lease);
                    }
                    Some(Ok(watcher::Event::InitDone)) => {
                        if !listing_found {
                            self.observed = None;
                        }
                        listed = true;
                    }
                    Some(Ok(watcher::Event::Apply(lease))) => self.observe(lease),
                    Some(Ok(watcher::Event::Delete(_))) => self.observed = None,
                    Some(Err(error)) => {
                        tracing::warn!(%error, lease = LEASE_NAME, "watching the Lease failed");
                    }
                    None => return,
                },
                () = sleep_until_some(wake_at) => {}
            }
        }
    }

    /// Holds the Lease, renewing it, until a renewal is refused because another instance took it
    /// or until none succeeded for the renew deadline.
    async fn hold(&mut self) {
        let mut renewed = Instant::now();
        let mut next = renewed + self.settings.renew_interval();
        // Watched while leading too, so that a Lease taken or deleted behind this instance's
        // back stops its work at once rather than at its next renewal.
        let mut leases = std::pin::pin!(self.lease_watch());
        loop {
            let deadline = renewed + self.settings.renew_deadline;
            tokio::select! {
                () = tokio::time::sleep_until(next.min(deadline)) => {}
                event = leases.next() => {
                    if self.lost_in(event) {
                        tracing::warn!(holder = ?self.holder(), lease = LEASE_NAME, "the Lease is no longer this instance's: stopped leading");
                        return;
                    }
                    continue;
                }
            }
            let started = Instant::now();
            if started >= deadline {
                tracing::warn!(
                    renew_deadline = ?self.settings.renew_deadline,
                    lease = LEASE_NAME,
                    "could not renew the Lease in time: stopped leading"
                );
                return;
            }
            match tokio::time::timeout(deadline - started, self.renew()).await {
                Ok(Ok(Attempt::Won)) => {
                    renewed = started;
                    next = renewed + self.settings.renew_interval();
                }
                Ok(Ok(Attempt::Lost)) => {
                    tracing::warn!(holder = ?self.holder(), lease = LEASE_NAME, "another instance took the Lease: stopped leading");
                    return;
                }
                Ok(Err(error)) => {
                    tracing::warn!(%error, lease = LEASE_NAME, "could not renew the Lease");
                    next = Instant::now() + self.settings.retry_period;
                }
                Err(_) => next = Instant::now(),
            }
        }
    }

    /// The Lease's watch events (the Lease only, by field selector).
    fn lease_watch(
        &self,
    ) -> impl futures::Stream<Item = Result<watcher::Event<Lease>, watcher::Error>> + use<> {
        let selector = format!("metadata.name={LEASE_NAME}");
        watcher(
            self.api.clone(),
            watcher::Config::default().fields(&selector),
        )
        .default_backoff()
    }

    /// Whether a watch event shows the Lease held by someone else, released or deleted.
    fn lost_in(&mut self, event: Option<Result<watcher::Event<Lease>, watcher::Error>>) -> bool {
        match event {
            Some(Ok(watcher::Event::Apply(lease) | watcher::Event::InitApply(lease))) => {
                let holder = lease
                    .spec
                    .as_ref()
                    .and_then(|spec| spec.holder_identity.as_deref());
                if holder == Some(self.settings.identity.as_str()) {
                    // Our own renewals echo back; what the writes returned is newer or the same.
                    return false;
                }
                self.observe(lease);
                true
            }
            Some(Ok(watcher::Event::Delete(_))) => {
                self.observed = None;
                true
            }
            _ => false,
        }
    }

    /// Whether the Lease as last seen may be taken: absent, released, expired or already ours.
    fn free(&self) -> bool {
        match self.holder() {
            None => true,
            Some(holder) => holder == self.settings.identity || self.expired(),
        }
    }

    /// Writes this instance into the Lease as last seen (creating it when there is none); a
    /// write that loses to another is followed by a read, so the next decision is on fresh data.
    async fn take(&mut self) -> kube::Result<Attempt> {
        let current = self.observed.as_ref().map(|seen| &seen.lease);
        let lease = self.claimed(current);
        let written = match current {
            None => self.api.create(&PostParams::default(), &lease).await,
            Some(_) => {
                self.api
                    .replace(LEASE_NAME, &PostParams::default(), &lease)
                    .await
            }
        };
        let attempt = self.write(written)?;
        if attempt == Attempt::Lost {
            match self.api.get_opt(LEASE_NAME).await? {
                Some(current) => self.observe(current),
                None => self.observed = None,
            }
        }
        Ok(attempt)
    }

    /// Renews the Lease this instance holds; a Lease changed by someone else meanwhile is read
    /// again and renewed if it is still ours.
    async fn renew(&mut self) -> kube::Result<Attempt> {
        let lease = self.claimed(self.observed.as_ref().map(|seen| &seen.lease));
        match self.write(
            self.api
                .replace(LEASE_NAME, &PostParams::default(), &lease)
                .await,
        )? {
            Attempt::Won => Ok(Attempt::Won),
            Attempt::Lost => {
                let Some(current) = self.api.get_opt(LEASE_NAME).await? else {
                    return Ok(Attempt::Lost);
                };
                self.observe(current);
                if self.holder().as_deref() != Some(self.settings.identity.as_str()) {
                    return Ok(Attempt::Lost);
                }
                let lease = self.claimed(self.observed.as_ref().map(|seen| &seen.lease));
                self.write(
                    self.api
                        .replace(LEASE_NAME, &PostParams::default(), &lease)
                        .await,
                )
            }
        }
    }

    /// Clears the holder, if it is still this instance, so that a standby need not wait.
    async fn give_up(&mut self) {
        let limit = self.settings.retry_period;
        let released = async {
            let Some(current) = self.api.get_opt(LEASE_NAME).await? else {
                return Ok(());
            };
            self.observe(current);
            if self.holder().as_deref() != Some(self.settings.identity.as_str()) {
                return Ok(());
            }
            let mut lease = self
                .observed
                .as_ref()
                .map(|seen| seen.lease.clone())
                .unwrap_or_default();
            let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
            spec.holder_identity = None;
            spec.acquire_time = None;
            self.api
                .replace(LEASE_NAME, &PostParams::default(), &lease)
                .await
                .map(drop)
        };
        match tokio::time::timeout(limit, released).await {
            Ok(Ok(())) => tracing::info!(lease = LEASE_NAME, "released the Lease"),
            Ok(Err(error)) => {
                tracing::warn!(%error, lease = LEASE_NAME, "could not release the Lease; it expires on its own")
            }
            Err(_) => tracing::warn!(
                lease = LEASE_NAME,
                "releasing the Lease timed out; it expires on its own"
            ),
        }
    }

    /// The Lease with this instance as its holder, renewed now, from `current` when there is one
    /// (its resourceVersion makes the write fail if someone else wrote first).
    fn claimed(&self, current: Option<&Lease>) -> Lease {
        let now = MicroTime(jiff::Timestamp::now());
        let mut lease = current.cloned().unwrap_or_else(|| Lease {
            metadata: ObjectMeta {
                name: Some(LEASE_NAME.to_owned()),
                namespace: Some(self.settings.namespace.clone()),
                ..ObjectMeta::default()
            },
            spec: None,
        });
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        if spec.holder_identity.as_deref() != Some(self.settings.identity.as_str()) {
            if spec.holder_identity.is_some() {
                spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
            }
            spec.holder_identity = Some(self.settings.identity.clone());
            spec.acquire_time = Some(now.clone());
        }
        spec.lease_duration_seconds =
            Some(i32::try_from(self.settings.duration.as_secs()).unwrap_or(i32::MAX));
        spec.renew_time = Some(now);
        lease
    }

    /// Records a write's outcome: the Lease as written, or `Lost` when another write came first.
    fn write(&mut self, written: kube::Result<Lease>) -> kube::Result<Attempt> {
        match written {
            Ok(lease) => {
                self.observe(lease);
                Ok(Attempt::Won)
            }
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(Attempt::Lost),
            Err(error) => Err(error),
        }
    }

    fn observe(&mut self, lease: Lease) {
        let unchanged = self.observed.as_ref().is_some_and(|seen| {
            seen.lease.metadata.resource_version == lease.metadata.resource_version
        });
        if !unchanged {
            self.observed = Some(Observed {
                lease,
                changed_at: Instant::now(),
            });
        }
    }

    fn holder(&self) -> Option<String> {
        let spec = self.observed.as_ref()?.lease.spec.as_ref()?;
        spec.holder_identity
            .clone()
            .filter(|holder| !holder.is_empty())
    }

    /// Whether the holder let the lease run out: no change seen for its whole duration.
    fn expired(&self) -> bool {
        self.expiry().is_some_and(|expiry| Instant::now() >= expiry)
    }

    /// When the lease as last seen runs out, unless it is renewed: its duration after this
    /// instance saw it change.
    fn expiry(&self) -> Option<Instant> {
        let seen = self.observed.as_ref()?;
        self.holder()?;
        let seconds = seen
            .lease
            .spec
            .as_ref()
            .and_then(|spec| spec.lease_duration_seconds)
            .and_then(|seconds| u64::try_from(seconds).ok())
            .unwrap_or(self.settings.duration.as_secs());
        Some(seen.changed_at + Duration::from_secs(seconds))
    }
}

/// Sleeps until `at`, or forever when there is no such moment.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

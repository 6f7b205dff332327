//! What the controller remembers about a resource between its reconciles, in memory only: losing
//! it on a restart costs at most one more PATCH and restarts the freshness clock.

use std::time::{Duration, Instant};

use super::debounce::{Trigger, wait_before};

#[derive(Clone, Debug)]
pub struct Memory<C> {
    /// Failed reconciles in a row, for exponential backoff.
    pub failures: u32,
    /// When Graph was last read successfully for this resource.
    pub last_read: Option<Instant>,
    /// The last change of the settings Graph accepted, to notice one that did not stick; boxed,
    /// since most resources have none and a kind's settings can be large.
    pub last_update: Option<Box<SentUpdate<C>>>,
    /// The first Graph read of this settled resource was put off to spread a restart's reads.
    pub first_read_deferred: bool,
    /// Graph has shown this process the flow status records since it was created: from then on
    /// a 404 means the flow was deleted, not that it is not visible yet.
    pub flow_seen: bool,
    /// What the last reconcile that ran was started for, and when, to debounce annotation edits.
    pub last_trigger: Option<(Trigger, Instant)>,
    /// A digest of the access the last reconcile found, to wake the resource when grants change it.
    pub access: Option<u64>,
    /// When the resource's next reconcile is due, if it waits long (`Context::requeue_after`).
    pub due: Option<Instant>,
}

impl<C> Default for Memory<C> {
    fn default() -> Self {
        Self {
            failures: 0,
            last_read: None,
            last_update: None,
            first_read_deferred: false,
            flow_seen: false,
            last_trigger: None,
            access: None,
            due: None,
        }
    }
}

impl<C> Memory<C> {
    /// How long a reconcile for `trigger`, started at `started`, waits for an annotation edit to
    /// settle, if at all; a reconcile that goes ahead is remembered as the last one.
    pub fn debounce(&mut self, trigger: Trigger, started: Instant) -> Option<Duration> {
        let wait = wait_before(self.last_trigger.as_ref(), &trigger);
        if wait.is_none() {
            self.last_trigger = Some((trigger, started));
        }
        wait
    }
}

/// A PATCH Graph answered with success, and what it replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentUpdate<C> {
    pub desired: C,
    pub replaced: C,
    /// Graph's lastModifiedDateTime before the PATCH.
    pub replaced_modified: Option<String>,
}

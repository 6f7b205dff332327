//! What the controller remembers about a resource between its reconciles, in memory only: losing
//! it on a restart costs at most one more PATCH and restarts the freshness clock.

use std::time::Instant;

use graph::SecurityGroupCreationOptions;

use super::debounce::Trigger;

#[derive(Clone, Debug, Default)]
pub struct Memory {
    /// Failed reconciles in a row, for exponential backoff.
    pub failures: u32,
    /// When Graph was last read successfully for this resource.
    pub last_read: Option<Instant>,
    /// The last change of creationOptions Graph accepted, to notice one that did not stick.
    pub last_update: Option<SentUpdate>,
    /// The first Graph read of this settled resource was put off to spread a restart's reads.
    pub first_read_deferred: bool,
    /// What the last reconcile that ran was started for, and when, to debounce annotation edits.
    pub last_trigger: Option<(Trigger, Instant)>,
}

/// A PATCH Graph answered with success, and what it replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentUpdate {
    pub desired: SecurityGroupCreationOptions,
    pub replaced: SecurityGroupCreationOptions,
    /// Graph's lastModifiedDateTime before the PATCH.
    pub replaced_modified: Option<String>,
}

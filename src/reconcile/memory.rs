//! What the controller remembers about a resource between its reconciles, in memory only: losing
//! it on a restart costs at most one more PATCH and restarts the freshness clock.

use std::time::Instant;

use crate::graph::SecurityGroupCreationOptions;

#[derive(Clone, Debug, Default)]
pub struct Memory {
    /// Failed reconciles in a row, for exponential backoff.
    pub failures: u32,
    /// When Graph was last read successfully for this resource.
    pub last_read: Option<Instant>,
    /// The last change of creationOptions Graph accepted, to notice one that did not stick.
    pub last_update: Option<SentUpdate>,
}

/// A PATCH Graph answered with success, and what it replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentUpdate {
    pub desired: SecurityGroupCreationOptions,
    pub replaced: SecurityGroupCreationOptions,
    /// Graph's lastModifiedDateTime before the PATCH.
    pub replaced_modified: Option<String>,
}

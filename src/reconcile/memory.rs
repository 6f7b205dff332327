//! What the controller remembers about a resource between its reconciles, in memory only: losing
//! it on a restart costs at most one more PATCH and restarts the freshness clock.

use std::time::Instant;

use graph::{CredentialKey, SecurityGroupCreationOptions};

use super::debounce::Trigger;

#[derive(Clone, Debug, Default)]
pub struct Memory {
    /// Failed reconciles in a row, for exponential backoff.
    pub failures: u32,
    /// When Graph was last read successfully for this resource.
    pub last_read: Option<Instant>,
    /// The last change of creationOptions Graph accepted, to notice one that did not stick.
    pub last_update: Option<SentUpdate>,
    /// The credential the resource used last, to notice a rotation.
    pub credential: Option<CredentialKey>,
    /// The first Graph read of this settled resource was put off to spread a restart's reads.
    pub first_read_deferred: bool,
    /// What the last reconcile that ran was started for, and when, to debounce annotation edits.
    pub last_trigger: Option<(Trigger, Instant)>,
}

/// Records that the resource remembered in `mine` now uses `current`, and returns the credential
/// it stopped using if no other resource in `all` uses it any more (then its client and cached
/// token can go).
pub fn switch_credential<'a>(
    mine: &mut Memory,
    current: CredentialKey,
    mut all: impl Iterator<Item = &'a Memory>,
) -> Option<CredentialKey> {
    let previous = mine
        .credential
        .replace(current.clone())
        .filter(|previous| *previous != current)?;
    let still_used = all.any(|other| other.credential.as_ref() == Some(&previous));
    (!still_used).then_some(previous)
}

/// A PATCH Graph answered with success, and what it replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentUpdate {
    pub desired: SecurityGroupCreationOptions,
    pub replaced: SecurityGroupCreationOptions,
    /// Graph's lastModifiedDateTime before the PATCH.
    pub replaced_modified: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use graph::{Credential, SecretString};

    fn key(secret: &str) -> CredentialKey {
        Credential::client_secret(
            "contoso.example",
            "b5e7f8a3-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
            SecretString::new(secret),
        )
        .expect("credential")
        .fingerprint()
    }

    #[test]
    fn a_rotated_credential_is_retired_once_nobody_uses_it() {
        let mut mine = Memory::default();
        assert_eq!(
            switch_credential(&mut mine, key("old"), std::iter::empty()),
            None
        );
        assert_eq!(
            switch_credential(&mut mine, key("old"), std::iter::empty()),
            None,
            "unchanged"
        );

        let other = Memory {
            credential: Some(key("old")),
            ..Memory::default()
        };
        assert_eq!(
            switch_credential(&mut mine, key("new"), [&other].into_iter()),
            None,
            "still used elsewhere"
        );

        let mut again = Memory {
            credential: Some(key("new")),
            ..Memory::default()
        };
        assert_eq!(
            switch_credential(&mut again, key("newer"), std::iter::empty()),
            Some(key("new"))
        );
    }
}

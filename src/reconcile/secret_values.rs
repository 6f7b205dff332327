//! The values a resource's settings take from Secret keys (a user flow's default passwords): read
//! at each sync, never kept beyond it, and fingerprinted so that status can tell when one changed
//! without holding anything that reveals it.

use std::collections::BTreeMap;

use graph::SecretString;
use hmac::{Hmac, Mac as _};
use kube::{Client, ResourceExt as _};
use sha2::Sha256;

use super::credentials::labelled_secret;
use super::error::Error;
use crate::crd::FlowKind;

/// The values of the Secret keys a resource names, and their fingerprints, by slot.
#[derive(Debug, Default)]
pub struct SecretValues {
    pub values: BTreeMap<String, SecretString>,
    pub fingerprints: BTreeMap<String, String>,
}

/// Reads every Secret key `flow` names. A missing Secret, label or key is an error naming the
/// field that names it.
pub async fn read<K: FlowKind>(client: &Client, flow: &K) -> Result<SecretValues, Error> {
    let namespace = flow.namespace().unwrap_or_default();
    let mut read = SecretValues::default();
    for crate::crd::SecretSlot {
        slot,
        field,
        reference,
    } in flow.secret_keys()
    {
        let missing = || Error::SecretKeyNotFound {
            namespace: namespace.clone(),
            name: reference.name.clone(),
            key: reference.key.clone(),
            field: field.clone(),
        };
        let secret = labelled_secret(client, &namespace, &reference.name)
            .await?
            .ok_or_else(missing)?;
        let value = secret
            .data
            .as_ref()
            .and_then(|data| data.get(&reference.key))
            .and_then(|bytes| String::from_utf8(bytes.0.clone()).ok())
            .filter(|value| !value.is_empty())
            .ok_or_else(missing)?;
        let uid = secret.uid().unwrap_or_default();
        read.fingerprints
            .insert(slot.to_owned(), fingerprint(&uid, &value));
        read.values
            .insert(slot.to_owned(), SecretString::new(value));
    }
    Ok(read)
}

/// HMAC-SHA256 of `value` keyed by the uid of the Secret holding it, as 32 hexadecimal digits.
/// The uid is known only to those who can read the Secret, who know the value anyway; to anyone
/// else the fingerprint cannot be tested against guesses, however weak the password.
fn fingerprint(secret_uid: &str, value: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret_uid.as_bytes()).expect("HMAC takes any key length");
    mac.update(value.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("hmac-sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_changes_with_the_value_and_with_the_secret() {
        let uid = "6c1f0d6e-2f6b-4d7f-9a57-6f0b1c2d3e4f";
        let first = fingerprint(uid, "Summer2026!");
        assert_eq!(first, fingerprint(uid, "Summer2026!"));
        assert!(first.starts_with("hmac-sha256:") && first.len() == 12 + 32);
        assert_ne!(first, fingerprint(uid, "Summer2027!"));
        assert_ne!(first, fingerprint("another-uid", "Summer2026!"));
        assert!(!first.contains("Summer"));
    }
}
